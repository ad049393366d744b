"""Allows ``python -m <package> train|evaluate|serve|tunnel``."""

from .cli import main

raise SystemExit(main())
