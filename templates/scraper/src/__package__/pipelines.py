"""Scrapy item pipeline: books from the spider go to the database in batches (storage.py)."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy import Engine

from . import storage
from .parsing import Book

BATCH = 50  # books per database transaction


class StoragePipeline:
    """Upserts each Book by URL, like the requests crawler; counts what it stored."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.engine: Engine | None = None
        self.batch: list[Book] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.engine = storage.get_engine(self.crawler.settings["DATABASE_URL"])

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Book):
            self.batch.append(item)
            if len(self.batch) >= BATCH:
                self._flush()
        return item

    def close_spider(self) -> None:
        self._flush()
        if self.engine is not None:
            self.engine.dispose()

    def _flush(self) -> None:
        if not self.batch or self.engine is None:
            return
        stored = storage.upsert(self.engine, self.batch)
        spider = self.crawler.spider
        figures = getattr(spider, "figures", None)
        if figures is not None:
            figures.items += stored
            spider.stored.extend(self.batch)  # type: ignore[union-attr]
        self.batch = []
