"""The database, through SQLAlchemy Core: the same code for SQLite and MySQL / MariaDB.

Two tables:
- ``books``: one row per book URL, the latest values. Saving a book whose URL is already stored
  updates that row (an "upsert"), so crawling twice never duplicates.
- ``prices``: every observation (url, price, scraped_at), appended on each crawl, so the price
  history survives the upsert (the timeseries project can read it: ``--table prices``).

Every statement is built with SQLAlchemy, which sends values as bound parameters: a title such
as ``Bob's "Best" Book; DROP TABLE books`` is stored literally, never pasted into SQL.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import mysql, sqlite

from . import config
from .parsing import Book

metadata = MetaData()

# MySQL DATETIME keeps whole seconds unless told otherwise; fsp=6 keeps microseconds.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# MySQL options: utf8mb4 stores any Unicode character; the binary collation makes the unique
# URL index case-sensitive (/A.html and /a.html are different pages). InnoDB indexes up to 3072
# bytes, so a 512-character utf8mb4 URL (2048 bytes) fits. SQLite ignores these options.
MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

books = Table(
    "books",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(1024)),
    Column("price", Numeric(10, 2, asdecimal=False)),
    Column("currency", String(8)),
    Column("rating", Integer),
    Column("availability", Integer),
    Column("url", String(512), nullable=False, unique=True),
    Column("category", String(128)),
    Column("scraped_at", Timestamp, nullable=False),
    **MYSQL_TABLE,
)

prices = Table(
    "prices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", String(512), nullable=False, index=True),
    Column("price", Numeric(10, 2, asdecimal=False)),
    Column("scraped_at", Timestamp, nullable=False),
    **MYSQL_TABLE,
)

# Columns an upsert overwrites: everything but the key.
UPDATED = ("title", "price", "currency", "rating", "availability", "category", "scraped_at")


def database_url(db: str | None = None) -> str:
    """`db` (a SQLAlchemy URL, or a path taken as a SQLite file), else $DATABASE_URL, else the
    default chosen at generation time."""
    if db:
        return db if "://" in db else f"sqlite:///{Path(db).as_posix()}"
    return os.environ.get("DATABASE_URL") or config.DEFAULT_DATABASE_URL


def get_engine(url: str | None = None) -> Engine:
    """An engine for `url` (see database_url), with the tables created if missing."""
    url = database_url(url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # pool_pre_ping: a MySQL server drops idle connections; test each one before use.
    engine = create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


def is_mysql(engine: Engine) -> bool:
    return engine.dialect.name in ("mysql", "mariadb")


def upsert(engine: Engine, items: Iterable[Book]) -> int:
    """Insert or update `items` by URL and append their prices to the history. Returns the count."""
    rows = [item.as_row() for item in items]
    if not rows:
        return 0
    # Each dialect spells "insert, or update on a duplicate key" its own way.
    if is_mysql(engine):
        stmt = mysql.insert(books).values(rows)
        stmt = stmt.on_duplicate_key_update({name: stmt.inserted[name] for name in UPDATED})
    elif engine.dialect.name == "sqlite":
        stmt = sqlite.insert(books).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=[books.c.url], set_={name: stmt.excluded[name] for name in UPDATED}
        )
    else:
        raise NotImplementedError(f"no upsert for the {engine.dialect.name} dialect")
    history = [{key: row[key] for key in ("url", "price", "scraped_at")} for row in rows]
    with engine.begin() as conn:  # one transaction: both tables or neither
        conn.execute(stmt)
        conn.execute(insert(prices), history)
    return len(rows)


def count(engine: Engine, table: Table = books) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def query_books(
    engine: Engine, *, min_rating: int = 0, limit: int = 20, category: str | None = None
) -> list[dict[str, Any]]:
    """Books with at least `min_rating` stars (optionally of one category), best rated first."""
    stmt = select(books).where(books.c.rating >= min_rating)
    if category:
        stmt = stmt.where(books.c.category == category)
    stmt = stmt.order_by(books.c.rating.desc(), books.c.title, books.c.id).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [
        {
            **{key: row[key] for key in ("title", "price", "currency", "rating")},
            **{key: row[key] for key in ("availability", "category", "url")},
            "scraped_at": row["scraped_at"].isoformat(timespec="seconds") + "Z",
        }
        for row in rows
    ]


def read_all(engine: Engine) -> list[dict[str, Any]]:
    """Every stored book as a dict (the analysis turns it into a DataFrame)."""
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(books).order_by(books.c.id)).mappings()]


def snapshot(engine: Engine, out: str | Path) -> Path:
    """Copy the database into a single SQLite file `out`, consistent even during a crawl.

    SQLite is copied with its online backup API (a plain file copy could catch a half-written
    transaction); any other database is copied table by table. Either way the snapshot opens
    with any SQLite tool, which makes it a good backup and CI artifact.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # closing(): sqlite3's own context manager ends a transaction but leaves the file open.
        source, target = sqlite3.connect(engine.url.database), sqlite3.connect(out)
        with closing(source), closing(target):
            source.backup(target)
        return out
    copy = create_engine(f"sqlite:///{out.as_posix()}")
    metadata.create_all(copy)
    with engine.connect() as source, copy.begin() as target:
        for table in (books, prices):
            rows = [dict(row) for row in source.execute(select(table)).mappings()]
            if rows:
                target.execute(insert(table), rows)
    copy.dispose()
    return out
