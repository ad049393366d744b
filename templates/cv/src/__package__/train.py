"""`make train` and `make evaluate`.

1. Data: ``TRAIN_IMAGES`` synthetic shapes images for training and ``VAL_IMAGES`` others (another
   seed) for validation, or your own YOLO/COCO data split 80/20 (``--data``).
2. Train for a fixed number of steps with AdamW and a one-cycle learning-rate schedule, on the
   GPU when there is one and on the CPU otherwise (the same code). Random horizontal flips.
3. Measure mAP@0.5 (and AP per class) on the validation images, draw the predictions on a few of
   them, save the checkpoint to models/ and log params, losses, metrics, steps per second and the
   example image to the experiment tracker.
"""

from __future__ import annotations

import json
import platform
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from . import __version__, config, report, tracking
from .data import CLASSES, Sample, load_dataset, synthetic_shapes
from .draw import draw_detections
from .metrics import mean_average_precision
from .models import MODEL_NAME, build_model
from .predict import CHECKPOINT_FILE, detections_from, load_checkpoint

METRICS_FILE = "metrics.json"
EXAMPLE_FILE = "example_prediction.png"
DETECTIONS_FILE = "detections.png"
AP_FILE = "ap_per_class.png"
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
            f"Trained from {params['start_from']} on {params['data']}"
            f" ({params['train_images']} images of {params['image_size']} px):"
            f" {outcome.steps} steps of {params['batch_size']} images.",
        ],
    )


def load_data(data: str | None, n_train: int, n_val: int, seed: int, size: int):
    """(train samples, validation samples, class names)."""
    if data is None:
        # Different seeds: the validation images are never seen in training.
        train_set = synthetic_shapes(n_train, seed=seed, size=size)
        return train_set, synthetic_shapes(n_val, seed=seed + 10_000, size=size), list(CLASSES)
    samples, classes = load_dataset(data, size)
    order = np.random.default_rng(seed).permutation(len(samples))
    cut = max(1, int(0.8 * len(samples)))
    return [samples[i] for i in order[:cut]], [samples[i] for i in order[cut:]], classes


def train(
    *,
    steps: int = config.TRAIN_STEPS,
    batch_size: int = config.BATCH_SIZE,
    lr: float = config.LEARNING_RATE,
    n_train: int = config.TRAIN_IMAGES,
    n_val: int = config.VAL_IMAGES,
    seed: int = config.SEED,
    data: str | None = None,
    model_dir: Path | None = config.MODEL_DIR,
    reports_dir: Path | None = report.REPORTS_DIR,
    max_seconds: float | None = None,
    track: bool = True,
    verbose: bool = True,
    log_every: int = 25,
) -> tuple[torch.nn.Module, list[str], TrainReport]:
    """Train the model; save it to ``model_dir`` (None: keep it in memory only) and the
    README's results and figures to ``reports_dir`` (None: write none).

    ``max_seconds`` stops early when time runs out (how `serve` trains a quick model when there
    is no checkpoint). ``track=False`` logs nothing to the experiment tracker.
    """
    began = time.perf_counter()
    seed_everything(seed)
    device = pick_device()
    size = config.IMAGE_SIZE
    train_set, val_set, classes = load_data(data, n_train, n_val, seed, size)
    model = build_model(len(classes), size)
    start_from = "random weights"
    if hasattr(model, "load_coco"):  # the pretrained option: fine-tune from COCO when fetched
        start_from = model.load_coco(config.MODEL_DIR)
    model = model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    sampler = torch.Generator().manual_seed(seed)
    n_params = sum(p.numel() for p in model.parameters())
    params = {
        "model": MODEL_NAME,
        "data": data or "synthetic-shapes",
        "classes": ",".join(classes),
        "image_size": size,
        "train_images": len(train_set),
        "val_images": len(val_set),
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "device": device.type,
        "parameters": n_params,
        "start_from": start_from,
    }
    if verbose:
        print(f"Training {MODEL_NAME} ({n_params:,} parameters) on {device.type}: {params['data']}")
        print(f"  {len(train_set)} train / {len(val_set)} val images, {steps} steps x {batch_size}")
        print(f"  starting from {start_from}")

    run = tracking.start_run("train") if track else nullcontext()
    with run as run_id:
        if track:
            tracking.log_params(params)
        losses: list[float] = []
        start = time.perf_counter()
        done = 0
        for step in range(1, steps + 1):
            model.train()
            index = torch.randint(len(train_set), (batch_size,), generator=sampler).tolist()
            flip = (torch.rand(batch_size, generator=sampler) < 0.5).tolist()
            images, targets = to_batch([train_set[i] for i in index], device, flip)
            parts = model.training_loss(images, targets)
            optimizer.zero_grad(set_to_none=True)
            parts["loss"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
            schedule.step()
            done = step
            if step % log_every == 0 or step == 1 or step == steps:
                elapsed = time.perf_counter() - start
                values = {f"loss_{k}" if k != "loss" else k: v.item() for k, v in parts.items()}
                values["steps_per_second"] = step / elapsed
                losses.append(values["loss"])
                if track:
                    tracking.log_metrics(values, step=step)
                if verbose:
                    shown = "  ".join(f"{k} {v:.3f}" for k, v in values.items())
                    print(f"step {step:4d}/{steps}  {shown}")
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                break
        seconds = time.perf_counter() - start

        map50, per_class, predictions = evaluate_samples(model, val_set, classes, device)
        outcome = TrainReport(
            map50=map50,
            per_class=per_class,
            steps=done,
            seconds=seconds,
            steps_per_second=done / seconds,
            losses=losses,
            device=device.type,
        )
        if verbose:
            _print_metrics(map50, per_class, f"validation ({len(val_set)} images)")
            print(f"{done} steps in {seconds:.1f} s ({outcome.steps_per_second:.1f} steps/s)")
        metrics = {"map50": map50, "train_seconds": seconds, "steps_per_second": done / seconds}
        metrics |= {f"ap50_{name}": ap for name, ap in per_class.items() if ap is not None}
        if track:
            tracking.log_metrics(metrics)
        if model_dir is not None:
            model_dir = Path(model_dir)
            model_dir.mkdir(parents=True, exist_ok=True)
            checkpoint = model_dir / CHECKPOINT_FILE
            state = {k: v.cpu() for k, v in model.state_dict().items()}
            torch.save(
                {"model": MODEL_NAME, "classes": classes, "image_size": size, "state_dict": state},
                checkpoint,
            )
            example = model_dir / EXAMPLE_FILE
            example_image(val_set, predictions, classes).save(example)
            summary = {
                **params,
                "map50": round(map50, 4),
                "ap50": {k: None if v is None else round(v, 4) for k, v in per_class.items()},
                "train_seconds": round(seconds, 1),
                "steps_per_second": round(done / seconds, 2),
                "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "package_version": __version__,
                "python": platform.python_version(),
                "torch": torch.__version__,
            }
            (model_dir / METRICS_FILE).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
            outcome.checkpoint, outcome.example = checkpoint, example
            if track:
                tracking.log_artifact(example)
                tracking.log_artifact(model_dir / METRICS_FILE)
                tracking.log_model(
                    model_dir, "map50", map50, higher_is_better=True, files=[CHECKPOINT_FILE]
                )
            if verbose:
                print(f"Saved {checkpoint}, {example} and {model_dir / METRICS_FILE}")
        if reports_dir is not None:
            figures_dir = Path(reports_dir) / "figures"
            figures_dir.mkdir(parents=True, exist_ok=True)
            grid = example_image(val_set, predictions, classes, n=8, columns=4)
            grid.save(figures_dir / DETECTIONS_FILE)
            fig = ap_figure(per_class, map50)
            fig.savefig(figures_dir / AP_FILE, dpi=110)
            results = results_for_readme(outcome, params)
            results.run_id = run_id or ""
            results.seconds = time.perf_counter() - began
            results.hardware = report.hardware(device.type)
            path = report.save(results, reports_dir)
            if track:
                tracking.log_artifact(figures_dir / DETECTIONS_FILE)
                tracking.log_figure(fig, AP_FILE)
                tracking.log_artifact(path)
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
    _, val_set, data_classes = load_data(data, 0, n_val, seed, config.IMAGE_SIZE)
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
