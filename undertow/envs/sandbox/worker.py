"""The sandbox worker: carries out sandbox requests inside one workspace.

This module is the single implementation of what a sandbox does (run a command, read, write
and list files, snapshot the workspace). Both backends use it: the local backend calls
:func:`handle` in-process; the docker backend starts this file inside the container as a
long-lived command server (:func:`serve`), speaking one JSON object per line on stdin/stdout,
so a command costs a round trip over the attach stream instead of a ``docker exec``.

It must therefore stay standard-library only and import nothing from ``undertow``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import pwd
import resource
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_EXCLUDES = (".git", "__pycache__", ".pytest_cache")
DRAIN_GRACE_SECONDS = 1.0
READ_CHUNK = 65536


class RequestError(Exception):
    """A request the worker refuses; ``kind`` is one of path, not_found, bad_request, io."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class WorkerConfig:
    """How the worker runs commands. Limits of 0 or None mean "no limit"."""

    root: str
    cpu_seconds: int | None = None
    memory_bytes: int | None = None
    file_size_bytes: int | None = None
    processes: int | None = None
    output_limit: int = 65536
    user: int | None = None
    """Run commands as this uid (and its primary gid); None keeps the worker's own."""
    oom_adjust: bool = False
    """Make commands the OOM killer's first choice, so a memory hog dies before the worker."""
    base_env: dict[str, str] = field(default_factory=dict)


def resolve(root: str, path: str) -> str:
    """Return the real path of ``path`` inside ``root``; refuse anything that leaves it."""
    if not isinstance(path, str) or not path or "\x00" in path:
        raise RequestError("bad_request", f"invalid path {path!r}")
    candidate = path if os.path.isabs(path) else os.path.join(root, path)
    real = os.path.realpath(candidate)
    if real != root and not real.startswith(root + os.sep):
        raise RequestError(
            "path",
            f"path {path!r} is outside the workspace {root}; use a path inside it",
        )
    return real


def _count_processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def _child_setup(config: WorkerConfig, nproc: int | None) -> Any:
    def setup() -> None:
        if config.cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (config.cpu_seconds, config.cpu_seconds + 1))
        if config.memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (config.memory_bytes, config.memory_bytes))
        if config.file_size_bytes:
            resource.setrlimit(
                resource.RLIMIT_FSIZE, (config.file_size_bytes, config.file_size_bytes)
            )
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        if config.oom_adjust:
            try:
                with open("/proc/self/oom_score_adj", "w") as handle:
                    handle.write("1000")
            except OSError:
                pass

    return setup


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _shell() -> str:
    return "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"


def _describe_exit(returncode: int, timed_out: bool, timeout: float, config: WorkerConfig) -> str:
    if timed_out:
        return f"command timed out after {timeout:g}s; its process group was killed"
    signum = -returncode if returncode < 0 else returncode - 128
    if signum <= 0 or signum not in signal.valid_signals():
        return ""
    name = signal.Signals(signum).name
    who = "command was killed" if returncode < 0 else "a process of the command was killed"
    if signum == signal.SIGXCPU:
        return f"{who} by {name}: CPU time limit of {config.cpu_seconds}s exceeded"
    if signum == signal.SIGXFSZ:
        return f"{who} by {name}: file size limit of {config.file_size_bytes} bytes exceeded"
    if signum == signal.SIGKILL:
        return f"{who} by {name} (most often the sandbox's memory limit)"
    return f"{who} by {name}"


