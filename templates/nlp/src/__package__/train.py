"""`make train` and `make evaluate`: fit the intent classifier, measure it on the held-out
split, and record everything.

Metrics (all on heldout.yml, which training never sees):
- accuracy and macro-F1 of the top intent, and F1 per intent;
- fallback_rate: share of in-scope held-out messages below the confidence threshold (the bot
  would answer them with the fallback instead of the right intent);
- out_of_scope_fallback_rate: share of nonsense messages that do fall back (higher is better);
- a confusion-matrix image.
The data files' SHA-256 is logged as a parameter, so every run names the exact data it used.
The figures go to reports/figures/ and the numbers to reports/results.json, from which
`make report` fills the README's results section.
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

from . import __version__, config, report, tracking
from .bot import Bot, fit_classifier
from .components import IntentClassifier, TextProcessor
from .data import Heldout, data_hash, load_heldout, load_intents

METADATA_FILE = "metadata.json"
CONFUSION_FILE = "confusion_matrix.png"
F1_FILE = "f1_per_intent.png"
# The README's sample conversation: held-out messages (never trained on) that need no network.
SAMPLE_MESSAGES = (
    "hi, is anybody here?",
    "how can you help me",
    "what is 9 times 9",
    "asdf qwerty zxcv",
)
# How the README names the libraries.
NAMES = {
    "sklearn": "scikit-learn",
    "torch": "PyTorch",
    "keras": "Keras",
    "nltk": "NLTK",
    "spacy": "spaCy",
}


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


def f1_figure(evaluation: Evaluation) -> Figure:
    """F1 of each intent on the held-out split: which intents the model still confuses."""
    labels = sorted(evaluation.labels, key=lambda label: evaluation.metrics[f"f1_{label}"])
    fig = Figure(figsize=(7, 1.2 + 0.35 * len(labels)), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(labels, [evaluation.metrics[f"f1_{label}"] for label in labels])
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 on held-out messages (1 is perfect)")
    ax.set_title("Held-out F1 per intent")
    ax.grid(axis="x", alpha=0.3)
    return fig


def results_for_readme(
    evaluation: Evaluation, heldout: Heldout, majority: str, name: str, text: str
) -> report.Results:
    """The README's view of this run: the classifier next to always guessing one intent."""
    m = evaluation.metrics
    name, text = NAMES.get(name, name), NAMES.get(text, text)
    guess = [majority] * len(heldout.labels)
    baseline = {
        "accuracy": accuracy_score(heldout.labels, guess),
        "macro_f1": f1_score(
            heldout.labels, guess, labels=evaluation.labels, average="macro", zero_division=0
        ),
    }
    rows = [
        ["accuracy", f"{m['accuracy']:.3f}", f"{baseline['accuracy']:.3f}"],
        ["macro-F1", f"{m['macro_f1']:.3f}", f"{baseline['macro_f1']:.3f}"],
        ["in-scope messages falling back", f"{m['fallback_rate']:.3f}", "-"],
    ]
    if "out_of_scope_fallback_rate" in m:
        total = len(heldout.out_of_scope)
        caught = round(m["out_of_scope_fallback_rate"] * total)
        rows.append(["nonsense messages falling back", f"{caught} of {total}", "-"])
    mistakes = [f'"{said}" ({true}, taken for {got})' for said, true, got in evaluation.mistakes]
    return report.Results(
        headline=(
            f"The {name} classifier gets the intent of {m['accuracy']:.1%} of held-out"
            f" messages right, against {baseline['accuracy']:.1%} for always guessing"
            f" the most common intent."
        ),
        columns=["held-out metric", f"{name} + {text}", f"baseline: always {majority}"],
        rows=rows,
        figures={
            CONFUSION_FILE: "Held-out confusion matrix",
            F1_FILE: "Held-out F1 per intent",
        },
        notes=[
            f"{len(heldout.texts)} held-out messages that training never sees,"
            f" over {len(evaluation.labels)} intents.",
            ("Mistakes: " + "; ".join(mistakes[:5]) + ".") if mistakes else "No mistakes.",
        ],
    )


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


def train(
    model_dir: Path = config.MODEL_DIR,
    reports_dir: Path = report.REPORTS_DIR,
    verbose: bool = True,
) -> TrainReport:
    began = time.perf_counter()
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    processor = TextProcessor()
    dataset, heldout = load_intents(), load_heldout()
    texts, labels = dataset.examples()
    digest = data_hash()

    with tracking.start_run("train") as run_id:
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
        figures_dir = Path(reports_dir) / "figures"
        figures_dir.mkdir(parents=True, exist_ok=True)
        for name, fig in (
            (CONFUSION_FILE, confusion_figure(evaluation)),
            (F1_FILE, f1_figure(evaluation)),
        ):
            fig.savefig(figures_dir / name, dpi=110)
            tracking.log_figure(fig, name)

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
        majority = max(sorted(set(labels)), key=labels.count)
        results = results_for_readme(evaluation, heldout, majority, classifier.name, processor.name)
        bot = Bot(classifier, processor, dataset)
        results.sample_caption = "A sample conversation with the trained bot"
        for message in SAMPLE_MESSAGES:
            answer = bot.reply(message)
            results.sample += [f"you: {message}", f"bot: {answer.text}  [{answer.intent}]"]
        results.run_id = run_id
        results.seconds = time.perf_counter() - began
        tracking.log_artifact(report.save(results, reports_dir))
        tracking.log_model(
            model_dir, "macro_f1", evaluation.metrics["macro_f1"], higher_is_better=True
        )

    if verbose:
        print(
            f"Trained the {classifier.name} classifier on {len(texts)} examples of "
            f"{len(dataset.intents)} intents in {fit_seconds:.1f} s (data sha256 {digest[:12]})"
        )
        print_evaluation(evaluation)
        print(f"Saved the model and {METADATA_FILE} to {model_dir}/, the figures to {reports_dir}/")
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
