"""The saved detector as MLflow serves it: a table of encoded images in, one row per object out.

tracking.log_model logs the checkpoint that `make train` saves; MLflow calls `load` on its copy.
Images travel as PNG or JPEG bytes (any size), like an upload to the web app; each detection row
says which input image it was found in.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from PIL import Image

from .data import synthetic_shapes
from .predict import CHECKPOINT_FILE, Predictor

COLUMNS = ["image", "label", "score", "x1", "y1", "x2", "y2"]


def example() -> pd.DataFrame:
    """The input example stored with the model (and used to infer its signature)."""
    buffer = io.BytesIO()
    Image.fromarray(synthetic_shapes(1, seed=0)[0].image).save(buffer, format="PNG")
    return pd.DataFrame({"image": [buffer.getvalue()]})


def load(model_dir: Path) -> Callable[[pd.DataFrame], pd.DataFrame]:
    predictor = Predictor.load(Path(model_dir) / CHECKPOINT_FILE)

    def predict(images: pd.DataFrame) -> pd.DataFrame:
        rows = [
            [index, found.label, found.score, *found.box]
            for index, data in enumerate(images["image"])
            for found in predictor.predict(Image.open(io.BytesIO(data)))
        ]
        frame = pd.DataFrame(rows, columns=COLUMNS)
        # Fixed types even when nothing is found, so the output always matches the signature.
        return frame.astype(
            {"image": "int64", "label": "str"} | dict.fromkeys(COLUMNS[2:], "float64")
        )

    return predict
