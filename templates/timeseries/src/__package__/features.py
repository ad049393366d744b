"""Turn a series into a table a regression model can learn from.

A random forest cannot extrapolate: it only predicts values it has seen. CO2 keeps rising, so
instead of the level we model the change from one step to the next (the first difference),
which stays in a stable range, and add the changes back up to get levels.

Features for step t:
- lag_1 ... lag_k: the previous k changes (what happened recently),
- season_sin, season_cos: where t sits in the seasonal cycle (month of the year for monthly
  data), encoded on a circle so that December is next to January.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def season_phase(index: pd.DatetimeIndex, season: int) -> np.ndarray:
    """Position of each date inside its seasonal cycle, 0 .. season-1."""
    if season == 12:
        return np.asarray(index.month - 1)
    if season in (5, 7):
        return np.asarray(index.dayofweek)
    if season == 4:
        return np.asarray(index.quarter - 1)
    if season == 52:
        return np.asarray(index.isocalendar().week.to_numpy() - 1) % 52
    if season == 24:
        return np.asarray(index.hour)
    return np.zeros(len(index), dtype=int)


def calendar_features(index: pd.DatetimeIndex, season: int) -> pd.DataFrame:
    angle = 2 * np.pi * season_phase(index, season) / max(season, 1)
    return pd.DataFrame({"season_sin": np.sin(angle), "season_cos": np.cos(angle)}, index=index)


def lag_features(values: pd.Series, lags: int) -> pd.DataFrame:
    """Column lag_i holds the value i steps before each row."""
    return pd.DataFrame({f"lag_{i}": values.shift(i) for i in range(1, lags + 1)})


def make_supervised(y: pd.Series, lags: int, season: int) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target (the next change) for every step with a full set of lags."""
    change = y.diff()
    table = pd.concat(
        [lag_features(change, lags), calendar_features(pd.DatetimeIndex(y.index), season)],
        axis=1,
    )
    table["target"] = change
    table = table.dropna()
    return table.drop(columns="target"), table["target"]


def next_row(
    recent_changes: list[float], date: pd.Timestamp, lags: int, season: int
) -> pd.DataFrame:
    """The feature row for one future step, from the changes seen (or predicted) so far."""
    row = {f"lag_{i}": recent_changes[-i] for i in range(1, lags + 1)}
    calendar = calendar_features(pd.DatetimeIndex([date]), season).iloc[0]
    row.update(calendar.to_dict())
    return pd.DataFrame([row], index=[date])
