"""Bag of word and character n-grams as integer ids: the input of the neural classifiers.

Like fastText: a message is the set of its words and the character n-grams inside them
("<jo", "jok", "oke", "kes>"), so unseen word forms and typos still share most features with
the training examples. Only n-grams seen in training get an id; a message made only of unseen
ones (keyboard mashing) has no features at all, and the model then has no evidence for any
intent: its probabilities stay flat and the bot falls back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


def ngrams(text: str, sizes: Iterable[int] = (3, 4)) -> list[str]:
    """Words of a normalised text, plus the character n-grams of each word with < > marks."""
    out = []
    for word in text.split():
        out.append(word)
        marked = f"<{word}>"
        for n in sizes:
            out += [marked[i : i + n] for i in range(len(marked) - n + 1)]
    return out


class Vocabulary:
    """Maps n-grams to ids 0..size-1, built from the training texts."""

    def __init__(self, index: dict[str, int] | None = None) -> None:
        self.index = index or {}

    @property
    def size(self) -> int:
        return len(self.index)

    def fit(self, texts: Iterable[str], min_count: int = 2) -> Vocabulary:
        counts = Counter(gram for text in texts for gram in ngrams(text))
        for gram, count in counts.items():
            if count >= min_count:
                self.index.setdefault(gram, len(self.index))
        return self

    def ids(self, text: str) -> list[int]:
        """Ids of the n-grams of `text` that were seen in training (unseen ones are dropped)."""
        return [self.index[gram] for gram in ngrams(text) if gram in self.index]
