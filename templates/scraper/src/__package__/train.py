"""`make train` and `make evaluate`: what did the crawl collect, and what predicts a book's price?

1. Read the books from the database. An empty database gets the synthetic demo catalogue first
   (crawled with the real crawler), so a fresh clone trains offline.
2. Summary statistics: counts, price by category and by rating, stock, missing values.
3. A random forest predicts the price from category, star rating and stock. n_estimators,
   max_features and the pruning knobs (min_samples_leaf, ccp_alpha) are tuned with 5-fold
   cross-validation on the training split; each candidate is a nested tracked run.
4. The tuned model is scored on a held-out 25 % next to a baseline that always predicts the
   mean price. A model that does not beat it has learned nothing.
Everything is logged to the experiment tracker; the model is saved to models/. The figures go
to reports/figures/ and the numbers to reports/results.json, from which `make report` fills the
README's results section.
"""

from __future__ import annotations

import itertools
import json
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sqlalchemy import Engine

from . import __version__, config, report, storage, tracking
from .parsing import FIELDS

CATEGORICAL = ["category"]
NUMERIC = ["rating", "availability"]
TARGET = "price"
MIN_ROWS = 30  # below this the held-out score means nothing
SEED = 42

# 2 x 2 x 2 x 2 = 16 candidates x 5 folds: about 10 s on 2 cores for a few hundred books.
RF_GRID: dict[str, list[Any]] = {
    "n_estimators": [50, 150],
    "max_features": [0.5, 1.0],  # share of the features each split may look at
    "min_samples_leaf": [1, 5],  # pre-pruning: every leaf averages at least this many books
    "ccp_alpha": [0.0, 0.5],  # post-pruning: cost-complexity pruning of each tree
}
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
SUMMARY_FILE = "summary.json"
PLOT_FILE = "predictions.png"
PRICES_FILE = "prices.png"
IMPORTANCE_FILE = "importances.png"


@dataclass
class TrainReport:
    metrics: dict[str, float]
    params: dict[str, Any]
    summary: dict[str, Any]
    model_path: Path


def load_books(engine: Engine) -> pd.DataFrame:
    frame = pd.DataFrame(storage.read_all(engine), columns=["id", *FIELDS])
    for column in ("price", "rating", "availability"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def summarise(frame: pd.DataFrame) -> dict[str, Any]:
    """The numbers a reader wants before any model: how much data, what it looks like."""
    prices = frame["price"].dropna()
    return {
        "books": len(frame),
        "categories": int(frame["category"].nunique()),
        "price_mean": round(float(prices.mean()), 2),
        "price_median": round(float(prices.median()), 2),
        "price_min": round(float(prices.min()), 2),
        "price_max": round(float(prices.max()), 2),
        "in_stock_share": round(float((frame["availability"].fillna(1) > 0).mean()), 3),
        "mean_price_by_rating": {
            int(k): round(float(v), 2) for k, v in frame.groupby("rating")["price"].mean().items()
        },
        "mean_price_by_category": {
            str(k): round(float(v), 2)
            for k, v in frame.groupby("category")["price"].mean().sort_values().items()
        },
        "null_rate": {name: round(float(frame[name].isna().mean()), 4) for name in FIELDS},
    }


def make_model(**params: Any) -> Pipeline:
    """Category one-hot encoded, numbers passed through (a missing stock count -> the median)."""
    prep = ColumnTransformer(
        [
            ("category", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numbers", SimpleImputer(strategy="median"), NUMERIC),
        ]
    )
    # One process: on a few hundred rows, starting workers costs more than it saves.
    forest = RandomForestRegressor(random_state=SEED, n_jobs=1, **params)
    return Pipeline([("prep", prep), ("forest", forest)])


def tune(
    x: pd.DataFrame, y: pd.Series, grid: dict[str, list[Any]], log_candidates: bool = True
) -> tuple[dict[str, Any], float]:
    """The grid point with the lowest 5-fold cross-validated MAE (on the training split only)."""
    folds = KFold(n_splits=5, shuffle=True, random_state=SEED)
    best: tuple[dict[str, Any], float] | None = None
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid.keys(), values, strict=True))
        scores = cross_val_score(
            make_model(**params), x, y, cv=folds, scoring="neg_mean_absolute_error"
        )
        cv_mae = float(-scores.mean())
        if log_candidates:
            with tracking.start_run("rf-candidate", nested=True):
                tracking.log_params(params)
                tracking.log_metrics({"cv_mae": cv_mae})
        if best is None or cv_mae < best[1]:
            best = (params, cv_mae)
    assert best is not None
    return best


def score(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "r2": float(r2_score(y_true, y_pred)),
    }


def feature_importances(model: Pipeline) -> dict[str, float]:
    names = model.named_steps["prep"].get_feature_names_out()
    values = model.named_steps["forest"].feature_importances_
    pairs = sorted(zip(names, values, strict=True), key=lambda p: -p[1])
    return {name.split("__")[-1]: round(float(v), 4) for name, v in pairs}


