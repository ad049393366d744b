"""A synthetic book catalogue served on 127.0.0.1, so the project runs offline.

`make demo` (and `make train` on an empty database) crawls this site with the real crawler.
The books are invented from a fixed seed: 300 of them in 10 categories, with prices that depend
on the category, the star rating and the stock (plus noise), so the model has something real
to learn. Pages copy the markup of books.toscrape.com: listing pages of 20 with a "next" link,
one detail page per book, a robots.txt that keeps crawlers out of /catalogue/members/ (a few
books live there, so the crawl shows robots.txt at work), and no charset in the Content-Type,
like the real site.

LocalSite (the threaded server) is also what the tests use to serve their saved pages.
"""

from __future__ import annotations

import html
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

# Category -> typical price in pounds: the strongest signal in the data.
CATEGORIES = {
    "Travel": 42.0,
    "Mystery": 28.0,
    "Poetry": 16.0,
    "Science": 50.0,
    "History": 38.0,
    "Fiction": 24.0,
    "Romance": 19.0,
    "Fantasy": 31.0,
    "Business": 46.0,
    "Childrens": 13.0,
}
RATINGS = ("One", "Two", "Three", "Four", "Five")
ADJECTIVES = [
    "Silent",
    "Golden",
    "Hidden",
    "Last",
    "Broken",
    "Wild",
    "Quiet",
    "Northern",
    "Lost",
    "Bright",
    "Secret",
]
NOUNS = [
    "River",
    "Garden",
    "Map",
    "Kingdom",
    "Letter",
    "Harbour",
    "Engine",
    "Orchard",
    "Mirror",
    "Voyage",
    "Atlas",
]
PER_PAGE = 20
MEMBERS_EVERY = 30  # every 30th book is "members only": robots.txt disallows it
ROBOTS_TXT = b"User-agent: *\nDisallow: /catalogue/members/\n"


@dataclass(frozen=True)
class DemoBook:
    id: int
    title: str
    category: str
    rating: int
    stock: int
    price: float

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") + f"_{self.id}"

    @property
    def path(self) -> str:
        folder = "members/" if self.id % MEMBERS_EVERY == 0 else ""
        return f"/catalogue/{folder}{self.slug}/index.html"


def make_books(n: int = 300, seed: int = 42) -> list[DemoBook]:
    """`n` invented books, the same for the same seed."""
    rng = random.Random(seed)
    books = []
    for book_id in range(1, n + 1):
        category = rng.choice(list(CATEGORIES))
        rating = rng.choices(range(1, 6), weights=(1, 2, 3, 3, 2))[0]
        stock = 0 if rng.random() < 0.1 else rng.randint(1, 22)
        # Better-rated books cost more; scarce ones a little more; and 10 % noise.
        price = CATEGORIES[category] * (0.7 + 0.1 * rating) + 0.25 * (11 - min(stock, 22) / 2)
        price *= rng.gauss(1.0, 0.1)
        title = f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        if book_id % 7 == 0:
            title = f'{rng.choice(NOUNS)}\'s "{title}"'  # quotes, as real titles have
        books.append(DemoBook(book_id, title, category, rating, stock, round(max(price, 3), 2)))
    return books


def _page(title: str, body: str) -> bytes:
    # No <meta charset> and (see LocalSite) no charset header, like books.toscrape.com.
    return (
        f"<!DOCTYPE html>\n<html><head><title>{html.escape(title)} | Demo Books</title></head>\n"
        f'<body><div class="container">\n{body}\n</div></body></html>\n'
    ).encode()


def _availability(stock: int) -> str:
    return "Out of stock" if stock == 0 else f"In stock ({stock} available)"


