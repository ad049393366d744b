"""Experiment tracking switched off: this project was generated without a tracker.

Every function of the tracking interface is there and does nothing (see no_tracking.py), so
the training code stays identical whichever tracker the project was generated with. Only
``model_dir`` does something: it tells the server where its model is.
"""

from __future__ import annotations

import os
from pathlib import Path

from .no_tracking import (
    log_artifact,
    log_figure,
    log_metrics,
    log_model,
    log_params,
    set_tags,
    start_run,
)

__all__ = [
    "log_artifact",
    "log_figure",
    "log_metrics",
    "log_model",
    "log_params",
    "model_dir",
    "set_tags",
    "start_run",
]


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
