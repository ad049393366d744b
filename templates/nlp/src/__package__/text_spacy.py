"""Text processing with spaCy, using only the parts that need no downloaded data.

`spacy.load("en_core_web_sm")` needs a model download; `spacy.blank("en")` is spaCy's English
tokenizer alone. An entity ruler (token patterns built from the word lists in entities.py) adds
places, dates and numbers, so this works offline and in a fresh Docker image.
"""

from __future__ import annotations

import re
from typing import Any

import spacy
from spacy.util import compile_infix_regex

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

# Signs the model keeps as tokens ("3 + 4" is arithmetic); other punctuation is dropped.
MATH_SIGNS = {"+", "-", "*", "/", "="}
_NUMBER = r"^\d+(\.\d+)?$"
_DAY = r"^\d{1,2}(st|nd|rd|th)?$"


def _phrase(text: str) -> list[dict[str, Any]]:
    """A case-insensitive token pattern for a phrase: "New York" -> [new][york]."""
    return [{"LOWER": word} for word in text.lower().split()]


def _patterns() -> list[dict[str, Any]]:
    months = {"LOWER": {"IN": MONTHS}}
    day = {"TEXT": {"REGEX": _DAY}}
    one_word_dates = [*RELATIVE_DAYS, *WEEKDAYS, *(h for h in HOLIDAYS if " " not in h)]
    return [
        *({"label": "place", "pattern": _phrase(name)} for name in PLACES),
        {"label": "date", "pattern": [{"LOWER": {"IN": one_word_dates}}]},
        {
            "label": "date",
            "pattern": [
                {"LOWER": "new"},
                {"LOWER": {"IN": ["year", "years"]}},
                {"LOWER": "'s", "OP": "?"},
                {"LOWER": "day", "OP": "?"},
            ],
        },
        # 2030-01-01 is five tokens: 2030 - 01 - 01
        {
            "label": "date",
            "pattern": [
                {"SHAPE": "dddd"},
                {"ORTH": "-"},
                {"SHAPE": "dd"},
                {"ORTH": "-"},
                {"SHAPE": "dd"},
            ],
        },
        {"label": "date", "pattern": [day, months]},  # 25 December
        {"label": "date", "pattern": [months, day]},  # December 25th
        {"label": "number", "pattern": [{"TEXT": {"REGEX": _NUMBER}}]},
        {"label": "number", "pattern": [{"LOWER": {"IN": list(NUMBER_WORDS)}}]},
    ]


class TextProcessor:
    """Turns a message into normalised tokens (for the classifier) and entities."""

    name = "spacy"

    def __init__(self) -> None:
        self._nlp = spacy.blank("en")
        # Split arithmetic between digits too: "81/9" -> 81 / 9 (spaCy keeps it whole).
        infixes = [*self._nlp.Defaults.infixes, r"(?<=[0-9])[+\-*/=](?=[0-9])"]
        self._nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
        # Longest match wins where patterns overlap ("25 December" over the number 25).
        ruler = self._nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
        ruler.add_patterns(_patterns())

    def tokens(self, text: str) -> list[str]:
        """Lower-case words (a blank pipeline has no lemmatizer); every number becomes "0" so the
        model learns "a number here" rather than particular values."""
        out = []
        for token in self._nlp.make_doc(text):
            if token.is_space or (token.is_punct and token.text not in MATH_SIGNS):
                continue
            out.append(re.sub(r"\d+(?:\.\d+)?", "0", token.lower_))
        return out

    def normalize(self, text: str) -> str:
        return " ".join(self.tokens(text))

    def entities(self, text: str) -> list[Entity]:
        doc = self._nlp(text)
        found = [make_entity(ent.label_, text, ent.start_char, ent.end_char) for ent in doc.ents]
        return without_overlaps(found)
