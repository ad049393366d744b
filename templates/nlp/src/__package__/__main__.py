"""Allows ``python -m <package> train|evaluate|serve|chat``."""

from .cli import main

raise SystemExit(main())
