"""The tracking interface, doing nothing: for runs that should not be logged.

The same functions as tracking.py (MLflow, Weights & Biases or none), so code that logs takes
either module and never asks whether tracking is on: ``train(tracker=no_tracking)`` for a
quick run, ``tracker.log_metrics(...)`` everywhere inside.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def start_run(run_name: str, nested: bool = False) -> Iterator[str]:
    yield ""  # no run id: nothing is recorded


def log_params(params: Mapping[str, Any]) -> None:
    pass


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    pass


def set_tags(tags: Mapping[str, Any]) -> None:
    pass


def log_figure(fig: Any, filename: str) -> None:
    pass


def log_artifact(path: str | Path) -> None:
    pass


def log_model(model: Any, name: str, flavor: str = "sklearn") -> None:
    pass
