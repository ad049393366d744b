"""Intent classifier: TF-IDF word and character n-grams + logistic regression (scikit-learn).

Word n-grams capture phrases ("what time"); character n-grams inside words make it robust to
typos and word forms ("jokes", "jokke"). Logistic regression gives calibrated-enough
probabilities for the confidence threshold. Trains in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

MODEL_FILE = "classifier.joblib"


class IntentClassifier:
    """fit(texts, labels) / predict_proba(texts) / save(dir) / load(dir), like every backend.

    `texts` are already normalised by the text processor (lower case, stems, numbers as "0").
    """

    name = "sklearn"

    def __init__(self, c: float = 10.0, seed: int = 42) -> None:
        self.c = c
        self.seed = seed
        self.pipeline: Pipeline | None = None
        self.classes_: list[str] = []

    def params(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "features": "tfidf word 1-2 + char_wb 2-5",
            "classifier": "logistic_regression",
            "C": self.c,
        }

    def fit(self, texts: list[str], labels: list[str]) -> IntentClassifier:
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                ),
            ]
        )
        classifier = LogisticRegression(C=self.c, max_iter=2000, random_state=self.seed)
        self.pipeline = Pipeline([("features", features), ("classifier", classifier)])
        self.pipeline.fit(texts, labels)
        self.classes_ = [str(c) for c in self.pipeline.classes_]
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """One row per text, one column per intent (in `classes_` order), rows sum to 1."""
        if self.pipeline is None:
            raise RuntimeError("fit or load the classifier first")
        return self.pipeline.predict_proba(texts)

    def save(self, model_dir: Path) -> Path:
        path = Path(model_dir) / MODEL_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"pipeline": self.pipeline, "params": self.params()}, path)
        return path

    @classmethod
    def load(cls, model_dir: Path) -> IntentClassifier:
        path = Path(model_dir) / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: run `make train` first")
        saved = joblib.load(path)
        model = cls(c=float(saved["params"]["C"]))
        model.pipeline = saved["pipeline"]
        model.classes_ = [str(c) for c in model.pipeline.classes_]
        return model
