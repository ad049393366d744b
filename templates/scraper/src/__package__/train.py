"""`make train` and `make evaluate`: what did the crawl collect, and what predicts a book's price?

1. Read the books from the database. An empty database gets the synthetic demo catalogue first
   (crawled with the real crawler), so a fresh clone trains offline.
2. Summary statistics: counts, price by category and by rating, stock, missing values.
3. A random forest predicts the price from category, star rating and stock. Its settings are
   chosen study by study on the training split (forest.py): the number of trees by out-of-bag
   error, max_features and the pruning knobs by cross-validated validation curves. Each study is a
   nested tracked run with its figure.
4. The forest, extra trees, gradient boosting, a stack of the three kinds and a baseline that
   always predicts the mean price are scored on the same held-out 25 %. The one with the lowest
   MAE is saved. Permutation importance on those held-out books checks what the forest uses.
Everything is logged to the experiment tracker; the model is saved to models/. The figures go
to reports/figures/ and the numbers to reports/results.json, from which `make report` fills the
README's results section.
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
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sqlalchemy import Engine

from . import __version__, config, forest, report, storage, tracking
from .parsing import FIELDS

CATEGORICAL = ["category"]
NUMERIC = ["rating", "availability"]
TARGET = "price"
MIN_ROWS = 30  # below this the held-out score means nothing
SEED = 42

# The studies' grids (see forest.py); `make train FULL=1` widens them. Pruning grids run from
# the least to the most pruned value. ccp_alpha is in squared pounds (the trees' impurity).
STUDY_GRIDS: dict[str, list[Any]] = {
    # Share of the inputs each split may look at, from a few to all. (No 0.33: with the demo's
    # 12 one-hot inputs it picks the same 3 inputs as "sqrt", so it would only cost time.)
    "max_features": ["sqrt", 0.5, 1.0],
    "min_samples_leaf": [1, 3, 10] + ([20, 40] if forest.FULL else []),
    "ccp_alpha": [0.0, 0.5, 2.0] + ([8.0, 32.0] if forest.FULL else []),
    "max_depth": [None, 8, 4] + ([2] if forest.FULL else []),
}
# Trees per forest in the validation curves (the final forest gets the OOB-chosen size). On a
# few hundred books a tree costs more to set up than to grow, and the curves fit 36 forests;
# `make train FULL=1` fits them at the chosen size instead.
CURVE_TREES = None if forest.FULL else 30
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
SUMMARY_FILE = "summary.json"
PLOT_FILE = "predictions.png"
PRICES_FILE = "prices.png"
COMPARISON_FILE = "comparison.png"
# How the README names each model.
LABELS = {
    "baseline": "baseline: mean price",
    "random_forest": "random forest",
    "extra_trees": "extra trees",
    "boosting": "gradient boosting",
    "stacking": "stacked ensemble",
}


@dataclass
class TrainReport:
    metrics: dict[str, float]
    params: dict[str, Any]
    summary: dict[str, Any]
    model_path: Path
    best: str  # the model saved: the lowest held-out MAE
    scores: dict[str, dict[str, float]]  # every model's held-out mae, rmse and r2
    tuned: forest.Tuned  # the forest's studies
    importance: forest.Importance


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


def make_model(estimator: BaseEstimator | None = None) -> Pipeline:
    """Category one-hot encoded, numbers passed through (a missing stock count -> the median).

    The last step is named "forest" whatever the model: forest.tune sets its settings by name.
    """
    prep = ColumnTransformer(
        [
            ("category", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
            ("numbers", SimpleImputer(strategy="median"), NUMERIC),
        ]
    )
    # One process: on a few hundred rows, starting workers costs more than it saves.
    if estimator is None:
        estimator = RandomForestRegressor(random_state=SEED, n_jobs=1)
    return Pipeline([("prep", prep), ("forest", estimator)])


def score(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "r2": float(r2_score(y_true, y_pred)),
    }


def impurity_by_column(model: Pipeline) -> dict[str, float]:
    """The forest's impurity importance per input column (one-hot columns summed back)."""
    names = model.named_steps["prep"].get_feature_names_out()
    values = model.named_steps["forest"].feature_importances_
    totals: dict[str, float] = {}
    for name, value in zip(names, values, strict=True):
        column = name.split("__")[-1]
        column = next((c for c in CATEGORICAL if column.startswith(f"{c}_")), column)
        totals[column] = totals.get(column, 0.0) + float(value)
    return totals


