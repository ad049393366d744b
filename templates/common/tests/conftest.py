"""Shared test setup: offline, quiet and isolated from the developer's own runs.

- Network: pytest-socket (configured in pyproject.toml) refuses connections to anything but
  127.0.0.1 / ::1, so a test that reaches the internet fails instead of hanging.
- Plots: matplotlib's non-interactive "Agg" backend, so no window opens and CI needs no display.
- Tracking: runs go to a SQLite database in a temporary folder made once per test session
  (creating an MLflow database takes seconds, so it is migrated once, not for every test);
  Weights & Biases is disabled unless WANDB_MODE is already set.
- The project's own fixtures and test helpers live in tests/project_fixtures.py, which this
  file loads as a pytest plugin: its fixtures reach every test without an import, and tests
  import its helpers with `from project_fixtures import ...`. (This file is the kit's, the same
  in every project.)
- Property-based tests (hypothesis): the "quick" profile tries a few dozen inputs per test, in
  the same order every run, so `make test` stays fast and repeatable. For a long hunt:
  `HYPOTHESIS_PROFILE=thorough make test`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# The project's fixture module, when it has one (tests/ is on sys.path: pytest puts it there).
# Not "fixtures": pytest's own fixtures plugin has that name, so pytest would skip the module.
PROJECT_FIXTURES = Path(__file__).with_name("project_fixtures.py")
pytest_plugins = [PROJECT_FIXTURES.stem] if PROJECT_FIXTURES.is_file() else []

settings.register_profile(
    "quick",
    max_examples=25,
    deadline=None,  # a model call can be slow when the CPU is shared; slowness is not a failure
    derandomize=True,
    database=None,  # nothing written to .hypothesis/
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


@pytest.fixture(scope="session", autouse=True)
def tracking_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point every tracker at a throw-away location for the whole session."""
    root = tmp_path_factory.mktemp("tracking")
    saved = dict(os.environ)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{(root / 'mlflow.db').as_posix()}"
    os.environ.setdefault("WANDB_MODE", "disabled")
    os.environ["WANDB_DIR"] = str(root)
    os.environ["WANDB_SILENT"] = "true"
    yield root
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test inside an empty temporary folder (for code that writes relative paths)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
