"""Helpers shared by tests: running the real `undertow` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_undertow(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run `undertow ARGS` as a user would; wide columns so tables do not wrap."""
    return subprocess.run(
        [sys.executable, "-c", "from undertow.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250", **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )
