"""`make train` and `make evaluate`.

``train()`` runs five named steps:
1. Data (``load_data``): ``VAL_IMAGES`` synthetic shapes images for validation; the training
   images are made new for every batch from another seed, so the model never sees a validation
   image and never sees a training image twice. Or your own YOLO/COCO data split 80/20 (``--data``).
2. Model (``make_model``): the one models.py names, untrained (or from COCO weights, the
   pretrained option), on the GPU when there is one and on the CPU otherwise (the same code).
3. Loop (``Loop``): AdamW with a one-cycle learning-rate schedule, random horizontal flips; every
   ``EVAL_EVERY`` steps a look at the validation images, stopping once mAP@0.5 reaches
   ``TARGET_MAP``.
4. Evaluate: mAP@0.5 and AP per class on the validation images.
5. Save and log (``save_model``, ``save_report``): the checkpoint, metrics.json and an example
   image in models/, the README's results and figures in reports/, and params, losses, metrics
   and those files in the experiment tracker.
"""

from __future__ import annotations

import json
import platform
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from . import __version__, config, report
from .data import CLASSES, Sample, load_dataset, synthetic_batches, synthetic_shapes
from .draw import draw_detections
from .metrics import mean_average_precision
from .models import MODEL_NAME, build_model
from .predict import CHECKPOINT_FILE, detections_from, load_checkpoint

METRICS_FILE = "metrics.json"
EXAMPLE_FILE = "example_prediction.png"
DETECTIONS_FILE = "detections.png"
AP_FILE = "ap_per_class.png"
NEW_EVERY_STEP = "new every step"  # params["train_images"] of synthetic data
# How the README names each model.
NAMES = {"detector": "anchor-free detector", "unet": "U-Net", "pretrained": "Faster R-CNN"}


@dataclass
class TrainReport:
    map50: float
    per_class: dict[str, float | None]
    steps: int
    seconds: float
    steps_per_second: float
    losses: list[float] = field(default_factory=list)  # the total loss every `log_every` steps
    checkpoint: Path | None = None
    example: Path | None = None
    device: str = "cpu"
    run_id: str = ""  # the tracker's run ("" when nothing was tracked)
    total_seconds: float = 0.0  # the whole of train(): data, model, loop, evaluation


def pick_device() -> torch.device:
    """The first CUDA GPU when PyTorch sees one, else the CPU: nothing else changes."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def to_batch(samples: list[Sample], device: torch.device, flip: list[bool] | None = None):
    """Samples -> (images (B, 3, H, W) float 0..1, targets: boxes, labels, mask per image)."""
    images, targets = [], []
    for k, s in enumerate(samples):
        image = torch.from_numpy(s.image).permute(2, 0, 1).float().div(255)
        boxes = torch.from_numpy(s.boxes).float()
        mask = torch.from_numpy(s.mask).long()
        if flip and flip[k]:  # mirror left-right: image, mask and boxes together
            width = image.shape[-1]
            image, mask = image.flip(-1), mask.flip(-1)
            boxes = torch.stack(
                [width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], 1
            )
        images.append(image)
        targets.append(
            {
                "boxes": boxes.to(device),
                "labels": torch.from_numpy(s.labels).long().to(device),
                "mask": mask.to(device),
            }
        )
    return torch.stack(images).to(device), targets


def predict_samples(model: torch.nn.Module, samples: list[Sample], device: torch.device, **kw):
    """Detections for every sample (in batches), with a low score threshold as mAP needs."""
    model.eval()
    predictions = []
    for start in range(0, len(samples), 32):
        images, _ = to_batch(samples[start : start + 32], device)
        for p in model.detect(images, score_threshold=kw.get("score_threshold", 0.05)):
            predictions.append({key: value.cpu() for key, value in p.items()})
    return predictions


def evaluate_samples(model, samples: list[Sample], classes: list[str], device: torch.device):
    """(mAP@0.5, {class: AP or None}, predictions) on ``samples``."""
    predictions = predict_samples(model, samples, device)
    truth = [
        {"boxes": torch.from_numpy(s.boxes).float(), "labels": torch.from_numpy(s.labels).long()}
        for s in samples
    ]
    map50, per_class = mean_average_precision(predictions, truth, len(classes))
    return map50, dict(zip(classes, per_class, strict=True)), predictions


def example_image(
    samples: list[Sample], predictions, classes: list[str], n: int = 4, columns: int = 4
) -> Image.Image:
    """The first ``n`` validation images, enlarged 2x, with their detections drawn, in rows of
    ``columns``."""
    tiles = []
    for sample, pred in list(zip(samples, predictions, strict=False))[:n]:
        image = Image.fromarray(sample.image)
        image = image.resize((image.width * 2, image.height * 2), Image.Resampling.NEAREST)
        keep = pred["scores"] >= config.SCORE_THRESHOLD
        found = detections_from({k: v[keep] for k, v in pred.items()}, classes, scale=2.0)
        tiles.append(draw_detections(image, found, classes))
    width, height = tiles[0].size  # every tile has the same size
    rows = -(-len(tiles) // columns)  # ceiling division
    sheet = Image.new("RGB", (width * min(columns, len(tiles)), height * rows), "white")
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * width, (i // columns) * height))
    return sheet


def ap_figure(per_class: dict[str, float | None], map50: float) -> Figure:
    """AP@0.5 of each class on the validation images: which shapes the model still misses."""
    names = list(per_class)
    fig = Figure(figsize=(7, 3.8), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(names, [per_class[name] or 0.0 for name in names])
    ax.axhline(map50, color="black", ls="--", lw=1, label=f"mAP@0.5 {map50:.3f}")
    ax.set_ylim(0, 1)
    ax.set_ylabel("AP@0.5 (1 is perfect)")
    ax.set_title("Validation AP@0.5 per class")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right")
    return fig


def results_for_readme(outcome: TrainReport, params: dict[str, Any]) -> report.Results:
    """The README's view of this run: mAP@0.5 and AP per class on unseen validation images."""
    rows = [["mAP@0.5", f"**{outcome.map50:.3f}**"]]
    rows += [
        [f"AP@0.5 {name}", "-" if ap is None else f"{ap:.3f}"]
        for name, ap in outcome.per_class.items()
    ]
    rows.append(["training speed", f"{outcome.steps_per_second:.1f} steps/s on {outcome.device}"])
    name = NAMES.get(params["model"], params["model"])
    size = f"{params['image_size']} px"
    if params["train_images"] == NEW_EVERY_STEP:
        images = f"{outcome.steps * params['batch_size']} new images of {size}, none shown twice"
    else:
        images = f"{params['train_images']} images of {size}"
    stop = ""
    if params["target_map50"] is not None and outcome.steps < params["steps"]:
        stop = f", stopped early when validation mAP@0.5 reached {params['target_map50']}"
    return report.Results(
        headline=(
            f"The {name} finds the objects in {params['val_images']} validation"
            f" images it never trained on with mAP@0.5 of {outcome.map50:.3f}"
            " (1 would be every object found, with no false alarm)."
        ),
        columns=["validation metric", "value"],
        rows=rows,
        figures={
            DETECTIONS_FILE: "Detections on validation images",
            AP_FILE: "Validation AP@0.5 per class",
        },
        notes=[
            f"Trained from {params['start_from']} on {params['data']} ({images}):"
            f" {outcome.steps} steps of {params['batch_size']} images{stop}.",
        ],
    )


# --- the steps of `make train` --------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How long and on what to train; the defaults are `make train`'s (config.py)."""

    steps: int = config.TRAIN_STEPS  # at most this many optimiser steps
    batch_size: int = config.BATCH_SIZE
    lr: float = config.LEARNING_RATE  # the peak of the one-cycle schedule
    n_val: int = config.VAL_IMAGES
    seed: int = config.SEED
    log_every: int = 25  # log the losses every this many steps
    # Validate every `eval_every` steps and stop once mAP@0.5 reaches `target_map` (None: never).
    eval_every: int = config.EVAL_EVERY
    target_map: float | None = config.TARGET_MAP
    max_seconds: float | None = None  # stop when time runs out (serve's quick model)


