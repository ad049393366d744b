"""Experiment tracking switched off: this project was generated without a tracker.

Every function of the tracking interface is there and does nothing (they are no_tracking.py's),
so the training code stays identical whichever tracker the project was generated with. Only
``model_dir`` does something: it tells the server where its model is.
"""

from __future__ import annotations

from .no_tracking import (
    log_artifact,
    log_figure,
    log_metrics,
    log_model,
    log_params,
    model_dir,
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
