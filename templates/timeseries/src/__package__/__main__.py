"""Allows ``python -m <package> train|evaluate|serve|data``."""

from .cli import main

raise SystemExit(main())
