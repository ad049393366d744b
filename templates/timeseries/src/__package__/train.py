"""`make train` and `make evaluate`: compare the models, keep the best, record everything.

1. Load the series (co2 by default) and find its season length.
2. Study the random forest on the data *before* the first backtest origin (forest.py), so the
   backtest never scores a model on data it was tuned on: the number of trees by out-of-bag
   error, max_features and the pruning knobs by time-series cross-validation, and impurity
   against permutation importance on the one-step-ahead rows after that origin. Each study is
   a nested tracked run with its figure.
3. Backtest every model with the same rolling origins (the forest, extra trees, gradient
   boosting and a stack of them next to the statistical models and the seasonal-naive
   baseline); print the results table.
4. Fit the model with the lowest MASE on the whole series and save it to models/
   (model.joblib + metadata.json), where the API picks it up.
5. Draw the figures into reports/figures/ and write reports/results.json, from which
   `make report` fills the README's results section.
Params, metrics, the figures and the model are logged to the experiment tracker.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from matplotlib.figure import Figure
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import Pipeline

from . import __version__, config, forest, report, tracking
from .backtest import BacktestResult, origins, rolling_origin
from .data import load_series, season_length
from .features import make_supervised
from .models import (
    METADATA_FILE,
    MODEL_FILE,
    SEED,
    RandomForest,
    SeasonalNaive,
    default_models,
    load_model,
)

PLOT_FILE = "forecast.png"
ERRORS_FILE = "backtest.png"
# How the README names each model.
LABELS = {
    "seasonal_naive": "seasonal naive",
    "holt_winters": "Holt-Winters",
    "sarima": "SARIMA",
    "random_forest": "random forest",
    "extra_trees": "extra trees",
    "boosting": "gradient boosting",
    "stacking": "stacked ensemble",
}
# The studies' grids (see forest.py); `make train FULL=1` widens them. Pruning grids run from
# the least to the most pruned value. ccp_alpha is in squared units of the monthly change.
STUDY_GRIDS: dict[str, list[Any]] = {
    # A forest on a few hundred rows flattens well before 150 trees (oob.png shows where).
    "oob_sizes": [size for size in forest.OOB_SIZES if forest.FULL or size <= 150],
    # Share of the inputs each split may look at (monthly data has 15: sqrt is 3, half is 7).
    "max_features": ["sqrt", *([0.33] if forest.FULL else []), 0.5, 1.0],
    "min_samples_leaf": [1, 3, 10] + ([20, 40] if forest.FULL else []),
    "ccp_alpha": [0.0, 0.002, 0.01] + ([0.05, 0.2] if forest.FULL else []),
    "max_depth": [None, 8, 4] + ([2] if forest.FULL else []),
}


@dataclass
class TrainReport:
    table: pd.DataFrame  # one row per model: mean mae/rmse/mape/mase over folds, + mase_last
    best: str
    model_path: Path
    metadata: dict[str, Any]
    tuned: forest.Tuned  # the forest's studies
    importance: forest.Importance


def results_table(results: list[BacktestResult]) -> pd.DataFrame:
    rows = {r.name: {**r.mean, "mase_last": r.folds[-1]["mase"]} for r in results}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def forecast_plot(y: pd.Series, results: list[BacktestResult], season: int) -> Figure:
    """History, the actual last `horizon` values and every model's forecast of them."""
    # Figure() instead of pyplot: no global state, no GUI backend needed (servers, CI).
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax = fig.add_subplot()
    start = results[0].last_forecast.index[0]
    history = y[y.index < start].iloc[-4 * max(season, 6) :]
    actual = y[y.index >= start]
    ax.plot(history.index, history.to_numpy(), color="black", lw=1.2, label="history")
    ax.plot(actual.index, actual.to_numpy(), color="black", lw=2, ls="--", label="actual")
    for result in results:
        ax.plot(
            result.last_forecast.index,
            result.last_forecast.to_numpy(),
            lw=1.5,
            label=f"{LABELS.get(result.name, result.name)} (MASE {result.folds[-1]['mase']:.2f})",
        )
    ax.set_title(f"Forecast vs actual, last {len(actual)} steps")
    ax.set_xlabel("date")
    ax.set_ylabel(str(y.name or "value"))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    return fig


