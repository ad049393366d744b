"""Upload page and JSON API (Flask, served by waitress).

    GET  /             the upload page; POST / (the page's form) shows the transcript
    POST /transcribe   multipart field "file" (or the raw audio as the body) -> JSON
    GET  /health       {"status": "ok", ...}
    GET  /openapi.json this API described in OpenAPI 3

Uploads are untrusted: they are read into memory only (never written to disk), capped at
config.MAX_UPLOAD_BYTES (413 above), and their header is checked before decoding (audio.py:
encoding, sample rate, channels, and from audio.MIN_SECONDS to config.MAX_SECONDS of audio;
400 outside, 415 for an encoding it does not decode). They are decoded by soundfile alone (no
ffmpeg or other program is started). Stereo is mixed down; other sample rates are resampled in
numpy. Every error of the API is JSON {"error": ...} (web.py).

At startup the app loads the model `make train` saved in models/. Without one (a fresh clone
or Docker image) it trains one (at most config.QUICK_TRAIN_STEPS steps) in a background
thread: /health answers at once and says so, and /transcribe answers 503
with a "retry" message until the model is ready.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, Request, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from . import audio, config, web
from .audio import AudioError, decode_upload
from .inference import SILENCE_PEAK, Transcriber
from .text import text_to_digits

log = logging.getLogger(__name__)


class InMemoryRequest(Request):
    """Werkzeug spools uploads over 500 KB to a temporary file; keep them in memory instead.

    Safe because MAX_CONTENT_LENGTH bounds the size before anything is read.
    """

    def _get_file_stream(self, *args: Any, **kwargs: Any) -> io.BytesIO:
        return io.BytesIO()


class ModelHolder:
    """The transcriber, or the state of its training when the server had to train one."""

    def __init__(self, transcriber: Transcriber | None = None) -> None:
        self.transcriber = transcriber
        self.status = "ready" if transcriber else "training"
        self.started = time.monotonic()

    def train_in_background(self) -> None:
        log.warning(
            "no trained model found: training one (%d steps) in the background; "
            "POST /transcribe answers 503 until it is ready",
            config.QUICK_TRAIN_STEPS,
        )
        threading.Thread(target=self._train, name="quick-train", daemon=True).start()

    def _train(self) -> None:
        from . import no_tracking
        from .train import Plan, train

        try:
            # A stopgap model: nothing saved, tracked or written into the README's results.
            report, transcriber = train(
                plan=Plan(max_steps=config.QUICK_TRAIN_STEPS),
                model_dir=None,
                reports_dir=None,
                tracker=no_tracking,
                verbose=False,
            )
        except Exception:
            log.exception("training at startup failed")
            self.status = "failed"
            return
        seconds = time.monotonic() - self.started
        transcriber.origin = f"trained at startup in {seconds:.0f} s (CER {report.cer:.3f})"
        self.transcriber, self.status = transcriber, "ready"
        log.warning("model ready: %s", transcriber.origin)


def create_app(transcriber: Transcriber | None = None, model_dir: Path | None = None) -> Flask:
    """Build the app. Tests pass a transcriber; `serve` loads one (or trains one meanwhile)."""
    holder = ModelHolder(transcriber)
    if transcriber is None:
        try:
            holder = ModelHolder(
                Transcriber.load(Path(model_dir or web.model_dir(config.MODEL_DIR)))
            )
        except FileNotFoundError:
            holder.train_in_background()
    limits = {
        "max_mb": config.MAX_UPLOAD_BYTES / 1024 / 1024,
        "max_seconds": config.MAX_SECONDS,
    }

    app = Flask(__name__)
    app.request_class = InMemoryRequest
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_UPLOAD_BYTES
    web.harden(app, openapi=openapi_spec())

    def too_large() -> str:
        return f"the upload is larger than {limits['max_mb']:g} MB"

    def transcribe_upload() -> dict[str, Any]:
        """The request's audio -> result dict. Raises AudioError (400) for bad input."""
        transcriber = holder.transcriber
        if transcriber is None:
            raise ModelNotReadyError(holder)
        upload = request.files.get("file")
        if upload is not None:
            data = upload.read()
        elif request.files:
            raise AudioError(f"send the clip in the form field 'file'; got {sorted(request.files)}")
        else:
            data = request.get_data()
        started = time.perf_counter()
        samples, info = decode_upload(data, config.SAMPLE_RATE, config.MAX_SECONDS)
        text = transcriber.transcribe(samples)
        return {
            "transcript": text,
            "digits": text_to_digits(text),
            "silent": float(abs(samples).max(initial=0.0)) < SILENCE_PEAK,
            "input": info,
            "processing_s": round(time.perf_counter() - started, 4),
        }

    @app.get("/health")
    def health() -> Any:
        if holder.transcriber is None:
            return jsonify(status="ok", model=holder.status, rnn=config.RNN, origin="startup")
        model = holder.transcriber
        return jsonify(status="ok", model="ready", rnn=model.settings["rnn"], origin=model.origin)

    @app.post("/transcribe")
    def transcribe() -> Any:
        try:
            return jsonify(transcribe_upload())
        except RequestEntityTooLarge:
            return jsonify(error=too_large()), 413
        except AudioError as error:
            return jsonify(error=str(error)), error.status
        except ModelNotReadyError as error:
            return jsonify(error=str(error)), 503

    @app.get("/")
    def page() -> Any:
        return render_template("index.html", result=None, error=None, **limits)

    @app.post("/")
    def page_upload() -> Any:
        try:
            result = transcribe_upload()
        except RequestEntityTooLarge:
            return render_template("index.html", result=None, error=too_large(), **limits), 413
        except AudioError as error:
            page = render_template("index.html", result=None, error=str(error), **limits)
            return page, error.status
        except ModelNotReadyError as error:
            return render_template("index.html", result=None, error=str(error), **limits), 503
        return render_template("index.html", result=result, error=None, **limits)

    @app.errorhandler(413)
    def request_too_large(_: Exception) -> Any:
        # Raised before a view runs when Content-Length is over the cap.
        if request.path == "/":
            return render_template("index.html", result=None, error=too_large(), **limits), 413
        return jsonify(error=too_large()), 413

    return app


