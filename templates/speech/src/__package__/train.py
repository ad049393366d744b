"""`make train` and `make evaluate`.

Training, in the steps `train()` names:
1. data: new synthetic clips for every batch (a DataLoader worker makes them from the seed and
   computes their log-mel features), or your folder of clips turned into features once;
   validation clips the training never sees (another seed, or every 10th clip of your folder);
2. model: the network, AdamW and a one-cycle learning-rate schedule;
3. loop: batches of features -> model -> CTC loss; every EVAL_EVERY steps
   the validation clips are transcribed (greedy decoding) and CTC loss, CER and WER logged.
   Training stops early once the validation CER reaches TARGET_CER, else after MAX_STEPS;
4. results: the model is saved as a state_dict (models/model.pt) beside models/model.json
   (settings and results), which the server and `evaluate` load; the figures go to
   reports/figures/ and the numbers to reports/results.json, from which `make report` fills the
   README's results section. Everything is logged to the experiment tracker.

The same code trains on a CUDA GPU when one is available and on the CPU otherwise.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from torch.utils.data import DataLoader

from . import __version__, config, report, tracking
from .data import Example, SyntheticDigits, collate, folder_dataset, split, synthetic_set
from .features import LogMel, num_frames
from .inference import MODEL_FILE, SETTINGS_FILE, Transcriber, build
from .metrics import cer, wer
from .model import count_parameters

PLOT_FILE = "training.png"
SPECTROGRAM_FILE = "spectrogram.png"
EXAMPLES_FILE = "examples.txt"


@dataclass(frozen=True)
class Plan:
    """How long and how hard to train (config.py holds the defaults)."""

    max_steps: int = config.MAX_STEPS
    target_cer: float = config.TARGET_CER  # stop at the first validation this good; 0: never
    eval_every: int = config.EVAL_EVERY
    batch_size: int = config.BATCH_SIZE
    learning_rate: float = config.LEARNING_RATE
    workers: int = 1  # DataLoader workers synthesising clips (0: in the training process)
    validation_clips: int = config.VALIDATION_CLIPS


@dataclass
class TrainReport:
    history: list[dict[str, float]]  # one row per validation: step, ctc_loss, val_loss, cer, wer
    cer: float
    wer: float
    rtf: float  # seconds of compute per second of audio, on the validation clips
    seconds: float
    examples: list[tuple[str, str]]  # (reference, transcript) of some validation clips
    model_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)
    steps: int = 0  # steps trained: fewer than the plan's max_steps when it stopped early


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(config.TORCH_THREADS)


# --- 1. data ---------------------------------------------------------------------------------


@dataclass
class FeatureSet:
    """Your clips as log-mel features, computed once: a step only picks and pads them."""

    features: list[torch.Tensor]  # one (frames, mels) tensor per clip
    targets: list[torch.Tensor]  # label ids per clip

    def batch(self, indices: list[int], device: torch.device):
        feats = torch.nn.utils.rnn.pad_sequence(
            [self.features[i] for i in indices], batch_first=True, padding_value=-1.0
        )  # -1 is the features' floor: what silence (the padding of a wave batch) gives
        frames = torch.tensor([len(self.features[i]) for i in indices])
        labels = [self.targets[i] for i in indices]
        target_lengths = torch.tensor([len(x) for x in labels])
        return feats.to(device), frames.to(device), torch.cat(labels), target_lengths


def load_data(
    data_dir: Path | None, seed: int, plan: Plan
) -> tuple[list[Example] | None, list[Example], dict[str, Any]]:
    """Training clips (None: synthesised batch by batch), validation clips, and a description
    of them for the tracker."""
    if data_dir is None:
        # Another seed: validation clips are never among the training clips.
        validation = synthetic_set(plan.validation_clips, seed + 1, max_digits=config.MAX_DIGITS)
        return None, validation, {"data": "synthetic digits", "max_digits": config.MAX_DIGITS}
    train_set, validation = split(folder_dataset(data_dir, config.SAMPLE_RATE))
    return train_set, validation, {"data": str(data_dir), "clips": len(train_set) + len(validation)}


def feature_batches(
    transcriber: Transcriber, examples: list[Example] | None, seed: int, plan: Plan
) -> Iterator[tuple[torch.Tensor, ...]]:
    """Endless batches of (features, frames, targets, target lengths).

    Synthetic data: new clips for every batch, so no clip is seen twice (a fixed set of 1,000
    clips made once was tried: the GRU overfitted it and stayed at CER 0.05). Your folder: its
    features are computed once and reshuffled every pass.
    """
    device = transcriber.device
    if examples is None:
        stream = SyntheticDigits(seed, max_digits=config.MAX_DIGITS)
        # The worker also computes the features (on the CPU), so the training process only
        # trains: synthesis and the STFT together cost less than a model step.
        to_features = partial(synthetic_features, LogMel(config.SAMPLE_RATE))
        loader = DataLoader(
            stream, batch_size=plan.batch_size, collate_fn=to_features, num_workers=plan.workers
        )
        for batch in loader:
            yield tuple(tensor.to(device) for tensor in batch)
    cached = cache_features(transcriber, examples)
    for indices in shuffled_batches(len(cached.features), plan.batch_size, seed):
        yield cached.batch(indices, device)


def synthetic_features(log_mel: LogMel, examples: list[Example]) -> tuple[torch.Tensor, ...]:
    """A batch of clips -> (features, frames, targets, target lengths), in the worker."""
    batch = collate(examples)
    with torch.no_grad():
        feats = log_mel(batch.waves, batch.lengths)
    return feats, num_frames(batch.lengths), batch.targets, batch.target_lengths


def cache_features(transcriber: Transcriber, examples: list[Example], chunk: int = 64):
    """Log-mel features of every clip, computed in batches once (the STFT is not learned)."""
    features, targets = [], []
    for start in range(0, len(examples), chunk):
        batch = collate(examples[start : start + chunk]).to(transcriber.device)
        with torch.no_grad():
            feats = transcriber.features(batch.waves, batch.lengths)
        for i, frames in enumerate(num_frames(batch.lengths).tolist()):
            features.append(feats[i, :frames])
        targets += list(torch.split(batch.targets.cpu(), batch.target_lengths.tolist()))
    return FeatureSet(features, targets)


def shuffled_batches(size: int, batch_size: int, seed: int):
    """Endless batches of indices: each pass over the set in a new (seeded) order."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(size, generator=generator).tolist()
        for start in range(0, size - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


# --- 3. loop ---------------------------------------------------------------------------------


def train_loop(
    transcriber: Transcriber,
    batches: Iterator[tuple[torch.Tensor, ...]],
    validation: list[Example],
    plan: Plan,
    tracker: ModuleType,
    say,
) -> tuple[list[dict[str, float]], dict[str, Any], int]:
    """Train until the validation CER reaches plan.target_cer or plan.max_steps have run.
    Returns the history, the last validation and the number of steps trained."""
    model = transcriber.model
    optimizer = torch.optim.AdamW(model.parameters(), lr=plan.learning_rate)
    # One cycle: warm up, then anneal over max_steps. A high peak learning rate gets through
    # CTC's all-blank stage quickly; an early stop simply leaves the rest of the cycle unused.
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=plan.learning_rate, total_steps=plan.max_steps, pct_start=0.15
    )
    ctc = torch.nn.CTCLoss(zero_infinity=True)  # blank = 0
    history: list[dict[str, float]] = []
    losses: list[float] = []
    started = time.perf_counter()
    for step in range(1, plan.max_steps + 1):
        model.train()
        feats, frames, targets, target_lengths = next(batches)
        log_probs, out_lengths = model(feats, frames)
        # CTCLoss wants (time, batch, vocab).
        loss = ctc(log_probs.transpose(0, 1), targets, out_lengths, target_lengths)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # RNNs can spike
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if step % plan.eval_every and step < plan.max_steps:
            continue
        result = run_validation(transcriber, validation)
        row = {"step": step, "ctc_loss": float(np.mean(losses)), **_rates(result)}
        history.append(row)
        losses = []
        tracker.log_metrics({k: v for k, v in row.items() if k != "step"}, step=step)
        say(
            f"step {step:4d}  ctc_loss {row['ctc_loss']:.3f}  val_loss {row['val_loss']:.3f}"
            f"  CER {row['cer']:.3f}  WER {row['wer']:.3f}  ({time.perf_counter() - started:.0f} s)"
        )
        if result["cer"] <= plan.target_cer:
            say(f"validation CER {result['cer']:.4f} <= {plan.target_cer}: stopping")
            break
    return history, result, step


def _rates(result: dict[str, Any]) -> dict[str, float]:
    return {key: result[key] for key in ("val_loss", "cer", "wer")}


# --- evaluate --------------------------------------------------------------------------------


def run_validation(
    transcriber: Transcriber, examples: list[Example], batch_size: int = 50
) -> dict[str, Any]:
    """Transcribe `examples`; CER, WER, mean CTC loss and the real-time factor."""
    transcriber.model.eval()
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    hypotheses, losses, compute = [], [], 0.0
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            batch = collate(examples[start : start + batch_size]).to(transcriber.device)
            begin = time.perf_counter()
            log_probs, out_lengths = transcriber.forward(batch.waves, batch.lengths)
            hypotheses += transcriber.decode(log_probs, out_lengths)
            compute += time.perf_counter() - begin
            targets, target_lengths = batch.targets, batch.target_lengths
            loss = ctc(log_probs.transpose(0, 1), targets, out_lengths, target_lengths)
            losses.append(float(loss))
    references = [collate([ex]).texts[0] for ex in examples]
    audio_seconds = sum(len(wave) for wave, _ in examples) / config.SAMPLE_RATE
    return {
        "cer": cer(references, hypotheses),
        "wer": wer(references, hypotheses),
        "val_loss": float(np.mean(losses)),
        "rtf": compute / audio_seconds,
        "examples": list(zip(references, hypotheses, strict=True)),
    }


