"""The chat page and its JSON API (Flask, served by waitress).

    GET  /            the chat page (templates/chat.html + static/chat.js)
    POST /api/chat    {"message": "..."}
                      -> {"intent", "confidence", "top_intent", "entities", "reply"}
    GET  /health      {"status": "ok", "model": ..., "origin": ...}
    GET  /openapi.json  this API described in OpenAPI 3

Bad input gets a JSON {"error": ...} that names the problem and what is allowed (web.py): 415
for a body that is not sent as JSON; 400 for JSON that does not parse, nests deeper than
web.MAX_JSON_DEPTH or holds NaN, no "message", a message that is not a string, empty, or over
MAX_MESSAGE_CHARS. Bodies over MAX_BODY_BYTES get a 413 before they are read.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template

from . import config, web
from .bot import Bot, load_bot

log = logging.getLogger(__name__)


def create_app(bot: Bot | None = None, model_dir: Path | None = None) -> Flask:
    """Build the app. Tests pass a ready `bot`; `serve` loads the saved model (or trains one)."""
    origin = "given"
    if bot is None:
        bot, origin = load_bot(Path(model_dir or web.model_dir(config.MODEL_DIR)))
        log.info("model %s", origin)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_BODY_BYTES
    web.harden(app, openapi=openapi_spec())
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
        body = web.json_body()
        if not isinstance(body, dict):
            return bad_request('the body must be a JSON object such as {"message": "hello"}')
        message = body.get("message")
        if not isinstance(message, str):
            kind = "missing" if message is None else f"a {type(message).__name__}"
            return bad_request(f'"message" must be a string; it is {kind}')
        if not message.strip():
            return bad_request('"message" is empty; send some text')
        try:
            message.encode("utf-8")
        except UnicodeEncodeError:  # JSON allows "\ud800"; no text processor should get it
            return bad_request('"message" holds a lone surrogate (\\ud800 to \\udfff); send text')
        if len(message) > config.MAX_MESSAGE_CHARS:
            return bad_request(
                f'"message" has {len(message)} characters; the limit is {config.MAX_MESSAGE_CHARS}'
            )
        return jsonify(bot.reply(message).as_dict())

    return app


def bad_request(error: str) -> Any:
    return jsonify(error=error), 400


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3 description served at /openapi.json (written by hand: keep it in step)."""
    error = {"description": "refused", "content": {"application/json": {"schema": ERROR}}}
    message = {"type": "string", "minLength": 1, "maxLength": config.MAX_MESSAGE_CHARS}
    request_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {"message": message},
                }
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{__package__} chat API", "version": "0.1.0"},
        "paths": {
            "/health": {"get": {"responses": {"200": {"description": "the model is loaded"}}}},
            "/api/chat": {
                "post": {
                    "requestBody": request_body,
                    "responses": {
                        "200": {
                            "description": "the intent, its entities and the reply",
                            "content": {"application/json": {"schema": REPLY}},
                        },
                        "400": error,
                        "413": error,
                        "415": error,
                        "429": error,
                    },
                }
            },
        },
    }


ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
REPLY = {
    "type": "object",
    "required": ["intent", "confidence", "top_intent", "entities", "reply"],
    "properties": {
        "intent": {"type": "string"},
        "confidence": {"type": "number"},
        "top_intent": {"type": "string"},
        "entities": {"type": "array", "items": {"type": "object"}},
        "reply": {"type": "string"},
    },
}


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress, hardened for public traffic (web.py)."""
    web.serve(create_app, host, port, "(chat page at /, POST /api/chat, GET /health)")
