#!/usr/bin/env bash
# Set up, then run Undertow's main job on embedded defaults (no API key, no Docker needed).
# Until the scenario runner lands, the main job is the sandbox health check: it exercises the
# local backend (and Docker when present) and says what to fix.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/undertow sandbox doctor
