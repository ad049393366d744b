"""Load a time series and make it regular: one value per period, no gaps.

Every model here assumes evenly spaced observations, so whatever the source, the series goes
through `regularize` before anything else sees it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import config


def load_co2() -> pd.Series:
    """Monthly mean atmospheric CO2 at Mauna Loa, 1958-2001 (ships inside statsmodels).

    The raw data is weekly with 59 missing weeks; we average to calendar months and fill the
    few empty months by linear interpolation.
    """
    from statsmodels.datasets import co2  # imported here: only this loader needs it

    weekly = co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate(method="linear")
    monthly.name = "co2"
    return monthly


def load_csv(path: str | Path, date_col: str = "date", value_col: str = "value") -> pd.Series:
    """Read one series from a CSV file with a date column and a numeric value column."""
    frame = pd.read_csv(path)
    missing = {date_col, value_col} - set(frame.columns)
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {sorted(missing)}; found {list(frame.columns)}"
        )
    series = pd.Series(
        pd.to_numeric(frame[value_col], errors="coerce").to_numpy(),
        index=pd.to_datetime(frame[date_col]),
        name=value_col,
    )
    return regularize(series)


def save_csv(series: pd.Series, path: str | Path) -> Path:
    """Write a series as `date,value` (the format `load_series` reads back)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"date": series.index.strftime("%Y-%m-%d"), "value": series.to_numpy()})
    frame.to_csv(path, index=False)
    return path


def _guess_freq(index: pd.DatetimeIndex) -> str:
    """Infer the spacing of a possibly gappy index from its smallest step."""
    exact = pd.infer_freq(index) if len(index) >= 3 else None
    if exact:
        return exact
    # The smallest step, not the typical one: with many gaps the typical step is too long.
    step = pd.Series(index).diff().min()
    days = step / pd.Timedelta(days=1)
    if days < 1:
        return "h"
    if days < 7:
        # Daily; trading days if no observation falls on a weekend.
        return "B" if (index.dayofweek < 5).all() else "D"
    if days < 28:
        return "W"
    if days < 90:
        return "MS"
    if days < 365:
        return "QS"
    return "YS"


def regularize(series: pd.Series) -> pd.Series:
    """Sort, drop duplicate dates, resample to one regular frequency and fill gaps."""
    series = series.dropna().sort_index()
    series = series[~series.index.duplicated(keep="last")]
    if len(series) < 2:
        raise ValueError("need at least two observations")
    freq = _guess_freq(pd.DatetimeIndex(series.index))
    regular = series.resample(freq).mean().interpolate(method="linear")
    regular.name = series.name
    return regular


# Frequency prefix -> observations per cycle (checked in this order: "MS" before "M").
_SEASONS = (
    ("MS", 12),
    ("ME", 12),
    ("M", 12),
    ("QS", 4),
    ("Q", 4),
    ("W", 52),
    ("B", 5),
    ("D", 7),
    ("H", 24),
)


def season_length(series: pd.Series) -> int:
    """Observations per seasonal cycle: 12 for monthly data, 7 for daily, and so on."""
    freq = (series.index.freqstr or "").upper()
    for prefix, length in _SEASONS:
        if freq.startswith(prefix):
            return length
    return 1


def load_series(source: str = config.DATA_SOURCE, path: Path = config.DATA_PATH) -> pd.Series:
    """The series `make train` uses: co2 directly, otherwise the CSV that `make data` wrote."""
    if source == "co2":
        return load_co2()
    if not Path(path).exists():
        raise FileNotFoundError(
            f"{path} not found: run `make data` first (it writes the {source} series there), "
            "or `make train SOURCE=co2` to use the bundled co2 data"
        )
    return load_csv(path)


def split_last(series: pd.Series, horizon: int) -> tuple[pd.Series, pd.Series]:
    """Hold out the last `horizon` observations."""
    if horizon >= len(series):
        raise ValueError(f"horizon {horizon} leaves no training data ({len(series)} points)")
    return series.iloc[:-horizon], series.iloc[-horizon:]
