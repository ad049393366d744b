"""JSON forecast API (Flask).

    GET /health          -> {"status": "ok", "model": ...}
    GET /forecast?h=12   -> the next 12 values; h defaults to config.HORIZON, 1..MAX_HORIZON
    GET /openapi.json    -> this API described in OpenAPI 3

Errors are JSON {"error": "..."} saying what was wrong and what is allowed (web.py).

At startup the app loads the model that `make train` saved in models/. Without one (a fresh
clone or Docker image) it fits Holt-Winters on the data at once, which takes well under a
second, so the API always answers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Flask, jsonify

from . import config, web
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
        model, origin = _load_or_fit(Path(model_dir or web.model_dir(config.MODEL_DIR)))
    # Forecast the longest allowed horizon once; each request returns a prefix of it.
    forecast: pd.Series = model.predict(config.MAX_HORIZON)

    app = web.harden(Flask(__name__), openapi=openapi_spec())

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok", model=model.name, origin=origin)

    @app.get("/forecast")
    def forecast_route() -> Any:
        h = web.int_arg("h", config.HORIZON, 1, config.MAX_HORIZON)
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


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3 description served at /openapi.json (written by hand: keep it in step)."""
    error = {"description": "refused", "content": {"application/json": {"schema": ERROR}}}
    max_h = config.MAX_HORIZON
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{__package__} forecast API", "version": "0.1.0"},
        "paths": {
            "/health": {"get": {"responses": {"200": {"description": "the model is loaded"}}}},
            "/forecast": {
                "get": {
                    "parameters": [
                        {
                            "name": "h",
                            "in": "query",
                            "description": "how many steps ahead",
                            "schema": {"type": "integer", "minimum": 1, "maximum": max_h},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "the forecast",
                            "content": {"application/json": {"schema": FORECAST}},
                        },
                        "400": error,
                        "429": error,
                    },
                }
            },
        },
    }


ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
FORECAST = {
    "type": "object",
    "required": ["model", "h", "forecast"],
    "properties": {
        "model": {"type": "string"},
        "h": {"type": "integer"},
        "forecast": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["date", "value"],
                "properties": {"date": {"type": "string"}, "value": {"type": "number"}},
            },
        },
    },
}


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress, hardened for public traffic (web.py)."""
    web.serve(create_app, host, port, f"(GET /health, GET /forecast?h={config.HORIZON})")
