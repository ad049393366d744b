"""JSON forecast API (Flask).

    GET /health          -> {"status": "ok", "model": ...}
    GET /forecast?h=12   -> the next 12 values; h defaults to config.HORIZON, 1..MAX_HORIZON

At startup the app loads the model that `make train` saved in models/. Without one (a fresh
clone or Docker image) it fits Holt-Winters on the data at once, which takes well under a
second, so the API always answers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Flask, jsonify, request

from . import config
from .data import load_co2, load_series, season_length
from .models import Forecaster, HoltWinters, load_model

log = logging.getLogger(__name__)


def _load_or_fit(model_dir: Path) -> tuple[Forecaster, str]:
    """The saved model if there is one, else a quickly fitted default."""
    try:
        model, _ = load_model(model_dir)
        return model, f"loaded from {model_dir}"
    except FileNotFoundError:
        pass
    try:
        y = load_series()
    except FileNotFoundError:
        log.warning("no data for source %r: serving the bundled co2 series", config.DATA_SOURCE)
        y = load_co2()
    model = HoltWinters(season=season_length(y)).fit(y)
    return model, "fitted at startup (no saved model)"


def create_app(model: Forecaster | None = None, model_dir: Path | None = None) -> Flask:
    """Build the app. Tests pass a fitted `model`; `serve` lets it load or fit one."""
    origin = "given"
    if model is None:
        model, origin = _load_or_fit(Path(model_dir or config.MODEL_DIR))
    # Forecast the longest allowed horizon once; each request returns a prefix of it.
    forecast: pd.Series = model.predict(config.MAX_HORIZON)

    app = Flask(__name__)
    app.json.sort_keys = False  # keep the documented key order in responses

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok", model=model.name, origin=origin)

    @app.get("/forecast")
    def forecast_route() -> Any:
        raw = request.args.get("h")
        allowed = f"an integer from 1 to {config.MAX_HORIZON}"
        if raw is None:
            h = config.HORIZON
        else:
            try:
                h = int(raw)
            except ValueError:
                return jsonify(error=f"h must be {allowed}; got {raw!r}"), 400
            if not 1 <= h <= config.MAX_HORIZON:
                return jsonify(error=f"h must be {allowed}; got {h}"), 400
        points = forecast.iloc[:h]
        return jsonify(
            model=model.name,
            h=h,
            forecast=[
                {"date": date.strftime("%Y-%m-%d"), "value": round(float(value), 4)}
                for date, value in points.items()
            ],
        )

    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress: a production WSGI server that also runs on Windows."""
    from waitress import serve as waitress_serve

    app = create_app()
    print(f"Serving on http://{host}:{port}  (GET /health, GET /forecast?h={config.HORIZON})")
    waitress_serve(app, host=host, port=port, threads=4)
