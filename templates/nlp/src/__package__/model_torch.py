"""Intent classifier: a small embedding-bag network in PyTorch (fastText-style).

Each message is a bag of word and character n-gram ids (features.py). An EmbeddingBag sums
their 32-dimensional vectors, and a linear layer turns the sum into one score per intent.
Two hundred full-batch Adam steps (`epochs`) train it in well under a second of CPU time. The
first optimiser a Python process creates also imports torch._dynamo: a one-off few seconds,
counted in the training time that `make train` prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .features import Vocabulary

WEIGHTS_FILE = "classifier.pt"
META_FILE = "classifier.json"


class BagOfNgrams(nn.Module):
    def __init__(self, vocab_size: int, n_classes: int, dim: int) -> None:
        super().__init__()
        # mode="sum": a message with few known n-grams gives a short vector, hence low
        # confidence, instead of being blown up to full strength as a mean would.
        self.embedding = nn.EmbeddingBag(vocab_size, dim, mode="sum")
        self.dropout = nn.Dropout(0.2)
        self.out = nn.Linear(dim, n_classes)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self.embedding(ids, offsets)))


class IntentClassifier:
    """fit(texts, labels) / predict_proba(texts) / save(dir) / load(dir), like every backend.

    `texts` are already normalised by the text processor (lower case, stems, numbers as "0").
    """

    name = "torch"

    def __init__(self, dim: int = 32, epochs: int = 200, lr: float = 0.05, seed: int = 42) -> None:
        self.dim, self.epochs, self.lr, self.seed = dim, epochs, lr, seed
        self.vocab = Vocabulary()
        self.classes_: list[str] = []
        self.net: BagOfNgrams | None = None

    def params(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "features": "word + char 3-4 grams",
            "embedding_dim": self.dim,
            "epochs": self.epochs,
            "lr": self.lr,
        }

    def _batch(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """EmbeddingBag input: all ids in one flat tensor, plus where each message starts."""
        bags = [self.vocab.ids(text) for text in texts]
        offsets = np.cumsum([0] + [len(bag) for bag in bags[:-1]])
        flat = [i for bag in bags for i in bag]
        return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)

    def fit(self, texts: list[str], labels: list[str]) -> IntentClassifier:
        # Same data, same weights: a fixed seed, one thread (no reordering of float sums between
        # threads). The ops used here are deterministic on CPU, so no
        # torch.use_deterministic_algorithms (importing it costs seconds).
        torch.manual_seed(self.seed)
        torch.set_num_threads(1)
        # Every n-gram seen in training gets an id, even once: with a dozen examples an intent,
        # a word used once is often the one that names it.
        self.vocab = Vocabulary().fit(texts, min_count=1)
        self.classes_ = sorted(set(labels))
        targets = torch.tensor([self.classes_.index(label) for label in labels])
        self.net = BagOfNgrams(self.vocab.size, len(self.classes_), self.dim)
        optimizer = torch.optim.Adam(self.net.parameters(), lr=self.lr, weight_decay=1e-3)
        ids, offsets = self._batch(texts)
        self.net.train()
        for _ in range(self.epochs):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(self.net(ids, offsets), targets)
            loss.backward()
            optimizer.step()
        self.net.eval()
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """One row per text, one column per intent (in `classes_` order), rows sum to 1."""
        if self.net is None:
            raise RuntimeError("fit or load the classifier first")
        with torch.no_grad():
            logits = self.net(*self._batch(texts))
        return torch.softmax(logits, dim=1).numpy()

    def save(self, model_dir: Path) -> Path:
        if self.net is None:
            raise RuntimeError("fit the classifier before saving it")
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        torch.save(self.net.state_dict(), model_dir / WEIGHTS_FILE)
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
        model.net = BagOfNgrams(model.vocab.size, len(model.classes_), model.dim)
        # weights_only: load tensors only, never arbitrary pickled code.
        model.net.load_state_dict(torch.load(model_dir / WEIGHTS_FILE, weights_only=True))
        model.net.eval()
        return model