# --- 4. results (figures, README, model files) -----------------------------------------------


def learning_curves(history: list[dict[str, float]]) -> Figure:
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    loss_ax, error_ax = fig.subplots(1, 2)
    steps = [row["step"] for row in history]
    loss_ax.plot(steps, [row["ctc_loss"] for row in history], label="train")
    loss_ax.plot(steps, [row["val_loss"] for row in history], label="validation")
    loss_ax.set(title="CTC loss", xlabel="training step", yscale="log")
    loss_ax.legend()
    error_ax.plot(steps, [row["cer"] for row in history], label="CER")
    error_ax.plot(steps, [row["wer"] for row in history], label="WER")
    error_ax.set(title="Validation error rates", xlabel="training step", ylim=(0, 1))
    error_ax.legend()
    for ax in (loss_ax, error_ax):
        ax.grid(alpha=0.3)
    return fig


def spectrogram_figure(transcriber: Transcriber, example: Example, transcript: str) -> Figure:
    """What the model hears: one validation clip's log-mel features, and what it decoded."""
    wave, _ = example
    waves = torch.as_tensor(np.asarray(wave, dtype=np.float32))[None].to(transcriber.device)
    with torch.no_grad():
        features = transcriber.features(waves).cpu().numpy()[0]  # (frames, mel bands)
    seconds = len(wave) / config.SAMPLE_RATE
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(
        features.T,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0, seconds, 0, len(features.T)),
    )
    fig.colorbar(image, ax=ax, label="scaled log energy")
    reference = collate([example]).texts[0]
    ax.set(
        xlabel="seconds", ylabel="mel band", title=f'Heard "{reference}", decoded "{transcript}"'
    )
    return fig


def results_for_readme(
    result: TrainReport, params: dict[str, Any], clips: int, rnn: str
) -> report.Results:
    """The README's view of this run: error rates on validation clips, next to an empty answer."""
    pairs = [f'"{ref}" -> "{hyp}"' for ref, hyp in result.examples[:3]]
    return report.Results(
        headline=(
            f"The {rnn.upper()} model transcribes validation clips it never trained on with a"
            f" character error rate of {result.cer:.2%} and a word error rate of {result.wer:.2%}."
        ),
        columns=["validation metric", "this model", "reference"],
        rows=[
            ["character error rate (CER)", f"{result.cer:.4f}", "1.0000 for an empty transcript"],
            ["word error rate (WER)", f"{result.wer:.4f}", "1.0000 for an empty transcript"],
            ["real-time factor", f"{result.rtf:.4f}", "below 1 is faster than real time"],
            ["parameters", f"{params['parameters']:,}", "-"],
        ],
        figures={
            SPECTROGRAM_FILE: "Log-mel spectrogram of a validation clip with its transcript",
            PLOT_FILE: "CTC loss and validation error rates during training",
        },
        notes=[
            f"{clips} validation clips ({params['data']}); {params['steps']} training steps of"
            f" {params['batch_size']} clips on {params['device']}"
            f" (stopping at a validation CER of {params['target_cer']} or after"
            f" {params['max_steps']} steps).",
            "Examples: " + ", ".join(pairs) + ".",
        ],
    )


def train(
    *,
    rnn: str = config.RNN,
    seed: int = config.SEED,
    data_dir: Path | None = None,
    plan: Plan = Plan(),
    model_dir: Path | None = config.MODEL_DIR,
    reports_dir: Path | None = report.REPORTS_DIR,
    tracker: ModuleType = tracking,
    verbose: bool = True,
) -> tuple[TrainReport, Transcriber]:
    """Train a model; save it to `model_dir` and the results to `reports_dir` (unless None).
    The run is logged to `tracker` (the project's tracking module; no_tracking logs nothing)."""
    say = print if verbose else _quiet
    started = time.perf_counter()
    seed_everything(seed)
    device = pick_device()

    # 2. model (first: its feature extractor is needed to cache the data)
    settings = {
        "rnn": rnn,
        "channels": config.CHANNELS,
        "hidden": config.HIDDEN,
        "layers": config.RNN_LAYERS,
        "sample_rate": config.SAMPLE_RATE,
    }
    transcriber = build(settings, device)

    # 1. data
    train_clips, validation, data_info = load_data(data_dir, seed, plan)
    batches = feature_batches(transcriber, train_clips, seed, plan)
    params = {
        **settings,
        **data_info,
        "max_steps": plan.max_steps,
        "target_cer": plan.target_cer,
        "batch_size": plan.batch_size,
        "learning_rate": plan.learning_rate,
        "seed": seed,
        "device": device.type,
        "parameters": count_parameters(transcriber.model),
    }

    with tracker.start_run("train") as run_id:
        tracker.log_params(params)
        say(
            f"Training the {rnn.upper()} model ({params['parameters']:,} parameters) on"
            f" {data_info['data']} for up to {plan.max_steps} steps on {device.type}"
        )
        # 3. loop
        history, result, steps = train_loop(transcriber, batches, validation, plan, tracker, say)
        seconds = time.perf_counter() - started
        params["steps"] = steps
        reference, hypothesis = result["examples"][0]
        outcome = TrainReport(
            history=history,
            cer=result["cer"],
            wer=result["wer"],
            rtf=result["rtf"],
            seconds=seconds,
            examples=result["examples"][:10],
            model_dir=Path(model_dir) if model_dir else Path(),
            settings=settings,
            steps=steps,
        )
        say(
            f"CER {outcome.cer:.4f}  WER {outcome.wer:.4f}  real-time factor "
            f"{outcome.rtf:.4f}  trained {steps} steps in {seconds:.1f} s"
        )
        say(f'example: "{reference}" -> "{hypothesis}"')

        # 4. results
        save_results(
            transcriber, outcome, params, validation, tracker, run_id, model_dir, reports_dir
        )
    return outcome, transcriber


