"""Forecasting models behind one small interface: `fit(y)` then `predict(h)`.

- SeasonalNaive: repeat the last observed season. The baseline every model must beat.
- HoltWinters: exponential smoothing of level, trend and season (statsmodels).
- Sarima: seasonal ARIMA (statsmodels).
- RandomForest: scikit-learn regression on lag and calendar features, forecasting one step at a
  time and feeding each prediction back in as a lag (recursive forecasting).
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import TimeSeriesSplit

from .features import make_supervised, next_row


@contextmanager
def _quiet() -> Iterator[None]:
    # statsmodels warns about convergence and index frequencies on perfectly usable fits.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def future_index(y: pd.Series, h: int) -> pd.DatetimeIndex:
    """The h dates that follow the end of y, at y's frequency."""
    freq = y.index.freq or pd.infer_freq(y.index)
    return pd.date_range(start=y.index[-1], periods=h + 1, freq=freq)[1:]


class Forecaster:
    """Base class: subclasses set `name` and implement `_fit` and `_predict`."""

    name = "forecaster"

    def __init__(self, season: int = 12) -> None:
        self.season = season
        self.y_: pd.Series | None = None

    def params(self) -> dict[str, Any]:
        return {"season": self.season}

    def clone(self) -> Forecaster:
        """A new, unfitted model with the same settings."""
        return type(self)(**self.params())

    def fit(self, y: pd.Series) -> Forecaster:
        self.y_ = y
        with _quiet():
            self._fit(y)
        return self

    def predict(self, h: int) -> pd.Series:
        if self.y_ is None:
            raise RuntimeError(f"{self.name}: call fit() before predict()")
        with _quiet():
            values = np.asarray(self._predict(h), dtype=float)
        return pd.Series(values, index=future_index(self.y_, h), name=self.name)

    def _fit(self, y: pd.Series) -> None:
        raise NotImplementedError

    def _predict(self, h: int) -> np.ndarray:
        raise NotImplementedError


class SeasonalNaive(Forecaster):
    """Tomorrow's January is last January: repeat the last full season."""

    name = "seasonal_naive"

    def _fit(self, y: pd.Series) -> None:
        self.last_season_ = y.to_numpy()[-self.season :]

    def _predict(self, h: int) -> np.ndarray:
        return np.resize(self.last_season_, h)  # np.resize repeats the array to length h


class HoltWinters(Forecaster):
    """Additive trend and season. Needs two full seasons of data; otherwise trend only."""

    name = "holt_winters"

    def _fit(self, y: pd.Series) -> None:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        seasonal = "add" if self.season > 1 and len(y) >= 2 * self.season else None
        self.fit_ = ExponentialSmoothing(
            y.to_numpy(),
            trend="add",
            seasonal=seasonal,
            seasonal_periods=self.season if seasonal else None,
        ).fit()

    def _predict(self, h: int) -> np.ndarray:
        return self.fit_.forecast(h)


class Sarima(Forecaster):
    """SARIMA(1,1,1)(0,1,1)s: the classic "airline" model for trending seasonal data."""

    name = "sarima"

    def __init__(
        self,
        season: int = 12,
        order: tuple[int, int, int] = (1, 1, 1),
        seasonal_order: tuple[int, int, int] = (0, 1, 1),
    ) -> None:
        super().__init__(season)
        self.order = tuple(order)
        self.seasonal_order = tuple(seasonal_order)

    def params(self) -> dict[str, Any]:
        return {"season": self.season, "order": self.order, "seasonal_order": self.seasonal_order}

    def _fit(self, y: pd.Series) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        seasonal = (*self.seasonal_order, self.season) if self.season > 1 else (0, 0, 0, 0)
        self.fit_ = SARIMAX(y.to_numpy(), order=self.order, seasonal_order=seasonal).fit(disp=False)

    def _predict(self, h: int) -> np.ndarray:
        return self.fit_.forecast(h)


