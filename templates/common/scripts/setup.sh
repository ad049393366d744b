#!/bin/sh
# Create the virtual environment and install the project with its dev tools.
# Safe to run again: it reuses an existing environment and only installs what changed.
#   PYTHON=python3.12 sh scripts/setup.sh   # choose the interpreter
#   VENV=.venv-other sh scripts/setup.sh    # choose where the environment lives
set -eu

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON was not found; install a Python that pyproject.toml's requires-python allows, or name one with PYTHON=python3.12 make setup" >&2
    exit 1
fi

# An environment this run creates is removed again if the run fails or is interrupted, so a
# half-built .venv never looks ready; an environment that existed before is left alone.
created=""
cleanup() {
    status=$?
    if [ "$status" -ne 0 ] && [ -n "$created" ]; then
        rm -rf "$VENV"
        echo "error: setup failed; removed the unfinished $VENV (run make setup again)" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if command -v uv >/dev/null 2>&1; then
    # uv is much faster than pip; use it when it is installed.
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> uv venv $VENV --python $PYTHON"
        created=yes
        uv venv "$VENV" --python "$PYTHON"
    else
        echo "==> reusing $VENV"
    fi
    echo "==> uv pip install -e .[dev]"
    uv pip install --python "$VENV/bin/python" -e ".[dev]"
else
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> $PYTHON -m venv $VENV"
        created=yes
        "$PYTHON" -m venv "$VENV"
    else
        echo "==> reusing $VENV"
    fi
    # An environment that uv made has no pip of its own: give it one.
    if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        echo "==> $VENV/bin/python -m ensurepip"
        "$VENV/bin/python" -m ensurepip --upgrade
    fi
    echo "==> $VENV/bin/python -m pip install -e .[dev]"
    "$VENV/bin/python" -m pip install --upgrade pip
    "$VENV/bin/python" -m pip install -e ".[dev]"
fi

echo "==> done: run 'make test', 'make train' or 'make serve' (no need to activate $VENV)"