def load_data(data: str | None, n_val: int, seed: int, size: int):
    """Step 1: (train samples, validation samples, class names).

    Synthetic shapes have no fixed training set (None): every batch is new (see
    ``training_batches``). The validation images come from another seed, so training never
    sees them.
    """
    if data is None:
        return None, synthetic_shapes(n_val, seed=seed + 10_000, size=size), list(CLASSES)
    samples, classes = load_dataset(data, size)
    order = np.random.default_rng(seed).permutation(len(samples))
    cut = max(1, int(0.8 * len(samples)))
    return [samples[i] for i in order[:cut]], [samples[i] for i in order[cut:]], classes


def training_batches(
    train_set: list[Sample] | None, batch_size: int, seed: int
) -> Iterator[list[Sample]]:
    """Endless random batches: new synthetic images for every batch when ``train_set`` is None,
    else images drawn at random from it."""
    if train_set is None:
        yield from synthetic_batches(batch_size, seed, config.IMAGE_SIZE)
    sampler = torch.Generator().manual_seed(seed)
    while True:
        index = torch.randint(len(train_set), (batch_size,), generator=sampler).tolist()
        yield [train_set[i] for i in index]


def make_model(classes: list[str], device: torch.device) -> tuple[torch.nn.Module, str]:
    """Step 2: the untrained model on ``device``, and what its weights start from."""
    model = build_model(len(classes), config.IMAGE_SIZE)
    start_from = "random weights"
    if hasattr(model, "load_coco"):  # the pretrained option: fine-tune from COCO when fetched
        start_from = model.load_coco(config.MODEL_DIR)
    return model.to(device), start_from


@dataclass
class Loop:
    """Step 3: optimisation steps on random batches of the training images, with a look at the
    validation images every ``eval_every`` steps to stop as soon as the target is reached."""

    model: torch.nn.Module
    train_set: list[Sample] | None
    val_set: list[Sample]
    classes: list[str]
    device: torch.device
    tracker: ModuleType
    verbose: bool
    # The last validation: (step, (mAP@0.5, AP per class, predictions)), so the final
    # evaluation need not repeat it when training stopped right after it.
    last_validation: tuple[int, tuple] | None = None

    def run(self, settings: Settings) -> tuple[int, list[float], float]:
        """Train; returns (steps done, the loss every ``log_every`` steps, seconds)."""
        s = settings
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=s.lr, weight_decay=1e-4)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=s.lr, total_steps=s.steps)
        batches = training_batches(self.train_set, s.batch_size, s.seed)
        flipper = torch.Generator().manual_seed(s.seed)
        losses: list[float] = []
        start = time.perf_counter()
        step = 0
        for step in range(1, s.steps + 1):
            self.model.train()
            flip = (torch.rand(s.batch_size, generator=flipper) < 0.5).tolist()
            images, targets = to_batch(next(batches), self.device, flip)
            parts = self.model.training_loss(images, targets)
            optimizer.zero_grad(set_to_none=True)
            parts["loss"].backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 10.0)
            optimizer.step()
            schedule.step()
            if step % s.log_every == 0 or step == 1 or step == s.steps:
                losses.append(self.log_losses(step, s.steps, parts, time.perf_counter() - start))
            if self.reached(step, s):
                break
            if s.max_seconds is not None and time.perf_counter() - start > s.max_seconds:
                break
        return step, losses, time.perf_counter() - start

    def log_losses(self, step: int, steps: int, parts: dict[str, torch.Tensor], elapsed: float):
        values = {f"loss_{k}" if k != "loss" else k: v.item() for k, v in parts.items()}
        values["steps_per_second"] = step / elapsed
        self.tracker.log_metrics(values, step=step)
        if self.verbose:
            shown = "  ".join(f"{k} {v:.3f}" for k, v in values.items())
            print(f"step {step:4d}/{steps}  {shown}")
        return values["loss"]

    def reached(self, step: int, s: Settings) -> bool:
        """Every ``eval_every`` steps: has validation mAP@0.5 reached ``target_map``?"""
        if s.target_map is None or not s.eval_every or step % s.eval_every or step == s.steps:
            return False
        found = evaluate_samples(self.model, self.val_set, self.classes, self.device)
        self.last_validation = step, found
        map50 = found[0]
        self.tracker.log_metrics({"val_map50": map50}, step=step)
        if self.verbose:
            print(f"step {step:4d}  validation mAP@0.5 {map50:.3f} (stop at {s.target_map})")
        return map50 >= s.target_map


