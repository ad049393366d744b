"""Text processing with NLTK, using only the parts that need no downloaded data.

`nltk.word_tokenize`, stop-word lists and WordNet need `nltk.download(...)`; a RegexpTokenizer
and the Snowball stemmer are plain code, so this works offline and in a fresh Docker image.
Entities are found with regular expressions built from the word lists in entities.py.
"""

from __future__ import annotations

import re

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer

from .entities import (
    HOLIDAYS,
    MONTHS,
    NUMBER_WORDS,
    PLACES,
    RELATIVE_DAYS,
    WEEKDAYS,
    Entity,
    make_entity,
    without_overlaps,
)

# Words (with an optional 's / 't ending), numbers (2.5) and the arithmetic signs, which say a
# lot about intent ("3 + 4"). Other punctuation is dropped.
TOKEN_PATTERN = r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+(?:\.\d+)?|[+\-*/=]"


def _words(words: list[str]) -> str:
    """A regex alternation of whole words or phrases, longest first (so "New Delhi" beats
    "Delhi"), spaces matching any run of whitespace."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


_MONTHS = _words(MONTHS)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
PATTERNS = {
    "place": re.compile(rf"\b(?:{_words(list(PLACES))})\b", re.IGNORECASE),
    "date": re.compile(
        r"\b(?:"
        r"\d{4}-\d{2}-\d{2}"  # ISO: 2030-01-01
        rf"|{_DAY}\s+(?:{_MONTHS})"  # 25 December, 1st May
        rf"|(?:{_MONTHS})\s+{_DAY}"  # December 25th
        r"|new\s+years?(?:'s)?(?:\s+day)?"
        rf"|{_words([*RELATIVE_DAYS, *WEEKDAYS, *HOLIDAYS])}"
        r")\b",
        re.IGNORECASE,
    ),
    "number": re.compile(
        rf"(?<![\w.])\d+(?:\.\d+)?(?!\d)|\b(?:{_words(list(NUMBER_WORDS))})\b",
        re.IGNORECASE,
    ),
}


class TextProcessor:
    """Turns a message into normalised tokens (for the classifier) and entities."""

    name = "nltk"

    def __init__(self) -> None:
        self._tokenizer = RegexpTokenizer(TOKEN_PATTERN)
        self._stemmer = SnowballStemmer("english")

    def tokens(self, text: str) -> list[str]:
        """Lower-case word stems; every number becomes "0" so the model learns "a number here"
        rather than particular values."""
        out = []
        for token in self._tokenizer.tokenize(text.lower()):
            if token[0].isdigit():
                out.append("0")
            else:
                out.append(self._stemmer.stem(token))
        return out

    def normalize(self, text: str) -> str:
        return " ".join(self.tokens(text))

    def entities(self, text: str) -> list[Entity]:
        found = [
            make_entity(label, text, match.start(), match.end())
            for label, pattern in PATTERNS.items()
            for match in pattern.finditer(text)
        ]
        return without_overlaps(found)
