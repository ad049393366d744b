"""Rolling-origin backtest and forecast-error metrics.

A single train/test split can flatter a model by luck. A rolling-origin backtest forecasts from
several cut-off points ("origins"), each time training only on data before the origin, and
averages the errors, the way the model would really have been used.

    |------ train ------|-- test --|              fold 1
    |--------- train ---------|-- test --|        fold 2
    |------------ train ------------|-- test --|  fold 3 (ends at the last observation)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .models import Forecaster


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error, in the units of the data."""
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(forecast))))


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Root mean squared error: like MAE but punishes large misses more."""
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(forecast)) ** 2)))


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute percentage error, in percent. Steps where the actual value is 0 are
    skipped (the percentage is undefined there); NaN if every actual value is 0."""
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    nonzero = actual != 0
    if not nonzero.any():
        return float("nan")
    return float(np.mean(np.abs((actual[nonzero] - forecast[nonzero]) / actual[nonzero])) * 100)


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, season: int = 1) -> float:
    """Mean absolute scaled error: MAE divided by the in-sample MAE of the seasonal naive
    forecast on the training data. Below 1 beats that naive rule; it has no units, so it
    compares across series."""
    train = np.asarray(train, dtype=float)
    m = season if len(train) > season else 1
    scale = float(np.mean(np.abs(train[m:] - train[:-m])))
    if scale == 0:
        return float("nan")
    return mae(actual, forecast) / scale


def score(
    actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, season: int
) -> dict[str, float]:
    return {
        "mae": mae(actual, forecast),
        "rmse": rmse(actual, forecast),
        "mape": mape(actual, forecast),
        "mase": mase(actual, forecast, train, season),
    }


def origins(n: int, horizon: int, folds: int, step: int | None = None) -> list[int]:
    """Training lengths for each fold; the last fold's test ends at the last observation."""
    step = step or horizon
    cuts = [n - horizon - step * k for k in reversed(range(folds))]
    if cuts[0] < 2:
        raise ValueError(f"{n} points are too few for {folds} folds of horizon {horizon}")
    return cuts


@dataclass
class BacktestResult:
    name: str
    folds: list[dict[str, float]]
    # The last fold's forecast (the most recent period), for plotting.
    last_forecast: pd.Series = field(repr=False)

    @property
    def mean(self) -> dict[str, float]:
        return {key: float(np.mean([f[key] for f in self.folds])) for key in self.folds[0]}


def rolling_origin(
    y: pd.Series,
    make_model: Callable[[], Forecaster],
    horizon: int,
    folds: int = 3,
    season: int = 1,
    step: int | None = None,
) -> BacktestResult:
    """Fit a model at the first origin, update it at each later one (`Forecaster.update`:
    a fresh fit unless the model says otherwise), and score each `horizon`-step forecast."""
    scores, forecast = [], None
    name = "model"
    model: Forecaster | None = None
    for cut in origins(len(y), horizon, folds, step):
        train, test = y.iloc[:cut], y.iloc[cut : cut + horizon]
        model = make_model().fit(train) if model is None else model.update(train)
        name = model.name
        forecast = model.predict(horizon)
        scores.append(score(test.to_numpy(), forecast.to_numpy(), train.to_numpy(), season))
    assert forecast is not None
    return BacktestResult(name=name, folds=scores, last_forecast=forecast)
