"""Crawl figures, the same for both crawlers: what was fetched, what failed, how fast."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .parsing import FIELDS, Book


@dataclass
class CrawlStats:
    pages: int = 0  # pages fetched and parsed (listing + detail)
    items: int = 0  # books stored
    errors: int = 0  # pages that failed after every retry (timeouts, HTTP errors)
    robots_blocked: int = 0  # links robots.txt disallowed, never requested
    offsite: int = 0  # links to hosts outside the allow-list, never requested
    retries: int = 0  # extra attempts after a 429, a 5xx or a timeout
    seconds: float = 0.0
    # Per stored field: share of items where it is missing (a parser that silently stops
    # finding the price shows up here long before anyone reads the data).
    null_rate: dict[str, float] = field(default_factory=dict)

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    def count_nulls(self, items: list[Book]) -> None:
        """Record the null rate of each field over `items` (all the crawl's items)."""
        rows = [item.as_row() for item in items]
        self.null_rate = {
            name: (sum(row[name] in (None, "") for row in rows) / len(rows) if rows else 0.0)
            for name in FIELDS
        }

    def metrics(self) -> dict[str, float]:
        """Flat numbers for the experiment tracker."""
        numbers = {k: float(v) for k, v in asdict(self).items() if isinstance(v, int | float)}
        numbers["items_per_second"] = self.items_per_second
        numbers.update({f"null_rate_{name}": rate for name, rate in self.null_rate.items()})
        return numbers

    def summary(self) -> str:
        return (
            f"{self.pages} pages, {self.items} items, {self.errors} errors, "
            f"{self.robots_blocked} blocked by robots.txt, {self.offsite} off-site links skipped, "
            f"{self.retries} retries in {self.seconds:.1f} s ({self.items_per_second:.1f} items/s)"
        )

    def save(self, path: str | Path) -> None:
        data = {**asdict(self), "items_per_second": self.items_per_second}
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> CrawlStats:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data.pop("items_per_second", None)
        return cls(**data)
