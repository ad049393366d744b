"""Turn a catalogue page (raw bytes) into links or a book. Shared by both crawlers.

Why bytes: books.toscrape.com, like many sites, sends ``Content-Type: text/html`` with no
charset. HTTP then says ISO-8859-1, so ``requests``' ``response.text`` decodes the UTF-8 bytes
of "£" (C2 A3) as "Â£". decode_html() instead tries, in order: a charset the server really
sent, a ``<meta charset>`` in the page, UTF-8, and finally Windows-1252 (the usual encoding of
old Western pages, a superset of Latin-1). No statistical guessing: a guesser can read the
Latin-1 "ï" of a short page as a Czech "ď", and would answer differently depending on which
detector library happens to be installed.

Two kinds of page:
- a listing: ``article.product_pod`` entries linking to detail pages, and a "next" link;
- a detail page: ``div.product_main`` with title, price, rating and availability, and the
  category in the breadcrumb.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup, Tag

RATING_WORDS = {"One": 1, "Two": 2, "Three": 3, "Four": 4, "Five": 5}
CURRENCY_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY"}
# Columns of a stored book, in order (storage.py and the null-rate statistics use it).
FIELDS = ("title", "price", "currency", "rating", "availability", "url", "category", "scraped_at")


def utc_now() -> datetime:
    """Current UTC time without tzinfo: what both SQLite and MySQL DATETIME columns store."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class Book:
    url: str
    title: str | None
    price: float | None
    currency: str | None
    rating: int | None
    availability: int | None  # copies in stock; 0 = out of stock; None = not shown
    category: str | None
    scraped_at: datetime = field(default_factory=utc_now)

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Listing:
    book_urls: list[str]
    next_url: str | None


def charset_from_content_type(content_type: str | None) -> str | None:
    """ "text/html; charset=ISO-8859-1" -> "ISO-8859-1"; None when the header names none."""
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def declared_charset(body: bytes) -> str | None:
    """The charset of <meta charset="..."> or <meta http-equiv="Content-Type" content="...">."""
    match = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", body[:4096], re.IGNORECASE)
    return match.group(1).decode("ascii") if match else None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Page bytes -> text, with the first encoding that fits (see the module docstring)."""
    for encoding in (charset_from_content_type(content_type), declared_charset(body), "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue  # unknown name, or bytes that do not fit: try the next one
    return body.decode("windows-1252", errors="replace")


def soup_from_bytes(body: bytes, content_type: str | None = None) -> BeautifulSoup:
    return BeautifulSoup(decode_html(body, content_type), "html.parser")


def parse_price(text: str | None) -> tuple[float | None, str | None]:
    """ "£51.77" -> (51.77, "GBP"); "1,299.00 $" -> (1299.0, "USD"); junk -> (None, None)."""
    if not text:
        return None, None
    number = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    currency = next((code for sym, code in CURRENCY_SYMBOLS.items() if sym in text), None)
    if currency is None:
        code = re.search(r"\b([A-Z]{3})\b", text)
        currency = code.group(1) if code else None
    price = float(number.group().replace(",", "")) if number else None
    return price, currency


def parse_rating(tag: Tag | None) -> int | None:
    """<p class="star-rating Three"> -> 3."""
    if tag is None:
        return None
    classes = tag.get("class") or []
    return next((RATING_WORDS[c] for c in classes if c in RATING_WORDS), None)


def parse_availability(text: str | None) -> int | None:
    """ "In stock (22 available)" -> 22, "Out of stock" -> 0, "In stock" -> None (count unknown)."""
    if not text:
        return None
    text = " ".join(text.split())
    if re.search(r"out of stock", text, re.IGNORECASE):
        return 0
    count = re.search(r"(\d+)\s+available", text)
    return int(count.group(1)) if count else None


def _text(tag: Tag | None) -> str | None:
    return " ".join(tag.get_text(" ").split()) if tag is not None else None


def _link(base: str, href: object) -> str | None:
    if not isinstance(href, str) or not href.strip():
        return None
    return urldefrag(urljoin(base, href.strip())).url


def parse_listing(soup: BeautifulSoup, url: str) -> Listing:
    links = []
    for pod in soup.select("article.product_pod"):
        anchor = pod.select_one("h3 a") or pod.select_one("a")
        link = _link(url, anchor.get("href")) if anchor else None
        if link:
            links.append(link)
    next_anchor = soup.select_one("ul.pager li.next a")
    next_url = _link(url, next_anchor.get("href")) if next_anchor else None
    return Listing(book_urls=links, next_url=next_url)


def parse_book(soup: BeautifulSoup, url: str) -> Book:
    main = soup.select_one("div.product_main")
    assert main is not None
    price, currency = parse_price(_text(main.select_one("p.price_color")))
    crumbs = soup.select("ul.breadcrumb li a")
    # Home > Books > <category> > title: the category is the third link when there is one.
    category = _text(crumbs[2]) if len(crumbs) >= 3 else None
    return Book(
        url=url,
        title=_text(main.select_one("h1")),
        price=price,
        currency=currency,
        rating=parse_rating(main.select_one("p.star-rating")),
        availability=parse_availability(_text(main.select_one("p.availability"))),
        category=category,
    )


def parse_page(body: bytes, url: str, content_type: str | None = None) -> Listing | Book | None:
    """A Book for a detail page, a Listing for a listing page, None for anything else."""
    soup = soup_from_bytes(body, content_type)
    if soup.select_one("div.product_main") is not None:
        return parse_book(soup, url)
    if soup.select_one("article.product_pod") is not None or soup.select_one("ul.pager"):
        return parse_listing(soup, url)
    return None
