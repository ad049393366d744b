"""Read-only JSON API over the database (Flask, served by waitress).

    GET /health                                   -> {"status": "ok", "books": N, "database": ...}
    GET /books?min_rating=4&limit=10&category=X   -> the best-rated books, at most MAX_LIMIT
    GET /openapi.json                             -> this API described in OpenAPI 3

Every value from the query string is checked (web.int_arg, web.text_arg: plain digits in
range, printable text of bounded length, each given once), then passed to SQL as a bound
parameter (storage.query_books builds the statement with SQLAlchemy): nothing is pasted into
SQL. Errors are JSON {"error": "..."} saying what was wrong and what is allowed (web.py).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from sqlalchemy import Engine

from . import config, storage, web

MAX_CATEGORY_CHARS = 128


def create_app(engine: Engine | None = None) -> Flask:
    """Build the app on `engine` (tests pass one; `serve` uses DATABASE_URL or the default)."""
    engine = engine or storage.get_engine()
    app = web.harden(Flask(__name__), openapi=openapi_spec())

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok", books=storage.count(engine), database=engine.dialect.name)

    @app.get("/books")
    def books() -> Any:
        min_rating = web.int_arg("min_rating", 0, 0, 5)
        limit = web.int_arg("limit", config.DEFAULT_LIMIT, 1, config.MAX_LIMIT)
        category = web.text_arg("category", MAX_CATEGORY_CHARS)
        rows = storage.query_books(engine, min_rating=min_rating, limit=limit, category=category)
        return jsonify(count=len(rows), limit=limit, min_rating=min_rating, books=rows)

    return app


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3 description served at /openapi.json (written by hand: keep it in step)."""

    def integer(name: str, low: int, high: int) -> dict[str, Any]:
        schema = {"type": "integer", "minimum": low, "maximum": high}
        return {"name": name, "in": "query", "schema": schema}

    error = {"description": "refused", "content": {"application/json": {"schema": ERROR}}}
    category = {"type": "string", "maxLength": MAX_CATEGORY_CHARS}
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{__package__} books API", "version": "0.1.0"},
        "paths": {
            "/health": {"get": {"responses": {"200": {"description": "the database answers"}}}},
            "/books": {
                "get": {
                    "parameters": [
                        integer("min_rating", 0, 5),
                        integer("limit", 1, config.MAX_LIMIT),
                        {"name": "category", "in": "query", "schema": category},
                    ],
                    "responses": {
                        "200": {
                            "description": "the best-rated books first",
                            "content": {"application/json": {"schema": BOOKS}},
                        },
                        "400": error,
                        "429": error,
                    },
                }
            },
        },
    }


ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
BOOKS = {
    "type": "object",
    "required": ["count", "limit", "min_rating", "books"],
    "properties": {
        "count": {"type": "integer"},
        "limit": {"type": "integer"},
        "min_rating": {"type": "integer"},
        "books": {"type": "array", "items": {"type": "object"}},
    },
}


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress, hardened for public traffic (web.py)."""
    web.serve(create_app, host, port, "(GET /health, GET /books?min_rating=4&limit=10)")
