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
  small file claiming a giant image), and so is the size of PNG metadata once inflated;
- truncated or corrupt files are refused with 400, whichever decoder notices;
- nothing is written to disk; the answer is a new image encoded by the server, never the
  uploaded bytes.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path
from typing import Any

from flask import Flask, Request, jsonify, render_template, request, send_file
from PIL import Image, ImageFile, PngImagePlugin, UnidentifiedImageError

from . import config, web
from .draw import draw_detections
from .predict import CHECKPOINT_FILE, Predictor

ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
OUTPUT_FORMATS = ("png", "json")

# Pillow's limits, set on purpose rather than left at their generous defaults:
# - pixels: its own bomb guard warns at MAX_IMAGE_PIXELS and refuses only at twice that; ours
#   refuses at config.MAX_PIXELS (read from the header, before decoding);
# - PNG metadata: text (tEXt/zTXt/iTXt) and ICC profile chunks are compressed, so a small file
#   can inflate to megabytes. One chunk may decompress to MAX_TEXT_CHUNK bytes, all text chunks
#   together to MAX_TEXT_MEMORY; beyond that Pillow raises ValueError, answered with 400;
# - truncated files raise OSError (LOAD_TRUNCATED_IMAGES stays False): refused, not padded.
Image.MAX_IMAGE_PIXELS = config.MAX_PIXELS
PngImagePlugin.MAX_TEXT_CHUNK = config.MAX_PNG_TEXT_CHUNK_BYTES
PngImagePlugin.MAX_TEXT_MEMORY = config.MAX_PNG_TEXT_BYTES
ImageFile.LOAD_TRUNCATED_IMAGES = False
# What Pillow's decoders raise on malformed data (each plugin has its own ways).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, struct.error)


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
            # Reads the header (and PNG chunks before the pixels); only our formats are tried.
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        raise BadImageError(f"the upload is not an image this server reads ({allowed})") from None
    except Image.DecompressionBombError:
        raise BadImageError(
            f"image has over {2 * Image.MAX_IMAGE_PIXELS} pixels; at most {max_pixels} allowed"
        ) from None
    except DECODE_ERRORS as error:
        raise BadImageError(_decode_problem("the image header", error)) from None
    width, height = image.size
    if width * height > max_pixels:
        raise BadImageError(
            f"image is {width}x{height} = {width * height} pixels; at most {max_pixels} allowed"
        )
    try:
        image.load()  # the actual decoding: truncated or corrupt data fails here
        return image.convert("RGB")
    except DECODE_ERRORS as error:
        raise BadImageError(_decode_problem(f"the {image.format} image", error)) from None


def _decode_problem(what: str, error: Exception) -> str:
    if "MAX_TEXT" in str(error):  # Pillow's PNG metadata limits
        chunk, total = config.MAX_PNG_TEXT_CHUNK_BYTES // 1024, config.MAX_PNG_TEXT_BYTES // 1024
        return (
            f"the PNG's metadata inflates past the limit ({chunk} KiB a chunk, {total} KiB of"
            " text in all); strip it or save the image again"
        )
    return f"{what} could not be decoded: it is broken or truncated ({error})"


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
    from . import no_tracking
    from .train import Settings, train  # only here: training pulls in the data code

    seconds = config.STARTUP_TRAIN_SECONDS
    print(f"No model in {model_dir}: training a quick one for {seconds:.0f} s", flush=True)
    model, classes, report = train(
        Settings(max_seconds=seconds, n_val=8, target_map=None),
        model_dir=None,
        reports_dir=None,
        tracker=no_tracking,  # a quick model in memory: nothing to track
        verbose=False,
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
        if model_dir is None:
            model_dir = web.model_dir(config.MODEL_DIR)  # or MODEL_URI's: see web.model_dir
        predictor = _load_or_train(Path(model_dir))

    app = Flask(__name__)
    app.request_class = InMemoryRequest
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_UPLOAD_BYTES
    web.harden(app, openapi=openapi_spec())

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
        output = web.choice_arg("format", "png", OUTPUT_FORMATS)
        upload = request.files.get("image")
        if upload is None:
            raise web.ClientError("send the image as a file in the multipart form field 'image'")
        try:
            image = read_image(upload.read())
        except BadImageError as error:
            raise web.ClientError(str(error), error.status) from None
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


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3 description served at /openapi.json (written by hand: keep it in step)."""
    error = {"description": "refused", "content": {"application/json": {"schema": ERROR}}}
    upload = {
        "type": "object",
        "required": ["image"],
        "properties": {"image": {"type": "string", "format": "binary"}},
    }
    fmt = {"type": "string", "enum": list(OUTPUT_FORMATS)}
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{__package__} detection API", "version": "0.1.0"},
        "paths": {
            "/health": {"get": {"responses": {"200": {"description": "the model is loaded"}}}},
            "/predict": {
                "post": {
                    "parameters": [{"name": "format", "in": "query", "schema": fmt}],
                    "requestBody": {
                        "required": True,
                        "content": {"multipart/form-data": {"schema": upload}},
                    },
                    "responses": {
                        "200": {
                            "description": "the image with boxes (PNG), or the boxes as JSON",
                            "content": {
                                "image/png": {"schema": {"type": "string", "format": "binary"}},
                                "application/json": {"schema": DETECTIONS},
                            },
                        },
                        "400": error,
                        "413": error,
                        "429": error,
                    },
                }
            },
        },
    }


ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
DETECTIONS = {
    "type": "object",
    "required": ["width", "height", "model", "detections"],
    "properties": {
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "model": {"type": "string"},
        "detections": {"type": "array", "items": {"type": "object"}},
    },
}


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress, hardened for public traffic (web.py)."""
    web.serve(create_app, host, port, "(upload page /, POST /predict, GET /health)")
