"""The words the model can say, and the mapping between text and CTC label ids.

The model outputs one token per spoken word (a word-level CTC model), and its vocabulary is the
ten digit words. For digit strings that is the classic choice: short label sequences, so it
learns the alignment in a few hundred steps on a laptop CPU, where a letter-by-letter model
needs several times longer. To recognise other words, add them to VOCABULARY (and train on
clips that say them); for an open vocabulary, switch to characters (tokens = letters + space).

Label 0 is CTC's *blank*, "no new word in this frame"; word i of VOCABULARY is label i + 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

BLANK = 0
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VOCABULARY = DIGIT_WORDS
VOCAB_SIZE = len(VOCABULARY) + 1  # + blank
_INDEX = {word: i + 1 for i, word in enumerate(VOCABULARY)}


def normalize(text: str) -> str:
    """Lower case, digits spelt out, punctuation dropped, spaces collapsed.

    >>> normalize("Call 4, then 2!")
    'call four then two'
    """
    text = re.sub(r"\d", lambda m: f" {DIGIT_WORDS[int(m.group())]} ", text.lower())
    return " ".join(re.sub(r"[^a-z' ]", " ", text).split())


def encode(text: str) -> list[int]:
    """Text -> label ids (1..VOCAB_SIZE-1). ValueError names a word outside the vocabulary."""
    words = normalize(text).split()
    unknown = sorted({word for word in words if word not in _INDEX})
    if unknown:
        raise ValueError(f"words outside the vocabulary {VOCABULARY}: {unknown} in {text!r}")
    return [_INDEX[word] for word in words]


def decode(labels: Iterable[int]) -> str:
    """Label ids -> text; blanks are skipped (collapsing repeats is the decoder's job)."""
    return " ".join(VOCABULARY[i - 1] for i in labels if i != BLANK)


def digits_to_text(digits: Sequence[int]) -> str:
    """[4, 2, 7] -> 'four two seven'."""
    return " ".join(DIGIT_WORDS[d] for d in digits)


def text_to_digits(text: str) -> str | None:
    """'four two seven' -> '427'; None when a word is not a digit."""
    words = text.split()
    if not words or any(word not in DIGIT_WORDS for word in words):
        return None
    return "".join(str(DIGIT_WORDS.index(word)) for word in words)
