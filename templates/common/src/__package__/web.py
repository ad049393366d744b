"""What makes the web demo safe to share: JSON errors, input guards, rate limiting, the server.

A demo shared through a tunnel gets requests from strangers, so every route is written for
hostile input. This module holds the parts every route shares:

- `harden(app)`: every error a client can cause becomes a 4xx with a JSON body
  `{"error": "..."}` that names what was wrong and what is allowed (never an HTML page or a
  traceback). A bug in the code still shows up: it is logged here with its traceback and a
  request id, and the client gets a 500 `{"error": "internal error", "request_id": ...}`.
- `ClientError`: raise it anywhere in a view to refuse a request with a status and a message.
- `json_body()`: the request body as JSON, refused (400) when it is nested deeper than
  MAX_JSON_DEPTH or holds NaN/Infinity, before the decoder can run out of stack.
- A per-client rate limit (token bucket) on every route but /health and /static.
- `serve(app, host, port)`: waitress, with limits that drop slow or idle connections early so
  they cannot starve real ones (see SERVER_SETTINGS).
Nothing here writes to disk: request bodies and responses stay in memory.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

log = logging.getLogger(__name__)

# JSON bodies: deeper nesting is refused before parsing (Python's decoder recurses per level).
MAX_JSON_DEPTH = 32
# Body cap for apps that set no MAX_CONTENT_LENGTH of their own (GET-only APIs).
DEFAULT_MAX_BODY_BYTES = 64 * 1024

# Requests a minute per client on average, and how many may come at once (token bucket).
# RATE_LIMIT_PER_MINUTE=0 turns the limit off. The machine's own user (a request from
# 127.0.0.1 that no proxy forwarded) is never limited.
RATE_LIMIT_PER_MINUTE = int(os.environ.get("RATE_LIMIT_PER_MINUTE", "120"))
RATE_LIMIT_BURST = int(os.environ.get("RATE_LIMIT_BURST", "30"))
# Paths the limit skips: health checks (Docker, uptime monitors) and the page's own assets.
UNLIMITED_PATHS = ("/health", "/static/")

# Connections (waitress). A connection that has not sent its request headers within
# HEADER_TIMEOUT_S, or its whole request within REQUEST_TIMEOUT_S, is closed; so is one idle
# for IDLE_TIMEOUT_S. Slow connections cost no worker thread (waitress reads requests in one
# event loop and hands only complete ones to the threads), only a connection slot.
HEADER_TIMEOUT_S = 10
REQUEST_TIMEOUT_S = 60
IDLE_TIMEOUT_S = 20
CONNECTION_LIMIT = 400
MAX_HEADER_BYTES = 16 * 1024
THREADS = int(os.environ.get("WEB_THREADS", "4"))


class ClientError(Exception):
    """A request we refuse; `message` says what was wrong and what is allowed."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- JSON ------------------------------------------------------------------------------------

# The characters that matter for nesting: quotes, brackets, and escapes (a pair, so that an
# escaped quote inside a string is skipped).
_TOKEN = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def model_dir(default: str | Path) -> Path:
    """Where the server loads its model: ``default``, or what ``MODEL_URI`` names.

    ``MODEL_URI`` may be a folder or, with MLflow, a registry URI such as
    ``models:/<project>@champion``. Only then is the tracking module loaded: importing MLflow
    takes seconds, and a server that loads its own folder should start without it.
    """
    if not os.environ.get("MODEL_URI"):
        return Path(default)
    from . import tracking

    return tracking.model_dir(default)


def json_depth(text: str, stop_after: int = MAX_JSON_DEPTH) -> int:
    """How deeply the arrays and objects of a JSON text nest, in one linear pass (brackets
    inside strings do not count). Stops counting once past `stop_after`."""
    depth = deepest = 0
    in_string = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == '"':
            in_string = not in_string
        elif not in_string and len(token) == 1:
            depth += 1 if token in "[{" else -1
            deepest = max(deepest, depth)
            if deepest > stop_after:
                break
    return deepest


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number; send finite numbers only")


