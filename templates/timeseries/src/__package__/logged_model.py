"""The saved forecaster as MLflow serves it: a table in, a table out.

tracking.log_model logs the folder that `make train` saves; MLflow calls `load` on its copy. The
input is one row with the horizon ``h``; the output has one row per forecast month.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .models import load_model


def example() -> pd.DataFrame:
    """The input example stored with the model (and used to infer its signature)."""
    return pd.DataFrame({"h": [3]})


def load(model_dir: Path) -> Callable[[pd.DataFrame], pd.DataFrame]:
    model, _ = load_model(model_dir)

    def predict(model_input: pd.DataFrame) -> pd.DataFrame:
        forecast = model.predict(int(model_input["h"].iloc[0]))
        return pd.DataFrame(
            {"date": forecast.index.strftime("%Y-%m-%d"), "forecast": forecast.to_numpy()}
        )

    return predict
