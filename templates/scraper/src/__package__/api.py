"""Read-only JSON API over the database (Flask, served by waitress).

    GET /health                                   -> {"status": "ok", "books": N, "database": ...}
    GET /books?min_rating=4&limit=10&category=X   -> the best-rated books, at most MAX_LIMIT

Every value from the query string is checked, then passed to SQL as a bound parameter
(storage.query_books builds the statement with SQLAlchemy): nothing is pasted into SQL.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import Engine

from . import config, storage


def _int_arg(name: str, default: int, low: int, high: int) -> tuple[int | None, Any]:
    """(value, None), or (None, a 400 response naming the value and what is allowed)."""
    raw = request.args.get(name)
    if raw is None:
        return default, None
    allowed = f"an integer from {low} to {high}"
    try:
        value = int(raw)
    except ValueError:
        return None, (jsonify(error=f"{name} must be {allowed}; got {raw!r}"), 400)
    if not low <= value <= high:
        return None, (jsonify(error=f"{name} must be {allowed}; got {value}"), 400)
    return value, None


def create_app(engine: Engine | None = None) -> Flask:
    """Build the app on `engine` (tests pass one; `serve` uses DATABASE_URL or the default)."""
    engine = engine or storage.get_engine()
    app = Flask(__name__)
    app.json.sort_keys = False  # keep the documented key order in responses

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok", books=storage.count(engine), database=engine.dialect.name)

    @app.get("/books")
    def books() -> Any:
        min_rating, error = _int_arg("min_rating", 0, 0, 5)
        if error:
            return error
        limit, error = _int_arg("limit", config.DEFAULT_LIMIT, 1, config.MAX_LIMIT)
        if error:
            return error
        category = request.args.get("category") or None
        if category is not None and len(category) > 128:
            return jsonify(
                error=f"category must be at most 128 characters; got {len(category)}"
            ), 400
        assert min_rating is not None and limit is not None
        rows = storage.query_books(engine, min_rating=min_rating, limit=limit, category=category)
        return jsonify(count=len(rows), limit=limit, min_rating=min_rating, books=rows)

    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve with waitress: a production WSGI server that also runs on Windows."""
    from waitress import serve as waitress_serve

    app = create_app()
    print(f"Serving on http://{host}:{port}  (GET /health, GET /books?min_rating=4&limit=10)")
    waitress_serve(app, host=host, port=port, threads=4)