def _reap_orphans() -> None:
    """As a container's init (pid 1), collect the orphans of killed commands (zombies hold pids)."""
    if os.getpid() != 1:
        return  # elsewhere orphans go to the host's init, and other children are not ours
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _await_group_exit(pgid: int, grace: float) -> None:
    """Wait until every process of the group is gone (killed processes take a moment)."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap_orphans()
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.005)


def run_command(
    config: WorkerConfig,
    command: str,
    *,
    cwd: str = ".",
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Run ``command`` in a shell in its own process group, with limits, and capture output.

    The whole process group is killed on timeout, and also when the shell exits, so a
    command's background processes never outlive it. Output beyond ``output_limit`` bytes per
    stream is read and discarded, and a visible marker says how much was cut.
    """
    workdir = resolve(config.root, cwd)
    if not os.path.isdir(workdir):
        raise RequestError("not_found", f"working directory {cwd!r} does not exist")
    full_env = {**config.base_env, **(env or {})}
    target_uid = config.user if config.user is not None else os.getuid()
    nproc = _count_processes_of(target_uid) + config.processes if config.processes else None
    started = time.monotonic()
    proc = subprocess.Popen(
        [_shell(), "-c", command],
        cwd=workdir,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_child_setup(config, nproc),
        user=config.user,
        group=None if config.user is None else primary_gid(config.user),
        extra_groups=None if config.user is None else [],
    )
    outputs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    totals = dict.fromkeys(outputs, 0)
    selector = selectors.DefaultSelector()
    for stream in (proc.stdout, proc.stderr):
        selector.register(stream.fileno(), selectors.EVENT_READ)
    deadline = started + timeout
    timed_out = False
    group_killed = False
    while selector.get_map():
        now = time.monotonic()
        if now >= deadline:
            if group_killed:
                break  # something outside the group holds the pipes: stop waiting
            timed_out = proc.poll() is None
            _kill_group(proc.pid)
            group_killed = True
            deadline = now + DRAIN_GRACE_SECONDS
        for key, _ in selector.select(min(deadline - now, 0.05)):
            chunk = os.read(key.fd, READ_CHUNK)
            if not chunk:
                selector.unregister(key.fd)
                continue
            totals[key.fd] += len(chunk)
            buffer = outputs[key.fd]
            room = config.output_limit - len(buffer)
            if room > 0:
                buffer += chunk[:room]
        if not group_killed and proc.poll() is not None:
            _kill_group(proc.pid)
            group_killed = True
            deadline = min(deadline, time.monotonic() + DRAIN_GRACE_SECONDS)
    selector.close()
    if not group_killed:  # both pipes closed: the shell is exiting, or closed them and runs on
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill_group(proc.pid)
    returncode = proc.wait()
    _await_group_exit(proc.pid, DRAIN_GRACE_SECONDS)
    proc.stdout.close()
    proc.stderr.close()
    duration = time.monotonic() - started
    texts = []
    truncated = False
    for fd in outputs:
        text = outputs[fd].decode("utf-8", errors="replace")
        if totals[fd] > len(outputs[fd]):
            truncated = True
            text += (
                f"\n[undertow: output truncated: {totals[fd]} bytes written, "
                f"first {len(outputs[fd])} shown]\n"
            )
        texts.append(text)
    exit_code = returncode if returncode >= 0 else 128 - returncode
    return {
        "exit_code": 124 if timed_out else exit_code,
        "stdout": texts[0],
        "stderr": texts[1],
        "duration": duration,
        "timed_out": timed_out,
        "truncated": truncated,
        "note": _describe_exit(returncode, timed_out, timeout, config),
    }


def primary_gid(uid: int) -> int:
    try:
        return pwd.getpwuid(uid).pw_gid
    except KeyError:
        return uid


def _chown_to_user(config: WorkerConfig, path: str) -> None:
    if config.user is not None:
        os.chown(path, config.user, primary_gid(config.user))


def read_file(config: WorkerConfig, path: str) -> str:
    """Return the file's bytes, base64-encoded."""
    real = resolve(config.root, path)
    if not os.path.isfile(real):
        raise RequestError("not_found", f"no file {path!r} in the workspace")
    with open(real, "rb") as handle:
        return base64.b64encode(handle.read()).decode("ascii")


