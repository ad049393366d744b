"""Experiment tracking switched off: this project was generated without a tracker.

Every function of the tracking interface is there and does nothing (see no_tracking.py), so
the training code stays identical whichever tracker the project was generated with.
"""

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
    "set_tags",
    "start_run",
]
