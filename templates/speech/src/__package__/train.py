"""`make train` and `make evaluate`.

Training: batches of synthetic clips (or your folder of clips) -> log-mel features -> model ->
CTC loss, for a fixed number of steps with AdamW and a one-cycle learning-rate schedule. Every
EPOCH_STEPS steps the validation clips are transcribed (greedy decoding) and the epoch's CTC
loss, CER and WER are logged; at the end the real-time factor and example transcripts too.
The weights are saved as a state_dict (models/model.pt) beside models/model.json (settings and
results), which the server and `evaluate` load. The figures go to reports/figures/ and the
numbers to reports/results.json, from which `make report` fills the README's results section.

The same code trains on a CUDA GPU when one is available and on the CPU otherwise.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from torch.utils.data import DataLoader

from . import __version__, config, report, tracking
from .data import Example, SyntheticDigits, collate, folder_dataset, split, synthetic_set
from .inference import MODEL_FILE, SETTINGS_FILE, Transcriber, build
from .metrics import cer, wer
from .model import count_parameters

PLOT_FILE = "training.png"
SPECTROGRAM_FILE = "spectrogram.png"
EXAMPLES_FILE = "examples.txt"


@dataclass
class TrainReport:
    history: list[dict[str, float]]  # one row per epoch: epoch, ctc_loss, val_loss, cer, wer
    cer: float
    wer: float
    rtf: float  # seconds of compute per second of audio, on the validation clips
    seconds: float
    examples: list[tuple[str, str]]  # (reference, transcript) of some validation clips
    model_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(config.TORCH_THREADS)


def _loader(examples: list[Example] | None, seed: int, batch_size: int, workers: int):
    """An endless iterator of batches: synthetic clips, or the given clips reshuffled."""
    if examples is None:
        stream = SyntheticDigits(seed, max_digits=config.MAX_DIGITS)
        loader = DataLoader(stream, batch_size=batch_size, collate_fn=collate, num_workers=workers)
        return iter(loader)
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        examples, batch_size=batch_size, shuffle=True, collate_fn=collate, generator=generator
    )
    return cycle_batches(loader)


def cycle_batches(loader: DataLoader):
    # itertools.cycle would replay the first epoch's order; re-iterating reshuffles.
    while True:
        yield from loader


def run_validation(
    transcriber: Transcriber, examples: list[Example], batch_size: int = 32
) -> dict[str, Any]:
    """Transcribe `examples`; CER, WER, mean CTC loss and the real-time factor."""
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    hypotheses, losses, compute = [], [], 0.0
    for start in range(0, len(examples), batch_size):
        batch = collate(examples[start : start + batch_size]).to(transcriber.device)
        begin = time.perf_counter()
        log_probs, out_lengths = transcriber.forward(batch.waves, batch.lengths)
        hypotheses += transcriber.decode(log_probs, out_lengths)
        compute += time.perf_counter() - begin
        loss = ctc(log_probs.transpose(0, 1), batch.targets, out_lengths, batch.target_lengths)
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


def learning_curves(history: list[dict[str, float]]) -> Figure:
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    loss_ax, error_ax = fig.subplots(1, 2)
    epochs = [row["epoch"] for row in history]
    loss_ax.plot(epochs, [row["ctc_loss"] for row in history], label="train")
    loss_ax.plot(epochs, [row["val_loss"] for row in history], label="validation")
    loss_ax.set(title="CTC loss", xlabel="epoch", yscale="log")
    loss_ax.legend()
    error_ax.plot(epochs, [row["cer"] for row in history], label="CER")
    error_ax.plot(epochs, [row["wer"] for row in history], label="WER")
    error_ax.set(title="Validation error rates", xlabel="epoch", ylim=(0, 1))
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
            PLOT_FILE: "CTC loss and validation error rates per epoch",
        },
        notes=[
            f"{clips} validation clips ({params['data']}); {params['steps']} training steps of"
            f" {params['batch_size']} clips on {params['device']}.",
            "Examples: " + ", ".join(pairs) + ".",
        ],
    )


def train(
    *,
    steps: int = config.TRAIN_STEPS,
    rnn: str = config.RNN,
    seed: int = config.SEED,
    data_dir: Path | None = None,
    model_dir: Path | None = config.MODEL_DIR,
    reports_dir: Path | None = report.REPORTS_DIR,
    batch_size: int = config.BATCH_SIZE,
    epoch_steps: int = config.EPOCH_STEPS,
    validation_clips: int = config.VALIDATION_CLIPS,
    learning_rate: float = config.LEARNING_RATE,
    workers: int = 1,
    device: torch.device | None = None,
    track: bool = True,
    verbose: bool = True,
) -> tuple[TrainReport, Transcriber]:
    """Train a model; save it to `model_dir` and the results to `reports_dir` (unless None), and
    log the run (unless not `track`)."""
    seed_everything(seed)
    device = device or pick_device()
    started = time.perf_counter()
    if data_dir is None:
        train_examples = None  # synthesised on the fly
        validation = synthetic_set(validation_clips, seed + 1, max_digits=config.MAX_DIGITS)
        data_info = {"data": "synthetic digits", "max_digits": config.MAX_DIGITS}
    else:
        train_examples, validation = split(folder_dataset(data_dir, config.SAMPLE_RATE))
        data_info = {"data": str(data_dir), "clips": len(train_examples) + len(validation)}
    settings = {
        "rnn": rnn,
        "channels": config.CHANNELS,
        "hidden": config.HIDDEN,
        "layers": config.RNN_LAYERS,
        "sample_rate": config.SAMPLE_RATE,
    }
    transcriber = build(settings, device)
    model = transcriber.model
    params = {
        **settings,
        **data_info,
        "steps": steps,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "device": device.type,
        "parameters": count_parameters(model),
    }
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=learning_rate, total_steps=steps, pct_start=0.15
    )
    ctc = torch.nn.CTCLoss(zero_infinity=True)  # blank = 0
    batches = _loader(train_examples, seed, batch_size, workers)
    history: list[dict[str, float]] = []
    losses: list[float] = []

    run = tracking.start_run("train") if track else _no_run()
    with run as run_id:
        if track:
            tracking.log_params(params)
        if verbose:
            print(
                f"Training the {rnn.upper()} model ({params['parameters']:,} parameters) on "
                f"{data_info['data']} for {steps} steps on {device.type}"
            )
        for step in range(1, steps + 1):
            model.train()
            batch = next(batches).to(device)
            log_probs, out_lengths = transcriber.forward(batch.waves, batch.lengths)
            # CTCLoss wants (time, batch, vocab).
            loss = ctc(log_probs.transpose(0, 1), batch.targets, out_lengths, batch.target_lengths)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # RNNs can spike
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            if step % epoch_steps == 0 or step == steps:
                model.eval()
                with torch.no_grad():
                    result = run_validation(transcriber, validation)
                row = {
                    "epoch": len(history) + 1,
                    "ctc_loss": float(np.mean(losses)),
                    "val_loss": result["val_loss"],
                    "cer": result["cer"],
                    "wer": result["wer"],
                }
                history.append(row)
                losses = []
                if track:
                    tracking.log_metrics(
                        {k: v for k, v in row.items() if k != "epoch"}, step=row["epoch"]
                    )
                if verbose:
                    print(
                        f"epoch {row['epoch']:3d}  step {step:4d}  ctc_loss {row['ctc_loss']:.3f}"
                        f"  val_loss {row['val_loss']:.3f}  CER {row['cer']:.3f}"
                        f"  WER {row['wer']:.3f}  ({time.perf_counter() - started:.0f} s)"
                    )
        seconds = time.perf_counter() - started
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
        )
        if verbose:
            print(
                f"CER {outcome.cer:.4f}  WER {outcome.wer:.4f}  real-time factor "
                f"{outcome.rtf:.4f}  trained in {seconds:.1f} s"
            )
            print(f'example: "{reference}" -> "{hypothesis}"')
        if model_dir is not None:
            _save(transcriber, outcome, params)
        if track:
            tracking.log_metrics(
                {
                    "final_cer": outcome.cer,
                    "final_wer": outcome.wer,
                    "rtf": outcome.rtf,
                    "train_seconds": seconds,
                }
            )
            tracking.set_tags({"example_transcript": f"{reference} -> {hypothesis}"})
            if model_dir is not None:
                tracking.log_artifact(Path(model_dir) / EXAMPLES_FILE)
                tracking.log_model(
                    model_dir, "final_cer", outcome.cer, files=[MODEL_FILE, SETTINGS_FILE]
                )
        figures = {
            SPECTROGRAM_FILE: spectrogram_figure(transcriber, validation[0], hypothesis),
            PLOT_FILE: learning_curves(history),
        }
        for name, fig in figures.items():
            if track:
                tracking.log_figure(fig, name)
            if reports_dir is not None:
                (Path(reports_dir) / "figures").mkdir(parents=True, exist_ok=True)
                fig.savefig(Path(reports_dir) / "figures" / name, dpi=110)
        if reports_dir is not None:
            results = results_for_readme(outcome, params, len(validation), rnn)
            results.run_id = run_id or ""
            results.seconds = seconds
            results.hardware = report.hardware(device.type)
            path = report.save(results, reports_dir)
            if track:
                tracking.log_artifact(path)
    return outcome, transcriber


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


class _no_run:  # noqa: N801 (a stand-in for tracking.start_run)
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


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
