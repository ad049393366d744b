"""A real MySQL-compatible server for the tests: never a silent fallback to SQLite.

- TEST_DATABASE_URL set (CI: a MariaDB service container): use that server.
- Otherwise start a throw-away MariaDB from PATH (`apt-get install mariadb-server`): a data
  directory made by mariadb-install-db in a temporary folder, a free port on 127.0.0.1,
  stopped when the test session ends.
- Neither: the tests fail, saying what to install. Skipping would hide that the MySQL code was
  never tested.

Each test gets a database of its own (CREATE DATABASE), so tests do not see each other's rows.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

_server_url: str | None = None
_names = itertools.count()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _find(*names: str) -> str | None:
    for name in names:
        for folder in (None, "/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin"):
            found = shutil.which(name, path=folder)
            if found:
                return found
    return None


def _start_local_mariadb() -> str:
    server = _find("mariadbd", "mysqld")
    install = _find("mariadb-install-db", "mysql_install_db")
    if not server or not install:
        pytest.fail(
            "The MySQL variant's tests need a MariaDB server: install it "
            "(sudo apt-get install mariadb-server, or brew install mariadb) "
            "or set TEST_DATABASE_URL=mysql+pymysql://user:password@host:3306/db",
            pytrace=False,
        )
    root = Path(tempfile.mkdtemp(prefix="mariadb-test-"))
    data, port = root / "data", _free_port()
    # MariaDB refuses to run as root unless told to (containers, CI runners).
    as_root = ["--user=root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    subprocess.run(
        [install, "--no-defaults", f"--datadir={data}", "--skip-test-db",
         "--auth-root-authentication-method=normal", *as_root],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [server, "--no-defaults", f"--datadir={data}", f"--socket={root / 'mysqld.sock'}",
         f"--port={port}", "--bind-address=127.0.0.1", "--skip-grant-tables",
         "--skip-log-bin", "--innodb-buffer-pool-size=32M", *as_root],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    url = f"mysql+pymysql://root@127.0.0.1:{port}/?charset=utf8mb4"
    deadline = time.monotonic() + 60
    while True:
        try:
            create_engine(url).connect().close()
            return url
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"MariaDB did not start: {(root / 'server.log').read_text()[-2000:]}",
                    pytrace=False,
                )
            time.sleep(0.2)


def server_url() -> str:
    """The URL of the test server (started once per test session)."""
    global _server_url
    if _server_url is None:
        _server_url = os.environ.get("TEST_DATABASE_URL") or _start_local_mariadb()
    return _server_url


def fresh_database() -> str:
    """A new empty database on the test server; its URL."""
    base = make_url(server_url())
    name = f"books_test_{os.getpid()}_{next(_names)}"
    engine = create_engine(base.set(database=None))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    engine.dispose()
    query = dict(base.query) | {"charset": "utf8mb4"}
    return base.set(database=name, query=query).render_as_string(hide_password=False)