def errors_plot(results: list[BacktestResult]) -> Figure:
    """MASE of every model on every backtest fold: is the winner consistently ahead?"""
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    folds = len(results[0].folds)
    width = 0.8 / folds
    for fold in range(folds):
        ax.bar(
            [i + (fold - (folds - 1) / 2) * width for i in range(len(results))],
            [r.folds[fold]["mase"] for r in results],
            width=width,
            label=f"fold {fold + 1}" + (" (latest)" if fold == folds - 1 else ""),
        )
    # MASE 1 is the error of the naive in-sample rule: below the line beats it.
    ax.axhline(1.0, color="black", lw=1, ls="--")
    ax.set_xticks(range(len(results)), [LABELS.get(r.name, r.name) for r in results])
    ax.set_ylabel("MASE (lower is better)")
    ax.set_title("Backtest error per model and fold")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def results_for_readme(
    table: pd.DataFrame,
    best: str,
    data_info: dict[str, Any],
    horizon: int,
    folds: int,
    notes: list[str],
) -> report.Results:
    """The README's view of this run: every model next to the seasonal-naive baseline."""
    baseline = float(table.loc[SeasonalNaive.name, "mase"])
    mase = float(table.loc[best, "mase"])
    label = LABELS.get(best, best)
    if best == SeasonalNaive.name:
        headline = "No model beats the seasonal-naive baseline on this series."
    else:
        headline = (
            f"{label[0].upper()}{label[1:]} beats the seasonal-naive baseline: "
            f"MASE {mase:.2f} against {baseline:.2f} ({baseline / mase:.1f}x lower error)."
        )
    rows = [
        [
            f"**{LABELS.get(name, name)}**" if name == best else LABELS.get(str(name), str(name)),
            *(f"{row[column]:.3f}" for column in ("mae", "rmse", "mape", "mase", "mase_last")),
        ]
        for name, row in table.iterrows()
    ]
    return report.Results(
        headline=headline,
        columns=["model", "MAE", "RMSE", "MAPE %", "MASE", "MASE, latest fold"],
        rows=rows,
        figures={
            PLOT_FILE: "Forecast vs actual over the latest backtest fold",
            ERRORS_FILE: "Backtest error (MASE) per model and fold",
            forest.OOB_FILE: "Out-of-bag error of the random forest as it grows",
            forest.FEATURES_FILE: "Validation curve of max_features",
            forest.PRUNING_FILE: "Validation curves of the pruning settings",
            forest.IMPORTANCE_FILE: "Impurity and held-out permutation importance",
        },
        notes=[
            f"Rolling-origin backtest on {data_info['source']} ({data_info['n_obs']} points,"
            f" {data_info['start']} to {data_info['end']}): {folds} forecasts of {horizon}"
            " steps, each model refitted on the data before each cut-off (SARIMA keeps the"
            " coefficients it estimated at the first cut-off and updates its state; the stack"
            " keeps the blend it learned there and refits its members).",
            "MASE divides the error by that of the naive in-sample rule: below 1 beats it.",
            f"The model with the lowest MASE, {label}, was refitted on all the"
            " data and saved to `models/`.",
            *notes,
        ],
    )


