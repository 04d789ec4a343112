#!/usr/bin/env bash
# Set up, then run Undertow's main job on embedded defaults (no API key, no Docker needed):
# the built-in `smoke` suite, with its summary. Extra arguments go to `undertow run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/undertow run smoke "$@"