def predictions_plot(y_true: np.ndarray, y_pred: np.ndarray, baseline: float) -> Figure:
    fig = Figure(figsize=(5.5, 5), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(y_true, y_pred, s=14, alpha=0.7, label="random forest")
    ax.axhline(baseline, color="grey", ls="--", label="baseline (mean price)")
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([low, high], [low, high], color="black", lw=1, label="perfect")
    ax.set_xlabel("actual price")
    ax.set_ylabel("predicted price")
    ax.set_title("Held-out books: predicted vs actual price")
    ax.legend(loc="upper left", fontsize="small")
    return fig


def prices_plot(data: pd.DataFrame) -> Figure:
    """What the crawl collected: the price of the books in each category."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    by_category = data.groupby("category")["price"]
    order = by_category.median().sort_values().index
    ax.boxplot([by_category.get_group(c).to_numpy() for c in order], orientation="horizontal")
    ax.set_yticks(range(1, len(order) + 1), [f"{c} ({by_category.size()[c]})" for c in order])
    ax.set_xlabel("price (£)")
    ax.set_title(f"What the crawl collected: {len(data)} books, price by category (count)")
    ax.grid(axis="x", alpha=0.3)
    return fig


def importances_plot(importances: dict[str, float]) -> Figure:
    """Which inputs the forest splits on most (impurity importance, summing to 1)."""
    names = list(importances)[:12][::-1]  # the largest at the top
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(names, [importances[name] for name in names])
    ax.set_xlabel("share of the forest's impurity decrease")
    ax.set_title("Feature importances of the random forest")
    ax.grid(axis="x", alpha=0.3)
    return fig


def results_for_readme(
    metrics: dict[str, float], params: dict[str, Any], summary: dict[str, Any], test_rows: int
) -> report.Results:
    """The README's view of this run: the forest next to always predicting the mean price."""
    forest, baseline = metrics["test_mae"], metrics["baseline_mae"]
    if forest < baseline:
        headline = (
            f"The random forest predicts held-out prices within £{forest:.2f} on average,"
            f" against £{baseline:.2f} for always guessing the mean price."
        )
    else:
        headline = "The random forest does not beat always guessing the mean price."
    rows = [
        [label, *(f"{metrics[f'{name}_{key}']:.2f}" for key in ("mae", "rmse", "r2"))]
        for name, label in (("baseline", "baseline: mean price"), ("test", "**random forest**"))
    ]
    return report.Results(
        headline=headline,
        columns=["model", "MAE (£)", "RMSE (£)", "R²"],
        rows=rows,
        figures={
            PRICES_FILE: "Price by category of the books the crawl collected",
            PLOT_FILE: "Predicted against actual price on the held-out books",
            IMPORTANCE_FILE: "Feature importances of the random forest",
        },
        notes=[
            f"{summary['books']} books in {summary['categories']} categories;"
            f" {test_rows} of them held out for the scores above.",
            "The forest's settings were tuned by 5-fold cross-validation on the rest"
            f" (CV MAE £{metrics['cv_mae']:.2f}): "
            + ", ".join(f"{key}={value}" for key, value in params.items())
            + ".",
        ],
    )


def prepare(engine: Engine, verbose: bool) -> pd.DataFrame:
    """The books to learn from; crawls the demo catalogue first when the database is empty."""
    if storage.count(engine) == 0:
        from .scrape import crawl_demo

        if verbose:
            print(
                "The database is empty: crawling the synthetic demo catalogue on 127.0.0.1 first "
                "(invented books, see README). Run `make scrape` to use the real site."
            )
        crawl_demo(engine, verbose=verbose)
    frame = load_books(engine)
    usable = frame.dropna(subset=[TARGET, "category", "rating"])
    if len(usable) < MIN_ROWS:
        raise ValueError(
            f"only {len(usable)} books with a price, category and rating; need {MIN_ROWS}. "
            "Crawl more pages (make scrape MAX_PAGES=...) or run `make demo`."
        )
    return frame


def train(
    engine: Engine | None = None,
    *,
    model_dir: Path = config.MODEL_DIR,
    reports_dir: Path = report.REPORTS_DIR,
    grid: dict[str, list[Any]] | None = None,
    verbose: bool = True,
) -> TrainReport:
    started = time.perf_counter()
    engine = engine or storage.get_engine()
    frame = prepare(engine, verbose)
    summary = summarise(frame)
    data = frame.dropna(subset=[TARGET, "category", "rating"])
    x, y = data[CATEGORICAL + NUMERIC], data[TARGET].astype(float)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=SEED)
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)

    with tracking.start_run("train") as run_id:
        tracking.log_params(
            {
                "database": engine.dialect.name,
                "rows": len(data),
                "train_rows": len(x_train),
                "test_rows": len(x_test),
                "features": ",".join(CATEGORICAL + NUMERIC),
                "target": TARGET,
            }
        )
        tracking.log_metrics(
            {
                "books": summary["books"],
                "categories": summary["categories"],
                "price_mean": summary["price_mean"],
                "in_stock_share": summary["in_stock_share"],
                **{f"null_rate_{k}": v for k, v in summary["null_rate"].items()},
            }
        )
        params, cv_mae = tune(x_train, y_train, grid or RF_GRID)
        tracking.log_params({f"rf_{k}": v for k, v in params.items()})

        model = make_model(**params).fit(x_train, y_train)
        baseline = DummyRegressor(strategy="mean").fit(x_train, y_train)
        metrics = {f"test_{k}": v for k, v in score(y_test, model.predict(x_test)).items()}
        metrics |= {f"baseline_{k}": v for k, v in score(y_test, baseline.predict(x_test)).items()}
        metrics["cv_mae"] = cv_mae
        tracking.log_metrics(metrics)
        importances = feature_importances(model)
        tracking.set_tags({"best_params": json.dumps(params)})

        figures_dir = Path(reports_dir) / "figures"
        figures_dir.mkdir(parents=True, exist_ok=True)
        predicted = model.predict(x_test)
        for name, fig in (
            (PRICES_FILE, prices_plot(data)),
            (PLOT_FILE, predictions_plot(y_test.to_numpy(), predicted, float(y_train.mean()))),
            (IMPORTANCE_FILE, importances_plot(importances)),
        ):
            fig.savefig(figures_dir / name, dpi=110)
            tracking.log_figure(fig, name)

        # The saved model is refitted on every usable book, with the tuned settings.
        final = make_model(**params).fit(x, y)
        model_path = model_dir / MODEL_FILE
        joblib.dump(final, model_path)
        metadata = {
            "params": params,
            "metrics": {k: round(v, 4) for k, v in metrics.items()},
            "feature_importances": importances,
            "rows": len(data),
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "package_version": __version__,
            "python": platform.python_version(),
        }
        (model_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")
        (model_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        tracking.log_artifact(model_dir / METADATA_FILE)
        tracking.log_artifact(model_dir / SUMMARY_FILE)
        tracking.log_model(model_dir, "test_mae", metrics["test_mae"])
        results = results_for_readme(metrics, params, summary, len(x_test))
        results.run_id = run_id
        results.seconds = time.perf_counter() - started
        tracking.log_artifact(report.save(results, reports_dir))

    if verbose:
        print(f"{summary['books']} books in {summary['categories']} categories; ", end="")
        print(f"price {summary['price_min']}..{summary['price_max']}, mean {summary['price_mean']}")
        print("Mean price by rating:", summary["mean_price_by_rating"])
        print(f"Best random forest (5-fold CV MAE {cv_mae:.2f}): {params}")
        print(f"{'held-out':<22}{'MAE':>8}{'RMSE':>8}{'R2':>8}")
        for name in ("test", "baseline"):
            label = "random forest" if name == "test" else "baseline (mean)"
            row = [metrics[f"{name}_{k}"] for k in ("mae", "rmse", "r2")]
            print(f"{label:<22}{row[0]:>8.2f}{row[1]:>8.2f}{row[2]:>8.3f}")
        print("Feature importances:", importances)
        print(f"Saved {model_path}")
    return TrainReport(metrics=metrics, params=params, summary=summary, model_path=model_path)


def evaluate(
    engine: Engine | None = None, *, model_dir: Path = config.MODEL_DIR, verbose: bool = True
) -> dict[str, float]:
    """Score the saved model on the books in the database now (e.g. after a new crawl)."""
    path = Path(model_dir) / MODEL_FILE
    if not path.exists():
        raise FileNotFoundError(f"no saved model in {model_dir}/: run `make train` first")
    model = joblib.load(path)
    frame = load_books(engine or storage.get_engine()).dropna(subset=[TARGET, "category", "rating"])
    if frame.empty:
        raise ValueError(
            "the database has no books to evaluate on: run `make demo` or `make scrape`"
        )
    y = frame[TARGET].to_numpy(dtype=float)
    metrics = score(y, model.predict(frame[CATEGORICAL + NUMERIC]))
    metrics |= {f"baseline_{k}": v for k, v in score(y, np.full_like(y, y.mean())).items()}
    with tracking.start_run("evaluate"):
        tracking.log_params({"rows": len(frame)})
        tracking.log_metrics(metrics)
    if verbose:
        print(f"Saved model on {len(frame)} books in the database (includes its training data):")
        mae, baseline, r2 = metrics["mae"], metrics["baseline_mae"], metrics["r2"]
        print(f"MAE {mae:.2f} (baseline {baseline:.2f}), R2 {r2:.3f}")
    return metrics