def save_results(
    transcriber: Transcriber,
    outcome: TrainReport,
    params: dict[str, Any],
    validation: list[Example],
    tracker: ModuleType,
    run_id: str,
    model_dir: Path | None,
    reports_dir: Path | None,
) -> None:
    """Step 4: final metrics to the tracker, the model files, the figures and results.json."""
    reference, hypothesis = outcome.examples[0]
    device = transcriber.device
    tracker.log_params({"steps": outcome.steps})
    tracker.log_metrics(
        {
            "final_cer": outcome.cer,
            "final_wer": outcome.wer,
            "rtf": outcome.rtf,
            "train_seconds": outcome.seconds,
        }
    )
    tracker.set_tags({"example_transcript": f"{reference} -> {hypothesis}"})
    if model_dir is not None:
        _save(transcriber, outcome, params)
        for name in (MODEL_FILE, SETTINGS_FILE, EXAMPLES_FILE):
            tracker.log_artifact(Path(model_dir) / name)
        tracker.log_model(model_dir, "final_cer", outcome.cer, files=[MODEL_FILE, SETTINGS_FILE])
    figures = {
        SPECTROGRAM_FILE: spectrogram_figure(transcriber, validation[0], hypothesis),
        PLOT_FILE: learning_curves(outcome.history),
    }
    for name, fig in figures.items():
        if reports_dir is None:
            tracker.log_figure(fig, name)
            continue
        # Drawn once: the saved file is what the tracker logs (drawing a figure takes longer
        # than writing it).
        path = Path(reports_dir) / "figures" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        tracker.log_artifact(path)
    if reports_dir is not None:
        results = results_for_readme(outcome, params, len(validation), params["rnn"])
        results.run_id = run_id or ""
        results.seconds = outcome.seconds
        results.hardware = report.hardware(device.type)
        tracker.log_artifact(report.save(results, reports_dir))


def _quiet(*args: object) -> None:
    pass


def _save(transcriber: Transcriber, outcome: TrainReport, params: dict[str, Any]) -> None:
    model_dir = Path(outcome.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    # A state_dict (tensors only), not the pickled module: loading it with weights_only=True
    # cannot run code, and it survives refactoring the class.
    torch.save(transcriber.model.state_dict(), model_dir / MODEL_FILE)
    metadata = {
        "settings": outcome.settings,
        "params": params,
        "metrics": {
            "cer": round(outcome.cer, 4),
            "wer": round(outcome.wer, 4),
            "rtf": round(outcome.rtf, 5),
            "train_seconds": round(outcome.seconds, 1),
        },
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "package_version": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    (model_dir / SETTINGS_FILE).write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")
    lines = [f"{ref!r} -> {hyp!r}" for ref, hyp in outcome.examples]
    (model_dir / EXAMPLES_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def evaluate(
    *,
    model_dir: Path = config.MODEL_DIR,
    data_dir: Path | None = None,
    clips: int = config.VALIDATION_CLIPS,
    beam_width: int = 8,
    verbose: bool = True,
) -> dict[str, float]:
    """Transcribe held-out clips with the saved model: greedy and beam-search CER/WER, RTF."""
    transcriber = Transcriber.load(model_dir)
    if data_dir is None:
        # A seed the training run never used, so these clips are new to the model.
        examples = synthetic_set(clips, config.SEED + 2, max_digits=config.MAX_DIGITS)
    else:
        _, examples = split(folder_dataset(data_dir, config.SAMPLE_RATE))
    with torch.no_grad():
        greedy = run_validation(transcriber, examples)
        references = [ref for ref, _ in greedy["examples"]]
        beam = [transcriber.transcribe(wave, beam_width=beam_width) for wave, _ in examples]
    metrics = {
        "cer": greedy["cer"],
        "wer": greedy["wer"],
        "beam_cer": cer(references, beam),
        "beam_wer": wer(references, beam),
        "rtf": greedy["rtf"],
    }
    with tracking.start_run("evaluate"):
        tracking.log_params(
            {
                "clips": len(examples),
                "beam_width": beam_width,
                "data": str(data_dir or "synthetic digits"),
            }
        )
        tracking.log_metrics(metrics)
    if verbose:
        print(
            f"{len(examples)} clips: greedy CER {metrics['cer']:.4f} WER {metrics['wer']:.4f}"
            f" | beam({beam_width}) CER {metrics['beam_cer']:.4f} WER {metrics['beam_wer']:.4f}"
            f" | real-time factor {metrics['rtf']:.4f}"
        )
    return metrics