def compare(
    params: dict[str, Any],
    x_train: pd.DataFrame,
    y_train: pd.Series,
    x_test: pd.DataFrame,
    y_test: pd.Series,
) -> tuple[dict[str, Pipeline], dict[str, dict[str, float]]]:
    """Every model fitted on the training split and scored on the same held-out books."""
    cv = KFold(n_splits=3, shuffle=True, random_state=SEED)  # the stack's internal folds
    candidates = {"baseline": DummyRegressor(strategy="mean")}
    candidates |= forest.contenders(params, cv, SEED)
    models = {name: make_model(m).fit(x_train, y_train) for name, m in candidates.items()}
    scores = {name: score(y_test.to_numpy(), m.predict(x_test)) for name, m in models.items()}
    return models, scores


def predictions_plot(y_true: np.ndarray, y_pred: np.ndarray, baseline: float, model: str) -> Figure:
    fig = Figure(figsize=(5.5, 5), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(y_true, y_pred, s=14, alpha=0.7, label=LABELS[model])
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


def results_for_readme(
    scores: dict[str, dict[str, float]],
    best: str,
    notes: list[str],
    summary: dict[str, Any],
    test_rows: int,
) -> report.Results:
    """The README's view of this run: every model next to always predicting the mean price."""
    model, baseline = scores[best]["mae"], scores["baseline"]["mae"]
    if best != "baseline":
        headline = (
            f"The {LABELS[best]} predicts held-out prices within £{model:.2f} on average,"
            f" against £{baseline:.2f} for always guessing the mean price."
        )
    else:
        headline = "No model beats always guessing the mean price."
    rows = [
        [
            f"**{LABELS[name]}**" if name == best else LABELS[name],
            *(f"{scores[name][key]:.2f}" for key in ("mae", "rmse", "r2")),
        ]
        for name in LABELS
    ]
    return report.Results(
        headline=headline,
        columns=["model", "MAE (£)", "RMSE (£)", "R²"],
        rows=rows,
        figures={
            PRICES_FILE: "Price by category of the books the crawl collected",
            forest.OOB_FILE: "Out-of-bag error of the random forest as it grows",
            forest.FEATURES_FILE: "Validation curve of max_features",
            forest.PRUNING_FILE: "Validation curves of the pruning settings",
            forest.IMPORTANCE_FILE: "Impurity and held-out permutation importance",
            COMPARISON_FILE: "Every model's held-out MAE",
            PLOT_FILE: f"Predicted against actual price on the held-out books ({LABELS[best]})",
        },
        notes=[
            f"{summary['books']} books in {summary['categories']} categories;"
            f" {test_rows} of them held out for the scores above, the rest used to train"
            f" and tune. The model with the lowest held-out MAE, {LABELS[best]}, was refitted"
            " on every book and saved to `models/`.",
            *notes,
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
    grids: dict[str, list[Any]] | None = None,
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
    figures_dir = Path(reports_dir) / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)

    with tracking.start_run("train") as run_id, forest.one_thread():
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
        # The forest's settings, study by study, on the training split only.
        folds = KFold(n_splits=forest.FOLDS, shuffle=True, random_state=SEED)
        tuned = forest.tune(
            make_model(), x_train, y_train, folds, grids or STUDY_GRIDS, figures_dir, CURVE_TREES
        )
        params = tuned.params
        cv_mae, cv_std = tuned.cv_score()
        tracking.log_params({f"rf_{k}": v for k, v in params.items()})

        # Beyond the forest: every model on the same held-out books, the same metric.
        with tracking.start_run("comparison", nested=True):
            models, scores = compare(params, x_train, y_train, x_test, y_test)
            best = min(scores, key=lambda name: scores[name]["mae"])
            runner_up = sorted(scores, key=lambda name: scores[name]["mae"])[1]
            reason = (
                f"lowest held-out MAE: {scores[best]['mae']:.2f}"
                f" (next: {runner_up}, {scores[runner_up]['mae']:.2f})"
            )
            for name, values in scores.items():
                tracking.log_metrics({f"{name}_{k}": v for k, v in values.items()})
            tracking.set_tags({"best_model": best, "best_reason": reason})
            errors = {name: values["mae"] for name, values in scores.items()}
            fig = forest.comparison_plot(errors, LABELS, "held-out MAE (£)")
            forest.save_figure(fig, figures_dir, COMPARISON_FILE)

        # Importance of the tuned forest, measured on the held-out books it never saw.
        rf = models["random_forest"]
        importance = forest.explain(rf, x_test, y_test, impurity_by_column(rf), figures_dir, SEED)

        metrics = {f"test_{k}": v for k, v in scores[best].items()}
        metrics |= {f"baseline_{k}": v for k, v in scores["baseline"].items()}
        metrics |= {f"{name}_{k}": v for name, values in scores.items() for k, v in values.items()}
        metrics |= {"cv_mae": cv_mae, "cv_mae_std": cv_std}
        tracking.log_metrics(metrics)
        tracking.set_tags(
            {"best_params": json.dumps(params), "best_model": best, "best_reason": reason}
        )

        predicted = models[best].predict(x_test)
        for name, fig in (
            (PRICES_FILE, prices_plot(data)),
            (PLOT_FILE, predictions_plot(y_test.to_numpy(), predicted, y_train.mean(), best)),
        ):
            forest.save_figure(fig, figures_dir, name)

        # The saved model is the best one, refitted on every usable book.
        final = clone(models[best]).fit(x, y)
        model_path = model_dir / MODEL_FILE
        joblib.dump(final, model_path)
        metadata = {
            "model": best,
            "reason": reason,
            "params": params,
            "metrics": {k: round(v, 4) for k, v in metrics.items()},
            "impurity_importance": importance.impurity,
            "permutation_importance": importance.permutation,
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
        results = results_for_readme(
            scores, best, forest.notes(tuned, importance), summary, len(x_test)
        )
        results.run_id = run_id
        results.seconds = time.perf_counter() - started
        tracking.log_artifact(report.save(results, reports_dir))

    if verbose:
        print(f"{summary['books']} books in {summary['categories']} categories; ", end="")
        print(f"price {summary['price_min']}..{summary['price_max']}, mean {summary['price_mean']}")
        print("Mean price by rating:", summary["mean_price_by_rating"])
        print(f"Random forest by study (CV MAE {cv_mae:.2f} ± {cv_std:.2f}): {params}")
        print(f"{'held-out':<22}{'MAE':>8}{'RMSE':>8}{'R2':>8}")
        for name in LABELS:
            row = [scores[name][k] for k in ("mae", "rmse", "r2")]
            print(f"{LABELS[name]:<22}{row[0]:>8.2f}{row[1]:>8.2f}{row[2]:>8.3f}")
        print(f"Best: {LABELS[best]} ({reason})")
        print("Permutation importance (held out):", importance.permutation)
        print(f"Saved {model_path}")
    return TrainReport(
        metrics=metrics,
        params=params,
        summary=summary,
        model_path=model_path,
        best=best,
        scores=scores,
        tuned=tuned,
        importance=importance,
    )


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
    with forest.one_thread():
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