def write_file(config: WorkerConfig, path: str, data_b64: str) -> int:
    """Write base64-encoded bytes to ``path``, creating parent folders; return the size."""
    real = resolve(config.root, path)
    if os.path.isdir(real):
        raise RequestError("bad_request", f"{path!r} is a folder, not a file")
    parent = os.path.dirname(real)
    missing = []
    while not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    for folder in missing:
        _chown_to_user(config, folder)
    data = base64.b64decode(data_b64)
    with open(real, "wb") as handle:
        handle.write(data)
    _chown_to_user(config, real)
    return len(data)


def _walk(config: WorkerConfig, top: str, excludes: tuple[str, ...]) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in excludes)
        for name in files:
            if name not in excludes:
                found.append(os.path.relpath(os.path.join(folder, name), config.root))
    return sorted(found)


def list_files(config: WorkerConfig, path: str = ".", recursive: bool = True) -> list[str]:
    """Files under ``path``, relative to the workspace; folders end in ``/`` when not recursive."""
    real = resolve(config.root, path)
    if not os.path.isdir(real):
        raise RequestError("not_found", f"no folder {path!r} in the workspace")
    if recursive:
        return _walk(config, real, ())
    entries = []
    for name in sorted(os.listdir(real)):
        full = os.path.join(real, name)
        relative = os.path.relpath(full, config.root)
        entries.append(relative + "/" if os.path.isdir(full) else relative)
    return entries


def _digest(path: str) -> str:
    if os.path.islink(path):
        return "symlink:" + hashlib.sha256(os.readlink(path).encode()).hexdigest()
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def snapshot(config: WorkerConfig, excludes: tuple[str, ...] = DEFAULT_EXCLUDES) -> dict[str, str]:
    """Map every file in the workspace (relative path) to the SHA-256 of its content."""
    manifest = {}
    for relative in _walk(config, config.root, excludes):
        try:
            manifest[relative] = _digest(os.path.join(config.root, relative))
        except OSError:
            continue  # vanished or unreadable while walking: not part of the state
    return manifest


def handle(config: WorkerConfig, request: dict[str, Any]) -> dict[str, Any]:
    """Carry out one request; never raises. Returns ``{"ok": True, "result": ...}`` or an error."""
    op = request.get("op")
    try:
        if op == "ping":
            result: Any = {"pid": os.getpid(), "root": config.root}
        elif op == "exec":
            result = run_command(
                config,
                request["command"],
                cwd=request.get("cwd", "."),
                env=request.get("env"),
                timeout=float(request.get("timeout", 60.0)),
            )
        elif op == "read":
            result = read_file(config, request["path"])
        elif op == "write":
            result = write_file(config, request["path"], request["data"])
        elif op == "list":
            result = list_files(config, request.get("path", "."), request.get("recursive", True))
        elif op == "snapshot":
            result = snapshot(config, tuple(request.get("excludes", DEFAULT_EXCLUDES)))
        else:
            raise RequestError("bad_request", f"unknown operation {op!r}")
    except RequestError as exc:
        return {"ok": False, "error": {"kind": exc.kind, "message": str(exc)}}
    except KeyError as exc:
        return {"ok": False, "error": {"kind": "bad_request", "message": f"missing field {exc}"}}
    except (OSError, subprocess.SubprocessError) as exc:
        return {"ok": False, "error": {"kind": "io", "message": f"{type(exc).__name__}: {exc}"}}
    return {"ok": True, "result": result}


def serve(config: WorkerConfig) -> None:
    """Answer JSON-line requests from stdin on stdout until stdin closes."""
    os.makedirs(config.root, exist_ok=True)
    config.root = os.path.realpath(config.root)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    for line in iter(stdin.readline, b""):
        try:
            request = json.loads(line)
        except json.JSONDecodeError as exc:
            response = {"ok": False, "error": {"kind": "bad_request", "message": str(exc)}}
        else:
            response = handle(config, request)
            response["id"] = request.get("id")
        stdout.write(json.dumps(response).encode() + b"\n")
        stdout.flush()


if __name__ == "__main__":
    serve(WorkerConfig(**json.loads(sys.argv[1])))