def listing_page(books: list[DemoBook], page: int, pages: int) -> bytes:
    # Relative links, as on the real site: from /index.html "catalogue/x/index.html",
    # from /catalogue/page-2.html "x/index.html".
    prefix = "catalogue/" if page == 1 else ""
    pods = []
    for book in books:
        href = prefix + book.path.removeprefix("/catalogue/")
        pods.append(
            '<article class="product_pod">\n'
            f'  <p class="star-rating {RATINGS[book.rating - 1]}"></p>\n'
            f'  <h3><a href="{html.escape(href)}" title="{html.escape(book.title)}">'
            f"{html.escape(book.title[:30])}</a></h3>\n"
            f'  <div class="product_price"><p class="price_color">£{book.price:.2f}</p>\n'
            f'  <p class="instock availability">{"In stock" if book.stock else "Out of stock"}'
            "</p></div>\n</article>"
        )
    pager = f'<ul class="pager"><li class="current">Page {page} of {pages}</li>'
    if page < pages:
        pager += f'<li class="next"><a href="{prefix}page-{page + 1}.html">next</a></li>'
    pager += "</ul>"
    return _page(f"All products, page {page}", "<ol>" + "\n".join(pods) + "</ol>\n" + pager)


def detail_page(book: DemoBook) -> bytes:
    depth = "../../../" if "/members/" in book.path else "../../"
    title = html.escape(book.title)
    return _page(
        book.title,
        f'<ul class="breadcrumb"><li><a href="{depth}index.html">Home</a></li>'
        f'<li><a href="{depth}catalogue/category/books_1/index.html">Books</a></li>'
        f'<li><a href="{depth}catalogue/category/books/{book.category.lower()}/index.html">'
        f'{book.category}</a></li><li class="active">{title}</li></ul>\n'
        f'<div class="col-sm-6 product_main"><h1>{title}</h1>\n'
        f'<p class="price_color">£{book.price:.2f}</p>\n'
        f'<p class="instock availability"><i class="icon-ok"></i> {_availability(book.stock)}</p>\n'
        f'<p class="star-rating {RATINGS[book.rating - 1]}"></p></div>',
    )


def render_site(books: list[DemoBook]) -> dict[str, bytes]:
    """URL path -> page bytes for the whole demo catalogue."""
    pages = -(-len(books) // PER_PAGE)
    site = {"/robots.txt": ROBOTS_TXT}
    for page in range(1, pages + 1):
        chunk = books[(page - 1) * PER_PAGE : page * PER_PAGE]
        path = "/index.html" if page == 1 else f"/catalogue/page-{page}.html"
        site[path] = listing_page(chunk, page, pages)
    site["/"] = site["/index.html"]
    for book in books:
        site[book.path] = detail_page(book)
    return site


# --- a small threaded web server on 127.0.0.1 ----------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    sleep: float = 0.0  # seconds to wait before answering (to test timeouts)


@dataclass
class Hit:
    path: str
    user_agent: str
    at: float  # time.monotonic() when the request arrived


# route(path, how many times this path was requested before) -> Reply
Route = Callable[[str, int], Reply]


def static_route(pages: dict[str, bytes]) -> Route:
    """Serve `pages` (path -> bytes; robots.txt as text/plain); 404 for anything else."""

    def route(path: str, _: int) -> Reply:
        if path not in pages:
            return Reply(404, b"not found")
        kind = "text/plain" if path.endswith(".txt") else "text/html"
        return Reply(200, pages[path], {"Content-Type": kind})

    return route


class LocalSite:
    """Serves `route` on 127.0.0.1 (a free port) in a background thread; records every hit.

    with LocalSite(static_route(pages)) as site:
        crawl(settings.with_start(site.url + "/index.html"), ...)
    """

    def __init__(self, route: Route, port: int = 0) -> None:
        self.hits: list[Hit] = []
        hits, lock = self.hits, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                with lock:
                    seen = sum(hit.path == path for hit in hits)
                    hits.append(Hit(path, self.headers.get("User-Agent", ""), time.monotonic()))
                reply = route(path, seen)
                if reply.sleep:
                    time.sleep(reply.sleep)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to do

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test and demo output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)  # 0: any free port
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]


def demo_site(n: int = 300, seed: int = 42, port: int = 0) -> LocalSite:
    """The demo catalogue, ready to start with `with demo_site() as site:`."""
    return LocalSite(static_route(render_site(make_books(n, seed))), port)
