#!/usr/bin/env bash
# Download into build/wheelhouse/ the wheels the docker tests of project images install, so
# that the tests themselves need no package index: pip (run from its wheel inside the image),
# for the sandbox images' Python (3.11 on Debian bookworm). scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p build/wheelhouse
"$PYTHON" -m pip download --quiet --disable-pip-version-check --only-binary :all: \
  --python-version 3.11 --implementation cp --abi cp311 --platform manylinux2014_x86_64 \
  --dest build/wheelhouse pip
ls build/wheelhouse
