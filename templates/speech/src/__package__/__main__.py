"""Allows ``python -m <package> train|evaluate|serve|data|synth|transcribe``."""

from .cli import main

raise SystemExit(main())
