"""Random forests in depth: the studies `make train` runs before it trusts a forest.

Each study answers one question an interviewer asks, with this project's own data:

1. How many trees? Grow one forest tree by tree and watch its out-of-bag (OOB) error: every
   tree skips about a third of the rows (they are not in its bootstrap sample), so those rows
   score the forest for free, without a validation split. The error falls, then flattens; more
   trees after that only cost time. `choose_n_estimators` states the rule that picks the point.
2. How many features per split (max_features)? And how much pruning (min_samples_leaf,
   ccp_alpha, max_depth)? Validation curves: the cross-validated error for each value, next to
   the training error, so you can see where the forest overfits and where pruning costs accuracy.
3. Which inputs matter? Impurity importance (free, from training) next to permutation
   importance measured on held-out rows, which is the honest check.
4. Beyond the forest: extremely randomised trees, gradient boosting with early stopping and a
   stack of forest + boosting + a linear model, for the project to compare on its held-out data.

The project's train.py brings the data, the cross-validation splitter and the grids; this
module holds the method, the rules and the figures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import (
    ExtraTreesRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
    StackingRegressor,
)
from sklearn.inspection import permutation_importance
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import BaseCrossValidator, validation_curve
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

# The functions that log import tracking themselves: the server imports this module for its
# models, and importing tracking would load MLflow (seconds) into a server that never logs.

# `make train FULL=1` widens every study (more tree counts, more values per curve) and takes
# longer; the default grids are kept small so that `make train` stays short.
FULL = os.environ.get("FULL", "") not in ("", "0")
# Forest sizes the OOB study grows through. It starts at 20, not lower: with fewer trees some
# rows are in every tree's bootstrap sample and have no out-of-bag prediction at all.
OOB_SIZES = [20, 30, 40, 60, 80, 100, 150, 200] + ([300, 400, 500] if FULL else [])
TOLERANCE = 0.01  # the rule: the smallest forest within 1 % of the lowest OOB error
FOLDS = 5 if FULL else 3  # cross-validation folds of the validation curves


@contextmanager
def one_thread() -> Iterator[None]:
    """Run gradient boosting on one OpenMP thread inside this block.

    HistGradientBoosting splits every boosting round across all cores. On a table of a few
    hundred rows each round takes microseconds, and the threads spend far longer waiting for
    each other than working.
    """
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@dataclass
class OobStudy:
    sizes: list[int]
    errors: list[float]  # OOB mean absolute error of the forest with that many trees
    chosen: int
    tolerance: float = TOLERANCE

    @property
    def rule(self) -> str:
        return f"the smallest forest within {self.tolerance:.0%} of the lowest OOB error"


def oob_errors(forest: RandomForestRegressor, x: Any, y: Any, sizes: list[int]) -> list[float]:
    """OOB mean absolute error after growing one forest to each size in turn.

    warm_start=True keeps the trees already grown and only adds new ones, so the whole curve
    costs one forest of the largest size.
    """
    forest = clone(forest).set_params(warm_start=True, oob_score=True, bootstrap=True)
    errors = []
    for size in sizes:
        forest.set_params(n_estimators=size).fit(x, y)
        errors.append(float(mean_absolute_error(y, forest.oob_prediction_)))
    return errors


def choose_n_estimators(sizes: list[int], errors: list[float], tolerance: float = TOLERANCE) -> int:
    """The smallest number of trees whose OOB error is within `tolerance` of the lowest one."""
    limit = min(errors) * (1 + tolerance)
    return next(size for size, error in zip(sizes, errors, strict=True) if error <= limit)


def oob_study(
    forest: RandomForestRegressor, x: Any, y: Any, sizes: list[int] | None = None
) -> OobStudy:
    sizes = sizes or OOB_SIZES
    errors = oob_errors(forest, x, y, sizes)
    return OobStudy(sizes=sizes, errors=errors, chosen=choose_n_estimators(sizes, errors))


@dataclass
class Curve:
    """A validation curve: mean absolute error for each value of one setting."""

    param: str  # as the estimator names it, e.g. "forest__max_features"
    values: list[Any]
    train_mean: list[float]
    train_std: list[float]
    valid_mean: list[float]  # cross-validated
    valid_std: list[float]
    chosen: Any
    # Per-fold (training, validation) errors of the chosen value, for the next study to reuse.
    chosen_folds: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def name(self) -> str:
        return self.param.split("__")[-1]

    def score_of(self, value: Any) -> tuple[float, float]:
        """Cross-validated MAE (mean, standard deviation over folds) of one value."""
        index = self.values.index(value)
        return self.valid_mean[index], self.valid_std[index]


def validation_study(
    estimator: BaseEstimator,
    x: Any,
    y: Any,
    param: str,
    values: list[Any],
    cv: BaseCrossValidator,
    simplest_within_se: bool = False,
    known: dict[Any, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Curve:
    """Score every value of `param` by cross-validation and pick one.

    The pick is the value with the lowest mean error; with `simplest_within_se` (pruning, where
    `values` run from least to most pruned) it is the most pruned value whose error is within one
    standard error of the best: a simpler model that is as good as the data can tell.

    `known` maps values already scored with exactly this estimator and `cv` to their per-fold
    (training, validation) errors; those are reused instead of fitted again.
    """
    known = known or {}
    todo = [v for v in values if v not in known]
    if todo:
        fitted_train, fitted_valid = validation_curve(
            estimator,
            x,
            y,
            param_name=param,
            param_range=todo,
            cv=cv,
            scoring="neg_mean_absolute_error",
        )
        # scikit-learn maximises scores: errors come back negated
        fitted = dict(zip(todo, zip(-fitted_train, -fitted_valid, strict=True), strict=True))
    else:
        fitted = {}
    rows = [known[v] if v in known else fitted[v] for v in values]
    train = np.array([row[0] for row in rows])
    valid = np.array([row[1] for row in rows])
    means = valid.mean(axis=1)
    best = int(np.argmin(means))
    chosen = best
    if simplest_within_se:
        limit = means[best] + valid[best].std() / np.sqrt(valid.shape[1])
        chosen = max(i for i in range(len(values)) if means[i] <= limit)
    return Curve(
        param=param,
        values=list(values),
        train_mean=[float(v) for v in train.mean(axis=1)],
        train_std=[float(v) for v in train.std(axis=1)],
        valid_mean=[float(v) for v in means],
        valid_std=[float(v) for v in valid.std(axis=1)],
        chosen=values[chosen],
        chosen_folds=(train[chosen], valid[chosen]),
    )


@dataclass
class Importance:
    impurity: dict[str, float]  # share of the training impurity decrease, sums to 1
    permutation: dict[str, float]  # rise in held-out MAE when the input is shuffled
    permutation_std: dict[str, float]
    rows: int  # how many held-out rows the permutation importance was measured on

    def disagreement(self) -> str:
        """One sentence: do the two measures rank the inputs the same way?"""
        by_impurity = sorted(self.impurity, key=lambda k: -self.impurity[k])
        by_permutation = sorted(self.permutation, key=lambda k: -self.permutation[k])
        if by_impurity == by_permutation:
            return "Impurity and held-out permutation importance rank the inputs the same way."
        if by_impurity[0] != by_permutation[0]:
            return (
                f"The two measures disagree: impurity importance ranks {by_impurity[0]} first,"
                f" permutation on held-out rows ranks {by_permutation[0]} first. Impurity"
                " importance is measured on the training data and favours inputs with many"
                " distinct values (more places to split), so trust the permutation ranking."
            )
        return (
            f"Both measures put {by_impurity[0]} first but order the rest differently; the"
            " permutation ranking, measured on held-out rows, is the one to trust."
        )


def importance_study(
    model: BaseEstimator,
    x_held_out: Any,
    y_held_out: Any,
    impurity: dict[str, float],
    repeats: int = 5,
    seed: int = 0,
) -> Importance:
    """Permutation importance of each input column of `x_held_out`, next to `impurity`.

    Pass rows the model never saw in training: on its training rows a forest has memorised the
    noise too, and shuffling a useless input would still look like it hurts.
    """
    result = permutation_importance(
        model,
        x_held_out,
        y_held_out,
        scoring="neg_mean_absolute_error",
        n_repeats=repeats,
        random_state=seed,
    )
    columns = [str(c) for c in getattr(x_held_out, "columns", range(np.shape(x_held_out)[1]))]
    return Importance(
        impurity=impurity,
        permutation={c: float(v) for c, v in zip(columns, result.importances_mean, strict=True)},
        permutation_std={c: float(v) for c, v in zip(columns, result.importances_std, strict=True)},
        rows=len(x_held_out),
    )


def boosting(seed: int) -> HistGradientBoostingRegressor:
    """Gradient boosting with early stopping, set for a few hundred rows.

    The defaults (learning rate 0.1, leaves of 20 rows, 31 leaves) are made for big data and
    underfit or stop too early on small tables: learn slower, allow smaller leaves, and let the
    20 % validation slice stop the boosting once 20 rounds bring no gain.
    """
    return HistGradientBoostingRegressor(
        learning_rate=0.05,
        max_iter=500,
        max_leaf_nodes=15,
        min_samples_leaf=5,
        l2_regularization=1.0,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=20,
        random_state=seed,
    )


def contenders(
    forest_params: dict[str, Any], cv: BaseCrossValidator, seed: int
) -> dict[str, BaseEstimator]:
    """The models to compare with the tuned forest, by name (the forest itself first).

    The stack learns how much to trust each member from out-of-fold predictions: scikit-learn
    fits each member on all but one fold of `cv` and predicts the fold left out, so the linear
    meta-model never sees a prediction made on a row its member trained on. Its forest member is
    kept small: stacking fits every member once per fold.
    """
    forest = RandomForestRegressor(random_state=seed, n_jobs=1, **forest_params)
    small_forest = clone(forest).set_params(n_estimators=min(forest.n_estimators, 50))
    stack = StackingRegressor(
        [("forest", small_forest), ("boosting", boosting(seed)), ("linear", RidgeCV())],
        final_estimator=RidgeCV(),
        cv=cv,
    )
    return {
        "random_forest": forest,
        "extra_trees": ExtraTreesRegressor(random_state=seed, n_jobs=1, **forest_params),
        "boosting": boosting(seed),
        "stacking": stack,
    }


# --- figures ------------------------------------------------------------------------------------


def oob_plot(study: OobStudy) -> Figure:
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(study.sizes, study.errors, marker="o", label="out-of-bag error")
    ax.axhline(
        min(study.errors) * (1 + study.tolerance),
        color="grey",
        ls="--",
        label=f"{study.tolerance:.0%} above the lowest",
    )
    ax.axvline(study.chosen, color="black", lw=1, label=f"chosen: {study.chosen} trees")
    ax.set_xlabel("number of trees (n_estimators)")
    ax.set_ylabel("OOB mean absolute error")
    ax.set_title("How many trees? Out-of-bag error as the forest grows")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def curves_plot(curves: list[Curve], title: str) -> Figure:
    """One panel per validation curve: training and cross-validated error, ± one std."""
    fig = Figure(figsize=(4.2 * len(curves) + 1, 4.2), layout="constrained")
    axes = fig.subplots(1, len(curves), squeeze=False)[0]
    for ax, curve in zip(axes, curves, strict=True):
        at = np.arange(len(curve.values))  # even spacing: values may be words ("sqrt", None)
        for label, mean, std in (
            ("training", curve.train_mean, curve.train_std),
            ("cross-validated", curve.valid_mean, curve.valid_std),
        ):
            mean_, std_ = np.array(mean), np.array(std)
            ax.plot(at, mean_, marker="o", label=label)
            ax.fill_between(at, mean_ - std_, mean_ + std_, alpha=0.2)
        ax.axvline(curve.values.index(curve.chosen), color="black", lw=1, ls="--", label="chosen")
        ax.set_xticks(at, [str(v) for v in curve.values])
        ax.set_xlabel(curve.name)
        ax.set_ylabel("mean absolute error")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    fig.suptitle(title)
    return fig


def importance_plot(importance: Importance) -> Figure:
    """Impurity importance (training) and permutation importance (held out), side by side."""
    names = sorted(importance.permutation, key=lambda k: importance.permutation[k])
    fig = Figure(figsize=(9, 0.5 * len(names) + 2.5), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    left.barh(names, [importance.impurity.get(name, 0.0) for name in names])
    left.set_xlabel("share of impurity decrease (training)")
    left.set_title("Impurity importance")
    right.barh(
        names,
        [importance.permutation[name] for name in names],
        xerr=[importance.permutation_std[name] for name in names],
        color="tab:orange",
    )
    right.axvline(0, color="black", lw=1)
    right.set_xlabel(f"rise in MAE when shuffled ({importance.rows} held-out rows)")
    right.set_title("Permutation importance")
    for ax in (left, right):
        ax.grid(axis="x", alpha=0.3)
    return fig


def comparison_plot(errors: dict[str, float], labels: dict[str, str], metric: str) -> Figure:
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    names = sorted(errors, key=lambda k: errors[k])
    ax.barh([labels.get(n, n) for n in names][::-1], [errors[n] for n in names][::-1])
    ax.set_xlabel(metric)
    ax.set_title("Every model on the same held-out data")
    ax.grid(axis="x", alpha=0.3)
    return fig


# --- the studies as `make train` runs them: one tracked child run and one figure each -----------

OOB_FILE = "oob.png"
FEATURES_FILE = "max_features.png"
PRUNING_FILE = "pruning.png"
IMPORTANCE_FILE = "importance.png"
PRUNING = ("min_samples_leaf", "ccp_alpha", "max_depth")  # each grid runs least to most pruned


@dataclass
class Tuned:
    params: dict[str, Any]  # the forest's settings, each chosen by its study
    oob: OobStudy
    curves: dict[str, Curve]  # by setting: max_features, then the pruning knobs
    curve_trees: int  # forest size of the validation-curve fits

    def cv_score(self) -> tuple[float, float]:
        """Cross-validated MAE (mean, std over folds) of the final settings.

        Measured with the curves' forests of `curve_trees` trees: the final forest, with more
        trees, is usually a little better.
        """
        last = list(self.curves.values())[-1]
        return last.score_of(last.chosen)


def save_figure(fig: Figure, figures_dir: Path, name: str) -> None:
    """Draw `fig` into reports/figures/ and log that same file to the tracker."""
    from . import tracking

    fig.savefig(figures_dir / name, dpi=110)
    tracking.log_artifact(figures_dir / name)  # drawn once: rendering is the slow part


def tune(
    model: Pipeline,
    x: Any,
    y: Any,
    cv: BaseCrossValidator,
    grids: dict[str, list[Any]],
    figures_dir: Path,
    curve_trees: int | None = None,
) -> Tuned:
    """Run the tree-count, max_features and pruning studies in turn on training data only.

    `model` is a pipeline whose last step, "forest", is a RandomForestRegressor. Each study
    starts from the choices of the ones before it, and logs itself as a nested run.

    The validation curves fit forests of the OOB-chosen size, or of `curve_trees` trees when
    that is smaller. The curves compare settings, not tree counts: a fit of 30 trees costs about
    half of one of 60, for a little more noise in each score (a close call between two values
    can go the other way). The final forest always gets the OOB-chosen size.
    """
    from . import tracking

    forest_x = model[:-1].fit_transform(x, y) if len(model) > 1 else x
    with tracking.start_run("oob-trees", nested=True):
        oob = oob_study(model[-1], forest_x, y, grids.get("oob_sizes"))
        for size, error in zip(oob.sizes, oob.errors, strict=True):
            tracking.log_metrics({"oob_mae": error}, step=size)
        tracking.log_params({"n_estimators": oob.chosen, "rule": oob.rule})
        save_figure(oob_plot(oob), figures_dir, OOB_FILE)
    params: dict[str, Any] = {"n_estimators": oob.chosen}
    curves: dict[str, Curve] = {}
    curve_trees = min(oob.chosen, curve_trees or oob.chosen)

    def study(name: str, pruning: bool) -> Curve:
        settings = params | {"n_estimators": curve_trees}
        estimator = clone(model).set_params(**{f"forest__{k}": v for k, v in settings.items()})
        # The previous study's chosen point is this curve's point at the current value (same
        # settings, same folds, same seed): reuse its scores rather than fit it again.
        known = {}
        if curves:
            last = list(curves.values())[-1]
            known[estimator.get_params()[f"forest__{name}"]] = last.chosen_folds
        curve = validation_study(
            estimator, x, y, f"forest__{name}", grids[name], cv, pruning, known
        )
        mean, std = curve.score_of(curve.chosen)
        tracking.log_params({name: curve.chosen, "curve_trees": curve_trees})
        # One call per study: each call is a write to the tracking database.
        tracking.log_metrics(
            {f"{name}_cv_mae": mean, f"{name}_cv_mae_std": std}
            | {f"cv_mae_{name}_{v}": e for v, e in zip(curve.values, curve.valid_mean, strict=True)}
        )
        params[name] = curve.chosen
        curves[name] = curve
        return curve

    with tracking.start_run("max-features", nested=True):
        chosen = study("max_features", pruning=False)
        save_figure(
            curves_plot([chosen], "Features per split (max_features)"), figures_dir, FEATURES_FILE
        )
    with tracking.start_run("pruning", nested=True):
        pruned = [study(name, pruning=True) for name in PRUNING if name in grids]
        save_figure(
            curves_plot(pruned, "Pruning: where the forest overfits"), figures_dir, PRUNING_FILE
        )
    return Tuned(params=params, oob=oob, curves=curves, curve_trees=curve_trees)


def explain(
    model: BaseEstimator,
    x_held_out: Any,
    y_held_out: Any,
    impurity: dict[str, float],
    figures_dir: Path,
    seed: int = 0,
) -> Importance:
    """The importance study on held-out rows, as a nested run with its figure."""
    from . import tracking

    with tracking.start_run("importance", nested=True):
        importance = importance_study(model, x_held_out, y_held_out, impurity, seed=seed)
        tracking.log_params({"permutation_rows": importance.rows})
        tracking.log_metrics({f"permutation_{k}": v for k, v in importance.permutation.items()})
        tracking.log_metrics({f"impurity_{k}": v for k, v in importance.impurity.items()})
        save_figure(importance_plot(importance), figures_dir, IMPORTANCE_FILE)
    return importance


def notes(tuned: Tuned, importance: Importance) -> list[str]:
    """Sentences for the results section: what each study chose, and why it matters."""
    choices = ", ".join(
        f"{name}={curve.chosen} (CV MAE {curve.score_of(curve.chosen)[0]:.2f}"
        f" ± {curve.score_of(curve.chosen)[1]:.2f})"
        for name, curve in tuned.curves.items()
    )
    # Say so when the curves' forests were smaller than the final one: the scores are theirs.
    small = tuned.curve_trees < tuned.oob.chosen
    smaller = f" (forests of {tuned.curve_trees} trees)" if small else ""
    return [
        f"The forest has {tuned.oob.chosen} trees, {tuned.oob.rule}.",
        f"Validation curves{smaller} chose {choices}; pruning keeps the most pruned value within"
        " one standard error of the best.",
        "Fewer features per split decorrelates the trees: when each split may only look at a"
        " random few inputs, the trees cannot all split on the same strong input first, so their"
        " errors differ and cancel out more when averaged.",
        importance.disagreement(),
    ]
