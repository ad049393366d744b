"""`make train` and `make evaluate`: fit the intent classifier, measure it on the held-out
split, and record everything.

Metrics (all on heldout.yml, which training never sees):
- accuracy and macro-F1 of the top intent, and F1 per intent;
- fallback_rate: share of in-scope held-out messages below the confidence threshold (the bot
  would answer them with the fallback instead of the right intent);
- out_of_scope_fallback_rate: share of nonsense messages that do fall back (higher is better);
- a confusion-matrix image.
The data files' SHA-256 is logged as a parameter, so every run names the exact data it used.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from . import __version__, config, tracking
from .bot import fit_classifier
from .components import IntentClassifier, TextProcessor
from .data import Heldout, data_hash, load_heldout, load_intents

METADATA_FILE = "metadata.json"
CONFUSION_FILE = "confusion_matrix.png"


@dataclass
class Evaluation:
    metrics: dict[str, float]
    labels: list[str]  # intents, in the confusion matrix's order
    matrix: np.ndarray
    mistakes: list[tuple[str, str, str]]  # (message, true intent, predicted intent)


@dataclass
class TrainReport:
    classifier: IntentClassifier
    evaluation: Evaluation
    metadata: dict[str, Any]
    model_dir: Path


def evaluate_classifier(
    classifier: IntentClassifier,
    processor: TextProcessor,
    heldout: Heldout,
    threshold: float = config.CONFIDENCE_THRESHOLD,
) -> Evaluation:
    probabilities = classifier.predict_proba([processor.normalize(t) for t in heldout.texts])
    predicted = [classifier.classes_[i] for i in probabilities.argmax(axis=1)]
    labels = list(classifier.classes_)
    per_intent = f1_score(heldout.labels, predicted, labels=labels, average=None, zero_division=0)
    metrics = {
        "accuracy": accuracy_score(heldout.labels, predicted),
        "macro_f1": f1_score(
            heldout.labels, predicted, labels=labels, average="macro", zero_division=0
        ),
        "fallback_rate": float(np.mean(probabilities.max(axis=1) < threshold)),
        **{f"f1_{label}": float(score) for label, score in zip(labels, per_intent, strict=True)},
    }
    if heldout.out_of_scope:
        nonsense = classifier.predict_proba([processor.normalize(t) for t in heldout.out_of_scope])
        metrics["out_of_scope_fallback_rate"] = float(np.mean(nonsense.max(axis=1) < threshold))
    mistakes = [
        (text, true, guess)
        for text, true, guess in zip(heldout.texts, heldout.labels, predicted, strict=True)
        if true != guess
    ]
    matrix = confusion_matrix(heldout.labels, predicted, labels=labels)
    return Evaluation({k: float(v) for k, v in metrics.items()}, labels, matrix, mistakes)


def confusion_figure(evaluation: Evaluation) -> Figure:
    """Rows: the true intent; columns: the predicted one. A perfect model fills the diagonal."""
    # Figure() instead of pyplot: no global state, no GUI backend needed (servers, CI).
    n = len(evaluation.labels)
    fig = Figure(figsize=(2 + 0.55 * n, 1.5 + 0.5 * n), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(evaluation.matrix, cmap="Blues")
    ax.set_xticks(range(n), evaluation.labels, rotation=45, ha="right")
    ax.set_yticks(range(n), evaluation.labels)
    peak = evaluation.matrix.max() or 1
    for (row, col), count in np.ndenumerate(evaluation.matrix):
        if count:
            color = "white" if count > peak / 2 else "black"
            ax.text(col, row, str(count), ha="center", va="center", color=color, fontsize=8)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    accuracy = evaluation.metrics["accuracy"]
    ax.set_title(f"Held-out confusion matrix (accuracy {accuracy:.3f})")
    return fig


def print_evaluation(evaluation: Evaluation) -> None:
    m = evaluation.metrics
    print(
        f"Held-out: accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}, "
        f"fallback rate {m['fallback_rate']:.3f}"
        + (
            f", nonsense falling back {m['out_of_scope_fallback_rate']:.3f}"
            if "out_of_scope_fallback_rate" in m
            else ""
        )
    )
    for label in evaluation.labels:
        print(f"  {label:<14} F1 {m[f'f1_{label}']:.3f}")
    for text, true, guess in evaluation.mistakes:
        print(f"  mistake: {text!r} is {true}, predicted {guess}")


def train(model_dir: Path = config.MODEL_DIR, verbose: bool = True) -> TrainReport:
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    processor = TextProcessor()
    dataset, heldout = load_intents(), load_heldout()
    texts, _ = dataset.examples()
    digest = data_hash()

    with tracking.start_run("train"):
        started = time.perf_counter()
        classifier = fit_classifier(dataset, processor)
        fit_seconds = time.perf_counter() - started
        evaluation = evaluate_classifier(classifier, processor, heldout)
        tracking.log_params(
            {
                **classifier.params(),
                "text": processor.name,
                "data_sha256": digest,
                "n_intents": len(dataset.intents),
                "n_examples": len(texts),
                "n_heldout": len(heldout.texts),
                "threshold": config.CONFIDENCE_THRESHOLD,
                "seed": config.SEED,
            }
        )
        tracking.log_metrics({**evaluation.metrics, "fit_seconds": fit_seconds})
        fig = confusion_figure(evaluation)
        fig.savefig(model_dir / CONFUSION_FILE, dpi=110)
        tracking.log_figure(fig, CONFUSION_FILE)

        classifier.save(model_dir)
        metadata = {
            "model": classifier.name,
            "text": processor.name,
            "params": classifier.params(),
            "data_sha256": digest,
            "threshold": config.CONFIDENCE_THRESHOLD,
            "metrics": {k: round(v, 4) for k, v in evaluation.metrics.items()},
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "package_version": __version__,
            "python": platform.python_version(),
        }
        metadata_path = model_dir / METADATA_FILE
        metadata_path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        # The files `make serve` loads (classifier.*) travel with the run, beside its metadata.
        for path in [metadata_path, *sorted(model_dir.glob("classifier.*"))]:
            tracking.log_artifact(path)

    if verbose:
        print(
            f"Trained the {classifier.name} classifier on {len(texts)} examples of "
            f"{len(dataset.intents)} intents in {fit_seconds:.1f} s (data sha256 {digest[:12]})"
        )
        print_evaluation(evaluation)
        print(f"Saved the model, {METADATA_FILE} and {CONFUSION_FILE} to {model_dir}/")
    return TrainReport(classifier, evaluation, metadata, model_dir)


def evaluate(model_dir: Path = config.MODEL_DIR, verbose: bool = True) -> Evaluation:
    """Measure the saved model on the held-out split again."""
    classifier = IntentClassifier.load(model_dir)
    metadata = json.loads((Path(model_dir) / METADATA_FILE).read_text(encoding="utf-8"))
    digest = data_hash()
    evaluation = evaluate_classifier(classifier, TextProcessor(), load_heldout())
    with tracking.start_run("evaluate"):
        tracking.log_params({"model": classifier.name, "data_sha256": digest})
        tracking.log_metrics(evaluation.metrics)
    if verbose:
        if digest != metadata.get("data_sha256"):
            print("Note: the data files changed since this model was trained (run `make train`).")
        print(f"Saved model: {classifier.name} (trained {metadata['trained_at']})")
        print_evaluation(evaluation)
    return evaluation