def parse_json(data: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON, or raise ValueError saying why not (depth checked first)."""
    # Bytes must be UTF-8; UnicodeDecodeError is a ValueError too.
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if json_depth(text, stop_after=max_depth) > max_depth:
        raise ValueError(f"JSON nested over {max_depth} levels deep; at most {max_depth} allowed")
    # Integers of more than 4300 digits raise ValueError in int() (Python's own guard).
    return json.loads(text, parse_constant=_refuse_constant)


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with request bodies parsed by `parse_json` (depth and NaN checks)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)


def json_body() -> Any:
    """The request body as JSON, or ClientError: 415 for another content type, 400 if invalid."""
    if not request.is_json:
        got = request.mimetype or "no Content-Type"
        raise ClientError(f"send JSON with Content-Type: application/json; got {got}", 415)
    try:
        return parse_json(request.get_data(cache=True))
    except ValueError as error:  # json.JSONDecodeError is a ValueError too
        raise ClientError(f"the body is not valid JSON: {error}") from None


# --- query parameters ------------------------------------------------------------------------

_INTEGER = re.compile(
    r"-?[0-9]{1,18}"
)  # ASCII digits only: int() would take "1_000", " 7" or fullwidth digits


def shown(value: str, limit: int = 40) -> str:
    """A client's value, quoted and cut short, for an error message."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _one_arg(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ClientError(f"{name} is given {len(values)} times; give it once")
    return values[0] if values else None


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """Query parameter `name` as an integer from `low` to `high`, or ClientError (400)."""
    raw = _one_arg(name)
    if raw is None:
        return default
    allowed = f"an integer from {low} to {high}"
    if not _INTEGER.fullmatch(raw):
        raise ClientError(f"{name} must be {allowed}; got {shown(raw)}")
    value = int(raw)
    if not low <= value <= high:
        raise ClientError(f"{name} must be {allowed}; got {value}")
    return value


def choice_arg(name: str, default: str, choices: tuple[str, ...]) -> str:
    """Query parameter `name` as one of `choices` (any case), or ClientError (400)."""
    raw = _one_arg(name)
    if raw is None:
        return default
    if raw.lower() not in choices:
        raise ClientError(f"{name} must be one of {', '.join(choices)}; got {shown(raw)}")
    return raw.lower()


def text_arg(name: str, max_chars: int) -> str | None:
    """Query parameter `name` as printable text of at most `max_chars`, None when absent/empty."""
    raw = _one_arg(name)
    if not raw:
        return None
    if len(raw) > max_chars:
        raise ClientError(f"{name} must be at most {max_chars} characters; got {len(raw)}")
    if not raw.isprintable():
        raise ClientError(
            f"{name} must be printable text (no control characters); got {shown(raw)}"
        )
    return raw


# --- rate limiting ---------------------------------------------------------------------------


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute on average, `burst` at once.

    Clients are kept in a bounded LRU table, so a flood of addresses cannot grow memory.
    """

    def __init__(self, per_minute: int, burst: int, max_clients: int = 10_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_time(self, client: str, now: float | None = None) -> float:
        """0.0 if `client` may make a request now (and counts it), else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if wait == 0.0 else tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait


def client_address() -> tuple[str, bool]:
    """(the client's address, whether it is this machine's own user).

    Behind a tunnel on this machine (ngrok), every connection comes from 127.0.0.1 and the
    tunnel names the real client last in X-Forwarded-For; that name is used then. The header
    is ignored from any other peer, since a client can write whatever it likes there.
    """
    peer = request.remote_addr or "unknown"
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    forwarded = request.headers.get("X-Forwarded-For", "")
    if local and forwarded:
        return forwarded.split(",")[-1].strip()[:64] or "unknown", False
    return peer, local


# --- the app ---------------------------------------------------------------------------------


def _routes(app: Flask) -> str:
    """'GET /health, POST /predict, ...': what a client may call (for 404 messages)."""
    routes = {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if not rule.rule.startswith("/static")
    }
    return ", ".join(sorted(routes, key=lambda r: (r.split()[1], r)))


def size(n: int) -> str:
    """8192 -> "8 KiB", 8388608 -> "8 MiB"."""
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"


def error_response(message: str, status: int, **extra: Any) -> Response:
    response = jsonify(error=message, **extra)
    response.status_code = status
    return response


def harden(
    app: Flask,
    openapi: dict[str, Any] | None = None,
    limiter: RateLimiter | None = None,
) -> Flask:
    """Give `app` JSON errors, JSON guards, a rate limit and (when given) GET /openapi.json."""
    app.json = GuardedJSONProvider(app)
    app.json.sort_keys = False  # keep the documented key order in responses
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_BODY_BYTES
    if limiter is None and RATE_LIMIT_PER_MINUTE > 0:
        limiter = RateLimiter(RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST)

    if openapi is not None:

        @app.get("/openapi.json")
        def openapi_document() -> Any:
            return jsonify(openapi)

    @app.before_request
    def rate_limit() -> Any:
        if limiter is None or request.path.startswith(UNLIMITED_PATHS):
            return None
        client, own_user = client_address()
        if own_user:
            return None
        wait = limiter.wait_time(client)
        if wait == 0.0:
            return None
        per_minute = round(limiter.rate * 60)
        response = error_response(
            f"too many requests: at most {per_minute} a minute (bursts of {limiter.burst:g});"
            f" retry in {math.ceil(wait)} s",
            429,
        )
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response

    @app.errorhandler(ClientError)
    def client_error(error: ClientError) -> Any:
        return error_response(error.message, error.status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 400
        path = request.path if len(request.path) <= 80 else request.path[:80] + "..."
        limit = app.config["MAX_CONTENT_LENGTH"]
        if isinstance(error, NotFound):
            message = f"no route {request.method} {path}; this API has: {_routes(app)}"
        elif isinstance(error, MethodNotAllowed):
            allowed = ", ".join(sorted(set(error.valid_methods or []) - {"HEAD", "OPTIONS"}))
            message = f"{request.method} is not allowed on {path}; use {allowed}"
        elif isinstance(error, RequestEntityTooLarge) and (request.content_length or 0) > limit:
            message = f"the request body is over the limit of {limit} bytes ({size(limit)})"
        else:  # also Werkzeug's own form limits (too many parts, form fields too large)
            message = f"{error.name}: {error.description}"
        response = error_response(message, status)
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value  # e.g. Allow on a 405
        return response

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Any:
        # A bug, not the client's fault: keep the traceback in the server log, tell the client
        # only an id to quote when reporting it.
        request_id = uuid.uuid4().hex[:12]
        log.error(
            "internal error %s on %s %s", request_id, request.method, request.path, exc_info=error
        )
        response = error_response("internal error", 500, request_id=request_id)
        response.headers["X-Request-ID"] = request_id
        return response

    return app


# --- the server ------------------------------------------------------------------------------


def server_settings(app: Flask, threads: int = THREADS) -> dict[str, Any]:
    """waitress settings for `app` (its defaults allow 100 connections, idle for 120 s)."""
    # Bodies up to twice the app's limit reach the app, which refuses them with its own message;
    # waitress refuses anything larger before the app sees it.
    max_body = 2 * int(app.config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BODY_BYTES)
    return {
        "threads": threads,
        "connection_limit": CONNECTION_LIMIT,
        "channel_timeout": IDLE_TIMEOUT_S,
        "cleanup_interval": 1,  # check the timeouts every second
        "max_request_header_size": MAX_HEADER_BYTES,
        "max_request_body_size": max_body,
        # Keep bodies and responses in memory: waitress would spill larger ones to temp files.
        "inbuf_overflow": max_body + 1,
        "outbuf_overflow": 32 * 2**20,
        "asyncore_use_poll": True,  # poll() has no 1024-descriptor limit, select() has
        # Pass X-Forwarded-For on to the app: client_address() trusts it only from loopback.
        "clear_untrusted_proxy_headers": False,
        "ident": "",  # no Server: header naming the software
    }


def _hardened_server_classes() -> tuple[type, type]:
    """waitress's server and channel, with JSON error pages and request deadlines."""
    from waitress.channel import HTTPChannel
    from waitress.server import TcpWSGIServer
    from waitress.task import ErrorTask

    class JSONErrorTask(ErrorTask):
        """waitress's own refusals (headers too large, malformed request) as JSON."""

        def execute(self) -> None:
            error = self.request.error
            body = json.dumps({"error": f"{error.reason}: {error.body}"}).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class Channel(HTTPChannel):
        error_task_class = JSONErrorTask
        request_started = 0.0

        def received(self, data: bytes) -> bool:
            if self.request is None and not self.requests:
                self.request_started = time.time()  # the first bytes of a new request
            return super().received(data)

        def too_slow(self, now: float) -> bool:
            partial = self.request  # a request still being received
            if partial is None or self.requests:
                return False
            limit = REQUEST_TIMEOUT_S if partial.headers_finished else HEADER_TIMEOUT_S
            return now - self.request_started > limit

    class Server(TcpWSGIServer):
        channel_class = Channel

        def maintenance(self, now: float) -> None:
            super().maintenance(now)  # closes idle connections
            for channel in list(self.active_channels.values()):
                if channel.too_slow(now):
                    channel.will_close = True

    return Server, Channel


def make_server(app: Flask, host: str, port: int, threads: int = THREADS) -> Any:
    """A waitress server for `app` on host:port, not yet running (call .run(), .close())."""
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    server_class, _ = _hardened_server_classes()
    adjustments = Adjustments(host=host, port=port, **server_settings(app, threads))
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adjustments.threads)
    return server_class(app, {}, dispatcher=dispatcher, adj=adjustments)


def serve(
    create_app: Callable[[], Flask], host: str, port: int, routes: str = "", threads: int = THREADS
) -> None:
    """Build the app (after logging is set up, so its start-up messages show) and serve it
    with waitress: a production WSGI server that also runs on Windows."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app()
    server = make_server(app, host, port, threads)
    print(f"Serving on http://{host}:{server.effective_port}  {routes}".rstrip(), flush=True)
    server.run()
