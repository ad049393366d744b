"""The upload page and the detection API (Flask, served by waitress).

    GET  /                      an upload page: choose an image, see it with boxes and labels
    POST /predict               multipart field "image" -> the annotated image as PNG
    POST /predict?format=json   the same, as JSON: [{"label", "score", "box": [x1, y1, x2, y2]}]
    GET  /health                {"status": "ok", "model": ..., "origin": ...}

Uploads are treated as hostile:
- at most ``MAX_UPLOAD_BYTES`` per request (Flask answers 413 beyond it, before reading it all);
- the content must decode as PNG, JPEG, GIF, BMP or WebP; the file name and the declared
  content type are ignored, since both are whatever the client says;
- the pixel count is checked from the header before decoding, against decompression bombs (a
  small file claiming a giant image);
- nothing is written to disk; the answer is a new image encoded by the server, never the
  uploaded bytes.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

from flask import Flask, Request, jsonify, render_template, request, send_file
from PIL import Image, UnidentifiedImageError
from werkzeug.exceptions import RequestEntityTooLarge

from . import config
from .draw import draw_detections
from .predict import CHECKPOINT_FILE, Predictor

ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
OUTPUT_FORMATS = ("png", "json")
# Pillow's own bomb guard raises only at twice its limit; ours is explicit and lower.
Image.MAX_IMAGE_PIXELS = config.MAX_PIXELS


class BadImageError(ValueError):
    """An upload we refuse, with the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def read_image(data: bytes, max_pixels: int = config.MAX_PIXELS) -> Image.Image:
    """Decode uploaded bytes into an RGB image, or raise BadImageError saying what is wrong."""
    allowed = ", ".join(ALLOWED_FORMATS)
    if not data:
        raise BadImageError("the uploaded file is empty; send a PNG or JPEG image")
    try:
        with warnings.catch_warnings():
            # Pillow warns about images over MAX_IMAGE_PIXELS; the check below refuses them.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
    except UnidentifiedImageError:
        raise BadImageError(f"the upload is not an image this server reads ({allowed})") from None
    except Image.DecompressionBombError as error:
        raise BadImageError(str(error)) from None
    if image.format not in ALLOWED_FORMATS:
        raise BadImageError(f"image format {image.format} is not accepted; send one of {allowed}")
    width, height = image.size
    if width * height > max_pixels:
        raise BadImageError(
            f"image is {width}x{height} = {width * height} pixels; at most {max_pixels} allowed"
        )
    try:
        image.load()  # the actual decoding: truncated or corrupt data fails here
    except (OSError, SyntaxError, ValueError) as error:
        raise BadImageError(f"the {image.format} image could not be decoded ({error})") from None
    return image.convert("RGB")


class InMemoryRequest(Request):
    """Keeps uploaded files in memory: Werkzeug would spool any file over 500 KB to a temporary
    file on disk. The upload cap bounds the memory this takes."""

    def _get_file_stream(self, *args: Any, **kwargs: Any) -> io.BytesIO:
        return io.BytesIO()


def _load_or_train(model_dir: Path) -> Predictor:
    """The saved model, else a model trained for a few seconds now (a fresh clone or image)."""
    try:
        return Predictor.load(model_dir / CHECKPOINT_FILE)
    except FileNotFoundError:
        pass
    from .train import train  # only here: training pulls in the data code and the tracker

    seconds = config.STARTUP_TRAIN_SECONDS
    print(f"No model in {model_dir}: training a quick one for {seconds:.0f} s", flush=True)
    model, classes, report = train(
        max_seconds=seconds, model_dir=None, track=False, verbose=False, n_train=300, n_val=8
    )
    print(
        f"Quick model ready: mAP@0.5 {report.map50:.2f} after {report.steps} steps; "
        "run `make train` for a good one",
        flush=True,
    )
    return Predictor(model, classes, f"trained at startup for {report.seconds:.0f} s")


def create_app(predictor: Predictor | None = None, model_dir: Path | None = None) -> Flask:
    """Build the app. Tests pass a ``predictor``; `serve` loads one (or trains a quick one)."""
    if predictor is None:
        predictor = _load_or_train(Path(model_dir or config.MODEL_DIR))

    app = Flask(__name__)
    app.request_class = InMemoryRequest
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_UPLOAD_BYTES
    app.json.sort_keys = False

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_: RequestEntityTooLarge) -> Any:
        limit = config.MAX_UPLOAD_BYTES
        return jsonify(error=f"upload larger than {limit} bytes ({limit // 2**20} MiB)"), 413

    @app.get("/")
    def index() -> Any:
        return render_template(
            "index.html",
            classes=predictor.classes,
            max_mib=config.MAX_UPLOAD_BYTES // 2**20,
            formats=", ".join(ALLOWED_FORMATS),
        )

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok", model=config.MODEL, origin=predictor.origin)

    @app.post("/predict")
    def predict() -> Any:
        output = request.args.get("format", "png").lower()
        if output not in OUTPUT_FORMATS:
            return jsonify(
                error=f"format must be one of {', '.join(OUTPUT_FORMATS)}; got {output!r}"
            ), 400
        upload = request.files.get("image")
        if upload is None:
            return jsonify(error="no file in the multipart field 'image'"), 400
        try:
            image = read_image(upload.read())
        except BadImageError as error:
            return jsonify(error=str(error)), error.status
        detections = predictor.predict(image)
        if output == "json":
            return jsonify(
                width=image.width,
                height=image.height,
                model=config.MODEL,
                detections=[d.as_dict() for d in detections],
            )
        buffer = io.BytesIO()
        draw_detections(image, detections, predictor.classes).save(buffer, format="PNG")
        buffer.seek(0)
        return send_file(buffer, mimetype="image/png", download_name="detections.png")

    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress: a production WSGI server (Flask's own is for debugging only)."""
    from waitress import serve as waitress_serve

    app = create_app()
    print(f"Serving on http://{host}:{port}  (upload page /, POST /predict, GET /health)")
    waitress_serve(app, host=host, port=port, threads=4)
