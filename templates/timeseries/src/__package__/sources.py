"""Other data sources, used only by `make data` (never by training or the tests' network).

- fetch_stock: daily closing prices as CSV from Stooq (no API key).
- fetch_weather: daily mean temperature from the Open-Meteo archive API (no API key).
- read_books_prices: the scraper project's SQLite database -> daily mean book price.

Each reader returns a pandas Series indexed by date; `make data` regularizes it and writes
data/series.csv. The URLs are parameters so tests can point them at a local fake server.
"""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import pandas as pd
import requests

STOOQ_URL = "https://stooq.com/q/d/l/"
OPEN_METEO_URL = "https://archive-api.open-meteo.com/v1/archive"
TIMEOUT = 30  # seconds; never wait forever on a slow server
HEADERS = {"User-Agent": "timeseries-portfolio-project (educational)"}


def _get(url: str, params: dict[str, str | float]) -> requests.Response:
    response = requests.get(url, params=params, headers=HEADERS, timeout=TIMEOUT)
    response.raise_for_status()
    return response


def fetch_stock(symbol: str, base_url: str = STOOQ_URL) -> pd.Series:
    """Daily close of `symbol` (Stooq notation, e.g. "aapl.us", "spy.us")."""
    response = _get(base_url, {"s": symbol.lower(), "i": "d"})
    text = response.content.decode("utf-8", errors="replace")
    if not text.startswith("Date,"):
        # Stooq answers 200 with a short message for unknown symbols or rate limits.
        raise ValueError(f"unexpected answer for {symbol!r}: {text[:80]!r}")
    frame = pd.read_csv(io.StringIO(text), parse_dates=["Date"])
    return pd.Series(frame["Close"].to_numpy(), index=frame["Date"], name=f"{symbol}_close")


def fetch_weather(
    latitude: float,
    longitude: float,
    start: str,
    end: str,
    variable: str = "temperature_2m_mean",
    base_url: str = OPEN_METEO_URL,
) -> pd.Series:
    """Daily weather history for one place (dates as YYYY-MM-DD)."""
    params: dict[str, str | float] = {
        "latitude": latitude,
        "longitude": longitude,
        "start_date": start,
        "end_date": end,
        "daily": variable,
        "timezone": "UTC",
    }
    daily = _get(base_url, params).json()["daily"]
    return pd.Series(
        pd.to_numeric(pd.Series(daily[variable]), errors="coerce").to_numpy(),
        index=pd.to_datetime(daily["time"]),
        name=variable,
    )


def _parse_price(value: object) -> float:
    """12.5, "12.50" and "£12.50" all become 12.5 (the scraper may store the shown text)."""
    if isinstance(value, int | float):
        return float(value)
    match = re.search(r"-?\d+(?:\.\d+)?", str(value))
    return float(match.group()) if match else float("nan")


def read_books_prices(db_path: str | Path, table: str = "books") -> pd.Series:
    """Mean price per day from the scraper's database (columns `price`, `scraped_at`)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ValueError(f"not a table name: {table!r}")  # it is pasted into the SQL below
    if not Path(db_path).exists():
        raise FileNotFoundError(f"{db_path}: no such database (run the scraper project first)")
    with sqlite3.connect(db_path) as conn:
        frame = pd.read_sql_query(f"SELECT price, scraped_at FROM {table}", conn)
    if frame.empty:
        raise ValueError(f"{db_path}: table {table} has no rows")
    prices = frame["price"].map(_parse_price)
    days = pd.to_datetime(frame["scraped_at"], utc=True, format="mixed").dt.tz_localize(None)
    daily = prices.groupby(days.dt.normalize()).mean()
    daily.index.name = None
    daily.name = "mean_price"
    return daily
