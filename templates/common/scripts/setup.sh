#!/bin/sh
# Create the virtual environment and install the project with its dev tools.
# Safe to run again: it reuses an existing environment and only installs what changed.
#   PYTHON=python3.12 sh scripts/setup.sh   # choose the interpreter
#   VENV=.venv-other sh scripts/setup.sh    # choose where the environment lives
set -eu

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

if command -v uv >/dev/null 2>&1; then
    # uv is much faster than pip; use it when it is installed.
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> uv venv $VENV --python $PYTHON"
        uv venv "$VENV" --python "$PYTHON"
    else
        echo "==> reusing $VENV"
    fi
    echo "==> uv pip install -e .[dev]"
    uv pip install --python "$VENV/bin/python" -e ".[dev]"
else
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> $PYTHON -m venv $VENV"
        "$PYTHON" -m venv "$VENV"
    else
        echo "==> reusing $VENV"
    fi
    echo "==> $VENV/bin/python -m pip install -e .[dev]"
    "$VENV/bin/python" -m pip install --upgrade pip
    "$VENV/bin/python" -m pip install -e ".[dev]"
fi

echo "==> done: run 'make test', 'make train' or 'make serve' (no need to activate $VENV)"
