"""The chat page and its JSON API (Flask, served by waitress).

    GET  /            the chat page (templates/chat.html + static/chat.js)
    POST /api/chat    {"message": "..."}
                      -> {"intent", "confidence", "top_intent", "entities", "reply"}
    GET  /health      {"status": "ok", "model": ..., "origin": ...}

Bad input gets a 400 with an "error" that names the problem and what is allowed: a body that is
not JSON, no "message", a message that is not a string, empty, or over MAX_MESSAGE_CHARS.
Bodies over MAX_BODY_BYTES get a 413 before they are read.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from . import config
from .bot import Bot, load_bot

log = logging.getLogger(__name__)


def create_app(bot: Bot | None = None, model_dir: Path | None = None) -> Flask:
    """Build the app. Tests pass a ready `bot`; `serve` loads the saved model (or trains one)."""
    origin = "given"
    if bot is None:
        bot, origin = load_bot(Path(model_dir or config.MODEL_DIR))
        log.info("model %s", origin)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_BODY_BYTES
    app.json.sort_keys = False  # keep the documented key order in responses
    # Flask autoescapes .html templates: whatever a template prints is HTML-escaped. The page
    # also inserts replies with textContent, never innerHTML, so a message can't inject markup.

    @app.get("/")
    def page() -> Any:
        return render_template(
            "chat.html",
            title=__package__.replace("_", " ").title(),
            max_chars=config.MAX_MESSAGE_CHARS,
            model=bot.classifier.name,
        )

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok", model=bot.classifier.name, origin=origin)

    @app.post("/api/chat")
    def chat() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return bad_request('the body must be a JSON object such as {"message": "hello"}')
        message = body.get("message")
        if not isinstance(message, str):
            kind = "missing" if message is None else f"a {type(message).__name__}"
            return bad_request(f'"message" must be a string; it is {kind}')
        if not message.strip():
            return bad_request('"message" is empty; send some text')
        if len(message) > config.MAX_MESSAGE_CHARS:
            return bad_request(
                f'"message" has {len(message)} characters; the limit is {config.MAX_MESSAGE_CHARS}'
            )
        return jsonify(bot.reply(message).as_dict())

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_: RequestEntityTooLarge) -> Any:
        error = f"the request body is over the limit of {config.MAX_BODY_BYTES} bytes"
        return jsonify(error=error), 413

    return app


def bad_request(error: str) -> Any:
    return jsonify(error=error), 400


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress: a production WSGI server that also runs on Windows."""
    from waitress import serve as waitress_serve

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app()
    print(f"Serving on http://{host}:{port}  (chat page at /, POST /api/chat, GET /health)")
    waitress_serve(app, host=host, port=port, threads=4)