def save_model(
    model_dir: Path,
    model: torch.nn.Module,
    classes: list[str],
    params: dict[str, Any],
    outcome: TrainReport,
    val_set: list[Sample],
    predictions: list[dict[str, torch.Tensor]],
) -> None:
    """Step 5a: the checkpoint, an example image and metrics.json; their paths go in ``outcome``."""
    model_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = model_dir / CHECKPOINT_FILE
    state = {k: v.cpu() for k, v in model.state_dict().items()}
    torch.save(
        {
            "model": MODEL_NAME,
            "classes": classes,
            "image_size": config.IMAGE_SIZE,
            "state_dict": state,
        },
        checkpoint,
    )
    example = model_dir / EXAMPLE_FILE
    example_image(val_set, predictions, classes).save(example)
    summary = {
        **params,
        "steps_trained": outcome.steps,
        "map50": round(outcome.map50, 4),
        "ap50": {k: None if v is None else round(v, 4) for k, v in outcome.per_class.items()},
        "train_seconds": round(outcome.seconds, 1),
        "steps_per_second": round(outcome.steps_per_second, 2),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "package_version": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    (model_dir / METRICS_FILE).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    outcome.checkpoint, outcome.example = checkpoint, example


def save_report(
    reports_dir: Path,
    outcome: TrainReport,
    params: dict[str, Any],
    val_set: list[Sample],
    predictions: list[dict[str, torch.Tensor]],
    classes: list[str],
) -> tuple[Path, list[Path], Figure]:
    """Step 5b: the README's results (results.json) and its figures; returns what to track."""
    figures_dir = Path(reports_dir) / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    grid = example_image(val_set, predictions, classes, n=8, columns=4)
    grid.save(figures_dir / DETECTIONS_FILE)
    fig = ap_figure(outcome.per_class, outcome.map50)
    fig.savefig(figures_dir / AP_FILE, dpi=110)
    results = results_for_readme(outcome, params)
    results.run_id = outcome.run_id
    results.seconds = outcome.total_seconds
    results.hardware = report.hardware(outcome.device)
    return report.save(results, reports_dir), [figures_dir / DETECTIONS_FILE], fig


def train(
    settings: Settings | None = None,
    *,
    data: str | None = None,
    model_dir: Path | None = config.MODEL_DIR,
    reports_dir: Path | None = report.REPORTS_DIR,
    tracker: ModuleType | None = None,
    verbose: bool = True,
) -> tuple[torch.nn.Module, list[str], TrainReport]:
    """Train the model; save it to ``model_dir`` (None: keep it in memory only) and the
    README's results and figures to ``reports_dir`` (None: write none).

    ``tracker``: None for the project's experiment tracker (tracking.py), or no_tracking to log
    nothing.
    """
    if tracker is None:
        from . import tracking as tracker  # imported only here: loading MLflow takes seconds
    began = time.perf_counter()
    s = settings or Settings()
    seed_everything(s.seed)
    device = pick_device()
    train_set, val_set, classes = load_data(data, s.n_val, s.seed, config.IMAGE_SIZE)
    model, start_from = make_model(classes, device)
    params = {
        "model": MODEL_NAME,
        "data": data or "synthetic-shapes",
        "classes": ",".join(classes),
        "image_size": config.IMAGE_SIZE,
        # Synthetic data: a new batch of images every step.
        "train_images": NEW_EVERY_STEP if train_set is None else len(train_set),
        "val_images": len(val_set),
        "steps": s.steps,
        "batch_size": s.batch_size,
        "lr": s.lr,
        "seed": s.seed,
        "target_map50": s.target_map,
        "device": device.type,
        "parameters": sum(p.numel() for p in model.parameters()),
        "start_from": start_from,
    }
    if verbose:
        print(f"Training {MODEL_NAME} ({params['parameters']:,} parameters) on {device.type}")
        print(f"  {params['data']}: training images {params['train_images']}")
        print(f"  {len(val_set)} validation images")
        print(f"  up to {s.steps} steps x {s.batch_size}, starting from {start_from}")

    with tracker.start_run("train") as run_id:
        tracker.log_params(params)
        loop = Loop(model, train_set, val_set, classes, device, tracker, verbose)
        done, losses, seconds = loop.run(s)

        # Step 4: evaluate on the validation images (done already if training just stopped at
        # the target).
        if loop.last_validation and loop.last_validation[0] == done:
            map50, per_class, predictions = loop.last_validation[1]
        else:
            map50, per_class, predictions = evaluate_samples(model, val_set, classes, device)
        outcome = TrainReport(
            map50=map50,
            per_class=per_class,
            steps=done,
            seconds=seconds,
            steps_per_second=done / seconds,
            losses=losses,
            device=device.type,
            run_id=run_id or "",
        )
        if verbose:
            _print_metrics(map50, per_class, f"validation ({len(val_set)} images)")
            print(f"{done} steps in {seconds:.1f} s ({outcome.steps_per_second:.1f} steps/s)")
        metrics = {"map50": map50, "train_seconds": seconds, "steps_per_second": done / seconds}
        metrics |= {f"ap50_{name}": ap for name, ap in per_class.items() if ap is not None}
        tracker.log_metrics(metrics | {"steps_trained": done})

        # Step 5: save the model and the README's results, and log them.
        if model_dir is not None:
            save_model(Path(model_dir), model, classes, params, outcome, val_set, predictions)
            for path in (outcome.example, Path(model_dir) / METRICS_FILE):
                tracker.log_artifact(path)
            tracker.log_model(
                model_dir, "map50", map50, higher_is_better=True, files=[CHECKPOINT_FILE]
            )
            if verbose:
                print(
                    f"Saved {outcome.checkpoint}, {outcome.example} and {model_dir / METRICS_FILE}"
                )
        if reports_dir is not None:
            outcome.total_seconds = time.perf_counter() - began
            path, figures, fig = save_report(
                Path(reports_dir), outcome, params, val_set, predictions, classes
            )
            for figure in figures:
                tracker.log_artifact(figure)
            tracker.log_figure(fig, AP_FILE)
            tracker.log_artifact(path)
    return model, classes, outcome


def evaluate(
    *,
    model_dir: Path = config.MODEL_DIR,
    n_val: int = config.VAL_IMAGES,
    seed: int = config.SEED,
    data: str | None = None,
    verbose: bool = True,
) -> tuple[float, dict[str, float | None]]:
    """mAP@0.5 of the saved model on the validation images it was not trained on."""
    device = pick_device()
    model, classes, _ = load_checkpoint(Path(model_dir) / CHECKPOINT_FILE, device)
    _, val_set, data_classes = load_data(data, n_val, seed, config.IMAGE_SIZE)
    if data_classes != classes:
        raise ValueError(f"the checkpoint knows {classes}, the data has {data_classes}")
    map50, per_class, _ = evaluate_samples(model, val_set, classes, device)
    if verbose:
        _print_metrics(map50, per_class, f"validation ({len(val_set)} images)")
    return map50, per_class


def _print_metrics(map50: float, per_class: dict[str, float | None], what: str) -> None:
    print(f"mAP@0.5 on {what}: {map50:.3f}")
    for name, ap in per_class.items():
        print(f"  AP@0.5 {name:<12} {'-' if ap is None else f'{ap:.3f}'}")
