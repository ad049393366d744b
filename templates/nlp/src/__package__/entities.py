"""Entities found by patterns: places, dates and numbers.

No statistical model: a gazetteer (a list of known names) for places, and fixed patterns for
dates and numbers. Both text processors (NLTK or spaCy) use the word lists below, turn what they
match into `Entity` objects with `make_entity`, and so give the same answers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

# Known places (lower case -> how to write them). Names that are also common words
# ("Nice", "Reading", "Chad") are left out on purpose: they would fire on ordinary sentences.
PLACES = {
    name.lower(): name
    for name in (
        # Cities
        "Amsterdam", "Athens", "Auckland", "Bangkok", "Barcelona", "Beijing", "Berlin", "Boston",
        "Brussels", "Budapest", "Buenos Aires", "Cairo", "Cape Town", "Chicago", "Copenhagen",
        "Delhi", "Dublin", "Edinburgh", "Geneva", "Helsinki", "Hong Kong", "Istanbul",
        "Johannesburg", "Kyoto", "Lagos", "Lima", "Lisbon", "London", "Los Angeles", "Madrid",
        "Melbourne", "Mexico City", "Montreal", "Moscow", "Mumbai", "Munich", "Nairobi",
        "New Delhi", "New York", "Osaka", "Oslo", "Paris", "Prague", "Rio de Janeiro", "Rome",
        "San Francisco", "Sao Paulo", "Seoul", "Shanghai", "Singapore", "Stockholm", "Sydney",
        "Timbuktu", "Tokyo", "Toronto", "Vancouver", "Vienna", "Warsaw", "Zurich",
        # Countries
        "Argentina", "Australia", "Brazil", "Canada", "China", "Egypt", "France", "Germany",
        "Greece", "India", "Ireland", "Italy", "Japan", "Kenya", "Mexico", "Netherlands",
        "Nigeria", "Norway", "Portugal", "Spain", "Sweden", "United Kingdom", "United States",
    )
}  # fmt: skip

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
# Words for "a day relative to today".
RELATIVE_DAYS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}
# Yearly dates by name: (month, day).
HOLIDAYS = {"christmas": (12, 25), "halloween": (10, 31), "new year": (1, 1)}
_ZERO_TO_TWENTY = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
]  # fmt: skip
NUMBER_WORDS = {word: value for value, word in enumerate(_ZERO_TO_TWENTY)} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "thousand": 1000,
}


@dataclass(frozen=True)
class Entity:
    label: str  # "place", "date" or "number"
    text: str  # as written in the message
    start: int  # character offsets in the message
    end: int
    value: str | float  # place: its name; date: a normal form (see date_value); number: float

    def as_dict(self) -> dict[str, str | float | int]:
        return {
            "label": self.label,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "value": self.value,
        }


def date_value(text: str) -> str:
    """A normal form of a date phrase: "today", "friday", "christmas", "2030-01-01" or
    "12-25" (month-day, for "25 December" / "December 25th")."""
    lowered = " ".join(text.lower().split())
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", lowered):
        return lowered
    if lowered.startswith("new year"):
        return "new year"
    month = next((i + 1 for i, name in enumerate(MONTHS) if name in lowered.split()), None)
    day = re.search(r"\d{1,2}", lowered)
    if month and day:
        return f"{month:02d}-{int(day.group()):02d}"
    return lowered


def number_value(text: str) -> float:
    lowered = text.lower()
    return float(NUMBER_WORDS[lowered]) if lowered in NUMBER_WORDS else float(lowered)


def make_entity(label: str, message: str, start: int, end: int) -> Entity:
    text = message[start:end]
    if label == "place":
        value: str | float = PLACES.get(" ".join(text.lower().split()), text)
    elif label == "date":
        value = date_value(text)
    else:
        number = number_value(text)
        # A number too long for a float (float() makes it infinity) keeps its digits as text,
        # so the JSON answer stays valid (JSON has no Infinity) and the handlers refuse it.
        value = number if math.isfinite(number) else text
    return Entity(label, text, start, end, value)


def without_overlaps(found: list[Entity]) -> list[Entity]:
    """Keep the longest of overlapping matches ("25 December" beats the number 25), in order."""
    kept: list[Entity] = []
    for entity in sorted(found, key=lambda e: (-(e.end - e.start), e.start)):
        if all(entity.end <= other.start or entity.start >= other.end for other in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)


def resolve_date(value: str, today: date) -> date | None:
    """The calendar day a date entity means, seen from `today` (None if it is not a real day).

    Weekdays and yearly dates mean the next one, today included; ISO dates mean themselves.
    """
    if value in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[value])
    if value in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS.index(value) - today.weekday()) % 7)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        if value in HOLIDAYS:
            month, day = HOLIDAYS[value]
        elif re.fullmatch(r"\d{2}-\d{2}", value):
            month, day = (int(part) for part in value.split("-"))
        else:
            return None
        this_year = date(today.year, month, day)
        return this_year if this_year >= today else date(today.year + 1, month, day)
    except ValueError:  # 2030-02-31, 31 April...
        return None
