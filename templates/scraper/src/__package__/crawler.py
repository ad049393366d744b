"""The requests + BeautifulSoup crawler: a breadth-first walk over the catalogue.

    start page -> listing pages (follow "next") -> detail pages -> books in the database

Before each request: is the host on the allow-list, does robots.txt allow the URL, is the page
cap reached? Fetching (timeouts, retries, delays) is fetch.py; parsing is parsing.py; saving is
storage.py. Books are saved in batches, so an interrupted crawl keeps what it already has.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from sqlalchemy import Engine

from . import storage
from .fetch import Fetcher
from .parsing import Book, Listing, parse_page
from .politeness import CrawlSettings, allowed
from .stats import CrawlStats

log = logging.getLogger(__name__)
BATCH = 50  # books per database transaction


def crawl(settings: CrawlSettings, engine: Engine, fetcher: Fetcher | None = None) -> CrawlStats:
    """Crawl from settings.start_url into `engine`'s database; return the crawl figures."""
    fetcher = fetcher or Fetcher(settings)
    stats = CrawlStats()
    started = time.perf_counter()
    queue: deque[str] = deque()
    seen: set[str] = set()
    batch: list[Book] = []
    stored: list[Book] = []

    def flush() -> None:
        stats.items += storage.upsert(engine, batch)
        stored.extend(batch)
        batch.clear()

    def enqueue(url: str) -> None:
        if url in seen:
            return
        seen.add(url)
        if not allowed(url, settings.allowed_domains):
            stats.offsite += 1
        elif settings.obey_robots and not fetcher.robots(url).can_fetch(url):
            stats.robots_blocked += 1
            log.info("robots.txt disallows %s", url)
        else:
            queue.append(url)

    enqueue(settings.start_url)  # the start URL goes through the same checks as every link

    while queue and stats.pages + stats.errors < settings.max_pages:
        url = queue.popleft()
        result = fetcher.get(url)
        if not result.ok:
            stats.errors += 1
            log.warning("failed %s: %s", url, result.error)
            continue
        if not allowed(result.url, settings.allowed_domains):  # redirected off the site
            stats.offsite += 1
            continue
        stats.pages += 1
        page = parse_page(result.body, result.url, result.content_type)
        if isinstance(page, Listing):
            for link in page.book_urls:
                enqueue(link)
            if page.next_url:
                enqueue(page.next_url)
        elif isinstance(page, Book):
            batch.append(page)
            if len(batch) >= BATCH:
                flush()
    flush()
    stats.retries = fetcher.retries
    stats.seconds = time.perf_counter() - started
    stats.count_nulls(stored)
    return stats
