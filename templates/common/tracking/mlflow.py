"""Experiment tracking with MLflow.

Every project module talks to this small interface instead of calling mlflow directly, so the
tracker can be swapped (MLflow, Weights & Biases or none) without touching the training code.

Where runs go: ``MLFLOW_TRACKING_URI`` from the environment, else ``sqlite:///mlflow.db`` in the
current folder (browse it with ``make mlflow-ui``). The experiment is named after the project;
``MLFLOW_EXPERIMENT_NAME`` overrides it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
# "co2_forecast.tracking" -> "co2-forecast": the package name is the project name.
DEFAULT_EXPERIMENT = (__package__ or "experiment").split(".")[0].replace("_", "-")


def _git_commit() -> str | None:
    """The current commit, or None outside a git repository (or without git installed)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def _configure() -> None:
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI))
    mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME", DEFAULT_EXPERIMENT))


@contextmanager
def start_run(run_name: str, nested: bool = False) -> Iterator[str]:
    """Open a run (``nested=True`` inside another run, e.g. one per tuning candidate).

    Yields the run id. The run is closed, as FAILED if an exception escapes, when the block ends.
    """
    if not nested:
        _configure()
    with mlflow.start_run(run_name=run_name, nested=nested) as run:
        commit = _git_commit()
        if commit:
            mlflow.set_tag("git_commit", commit)
        yield run.info.run_id


def log_params(params: Mapping[str, Any]) -> None:
    # MLflow stores params as strings; None and nested values are stringified too.
    mlflow.log_params({key: str(value) for key, value in params.items()})


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    mlflow.log_metrics({key: float(value) for key, value in metrics.items()}, step=step)


def set_tags(tags: Mapping[str, Any]) -> None:
    mlflow.set_tags({key: str(value) for key, value in tags.items()})


def log_figure(fig: Any, filename: str) -> None:
    """Log a matplotlib figure as an image artifact (e.g. ``"forecast.png"``)."""
    mlflow.log_figure(fig, filename)


def log_artifact(path: str | Path) -> None:
    mlflow.log_artifact(str(path))


def log_model(model: Any, name: str, flavor: str = "sklearn") -> None:
    """Log a model under ``name``.

    ``flavor="sklearn"`` uses MLflow's scikit-learn flavour (loadable with
    ``mlflow.sklearn.load_model``). Any other flavour name stores the object with joblib as a
    plain artifact folder ``name/``: enough for custom wrappers that no MLflow flavour knows.
    """
    if flavor == "sklearn":
        # Imported here: the flavour loads slowly.
        from mlflow import sklearn as mlflow_sklearn
        from skops.io import dumps, get_untrusted_types

        # MLflow saves scikit-learn models with skops, which refuses types it does not know as
        # safe (a random forest's trees, for one). This model was trained right here, so its own
        # types are trusted explicitly rather than falling back to unsafe pickle. Note: MLflow
        # also infers the model's pip requirements here, which takes 10-30 s.
        trusted = get_untrusted_types(data=dumps(model))
        mlflow_sklearn.log_model(model, name=name, skops_trusted_types=trusted)
        return
    import joblib

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.joblib"
        joblib.dump(model, path)
        mlflow.log_artifact(str(path), artifact_path=name)
