"""Experiment tracking with Weights & Biases.

The same interface as the MLflow version. Without an API key it still works: set
``WANDB_MODE=offline`` to keep runs on disk (``wandb sync`` uploads them later) or
``WANDB_MODE=disabled`` to turn tracking off; when no key is configured at all this module
falls back to offline mode instead of prompting. ``WANDB_PROJECT`` overrides the project name.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import wandb

# The server's model_dir is no_tracking's: MODEL_URI names a local folder (fetch a W&B model
# artifact with `wandb artifact get`). "as model_dir" keeps it part of this module's interface.
from .no_tracking import model_dir as model_dir
from .report import git

# "co2_forecast.tracking" -> "co2-forecast": the package name is the project name.
DEFAULT_PROJECT = (__package__ or "experiment").split(".")[0].replace("_", "-")

# W&B has no nested runs: a nested run is a separate run grouped under its parent's name.
_stack: list[Any] = []


def _mode() -> str:
    mode = os.environ.get("WANDB_MODE")
    if mode:
        return mode
    # Never block on a login prompt: without a key, keep the run offline on disk.
    return "online" if os.environ.get("WANDB_API_KEY") else "offline"


def _run() -> Any:
    if not _stack:
        raise RuntimeError("call inside `with tracking.start_run(...)`")
    return _stack[-1]


@contextmanager
def start_run(run_name: str, nested: bool = False) -> Iterator[str]:
    group = _stack[0].name if (nested and _stack) else run_name
    run = wandb.init(
        project=os.environ.get("WANDB_PROJECT", DEFAULT_PROJECT),
        name=run_name,
        group=group,
        mode=_mode(),
        reinit="create_new",
    )
    commit = git("rev-parse", "HEAD")  # None outside a git repository
    if commit:
        run.config.update({"git_commit": commit}, allow_val_change=True)
    _stack.append(run)
    try:
        yield run.id
    except BaseException:
        _stack.pop()
        run.finish(exit_code=1)
        raise
    _stack.pop()
    run.finish()


def log_params(params: Mapping[str, Any]) -> None:
    _run().config.update(dict(params), allow_val_change=True)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    _run().log({key: float(value) for key, value in metrics.items()}, step=step)


def set_tags(tags: Mapping[str, Any]) -> None:
    run = _run()
    run.tags = tuple(run.tags or ()) + tuple(f"{key}:{value}" for key, value in tags.items())


def log_figure(fig: Any, filename: str) -> None:
    # Render to PNG ourselves: wandb.Image(fig) needs matplotlib.pyplot, which the code avoids.
    from PIL import Image  # Pillow comes with matplotlib

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    _run().log({Path(filename).stem: wandb.Image(Image.open(buffer))})


def log_artifact(path: str | Path) -> None:
    path = Path(path)
    artifact = wandb.Artifact(name=path.stem.replace(" ", "_"), type="file")
    artifact.add_file(str(path))
    _run().log_artifact(artifact)


def log_model(
    model_dir: str | Path,
    metric: str,
    value: float,
    *,
    higher_is_better: bool = False,
    files: Sequence[str] | None = None,
) -> None:
    """Store the saved model folder (or those ``files`` of it) as a W&B artifact of type "model".

    The headline metric goes into the artifact's metadata.

    Every run's artifact gets the alias "latest". Promoting the best one (W&B's model registry)
    needs an online account, so it is left to the W&B web page; offline runs still keep the folder.
    """
    artifact = wandb.Artifact(
        name=f"{DEFAULT_PROJECT}-model",
        type="model",
        metadata={metric: value, "higher_is_better": higher_is_better},
    )
    # add_dir / add_file copy the files into W&B's staging area at once.
    if files is None:
        artifact.add_dir(str(model_dir))
    for name in files or ():
        artifact.add_file(str(Path(model_dir) / name), name=name)
    _run().log_artifact(artifact)