class RandomForest(Forecaster):
    """Random forest on the last `lags` changes plus the position in the season."""

    name = "random_forest"

    def __init__(
        self,
        season: int = 12,
        lags: int | None = None,
        n_estimators: int = 200,
        max_features: float = 0.5,
        min_samples_leaf: int = 1,
        random_state: int = 0,
    ) -> None:
        super().__init__(season)
        self.lags = lags or season + 1  # a full season of changes, plus one
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    def params(self) -> dict[str, Any]:
        return {
            "season": self.season,
            "lags": self.lags,
            "n_estimators": self.n_estimators,
            "max_features": self.max_features,
            "min_samples_leaf": self.min_samples_leaf,
            "random_state": self.random_state,
        }

    def regressor(self) -> RandomForestRegressor:
        return RandomForestRegressor(
            n_estimators=self.n_estimators,
            max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state,
            n_jobs=-1,
        )

    def _fit(self, y: pd.Series) -> None:
        features, target = make_supervised(y, self.lags, self.season)
        self.model_ = self.regressor().fit(features, target)
        # Predicting one row at a time is faster on one thread than on a pool.
        self.model_.set_params(n_jobs=1)

    def _predict(self, h: int) -> np.ndarray:
        assert self.y_ is not None
        changes = list(self.y_.diff().dropna().to_numpy())
        level = float(self.y_.iloc[-1])
        forecast = []
        for date in future_index(self.y_, h):
            change = float(self.model_.predict(next_row(changes, date, self.lags, self.season))[0])
            changes.append(change)  # the prediction becomes a lag for the next step
            level += change
            forecast.append(level)
        return np.array(forecast)


# Tuning grid for the random forest: 2 x 2 x 2 = 8 candidates, a few seconds on 2 cores.
RF_GRID: dict[str, list[Any]] = {
    "n_estimators": [100, 200],
    "max_features": [0.5, 1.0],
    "min_samples_leaf": [1, 3],
}


def tune_random_forest(
    y: pd.Series,
    season: int,
    grid: dict[str, list[Any]] | None = None,
    n_splits: int = 3,
    on_candidate: Callable[[dict[str, Any], float], None] | None = None,
) -> tuple[dict[str, Any], float]:
    """Pick the random-forest settings with the lowest cross-validated MAE.

    TimeSeriesSplit always validates on rows that come after the training rows, so no
    candidate is scored on the past after seeing the future (a shuffled K-fold would leak).
    The score is the one-step-ahead error on the changes, cheap and good enough to rank.
    `on_candidate(params, score)` is called for each candidate (train.py logs them).
    """
    grid = grid or RF_GRID
    base = RandomForest(season=season)
    features, target = make_supervised(y, base.lags, season)
    splitter = TimeSeriesSplit(n_splits=n_splits)
    best: tuple[dict[str, Any], float] | None = None
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid.keys(), values, strict=True))
        model = RandomForest(season=season, **params)
        errors = []
        for train_rows, valid_rows in splitter.split(features):
            fitted = model.regressor().fit(features.iloc[train_rows], target.iloc[train_rows])
            predicted = fitted.predict(features.iloc[valid_rows])
            errors.append(mean_absolute_error(target.iloc[valid_rows], predicted))
        score = float(np.mean(errors))
        if on_candidate:
            on_candidate(params, score)
        if best is None or score < best[1]:
            best = (params, score)
    assert best is not None
    return best


def default_models(season: int, rf_params: dict[str, Any] | None = None) -> list[Forecaster]:
    """The models `make train` compares, baseline first."""
    return [
        SeasonalNaive(season=season),
        HoltWinters(season=season),
        Sarima(season=season),
        RandomForest(season=season, **(rf_params or {})),
    ]


# What `make train` saves in models/ and the API loads.
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"


def load_model(model_dir: Path) -> tuple[Forecaster, dict[str, Any]]:
    """The model and metadata saved by `make train` (FileNotFoundError if there is none)."""
    model_dir = Path(model_dir)
    if not (model_dir / MODEL_FILE).exists():
        raise FileNotFoundError(f"no saved model in {model_dir}/: run `make train` first")
    model = joblib.load(model_dir / MODEL_FILE)
    metadata = json.loads((model_dir / METADATA_FILE).read_text(encoding="utf-8"))
    return model, metadata