class ModelNotReadyError(Exception):
    def __init__(self, holder: ModelHolder) -> None:
        waited = time.monotonic() - holder.started
        if holder.status == "failed":
            super().__init__("the model could not be trained at startup; see the server log")
        else:
            super().__init__(
                f"the model is still training (for {waited:.0f} s so far); retry in a minute"
            )


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3 description served at /openapi.json (written by hand: keep it in step)."""
    error = {"description": "refused", "content": {"application/json": {"schema": ERROR}}}
    clip = {"type": "string", "format": "binary"}
    form = {"type": "object", "required": ["file"], "properties": {"file": clip}}
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{__package__} speech-to-text API", "version": "0.1.0"},
        "paths": {
            "/health": {"get": {"responses": {"200": {"description": "the server is up"}}}},
            "/transcribe": {
                "post": {
                    "description": (
                        f"A clip of {audio.MIN_SECONDS:g} to {config.MAX_SECONDS:g} s, at"
                        f" {audio.MIN_SAMPLE_RATE} to {audio.MAX_SAMPLE_RATE} Hz, at most"
                        f" {audio.MAX_CHANNELS} channels: the form field 'file' or the raw body"
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {"schema": form},
                            "application/octet-stream": {"schema": clip},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "the transcript",
                            "content": {"application/json": {"schema": TRANSCRIPT}},
                        },
                        "400": error,
                        "413": error,
                        "415": error,
                        "429": error,
                        "503": error,
                    },
                }
            },
        },
    }


ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
TRANSCRIPT = {
    "type": "object",
    "required": ["transcript", "digits", "silent", "input", "processing_s"],
    "properties": {
        "transcript": {"type": "string"},
        "digits": {"type": "string", "nullable": True},
        "silent": {"type": "boolean"},
        "input": {"type": "object"},
        "processing_s": {"type": "number"},
    },
}


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress, hardened for public traffic (web.py)."""
    web.serve(create_app, host, port, "(upload page /, POST /transcribe, GET /health)")
