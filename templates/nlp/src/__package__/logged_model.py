"""The saved intent classifier as MLflow serves it: messages in, intents and confidences out.

tracking.log_model logs the folder that `make train` saves; MLflow calls `load` on its copy. The
text is normalised exactly as the chatbot does before the classifier sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .components import IntentClassifier, TextProcessor


def example() -> pd.DataFrame:
    """The input example stored with the model (and used to infer its signature)."""
    return pd.DataFrame({"text": ["hello there", "what's the weather in Paris tomorrow?"]})


def load(model_dir: Path) -> Callable[[pd.DataFrame], pd.DataFrame]:
    classifier = IntentClassifier.load(Path(model_dir))
    processor = TextProcessor()

    def predict(messages: pd.DataFrame) -> pd.DataFrame:
        texts = [processor.normalize(str(text)) for text in messages["text"]]
        probabilities = classifier.predict_proba(texts)
        best = probabilities.argmax(axis=1)
        return pd.DataFrame(
            {
                "intent": [classifier.classes_[i] for i in best],
                "confidence": probabilities.max(axis=1).astype(float),
            }
        )

    return predict
