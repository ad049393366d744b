"""The Scrapy crawler: a spider, a retry middleware that waits politely, and `crawl()`.

Scrapy brings concurrency, a scheduler and robots.txt handling; this module plugs in the same
rules and parser as the requests crawler (politeness.py, parsing.py) and the same database
(pipelines.py -> storage.py), so both crawlers store identical rows.

- robots.txt: Scrapy's RobotsTxtMiddleware with the Protego parser (ROBOTSTXT_OBEY). Scrapy does
  not apply Crawl-delay, so crawl() reads it first (with the shared Robots class) and uses it
  as the download delay when it is longer than ours.
- Retries: Scrapy's RetryMiddleware retries at once. PoliteRetryMiddleware waits first, as the
  server's Retry-After says or with exponential backoff (politeness.retry_delay).
- Page cap and allow-list: checked by the spider before it schedules a request.

A Twisted reactor starts once per process, so crawl() can run only once per process; the
tests run it in a subprocess (`python -m <package> scrape ...`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import response_status_message
from sqlalchemy import Engine
from twisted.python.failure import Failure

from .parsing import Book, Listing, parse_page
from .politeness import RETRY_STATUSES, CrawlSettings, Robots, allowed, retry_delay, robots_url
from .stats import CrawlStats

log = logging.getLogger(__name__)
PACKAGE = __package__ or "books_scraper"


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (same settings, same retry/* stats), but it waits before each
    retry: Retry-After when the server sends one, else BACKOFF x 2^attempt seconds."""

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry_after = response.headers.get("Retry-After")
        header = retry_after.decode("latin-1") if retry_after else None
        reason = response_status_message(response.status)
        return await self._wait_and_retry(request, reason, header) or response

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        return await self._wait_and_retry(request, exception, None)

    async def _wait_and_retry(
        self, request: Request, reason: str | Exception, retry_after: str | None
    ) -> Request | None:
        attempt = request.meta.get("retry_times", 0)
        if attempt < self.max_retry_times:
            settings = self.crawler.settings
            wait = retry_delay(
                attempt,
                retry_after,
                settings.getfloat("RETRY_BACKOFF"),
                settings.getfloat("RETRY_AFTER_MAX"),
            )
            if wait is None:
                log.warning("%s asks to wait %s s (too long): giving up", request.url, retry_after)
                return None
            # Only this request waits; the reactor keeps serving the others meanwhile.
            await asyncio.sleep(wait)
        # Builds the retry request (or logs that retries are exhausted and returns None).
        return self._retry(request, reason)


class BooksSpider(scrapy.Spider):
    name = "books"

    def __init__(self, crawl_settings: CrawlSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.crawl_settings = crawl_settings
        # Scrapy's OffsiteMiddleware enforces the same allow-list as a second line of defence.
        self.allowed_domains = list(crawl_settings.allowed_domains)
        self.figures = CrawlStats()
        self.stored: list[Book] = []  # filled by the pipeline, for the null rates
        self._seen: set[str] = set()
        self._in_flight = 0

    async def start(self) -> AsyncIterator[Request]:
        request = self._follow(self.crawl_settings.start_url)
        if request is not None:
            yield request

    def _follow(self, url: str) -> Request | None:
        """A request for `url` unless it was seen, is off-site, or the page cap is reached."""
        if url in self._seen:
            return None
        self._seen.add(url)
        if not allowed(url, self.crawl_settings.allowed_domains):
            self.figures.offsite += 1
            return None
        done = self.figures.pages + self.figures.errors
        if done + self._in_flight >= self.crawl_settings.max_pages:
            return None
        self._in_flight += 1
        return Request(url, callback=self.parse, errback=self.failed)

    def parse(self, response: Response) -> Iterator[Request | Book]:
        self._in_flight -= 1
        self.figures.pages += 1
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        # response.body (bytes), not response.text: the shared parser picks the encoding.
        page = parse_page(response.body, response.url, content_type)
        if isinstance(page, Book):
            yield page
        elif isinstance(page, Listing):
            links = [*page.book_urls, *([page.next_url] if page.next_url else [])]
            for link in links:
                request = self._follow(link)
                if request is not None:
                    yield request

    def failed(self, failure: Failure) -> None:
        self._in_flight -= 1
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return  # dropped before download (robots.txt, allow-list): Scrapy's stats count it
        self.figures.errors += 1
        log.warning("failed %s: %s", failure.request.url, failure.getErrorMessage())  # type: ignore[attr-defined]


def read_crawl_delay(settings: CrawlSettings) -> float:
    """The start site's robots.txt Crawl-delay (0 when none, or when it cannot be read)."""
    request = urllib.request.Request(
        robots_url(settings.start_url), headers={"User-Agent": settings.user_agent}
    )
    timeout = settings.connect_timeout + settings.read_timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, b""
    except (urllib.error.URLError, TimeoutError, OSError):
        return 0.0  # Scrapy's robots middleware will try again and decide
    return Robots.from_response(status, body, settings.user_agent).crawl_delay


def scrapy_settings(settings: CrawlSettings, database_url: str) -> dict[str, Any]:
    delay = settings.delay
    if settings.obey_robots:
        delay = max(delay, read_crawl_delay(settings))
    return {
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": settings.obey_robots,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0,
        # One request at a time: polite, and the delay means what it says. (With more allowed
        # overall than per site, the engine queues requests it cannot start and stalls.)
        "CONCURRENT_REQUESTS": 1,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        # Scrapy has one timeout for the whole download.
        "DOWNLOAD_TIMEOUT": settings.connect_timeout + settings.read_timeout,
        "RETRY_TIMES": settings.retries,
        "RETRY_HTTP_CODES": sorted(RETRY_STATUSES),
        "RETRY_BACKOFF": settings.backoff,
        "RETRY_AFTER_MAX": settings.max_retry_after,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            f"{PACKAGE}.spider.PoliteRetryMiddleware": 550,
        },
        "ITEM_PIPELINES": {f"{PACKAGE}.pipelines.StoragePipeline": 300},
        "DATABASE_URL": database_url,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }


def crawl(settings: CrawlSettings, engine: Engine) -> CrawlStats:
    """Run the spider to the end (blocking) and return the crawl figures."""
    url = engine.url.render_as_string(hide_password=False)
    # install_root_handler=False: our own logging setup (cli.py) decides what is shown.
    process = CrawlerProcess(scrapy_settings(settings, url), install_root_handler=False)
    crawler = process.create_crawler(BooksSpider)
    started = time.perf_counter()
    process.crawl(crawler, crawl_settings=settings)
    process.start()  # blocks until the spider closes
    spider = crawler.spider
    assert isinstance(spider, BooksSpider)
    figures = spider.figures
    scrapy_stats = crawler.stats
    assert scrapy_stats is not None
    figures.robots_blocked = int(scrapy_stats.get_value("robotstxt/forbidden", 0))
    figures.offsite += int(scrapy_stats.get_value("offsite/filtered", 0))
    figures.retries = int(scrapy_stats.get_value("retry/count", 0))
    figures.seconds = time.perf_counter() - started
    figures.count_nulls(spider.stored)
    return figures
