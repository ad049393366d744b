"""Forecasting models behind one small interface: `fit(y)` then `predict(h)`.

- SeasonalNaive: repeat the last observed season. The baseline every model must beat.
- HoltWinters: exponential smoothing of level, trend and season (statsmodels).
- Sarima: seasonal ARIMA (statsmodels).
- RandomForest, ExtraTrees, Boosting, Stacking: scikit-learn regression on lag and calendar
  features (forest.py builds the regressors), forecasting one step at a time and feeding each
  prediction back in as a lag (recursive forecasting).
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import KFold
from sklearn.utils import Bunch

from . import forest
from .features import make_supervised, next_row

SEED = 0  # every model's random_state: the same data gives the same forecasts


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

    def update(self, y: pd.Series) -> Forecaster:
        """This model for a later backtest origin: `y` is the longer history up to it.

        By default a new model fitted on `y`. A subclass may reuse what it estimated on the
        shorter history instead, when that is most of the cost (Sarima does).
        """
        return self.clone().fit(y)

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

    def _model(self, y: pd.Series) -> Any:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        seasonal = (*self.seasonal_order, self.season) if self.season > 1 else (0, 0, 0, 0)
        # The differences taken, in order: (1 - B)^d, then (1 - B^s)^D.
        self.lags_ = [1] * self.order[1] + [seasonal[3]] * seasonal[1]
        # Two settings that give the same forecasts in about a third of the time:
        # - concentrate_scale: the noise variance has a closed form given the other parameters,
        #   so the optimiser searches one dimension fewer;
        # - simple_differencing: difference the series once, up front, instead of carrying the
        #   differences inside the state-space model (a smaller state to filter at every step).
        #   The forecasts are then of the differenced series: _predict turns them into levels.
        return SARIMAX(
            y.to_numpy(),
            order=self.order,
            seasonal_order=seasonal,
            concentrate_scale=True,
            simple_differencing=True,
        )

    def _fit(self, y: pd.Series) -> None:
        self.fit_ = self._model(y).fit(disp=False)

    def update(self, y: pd.Series) -> Forecaster:
        """Keep the coefficients estimated at the earlier origin; run them over the longer `y`.

        Estimating the coefficients is almost all of a fit's cost; filtering the series with
        known ones takes a fraction of it, and still uses no data after the new origin.
        """
        assert self.y_ is not None, "update() follows fit()"
        model = Sarima(**self.params())
        model.y_ = y
        with _quiet():
            model.fit_ = model._model(y).filter(self.fit_.params)
        return model

    def _predict(self, h: int) -> np.ndarray:
        assert self.y_ is not None
        return undifference(self.fit_.forecast(h), self.y_.to_numpy(), self.lags_)


def undifference(forecast: np.ndarray, history: np.ndarray, lags: list[int]) -> np.ndarray:
    """Turn a forecast of a differenced series back into levels.

    `lags` lists the differences in the order they were taken from `history` ([1, 12]: first
    month to month, then year to year). They are undone last first: each forecast value adds
    back the value `lag` steps before it, known or already undone.
    """
    stages = [np.asarray(history, dtype=float)]  # the series before each difference, and after
    for lag in lags:
        stages.append(stages[-1][lag:] - stages[-1][:-lag])
    values = np.asarray(forecast, dtype=float)
    for lag, before in zip(reversed(lags), reversed(stages[:-1]), strict=True):
        known = list(before[-lag:])
        for value in values:
            known.append(value + known[-lag])
        values = np.array(known[lag:])
    return values


class LagModel(Forecaster):
    """A scikit-learn regressor on the last `lags` changes plus the position in the season.

    Subclasses name the regressor; forest.contenders builds it from `settings` (the random
    forest's settings, which the extra trees and the stack's forest reuse).
    """

    def __init__(self, season: int = 12, lags: int | None = None, **settings: Any) -> None:
        super().__init__(season)
        self.lags = lags or season + 1  # a full season of changes, plus one
        self.settings = settings

    def params(self) -> dict[str, Any]:
        return {"season": self.season, "lags": self.lags, **self.settings}

    def regressor(self) -> BaseEstimator:
        # The stack's internal folds are contiguous blocks of time, not shuffled rows.
        return forest.contenders(self.settings, KFold(n_splits=3), SEED)[self.name]

    def _fit(self, y: pd.Series) -> None:
        features, target = make_supervised(y, self.lags, self.season)
        with forest.one_thread():
            self.model_ = self.regressor().fit(features, target)

    def _predict(self, h: int) -> np.ndarray:
        assert self.y_ is not None
        changes = list(self.y_.diff().dropna().to_numpy())
        level = float(self.y_.iloc[-1])
        forecast = []
        with forest.one_thread():  # one row at a time: threads only wait for each other
            for date in future_index(self.y_, h):
                row = next_row(changes, date, self.lags, self.season)
                change = float(self.model_.predict(row)[0])
                changes.append(change)  # the prediction becomes a lag for the next step
                level += change
                forecast.append(level)
        return np.array(forecast)


class RandomForest(LagModel):
    """Random forest: deep trees on bootstrap samples, averaged."""

    name = "random_forest"


class ExtraTrees(LagModel):
    """Extremely randomised trees: random split thresholds, no bootstrap."""

    name = "extra_trees"


class Boosting(LagModel):
    """Histogram gradient boosting with early stopping: shallow trees fitted one after another."""

    name = "boosting"


class Stacking(LagModel):
    """Forest + boosting + ridge, blended by a linear model fitted on out-of-fold predictions."""

    name = "stacking"

    def update(self, y: pd.Series) -> Forecaster:
        """Keep the blend learned at the earlier origin; refit only the members on the longer `y`.

        Learning the blend costs each member one fit per internal fold (the out-of-fold
        predictions) plus one on all the rows; refitting the members alone is that last fit.
        Like Sarima.update, it uses no data after the new origin.
        """
        assert self.y_ is not None, "update() follows fit()"
        features, target = make_supervised(y, self.lags, self.season)
        stack = copy.copy(self.model_)  # the fitted blend (final_estimator_) is kept as it is
        with forest.one_thread():
            members = [clone(member).fit(features, target) for member in stack.estimators_]
        names = [name for name, _ in stack.estimators]
        stack.estimators_ = members
        stack.named_estimators_ = Bunch(**dict(zip(names, members, strict=True)))
        model = Stacking(**self.params())
        model.y_, model.model_ = y, stack
        return model


LAG_MODELS = (RandomForest, ExtraTrees, Boosting, Stacking)


def default_models(season: int, rf_params: dict[str, Any] | None = None) -> list[Forecaster]:
    """The models `make train` compares, baseline first."""
    return [
        SeasonalNaive(season=season),
        HoltWinters(season=season),
        Sarima(season=season),
        *(kind(season=season, **(rf_params or {})) for kind in LAG_MODELS),
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