def train(
    y: pd.Series | None = None,
    *,
    horizon: int = config.HORIZON,
    folds: int = config.BACKTEST_FOLDS,
    model_dir: Path = config.MODEL_DIR,
    reports_dir: Path = report.REPORTS_DIR,
    source: str = config.DATA_SOURCE,
    rf_grids: dict[str, list[Any]] | None = None,
    verbose: bool = True,
) -> TrainReport:
    started = time.perf_counter()
    if y is None:
        y = load_series(source)
    season = season_length(y)
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    data_info = {
        "source": source,
        "name": str(y.name),
        "start": y.index[0].strftime("%Y-%m-%d"),
        "end": y.index[-1].strftime("%Y-%m-%d"),
        "freq": y.index.freqstr,
        "n_obs": len(y),
    }

    figures_dir = Path(reports_dir) / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)

    with tracking.start_run("train") as run_id, forest.one_thread():
        tracking.log_params({**data_info, "season": season, "horizon": horizon, "folds": folds})

        # Study the forest only on what the first backtest fold is allowed to see, with
        # time-series CV (each fold validates on rows after the ones it trained on).
        first_origin = origins(len(y), horizon, folds)[0]
        lags = RandomForest(season=season).lags
        features, target = make_supervised(y, lags, season)
        seen = features.index < y.index[first_origin]
        studied = Pipeline([("forest", RandomForestRegressor(random_state=SEED, n_jobs=1))])
        splitter = TimeSeriesSplit(n_splits=forest.FOLDS)
        grids = rf_grids or STUDY_GRIDS
        tuned = forest.tune(studied, features[seen], target[seen], splitter, grids, figures_dir)
        rf_params = tuned.params
        cv_mae, cv_std = tuned.cv_score()
        tracking.log_params({f"rf_{key}": value for key, value in rf_params.items()})
        tracking.log_metrics({"rf_cv_mae": cv_mae, "rf_cv_mae_std": cv_std})

        # Importance: the tuned forest on the one-step-ahead rows it never trained on.
        fitted = forest.contenders(rf_params, splitter, SEED)["random_forest"]
        fitted.fit(features[seen], target[seen])
        impurity = dict(zip(features.columns, map(float, fitted.feature_importances_), strict=True))
        importance = forest.explain(
            fitted, features[~seen], target[~seen], impurity, figures_dir, SEED
        )

        models = default_models(season, rf_params)
        results = [rolling_origin(y, m.clone, horizon, folds, season) for m in models]
        table = results_table(results)
        best_name = str(table["mase"].idxmin())
        runner_up = str(table["mase"].drop(best_name).idxmin())
        reason = (
            f"lowest mean backtest MASE: {table.loc[best_name, 'mase']:.3f}"
            f" (next: {runner_up}, {table.loc[runner_up, 'mase']:.3f})"
        )
        if verbose:
            print(f"Rolling-origin backtest: {folds} folds x {horizon} steps, season {season}")
            print(table.round(3).to_string())
            print(f"Random forest by study (CV MAE {cv_mae:.3f} ± {cv_std:.3f}): {rf_params}")
            print(f"Best model: {best_name} ({reason})")

        metrics = {
            f"{model}_{metric}": value
            for model, row in table.iterrows()
            for metric, value in row.items()
        }
        # Beyond the forest: every model on the same rolling origins, the same metric.
        with tracking.start_run("comparison", nested=True):
            tracking.log_metrics(metrics)
            tracking.set_tags({"best_model": best_name, "best_reason": reason})
            forest.save_figure(errors_plot(results), figures_dir, ERRORS_FILE)
        tracking.log_metrics(metrics)
        tracking.log_metrics({"best_mase": float(table.loc[best_name, "mase"])})
        tracking.set_tags({"best_model": best_name, "best_reason": reason})
        forest.save_figure(forecast_plot(y, results, season), figures_dir, PLOT_FILE)

        best = next(m for m in models if m.name == best_name).clone().fit(y)
        model_path = model_dir / MODEL_FILE
        joblib.dump(best, model_path)
        metadata = {
            "model": best_name,
            "params": best.params(),
            "data": data_info,
            "horizon": horizon,
            "folds": folds,
            "reason": reason,
            "metrics": {k: round(float(v), 4) for k, v in table.loc[best_name].items()},
            "permutation_importance": importance.permutation,
            "baseline_mase": round(float(table.loc[SeasonalNaive.name, "mase"]), 4),
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "package_version": __version__,
            "python": platform.python_version(),
        }
        metadata_path = model_dir / METADATA_FILE
        metadata_path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        tracking.log_artifact(metadata_path)
        tracking.log_model(model_dir, "best_mase", float(table.loc[best_name, "mase"]))
        notes = forest.notes(tuned, importance)
        summary = results_for_readme(table, best_name, data_info, horizon, folds, notes)
        summary.run_id = run_id
        summary.seconds = time.perf_counter() - started
        results_path = report.save(summary, reports_dir)
        tracking.log_artifact(results_path)
        if verbose:
            print(f"Saved {model_path}, {metadata_path} and {results_path}")

    return TrainReport(
        table=table,
        best=best_name,
        model_path=model_path,
        metadata=metadata,
        tuned=tuned,
        importance=importance,
    )


def evaluate(
    y: pd.Series | None = None, *, model_dir: Path = config.MODEL_DIR, verbose: bool = True
) -> pd.DataFrame:
    """Backtest the saved model's configuration again, next to the seasonal-naive baseline."""
    model, metadata = load_model(model_dir)
    if y is None:
        y = load_series(metadata["data"]["source"])
    season = season_length(y)
    horizon, folds = int(metadata["horizon"]), int(metadata["folds"])
    with tracking.start_run("evaluate"):
        results = [
            rolling_origin(y, m.clone, horizon, folds, season)
            for m in (SeasonalNaive(season=season), model)
        ]
        table = results_table(results)
        tracking.log_params({"model": model.name, "horizon": horizon, "folds": folds})
        tracking.log_metrics(
            {f"{model.name}_{metric}": value for metric, value in table.loc[model.name].items()}
        )
    if verbose:
        print(f"Saved model: {model.name} (trained {metadata['trained_at']})")
        print(table.round(3).to_string())
    return table
