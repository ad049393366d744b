"""Intent classifier: a small embedding network in TensorFlow / Keras.

Each message is a bag of word and character n-grams (features.py) given as a vector of
counts. A Dense layer without bias on that vector is exactly a sum of 32-dimensional n-gram
embeddings (the Keras twin of PyTorch's EmbeddingBag); a softmax layer scores the intents.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

# Quieter TensorFlow start-up logs; set before the import.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf

from .features import Vocabulary

WEIGHTS_FILE = "classifier.keras"
META_FILE = "classifier.json"


class IntentClassifier:
    """fit(texts, labels) / predict_proba(texts) / save(dir) / load(dir), like every backend.

    `texts` are already normalised by the text processor (lower case, stems, numbers as "0").
    """

    name = "keras"

    def __init__(self, dim: int = 32, epochs: int = 100, lr: float = 0.02, seed: int = 42) -> None:
        self.dim, self.epochs, self.lr, self.seed = dim, epochs, lr, seed
        self.vocab = Vocabulary()
        self.classes_: list[str] = []
        self.net: keras.Model | None = None

    def params(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "features": "word + char 3-4 grams",
            "embedding_dim": self.dim,
            "epochs": self.epochs,
            "lr": self.lr,
        }

    def _matrix(self, texts: list[str]) -> np.ndarray:
        """Counts of each known n-gram, one row per message (unseen n-grams are dropped)."""
        matrix = np.zeros((len(texts), self.vocab.size), dtype="float32")
        for row, text in enumerate(texts):
            for i in self.vocab.ids(text):
                matrix[row, i] += 1.0
        return matrix

    def _build(self) -> keras.Model:
        inputs = keras.Input(shape=(self.vocab.size,))
        # No bias: an empty bag (nothing known) gives a zero vector, so no intent is favoured.
        embedded = keras.layers.Dense(
            self.dim,
            use_bias=False,
            kernel_regularizer=keras.regularizers.L2(1e-4),
            name="embedding",
        )(inputs)
        embedded = keras.layers.Dropout(0.2, seed=self.seed)(embedded)
        outputs = keras.layers.Dense(len(self.classes_), activation="softmax")(embedded)
        return keras.Model(inputs, outputs)

    def fit(self, texts: list[str], labels: list[str]) -> IntentClassifier:
        # Same data, same weights: seed Python, NumPy and TensorFlow, and make ops deterministic.
        keras.utils.set_random_seed(self.seed)
        tf.config.experimental.enable_op_determinism()
        self.vocab = Vocabulary().fit(texts)
        self.classes_ = sorted(set(labels))
        targets = np.array([self.classes_.index(label) for label in labels])
        self.net = self._build()
        self.net.compile(
            optimizer=keras.optimizers.Adam(learning_rate=self.lr),
            loss="sparse_categorical_crossentropy",
        )
        # Full batch, no shuffling: a few hundred quick steps, identical on every run.
        x = self._matrix(texts)
        self.net.fit(x, targets, epochs=self.epochs, batch_size=len(x), shuffle=False, verbose=0)
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """One row per text, one column per intent (in `classes_` order), rows sum to 1."""
        if self.net is None:
            raise RuntimeError("fit or load the classifier first")
        # Calling the model directly is much faster than .predict() for a handful of rows.
        return np.asarray(self.net(self._matrix(texts), training=False))

    def save(self, model_dir: Path) -> Path:
        if self.net is None:
            raise RuntimeError("fit the classifier before saving it")
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        self.net.save(model_dir / WEIGHTS_FILE)
        meta = {"params": self.params(), "classes": self.classes_, "vocab": self.vocab.index}
        (model_dir / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        return model_dir / WEIGHTS_FILE

    @classmethod
    def load(cls, model_dir: Path) -> IntentClassifier:
        model_dir = Path(model_dir)
        if not (model_dir / WEIGHTS_FILE).exists():
            raise FileNotFoundError(f"{model_dir / WEIGHTS_FILE} not found: run `make train` first")
        meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
        params = meta["params"]
        model = cls(dim=params["embedding_dim"], epochs=params["epochs"], lr=params["lr"])
        model.vocab = Vocabulary(meta["vocab"])
        model.classes_ = meta["classes"]
        model.net = keras.models.load_model(model_dir / WEIGHTS_FILE)
        return model
