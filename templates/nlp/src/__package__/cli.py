"""Command line: `python -m <package> train|evaluate|serve|chat` (the Makefile calls these).

Heavy imports (the classifier's library, the tracker) happen inside each command, so `--help`
is instant and `serve` does not load the experiment tracker.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from . import config
from .cli_common import add_server_options, run_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=__package__, description="Intent chatbot")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train the classifier, evaluate it, save models/")
    train.add_argument("--model-dir", type=Path, default=config.MODEL_DIR)

    evaluate = commands.add_parser("evaluate", help="measure the saved model on held-out data")
    evaluate.add_argument("--model-dir", type=Path, default=config.MODEL_DIR)

    serve = commands.add_parser("serve", help="start the chat page and JSON API")
    add_server_options(serve)

    chat = commands.add_parser("chat", help="chat in the terminal")
    chat.add_argument("--model-dir", type=Path, default=config.MODEL_DIR)
    chat.add_argument("--quiet", action="store_true", help="hide the intent and entities")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(run, args)


def run(args: argparse.Namespace) -> None:
    if args.command == "train":
        from .train import train

        train(model_dir=args.model_dir)
    elif args.command == "evaluate":
        from .train import evaluate

        evaluate(model_dir=args.model_dir)
    elif args.command == "serve":
        from .api import serve

        serve(host=args.host, port=args.port)
    elif args.command == "chat":
        from .bot import load_bot
        from .chat import repl

        bot, origin = load_bot(args.model_dir)
        print(f"Model {bot.classifier.name}, {origin}.")
        repl(bot, show_intent=not args.quiet)
