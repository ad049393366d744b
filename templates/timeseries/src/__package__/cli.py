"""Command line: `python -m <package> train|evaluate|serve|data` (the Makefile calls these).

Heavy imports (statsmodels, scikit-learn, the tracker) happen inside each command, so
`--help` is instant and `serve` does not load the experiment tracker.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import config
from .cli_common import add_server_options, run_command

SOURCES = ("co2", "csv", "stock", "weather", "sqlite")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=__package__, description="Time-series forecasting")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="backtest all models, save the best to models/")
    train.add_argument("--horizon", type=int, default=config.HORIZON, help="steps to forecast")
    train.add_argument("--folds", type=int, default=config.BACKTEST_FOLDS, help="backtest folds")

    commands.add_parser("evaluate", help="backtest the saved model against the baseline")

    serve = commands.add_parser("serve", help="start the forecast API")
    add_server_options(serve)

    data = commands.add_parser("data", help="fetch or convert a series into a CSV file")
    data.add_argument("--source", choices=SOURCES, default=config.DATA_SOURCE)
    data.add_argument("--out", default=str(config.DATA_PATH), help="CSV file to write")
    data.add_argument("--path", help="csv: input file; sqlite: database file")
    data.add_argument("--date-col", default="date", help="csv: date column")
    data.add_argument("--value-col", default="value", help="csv: value column")
    data.add_argument("--table", default="books", help="sqlite: table with price, scraped_at")
    data.add_argument("--symbol", default="spy.us", help="stock: ticker, e.g. aapl.us")
    data.add_argument("--latitude", type=float, default=51.5072, help="weather (London)")
    data.add_argument("--longitude", type=float, default=-0.1276, help="weather (London)")
    data.add_argument("--start", default="2020-01-01", help="weather: first day")
    data.add_argument("--end", default="2024-12-31", help="weather: last day")
    return parser


def fetch(args: argparse.Namespace):  # -> pd.Series
    from . import data, sources

    if args.source == "co2":
        return data.load_co2()
    if args.source == "csv":
        if not args.path:
            raise SystemExit("data --source csv needs --path FILE.csv")
        return data.load_csv(args.path, args.date_col, args.value_col)
    if args.source == "stock":
        return data.regularize(sources.fetch_stock(args.symbol))
    if args.source == "weather":
        series = sources.fetch_weather(args.latitude, args.longitude, args.start, args.end)
        return data.regularize(series)
    return data.regularize(
        sources.read_books_prices(args.path or "data/books.db", table=args.table)
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(run, args)


def run(args: argparse.Namespace) -> None:
    if args.command == "train":
        from .train import train

        train(horizon=args.horizon, folds=args.folds)
    elif args.command == "evaluate":
        from .train import evaluate

        evaluate()
    elif args.command == "serve":
        from .api import serve

        serve(host=args.host, port=args.port)
    elif args.command == "data":
        from .data import save_csv

        series = fetch(args)
        path = save_csv(series, args.out)
        print(
            f"Wrote {len(series)} points ({series.index[0]:%Y-%m-%d} .. "
            f"{series.index[-1]:%Y-%m-%d}) to {path}"
        )
