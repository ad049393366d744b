"""Politeness rules shared by both crawlers (requests and Scrapy).

- CrawlSettings: every knob in one place (page cap, delay, timeouts, retries, User-Agent...).
- Robots: robots.txt read with Protego. Python's own urllib.robotparser ignores a fractional
  ``Crawl-delay: 0.5`` (it only accepts whole numbers); Protego reads it, as Scrapy does.
- retry_delay: how long to wait before retrying, honouring a server's Retry-After header.
- allowed: the domain allow-list, so a link to another site is never followed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from protego import Protego

from . import config

# Status codes worth retrying: the server is busy or briefly broken, not refusing for good.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class CrawlSettings:
    start_url: str = config.START_URL
    allowed_domains: tuple[str, ...] = config.ALLOWED_DOMAINS
    max_pages: int = config.MAX_PAGES
    delay: float = config.DELAY
    connect_timeout: float = config.CONNECT_TIMEOUT
    read_timeout: float = config.READ_TIMEOUT
    retries: int = config.RETRIES
    backoff: float = config.BACKOFF
    max_retry_after: float = config.MAX_RETRY_AFTER
    user_agent: str = config.USER_AGENT
    obey_robots: bool = True

    def __post_init__(self) -> None:
        if self.max_pages < 1:
            raise ValueError(f"max_pages must be at least 1; got {self.max_pages}")
        if self.delay < 0 or self.retries < 0:
            raise ValueError("delay and retries cannot be negative")
        # The start URL's own host is always allowed, whatever the configured list says.
        host = urlsplit(self.start_url).hostname
        if not host:
            raise ValueError(f"start URL needs a scheme and host: {self.start_url!r}")
        if host not in self.allowed_domains:
            object.__setattr__(self, "allowed_domains", (*self.allowed_domains, host))

    def with_start(self, start_url: str) -> CrawlSettings:
        """The same settings for another start URL, allowing only that URL's host."""
        return replace(self, start_url=start_url, allowed_domains=())

    def params(self) -> dict[str, object]:
        """What the tracker records about this crawl."""
        return {
            "start_url": self.start_url,
            "allowed_domains": ",".join(self.allowed_domains),
            "max_pages": self.max_pages,
            "delay": self.delay,
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "retries": self.retries,
            "obey_robots": self.obey_robots,
        }


def allowed(url: str, domains: tuple[str, ...]) -> bool:
    """True when `url` is http(s) on one of `domains` or a subdomain of one."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return False
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def robots_url(url: str) -> str:
    return urljoin(url, "/robots.txt")


class Robots:
    """The rules of one site's robots.txt for our User-Agent."""

    def __init__(self, text: str, user_agent: str) -> None:
        self._parser = Protego.parse(text)
        # Robots rules match on the product token ("books-scraper"), not the whole header.
        self.agent = user_agent.split("/")[0].strip()

    @classmethod
    def from_response(cls, status: int | None, body: bytes, user_agent: str) -> Robots:
        """Rules from the answer to GET /robots.txt, as the robots standard (RFC 9309) says:
        4xx (no file) allows everything; a 5xx or no answer at all means "assume disallowed"."""
        if status is not None and 200 <= status < 300:
            return cls(body.decode("utf-8", errors="replace"), user_agent)
        if status is not None and 400 <= status < 500:
            return cls("", user_agent)
        return cls("User-agent: *\nDisallow: /", user_agent)

    def can_fetch(self, url: str) -> bool:
        return bool(self._parser.can_fetch(url, self.agent))

    @property
    def crawl_delay(self) -> float:
        """Seconds between requests the site asks for (0 when it does not say)."""
        return float(self._parser.crawl_delay(self.agent) or 0.0)


def retry_delay(
    attempt: int,
    retry_after: str | None,
    backoff: float,
    max_wait: float,
    now: datetime | None = None,
) -> float | None:
    """Seconds to wait before retry number `attempt` (0-based), or None to give up.

    Retry-After is either a number of seconds ("120") or an HTTP date
    ("Wed, 21 Oct 2026 07:28:00 GMT"). Without it the wait grows exponentially:
    backoff, 2 x backoff, 4 x backoff... A server asking for more than `max_wait` gets None:
    better to stop than to hang for an hour.
    """
    if retry_after:
        value = retry_after.strip()
        try:
            wait = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is None:
                wait = backoff * 2**attempt  # unreadable header: fall back to backoff
            else:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                wait = (when - (now or datetime.now(timezone.utc))).total_seconds()
        wait = max(wait, 0.0)
        return wait if wait <= max_wait else None
    return min(backoff * 2**attempt, max_wait)
