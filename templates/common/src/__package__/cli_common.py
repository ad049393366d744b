"""What every project's command line shares; its cli.py adds the project's own commands.

- ``add_server_options``: ``--host`` and ``--port`` for a command that starts a server, taken
  from ``HOST`` and ``PORT`` when set (the Dockerfile and cloud hosts set them).
- ``run_command``: runs the chosen command and turns a usage problem (no trained model yet, a
  missing file, a bad value) into one ``error: ...`` line and exit status 1, not a traceback.
  Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

# What a command raises when the user has to act (run `make train`, fix a path or a value).
USAGE_ERRORS: tuple[type[Exception], ...] = (FileNotFoundError, ValueError)


def add_server_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    command.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))


def run_command(
    run: Callable[[argparse.Namespace], int | None],
    args: argparse.Namespace,
    usage_errors: tuple[type[Exception], ...] = USAGE_ERRORS,
) -> int:
    """``run(args)``'s exit status (None counts as 0), or 1 after a usage problem."""
    try:
        return run(args) or 0
    except usage_errors as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
