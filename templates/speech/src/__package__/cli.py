"""Command line: `python -m <package> train|evaluate|serve|data|synth|transcribe`.

Heavy imports (torch, the tracker, the audio library) happen inside each command, so `--help`
is instant.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from . import config
from .cli_common import add_server_options, run_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=__package__, description="Speech-to-text with CTC")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train on synthetic digits (or --data FOLDER)")
    train.add_argument(
        "--steps",
        type=int,
        default=config.MAX_STEPS,
        help="most training steps (it stops earlier at the target CER)",
    )
    # make train RNN=lstm DATA=data/fsdd passes these through the environment.
    train.add_argument(
        "--rnn", choices=("gru", "lstm"), default=os.environ.get("TRAIN_RNN") or config.RNN
    )
    train.add_argument(
        "--data",
        type=Path,
        default=os.environ.get("TRAIN_DATA") or None,
        help="folder of clips + transcripts (e.g. data/fsdd); default: synthetic digits",
    )
    train.add_argument("--seed", type=int, default=config.SEED)

    evaluate = commands.add_parser("evaluate", help="greedy and beam-search CER/WER of the model")
    evaluate.add_argument("--data", type=Path, help="folder of clips + transcripts")
    evaluate.add_argument("--beam", type=int, default=8, help="beam width")

    serve = commands.add_parser("serve", help="start the upload page and JSON API")
    add_server_options(serve)

    data = commands.add_parser("data", help="download the Free Spoken Digit Dataset (network)")
    data.add_argument("--out", type=Path, default=config.DATA_DIR)

    synth = commands.add_parser("synth", help="write a synthetic clip of spoken digits (WAV)")
    synth.add_argument(
        "--digits",
        type=int,
        nargs="+",
        required=True,
        choices=range(10),
        metavar="D",
        help="digits to say, e.g. --digits 4 2 7",
    )
    synth.add_argument("--out", type=Path, required=True, help="output .wav or .flac file")
    synth.add_argument("--seed", type=int, default=42)
    synth.add_argument("--sample-rate", type=int, default=config.SAMPLE_RATE)
    synth.add_argument("--channels", type=int, default=1, choices=(1, 2))

    transcribe = commands.add_parser("transcribe", help="transcribe audio files")
    transcribe.add_argument("files", type=Path, nargs="+")
    transcribe.add_argument("--beam", type=int, default=0, help="beam width (0: greedy)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(run, args)


def run(args: argparse.Namespace) -> None:
    if args.command == "train":
        from .train import Plan, train

        train(rnn=args.rnn, data_dir=args.data, seed=args.seed, plan=Plan(max_steps=args.steps))
    elif args.command == "evaluate":
        from .train import evaluate

        evaluate(data_dir=args.data, beam_width=args.beam)
    elif args.command == "serve":
        from .api import serve

        serve(host=args.host, port=args.port)
    elif args.command == "data":
        from .data import download_fsdd

        count = download_fsdd(args.out)
        print(f"Wrote {count} clips and transcripts.csv to {args.out}")
        print(f"Train on them: make train DATA={args.out}")
    elif args.command == "synth":
        write_synthetic_clip(args)
    elif args.command == "transcribe":
        from .audio import load_clip
        from .inference import Transcriber

        transcriber = Transcriber.load(config.MODEL_DIR)
        for path in args.files:
            text = transcriber.transcribe(load_clip(path, config.SAMPLE_RATE), args.beam)
            print(f"{path}\t{text}")


def write_synthetic_clip(args: argparse.Namespace) -> None:
    import numpy as np
    import soundfile as sf

    from .audio import resample
    from .synth import synthesize
    from .text import digits_to_text

    samples = synthesize(args.digits, np.random.default_rng(args.seed))
    samples = resample(samples, config.SAMPLE_RATE, args.sample_rate)
    if args.channels == 2:
        samples = np.stack([samples, samples], axis=1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(args.out, samples, args.sample_rate)
    print(f"Wrote {args.out}: {digits_to_text(args.digits)!r}")
