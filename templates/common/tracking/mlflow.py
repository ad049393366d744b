"""Experiment tracking with MLflow.

Every project module talks to this small interface instead of calling mlflow directly, so the
tracker can be swapped (MLflow, Weights & Biases or none) without touching the training code.

Where runs go: ``MLFLOW_TRACKING_URI`` from the environment, else ``sqlite:///mlflow.db`` in the
current folder (browse it with ``make mlflow-ui``). The experiment is named after the project;
``MLFLOW_EXPERIMENT_NAME`` overrides it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd

from .report import git

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
# "co2_forecast.tracking" -> "co2-forecast": the package name is the project name.
_PACKAGE = (__package__ or "experiment").split(".")[0]
DEFAULT_EXPERIMENT = _PACKAGE.replace("_", "-")


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
        commit = git("rev-parse", "HEAD")  # None outside a git repository
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


# The tag on each registered version that holds the metric its champion rule compares.
_METRIC_TAG = "headline_metric"
CHAMPION = "champion"


class _SavedModel(mlflow.pyfunc.PythonModel):
    """An MLflow model around the folder that `make train` saves.

    It holds no weights itself: at load time it hands the logged copy of that folder to the
    project's own loader (logged_model.load), so MLflow, the server and the tests all predict
    through the same code.
    """

    def load_context(self, context: Any) -> None:
        from . import logged_model

        self._predict = logged_model.load(Path(context.artifacts["model_dir"]))

    # A DataFrame hint tells MLflow to take the signature from the input example, not the hint.
    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        return self._predict(model_input)


def _requirements() -> list[str]:
    """The project's own pinned runtime requirements, read from its installed metadata.

    Passed to MLflow explicitly: inferring them imports the model in a subprocess, which costs
    tens of seconds per run. Extras (``dev``) are left out: serving does not need them.
    """
    from importlib.metadata import requires

    return [r for r in requires(_PACKAGE) or [] if "extra ==" not in r]


def _is_better(value: float, champion: float, higher_is_better: bool) -> bool:
    return value > champion if higher_is_better else value < champion


def log_model(
    model_dir: str | Path,
    metric: str,
    value: float,
    *,
    higher_is_better: bool = False,
    files: Sequence[str] | None = None,
) -> None:
    """Log the saved model folder as an MLflow model, register it, and maybe crown it.

    The model is registered under the project's name (one new version per run). The alias
    ``champion`` moves to the new version when no version holds it yet, or when ``value`` of the
    headline ``metric`` beats the champion's (strictly; a tie keeps the old champion). Compare only
    runs scored on the same data: that is up to you. Serve the champion with
    ``MODEL_URI=models:/<project>@champion make serve``.

    ``files`` limits the logged copy to those files of the folder (to leave out a download cache).
    """
    from mlflow.models import infer_signature

    from . import logged_model

    model_dir = Path(model_dir)
    example = logged_model.example()
    with warnings.catch_warnings():
        # MLflow warns that integer columns cannot hold missing values; the examples have none.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        signature = infer_signature(example, logged_model.load(model_dir)(example))
    with tempfile.TemporaryDirectory() as tmp:
        if files is not None:
            # MLflow copies the artifacts while logging, so the temporary folder may go after.
            selected = Path(tmp) / model_dir.name
            selected.mkdir()
            for name in files:
                shutil.copy2(model_dir / name, selected / name)
            model_dir = selected
        # MLflow loads the logged model once more and predicts on the example to check it.
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=_SavedModel(),
            artifacts={"model_dir": str(model_dir)},
            signature=signature,
            input_example=example,
            pip_requirements=_requirements(),
            registered_model_name=DEFAULT_EXPERIMENT,
        )
    client = mlflow.MlflowClient()
    version = str(info.registered_model_version)
    client.set_model_version_tag(DEFAULT_EXPERIMENT, version, _METRIC_TAG, f"{metric}={value}")
    try:
        champion = client.get_model_version_by_alias(DEFAULT_EXPERIMENT, CHAMPION)
    except mlflow.exceptions.MlflowException:  # no champion yet
        champion = None
    if champion is not None:
        name, _, old = champion.tags.get(_METRIC_TAG, "").partition("=")
        # A champion scored on another metric (or none) is replaced: the scores do not compare.
        if name == metric and not _is_better(value, float(old), higher_is_better):
            return
    client.set_registered_model_alias(DEFAULT_EXPERIMENT, CHAMPION, version)


def model_dir(default: str | Path) -> Path:
    """Where the server loads its model from: ``MODEL_URI`` if set, else ``default``.

    ``MODEL_URI`` may be a registry URI (``models:/<project>@champion``, ``models:/<project>/3``),
    a run's model (``runs:/<run id>/model``) or a local folder. MLflow downloads the logged model,
    and the server loads the project folder inside it with its usual loader.
    """
    uri = os.environ.get("MODEL_URI")
    if not uri:
        return Path(default)
    if Path(uri).is_dir():
        return Path(uri)
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI))
    from mlflow.models import Model

    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    # The MLmodel file records where log_model put the project's folder inside the model.
    pyfunc = Model.load(local).flavors["python_function"]
    return local / pyfunc["artifacts"]["model_dir"]["path"]
