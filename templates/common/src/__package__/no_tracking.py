"""The tracking interface, doing nothing: for runs that should not be logged.

The same functions as tracking.py (MLflow, Weights & Biases or none), so code that logs takes
either module and never asks whether tracking is on: ``train(tracker=no_tracking)`` for a
quick run, ``tracker.log_metrics(...)`` everywhere inside.

``model_dir`` is the server's: without MLflow's registry, a model is a local folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
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


def log_model(
    model_dir: str | Path,
    metric: str,
    value: float,
    *,
    higher_is_better: bool = False,
    files: Sequence[str] | None = None,
) -> None:
    pass


def model_dir(default: str | Path) -> Path:
    """Where the server loads its model from: the folder in ``MODEL_URI`` if set, else ``default``.

    Registry URIs (``models:/...``) need the MLflow tracker.
    """
    uri = os.environ.get("MODEL_URI")
    if not uri:
        return Path(default)
    if not Path(uri).is_dir():
        raise ValueError(f"MODEL_URI={uri!r} is not a folder (registry URIs need MLflow tracking)")
    return Path(uri)
