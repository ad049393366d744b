"""The saved price model as MLflow serves it: a table of books in, their predicted prices out.

tracking.log_model logs the folder that `make train` saves; MLflow calls `load` on its copy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import joblib
import pandas as pd

from .train import CATEGORICAL, MODEL_FILE, NUMERIC


def example() -> pd.DataFrame:
    """The input example stored with the model (and used to infer its signature)."""
    # Numbers as floats: a missing rating or stock count arrives as NaN, which ints cannot hold.
    return pd.DataFrame(
        {"category": ["Poetry", "Travel"], "rating": [3.0, 5.0], "availability": [19.0, 1.0]}
    )


def load(model_dir: Path) -> Callable[[pd.DataFrame], pd.DataFrame]:
    model = joblib.load(Path(model_dir) / MODEL_FILE)

    def predict(books: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"price": model.predict(books[CATEGORICAL + NUMERIC])})

    return predict
