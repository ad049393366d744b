"""Allows ``python -m <package> scrape|demo|train|evaluate|serve|...``."""

from .cli import main

raise SystemExit(main())
