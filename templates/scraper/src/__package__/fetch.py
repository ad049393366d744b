"""HTTP for the requests crawler: timeouts, retries with backoff, Retry-After, a delay per host.

The rules themselves (which statuses to retry, how long to wait) live in politeness.py and are
shared with the Scrapy crawler; this module applies them to a ``requests.Session``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from .politeness import RETRY_STATUSES, CrawlSettings, Robots, retry_delay, robots_url

log = logging.getLogger(__name__)


@dataclass
class FetchResult:
    url: str  # the final URL, after redirects
    status: int | None  # None when no answer came (timeout, refused connection)
    body: bytes = b""
    content_type: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Fetcher:
    """GETs pages politely. `sleep` and `clock` are parameters so tests can watch the waits."""

    def __init__(
        self,
        settings: CrawlSettings,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self.sleep, self.clock = sleep, clock
        self.retries = 0  # extra attempts made, for the crawl statistics
        self._last: dict[str, float] = {}  # host -> when we last sent it a request
        self._robots: dict[str, Robots] = {}

    def _wait_turn(self, url: str, delay: float) -> None:
        host = urlsplit(url).netloc
        last = self._last.get(host)
        if last is not None:
            remaining = delay - (self.clock() - last)
            if remaining > 0:
                self.sleep(remaining)
        self._last[host] = self.clock()

    def robots(self, url: str) -> Robots:
        """The robots.txt rules of `url`'s site, fetched once per site."""
        host = urlsplit(url).netloc
        if host not in self._robots:
            result = self.get(robots_url(url), delay=self.settings.delay)
            self._robots[host] = Robots.from_response(
                result.status, result.body, self.settings.user_agent
            )
        return self._robots[host]

    def delay_for(self, url: str) -> float:
        """The settings' delay, or the site's Crawl-delay when that is longer."""
        delay = self.settings.delay
        if self.settings.obey_robots:
            delay = max(delay, self.robots(url).crawl_delay)
        return delay

    def get(self, url: str, delay: float | None = None) -> FetchResult:
        """GET `url`, retrying timeouts, connection errors, 429 and 5xx answers."""
        settings = self.settings
        delay = self.delay_for(url) if delay is None else delay
        timeout = (settings.connect_timeout, settings.read_timeout)
        result = FetchResult(url=url, status=None, error="not attempted")
        for attempt in range(settings.retries + 1):
            if attempt:
                self.retries += 1
            self._wait_turn(url, delay)
            retry_after = None
            try:
                response = self.session.get(url, timeout=timeout)
            except requests.Timeout as error:
                result = FetchResult(url=url, status=None, error=f"timeout: {error}")
            except requests.ConnectionError as error:
                result = FetchResult(url=url, status=None, error=f"connection error: {error}")
            else:
                result = FetchResult(
                    url=response.url,
                    status=response.status_code,
                    body=response.content,  # bytes: parsing.py works out the encoding
                    content_type=response.headers.get("Content-Type"),
                    error=None if response.ok else f"HTTP {response.status_code}",
                )
                if response.status_code not in RETRY_STATUSES:
                    return result
                retry_after = response.headers.get("Retry-After")
            if attempt == settings.retries:
                break
            wait = retry_delay(attempt, retry_after, settings.backoff, settings.max_retry_after)
            if wait is None:
                log.warning("%s asks to wait %s s (over the limit): giving up", url, retry_after)
                break
            log.info("%s: %s; retrying in %.1f s", url, result.error, wait)
            self.sleep(wait)
        return result
