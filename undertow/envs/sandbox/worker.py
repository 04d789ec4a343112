"""The sandbox worker: carries out sandbox requests inside one workspace.

This module is the single implementation of what a sandbox does (run a command, read, write
and list files, snapshot the workspace, run a grader's isolated evaluation). Both backends use
it: the local backend calls :meth:`Worker.handle` in-process; the docker backend starts this
file inside the container as a long-lived command server (:func:`serve`), speaking one JSON
object per line on stdin/stdout, so a command costs a round trip over the attach stream
instead of a ``docker exec``. No request can stop it: anything malformed gets an error answer.

Three identities (when the worker is root): the worker itself (the grader's side), the agent's
user (``user``), which runs commands and owns the workspace, and the grading user
(``grader_user``), which runs the agent's code for a grader in a tree the worker builds under
``grader_root``, a folder the agent's user cannot read. Every process of the agent's user is
killed when a command ends, every process of the grading user when an evaluation ends.

A coding-agent CLI (``cli_*`` requests) runs as the agent's user too, for the whole episode:
the worker loads the session's code from the request (:mod:`undertow.envs.sandbox.cli_session`)
and freezes the CLI before every request that touches the workspace; the kill at each
command's end then spares the CLI's frozen processes, and nothing else.

It must stay standard-library only and import nothing from ``undertow``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import os
import pwd
import resource
import select
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DRAIN_GRACE_SECONDS = 1.0
READ_CHUNK = 65536
MAX_TIMEOUT_SECONDS = 24 * 3600.0
SNAPSHOT_LIMIT = 100_000
"""Files a snapshot lists; past that it says so with an ``OVERFLOW_KEY`` entry."""
OVERFLOW_KEY = "\x00overflow"
KILL_ROUNDS = 50
SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")
"""World-writable folders every user shares: the grading user may leave nothing in them."""
SYSV_IPC = {"shm": 0, "msg": 1, "sem": 2}
GRADER_RESULT_LIMIT = 8 * 1024 * 1024
GRADER_PYTHON_FLAGS = ("-I", "-S", "-B")
FREEZING_OPS = ("exec", "read", "write", "list", "snapshot", "grader_put", "run_isolated")
"""Requests that look at or change the world: a running CLI is frozen before each."""


class RequestError(Exception):
    """A request the worker refuses; ``kind`` is path, not_found, bad_request, invalid or io
    (and ``internal`` for a failure nobody foresaw)."""

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
    """Run commands as this uid (and the gid of the same number); None keeps the worker's."""
    grader_user: int | None = None
    """Run the agent's code for graders as this uid; None keeps the worker's (not root only)."""
    grader_root: str = ""
    """A folder outside the workspace for the grader's files; empty: no isolated runs."""
    python: str = "python3"
    oom_adjust: bool = False
    """Make commands the OOM killer's first choice, so a memory hog dies before the worker."""
    add_users: bool = False
    """Add passwd and group entries for the two users (in a container of our own)."""
    base_env: dict[str, str] = field(default_factory=dict)
    cli_root: str = ""
    """A folder outside the workspace for a coding-agent CLI's shims, files and home; empty:
    no CLI can run here."""


# ---- validation ----------------------------------------------------------------------------


def text(value: Any, what: str) -> str:
    """``value`` as a string a process or path can carry: no NUL byte, encodable as UTF-8."""
    if not isinstance(value, str):
        raise RequestError("bad_request", f"{what} must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise RequestError(
            "invalid", f"{what} contains a NUL byte (\\x00), which no command or path can hold"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RequestError(
            "invalid",
            f"{what} contains {exc.object[exc.start : exc.end]!r} at position {exc.start}, "
            "which is not valid Unicode text (a lone surrogate); send UTF-8 text",
        ) from None
    return value


def timeout_value(value: Any) -> float:
    """A finite, positive number of seconds, at most a day."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError("bad_request", f"timeout must be a number, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise RequestError("bad_request", f"timeout must be a finite number above 0, not {value}")
    return min(float(value), MAX_TIMEOUT_SECONDS)


def resolve(root: str, path: Any) -> str:
    """Return the real path of ``path`` inside ``root``; refuse anything that leaves it."""
    if not isinstance(path, str) or not path:
        raise RequestError("bad_request", f"invalid path {path!r}")
    path = text(path, "the path")
    candidate = path if os.path.isabs(path) else os.path.join(root, path)
    real = os.path.realpath(candidate)
    if real != root and not real.startswith(root + os.sep):
        raise RequestError(
            "path",
            f"path {path!r} is outside the workspace {root}; use a path inside it",
        )
    return real


def relative(path: Any, what: str) -> str:
    """A normalised relative path that stays where it is put (for the grader's trees)."""
    path = text(path, what)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or os.path.isabs(path) or ".." in parts:
        raise RequestError("bad_request", f"{what} {path!r} must be a relative path without ..")
    return "/".join(parts)


# ---- processes -----------------------------------------------------------------------------


def primary_gid(uid: int) -> int:
    try:
        return pwd.getpwuid(uid).pw_gid
    except KeyError:
        return uid


def living_processes(uid: int) -> list[int]:
    """Pids of the processes of ``uid`` that are not zombies."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if state not in (b"Z", b"X"):
            found.append(int(entry))
    return found


WATCHED: set[int] = set()
"""Children whose exit status matters (a CLI's leader): :func:`reap_orphans` keeps it."""
REAPED: dict[int, int] = {}
"""Wait statuses of watched children that :func:`reap_orphans` collected."""


def reap_orphans() -> None:
    """As a container's init (pid 1), collect the orphans of killed commands (zombies hold pids)."""
    if os.getpid() != 1:
        return  # elsewhere orphans go to the host's init, and other children are not ours
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in WATCHED:
            REAPED[pid] = status


def kill_user(uid: int) -> bool:
    """Kill every process of ``uid``, also those that left their process group or session:
    a helper running as ``uid`` signals all it may (``kill -9 -1``). True when none is left."""
    for _ in range(KILL_ROUNDS):
        reap_orphans()
        if not living_processes(uid):
            return True
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["/bin/sh", "-c", "kill -9 -1 2>/dev/null"],
                user=uid,
                group=primary_gid(uid),
                extra_groups=[],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=10,
            )
        time.sleep(0.002)
    return not living_processes(uid)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def separate_user(uid: int | None) -> bool:
    """True when ``uid`` is a user apart from the worker's, which it can kill and confine."""
    return uid is not None and os.geteuid() == 0 and uid != 0


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


PR_SET_NO_NEW_PRIVS = 38
_LIBC: list[Any] = []


def _prctl() -> Any:
    """libc's prctl, loaded before a fork (a forked child should not load libraries)."""
    if not _LIBC:
        try:
            import ctypes

            _LIBC.append(ctypes.CDLL(None, use_errno=True).prctl)
        except (OSError, AttributeError):
            _LIBC.append(None)
    return _LIBC[0]


def _no_new_privileges(prctl: Any) -> None:
    """No setuid program the process runs gains privileges (docker sets this for containers)."""
    if prctl is not None:
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _child_setup(config: WorkerConfig, nproc: int | None) -> Any:
    prctl = _prctl()

    def setup() -> None:
        _no_new_privileges(prctl)
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
        resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))  # no POSIX message queues
        if config.oom_adjust:
            try:
                with open("/proc/self/oom_score_adj", "w") as handle:
                    handle.write("1000")
            except OSError:
                pass

    return setup


def _shell() -> str:
    return "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"


def _describe_exit(returncode: int, timed_out: bool, timeout: float, config: WorkerConfig) -> str:
    if timed_out:
        return f"command timed out after {timeout:g}s; its processes were killed"
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


def _await_group_exit(pgid: int, grace: float) -> None:
    """Wait until every process of the group is gone (killed processes take a moment)."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        reap_orphans()
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.005)


def _collect(
    proc: subprocess.Popen[bytes],
    streams: dict[int, int],
    timeout: float,
    end: Any,
) -> tuple[dict[int, bytearray], dict[int, int], bool]:
    """Read ``streams`` (fd -> byte limit) until they close; ``end()`` kills what is left when
    the process exits or the time is up. Returns (kept bytes, totals, timed out)."""
    outputs = {fd: bytearray() for fd in streams}
    totals = dict.fromkeys(streams, 0)
    selector = selectors.DefaultSelector()
    for fd in streams:
        selector.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    timed_out = ended = False
    while selector.get_map():
        now = time.monotonic()
        if now >= deadline:
            if ended:
                break  # something we cannot kill holds the pipes: stop waiting
            timed_out = proc.poll() is None
            end()
            ended = True
            deadline = now + DRAIN_GRACE_SECONDS
        for key, _ in selector.select(min(deadline - now, 0.05)):
            chunk = os.read(key.fd, READ_CHUNK)
            if not chunk:
                selector.unregister(key.fd)
                continue
            totals[key.fd] += len(chunk)
            room = streams[key.fd] - len(outputs[key.fd])
            if room > 0:
                outputs[key.fd] += chunk[:room]
        if not ended and proc.poll() is not None:
            end()
            ended = True
            deadline = min(deadline, time.monotonic() + DRAIN_GRACE_SECONDS)
    selector.close()
    if not ended:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
        end()
    return outputs, totals, timed_out


def run_command(
    config: WorkerConfig,
    command: Any,
    *,
    cwd: Any = ".",
    env: Any = None,
    timeout: Any = 60.0,
    sweep: Any = None,
) -> dict[str, Any]:
    """Run ``command`` in a shell as the agent's user, with limits, and capture output.

    When the shell exits or the time is up, its process group is killed and, when the agent
    has a user of its own, every process of that user, so nothing a command started outlives
    it (not even one that called ``setsid``). Output beyond ``output_limit`` bytes per stream
    is read and discarded, and a visible marker says how much was cut. ``sweep`` replaces
    that killing of the user's processes (a CLI session's, which spares its frozen CLI).
    """
    command = text(command, "the command")
    seconds = timeout_value(timeout)
    workdir = resolve(config.root, cwd)
    if not os.path.isdir(workdir):
        raise RequestError("not_found", f"working directory {cwd!r} does not exist")
    if env is not None and not isinstance(env, dict):
        raise RequestError("bad_request", "env must be an object of names to values")
    extra = {text(k, "an environment name"): text(v, f"${k}") for k, v in (env or {}).items()}
    full_env = {**config.base_env, **extra}
    target_uid = config.user if config.user is not None else os.getuid()

    def clear() -> None:
        if sweep is not None:
            sweep()
        elif separate_user(config.user):
            kill_user(target_uid)

    clear()  # whatever escaped an earlier command: nothing runs beside this one
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
    assert proc.stdout is not None and proc.stderr is not None

    def end() -> None:
        _kill_group(proc.pid)
        clear()

    streams = {proc.stdout.fileno(): config.output_limit, proc.stderr.fileno(): config.output_limit}
    outputs, totals, timed_out = _collect(proc, streams, seconds, end)
    returncode = proc.wait()
    _await_group_exit(proc.pid, DRAIN_GRACE_SECONDS)
    proc.stdout.close()
    proc.stderr.close()
    texts = []
    truncated = False
    for fd in outputs:
        shown = outputs[fd].decode("utf-8", errors="replace")
        if totals[fd] > len(outputs[fd]):
            truncated = True
            shown += (
                f"\n[undertow: output truncated: {totals[fd]} bytes written, "
                f"first {len(outputs[fd])} shown]\n"
            )
        texts.append(shown)
    exit_code = returncode if returncode >= 0 else 128 - returncode
    return {
        "exit_code": 124 if timed_out else exit_code,
        "stdout": texts[0],
        "stderr": texts[1],
        "duration": time.monotonic() - started,
        "timed_out": timed_out,
        "truncated": truncated,
        "note": _describe_exit(returncode, timed_out, seconds, config),
    }


# ---- files ---------------------------------------------------------------------------------


def _chown_to_user(config: WorkerConfig, path: str) -> None:
    if separate_user(config.user):
        assert config.user is not None
        os.lchown(path, config.user, primary_gid(config.user))


def _open_regular(real: str, shown: str, config: WorkerConfig) -> int:
    """Open a regular file without following a link or blocking on a FIFO."""
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise RequestError("not_found", f"no file {shown!r} in the workspace") from None
    except IsADirectoryError:
        raise RequestError("not_found", f"no file {shown!r} in the workspace") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise RequestError("not_found", f"no file {shown!r} in the workspace (not a regular file)")
    if info.st_nlink > 1 and config.user is not None and info.st_uid != config.user:
        os.close(fd)
        raise RequestError("path", f"{shown!r} is a hard link to a file the workspace does not own")
    return fd


def read_file(config: WorkerConfig, path: Any) -> str:
    """Return the file's bytes, base64-encoded."""
    real = resolve(config.root, path)
    with os.fdopen(_open_regular(real, path, config), "rb") as handle:
        return base64.b64encode(handle.read()).decode("ascii")


def write_file(config: WorkerConfig, path: Any, data_b64: Any) -> int:
    """Write base64-encoded bytes to ``path``, creating parent folders; return the size.

    The file is written beside its target and renamed over it, so a hard link or a FIFO at
    the path is replaced, never written through."""
    real = resolve(config.root, path)
    try:
        existing = os.lstat(real)
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise RequestError("bad_request", f"{path!r} is a folder, not a file")
    parent = os.path.dirname(real)
    missing = []
    while not os.path.isdir(parent):
        if os.path.lexists(parent):
            raise RequestError("bad_request", f"{path!r} is under a file, not a folder")
        missing.append(parent)
        parent = os.path.dirname(parent)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    for folder in reversed(missing):
        _chown_to_user(config, folder)
    try:
        data = base64.b64decode(text(data_b64, "the data"), validate=True)
    except ValueError:
        raise RequestError("bad_request", "the data is not base64") from None
    temporary = os.path.join(os.path.dirname(real), f".undertow-write-{os.urandom(6).hex()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if existing is not None and stat.S_ISREG(existing.st_mode):
            os.chmod(temporary, stat.S_IMODE(existing.st_mode) & 0o777)
        _chown_to_user(config, temporary)
        os.replace(temporary, real)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return len(data)


def _walk(config: WorkerConfig, top: str, excludes: tuple[str, ...]) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in excludes)
        for name in files:
            if name not in excludes:
                found.append(os.path.relpath(os.path.join(folder, name), config.root))
    return sorted(found)


def list_files(config: WorkerConfig, path: Any = ".", recursive: Any = True) -> list[str]:
    """Files under ``path``, relative to the workspace; folders end in ``/`` when not recursive."""
    real = resolve(config.root, path)
    if not os.path.isdir(real):
        raise RequestError("not_found", f"no folder {path!r} in the workspace")
    if recursive:
        return _walk(config, real, ())
    entries = []
    for name in sorted(os.listdir(real)):
        full = os.path.join(real, name)
        shown = os.path.relpath(full, config.root)
        entries.append(shown + "/" if os.path.isdir(full) else shown)
    return entries


def _digest_regular(path: str, before: os.stat_result) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(fd).st_ino != before.st_ino:
            return "changed-while-read"
        sha = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def describe_entry(path: str, info: os.stat_result) -> str:
    """A file's state for a snapshot: the SHA-256 of a regular file's content, of a link's
    target, or what kind of special file it is (never opened)."""
    mode = info.st_mode
    if stat.S_ISREG(mode):
        try:
            return _digest_regular(path, info)
        except PermissionError:
            return "unreadable"
    if stat.S_ISLNK(mode):
        return "symlink:" + hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
    if stat.S_ISFIFO(mode):
        return "special:fifo"
    if stat.S_ISSOCK(mode):
        return "special:socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "char" if stat.S_ISCHR(mode) else "block"
        return f"special:{kind}-device:{os.major(info.st_rdev)}:{os.minor(info.st_rdev)}"
    return "special:unknown"


def snapshot(config: WorkerConfig, excludes: Any = ()) -> dict[str, str]:
    """Every file in the workspace (relative path) -> what :func:`describe_entry` says of it.

    Caches and hidden folders are included; ``excludes`` lists relative paths to leave out
    (a folder with all it holds). A folder that cannot be read is an entry ``path/``, and a
    workspace of more than ``SNAPSHOT_LIMIT`` files ends with an ``OVERFLOW_KEY`` entry."""
    skipped = {relative(e, "an exclude") for e in excludes} if excludes else set()
    manifest: dict[str, str] = {}
    pending = [""]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(os.scandir(os.path.join(config.root, folder)), key=lambda e: e.name)
        except OSError:
            manifest[folder + "/"] = "unreadable"
            continue
        for entry in entries:
            name = f"{folder}/{entry.name}" if folder else entry.name
            if name in skipped:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    pending.append(name)
                    continue
                manifest[name] = describe_entry(entry.path, info)
            except OSError:
                continue  # vanished while walking: not part of the state
            if len(manifest) >= SNAPSHOT_LIMIT:
                manifest[OVERFLOW_KEY] = f"more than {SNAPSHOT_LIMIT} files"
                return manifest
    return manifest


# ---- isolated grading runs -----------------------------------------------------------------


def _shared_entries(uids: set[int]) -> list[tuple[str, os.stat_result]]:
    """Entries of the shared folders that one of ``uids`` owns, or that it could write into
    (world-writable folders are walked)."""
    found = []
    pending = [f for f in SHARED_FOLDERS if os.path.isdir(f) and not os.path.islink(f)]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid in uids:
                found.append((entry.path, info))
            if stat.S_ISDIR(info.st_mode) and (info.st_uid in uids or info.st_mode & 0o002):
                pending.append(entry.path)
    return found


def _close_shared_writes(uid: int) -> None:
    """Before the agent's code runs for a grader: nothing of the agent's user in the shared
    folders stays writable by others (it could receive what the grading process knows)."""
    for path, info in _shared_entries({uid}):
        if info.st_mode & 0o022 and not stat.S_ISLNK(info.st_mode):
            with contextlib.suppress(OSError):
                os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o022)


def sweep_shared(uids: set[int]) -> None:
    """Remove whatever these users left in the shared folders."""
    for path, info in sorted(_shared_entries(uids), key=lambda item: -len(item[0])):
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)


def purge_sysv_ipc(uids: set[int]) -> None:
    """Remove the System V message queues, shared memory and semaphores these users own or
    created (they outlive processes and could carry what a grading process knows)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return
    for kind, index in SYSV_IPC.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        header = {"shm": (7, 8, 9, 10), "msg": (7, 8, 9, 10), "sem": (4, 5, 6, 7)}[kind]
        for row in rows:
            columns = row.split()
            try:
                owners = {int(columns[i]) for i in header}
                ipc_id = int(columns[1])
            except (IndexError, ValueError):
                continue
            if owners & uids:
                remove = (libc.shmctl, libc.msgctl, libc.semctl)[index]
                if kind == "sem":
                    remove(ipc_id, 0, 0)  # IPC_RMID
                else:
                    remove(ipc_id, 0, None)


class Zygote:
    """A grading zygote (:mod:`undertow.envs.sandbox.zygote`) serving one trusted runner."""

    def __init__(self, python: str, source: str, runner: str, preload: list[str]) -> None:
        self.process = subprocess.Popen(
            [python, *GRADER_PYTHON_FLAGS, "-c", source],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            start_new_session=True,
        )
        assert self.process.stdin is not None
        setup = json.dumps({"runner": runner, "preload": preload})
        self.process.stdin.write(setup.encode() + b"\n")
        self.process.stdin.flush()

    def ask(self, request: dict[str, Any], wait: float) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            return self._died()
        ready, _, _ = select.select([self.process.stdout], [], [], wait)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            return self._died()
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _died(self) -> dict[str, Any]:
        self.close()
        assert self.process.stderr is not None
        why = self.process.stderr.read()[-2000:].decode("utf-8", "replace")
        raise RequestError("io", f"the grading zygote stopped: {why or 'no output'}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"kind": kind, "message": message}}


class Worker:
    """Carries out requests for one workspace; keeps the grading zygotes it started."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self._zygotes: dict[str, Zygote] = {}
        self._runs = 0
        self._lock = threading.Lock()
        self.session: Any = None
        """The coding-agent CLI running in this sandbox (a ``cli_session.Session``), if any."""
        self._session_code: dict[str, Any] = {}

    # requests -----------------------------------------------------------------------------

    def handle(self, request: Any) -> dict[str, Any]:
        """Carry out one request; never raises. ``{"ok": True, "result": ...}`` or an error."""
        try:
            if not isinstance(request, dict):
                raise RequestError("bad_request", "a request must be a JSON object")
            result = self._dispatch(request)
        except RequestError as exc:
            return {"ok": False, "error": {"kind": exc.kind, "message": str(exc)}}
        except KeyError as exc:
            return _error("bad_request", f"missing field {exc}")
        except (OSError, subprocess.SubprocessError) as exc:
            return _error("io", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug or a request nobody foresaw: an answer, not a crash
            return _error("internal", f"{type(exc).__name__}: {exc}"[:500])
        return {"ok": True, "result": result}

    def _dispatch(self, request: dict[str, Any]) -> Any:
        config, op = self.config, request.get("op")
        if op == "ping":
            return {"pid": os.getpid(), "root": config.root}
        if isinstance(op, str) and op.startswith("cli_"):
            return self._cli(op, request)
        if self.session is not None and op in FREEZING_OPS:
            self.session.freeze()  # nothing of the CLI runs while the world is looked at
        if op == "exec":
            result = run_command(
                config,
                request["command"],
                cwd=request.get("cwd", "."),
                env=request.get("env"),
                timeout=request.get("timeout", 60.0),
                sweep=self.session.sweep if self.session is not None else None,
            )
            if self.session is not None:
                self.session.freeze()  # the command may have let the CLI's processes go on
            return result
        if op == "read":
            return read_file(config, request["path"])
        if op == "write":
            return write_file(config, request["path"], request["data"])
        if op == "list":
            return list_files(config, request.get("path", "."), request.get("recursive", True))
        if op == "snapshot":
            excludes = request.get("excludes", [])
            if not isinstance(excludes, list):
                raise RequestError("bad_request", "excludes must be a list of paths")
            return snapshot(config, tuple(excludes))
        if op == "grader_put":
            return self.grader_put(request["files"])
        if op == "run_isolated":
            with self._lock:
                return self.run_isolated(request)
        raise RequestError("bad_request", f"unknown operation {op!r}")

    # a coding-agent CLI ------------------------------------------------------------------

    def _cli(self, op: str, request: dict[str, Any]) -> Any:
        """``cli_start`` (with the session's source), ``cli_wait``, ``cli_reply``,
        ``cli_thaw``, ``cli_stop``: see :mod:`undertow.envs.sandbox.cli_session`."""
        if op == "cli_start":
            if self.session is not None:
                raise RequestError("bad_request", "a CLI already runs in this sandbox")
            if not self.config.cli_root:
                raise RequestError("bad_request", "this sandbox has no folder for a CLI")
            source = text(request["source"], "the session's source")
            key = hashlib.sha256(source.encode()).hexdigest()
            if key not in self._session_code:
                namespace: dict[str, Any] = {"__name__": "undertow_cli_session"}
                exec(compile(source, "cli_session.py", "exec"), namespace)
                self._session_code[key] = namespace
            session_class = self._session_code[key]["Session"]
            self.session = session_class(sys.modules[__name__], self.config, request)
            return self.session.describe()
        session = self.session
        if session is None:
            raise RequestError("bad_request", "no CLI runs in this sandbox (cli_start first)")
        if op == "cli_wait":
            return session.wait(timeout_value(request.get("timeout", 1.0)))
        if op == "cli_reply":
            return session.reply(request)
        if op == "cli_thaw":
            return session.thaw()
        if op == "cli_stop":
            self.session = None
            return session.stop(request.get("grace", 2.0))
        raise RequestError("bad_request", f"unknown operation {op!r}")

    # the grader's private store and trees ----------------------------------------------------

    def _grader_folder(self, *parts: str) -> str:
        if not self.config.grader_root:
            raise RequestError("bad_request", "this sandbox has no grader folder")
        return os.path.join(self.config.grader_root, *parts)

    def _grader_owned(self, path: str, folder: bool) -> None:
        """Root-owned, readable by the grading user's group only (never the agent's user)."""
        if separate_user(self.config.grader_user):
            assert self.config.grader_user is not None
            os.chown(path, 0, self.config.grader_user)
            os.chmod(path, 0o750 if folder else 0o640)

    def _make_folders(self, base: str, rel: str) -> None:
        current = base
        for part in rel.split("/")[:-1]:
            current = os.path.join(current, part)
            if not os.path.isdir(current):
                os.mkdir(current)
                self._grader_owned(current, folder=True)

    def grader_put(self, files: Any) -> int:
        """Store files (relative path -> base64) in the grader's private store."""
        if not isinstance(files, dict):
            raise RequestError("bad_request", "files must be an object of paths to base64 data")
        store = self._grader_folder("store")
        os.makedirs(store, exist_ok=True)
        self._grader_owned(store, folder=True)
        for path, data in files.items():
            rel = relative(path, "a grader file")
            self._make_folders(store, rel)
            target = os.path.join(store, rel)
            with open(target, "wb") as handle:
                handle.write(base64.b64decode(text(data, "the data")))
            self._grader_owned(target, folder=False)
        return len(files)

    def _build_tree(self, tree: str, request: dict[str, Any]) -> list[str]:
        """The evaluation's files: store layers (hard links), then copies of workspace files
        (regular files only, never through a link), then removals. Returns what was refused."""
        os.mkdir(tree)
        self._grader_owned(tree, folder=True)
        store = self._grader_folder("store")
        refused = []
        for layer in request.get("layers", []):
            top = os.path.join(store, relative(layer, "a layer"))
            for folder, _, names in os.walk(top):
                for name in names:
                    source = os.path.join(folder, name)
                    rel = os.path.relpath(source, top)
                    self._make_folders(tree, rel)
                    target = os.path.join(tree, rel)
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(target)
                    os.link(source, target)
        for path in request.get("workspace", []):
            rel = relative(path, "a workspace file")
            source = os.path.join(self.config.root, rel)
            if os.path.realpath(source) != source:
                refused.append(f"{rel}: a link or under one")
                continue
            try:
                fd = _open_regular(source, rel, self.config)
            except (RequestError, OSError) as exc:
                refused.append(f"{rel}: {exc}")
                continue
            self._make_folders(tree, rel)
            target = os.path.join(tree, rel)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
            with os.fdopen(fd, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            self._grader_owned(target, folder=False)
        for path in request.get("remove", []):
            target = os.path.join(tree, relative(path, "a removed file"))
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(target)
        return refused

    def run_isolated(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run the agent's code for a grader, apart from the workspace and from the grader.

        ``mode`` ``python``: the trusted ``runner`` runs ``job`` in a child of a zygote,
        confined to the tree (chroot and the grading user when root). ``command``: ``argv``
        runs in the tree as the grading user, the result channel's descriptor in
        ``$UNDERTOW_RESULT_FD``. Either way the answer holds what the channel said, never a
        verdict."""
        seconds = timeout_value(request.get("timeout", 60.0))
        limit = int(request.get("result_limit", GRADER_RESULT_LIMIT))
        self._runs += 1
        runs = self._grader_folder("runs")
        os.makedirs(runs, exist_ok=True)
        self._grader_owned(runs, folder=True)
        tree = os.path.join(runs, str(self._runs))
        shutil.rmtree(tree, ignore_errors=True)
        started = time.monotonic()
        grader_user = self.config.grader_user
        isolated_users = separate_user(grader_user)
        # A python-mode child is chrooted into the tree and has no way to make System V IPC
        # calls; a command-mode process sees the whole file system, so the shared folders and
        # IPC objects are closed to it before and swept after.
        unconfined = isolated_users and request.get("mode") == "command"
        if self.session is not None:  # the CLI is frozen, and keeps no channel graders reach
            self.session.freeze()
            self.session.close_channels(unconfined=request.get("mode") == "command")
        elif separate_user(self.config.user):
            assert self.config.user is not None
            kill_user(self.config.user)  # no process of the agent's runs while graders work
        try:
            refused = self._build_tree(tree, request)
            if unconfined:
                assert grader_user is not None and self.config.user is not None
                kill_user(grader_user)
                _close_shared_writes(self.config.user)
                purge_sysv_ipc({self.config.user, grader_user})
            if request.get("mode") == "command":
                answer = self._run_command_mode(tree, request, seconds, limit)
            else:
                answer = self._run_python_mode(tree, request, seconds, limit)
        finally:
            if isolated_users:
                assert grader_user is not None
                kill_user(grader_user)
            if unconfined:
                assert grader_user is not None
                sweep_shared({grader_user})
                purge_sysv_ipc({grader_user})
            shutil.rmtree(tree, ignore_errors=True)
        return {**answer, "refused": refused, "duration": time.monotonic() - started}

    def _limits(self) -> dict[str, int]:
        config = self.config
        limits = {"RLIMIT_NPROC": config.processes or 64, "RLIMIT_MSGQUEUE": 0}
        if config.memory_bytes:
            limits["RLIMIT_AS"] = config.memory_bytes
        if config.cpu_seconds:
            limits["RLIMIT_CPU"] = config.cpu_seconds
        return limits

    def _run_python_mode(
        self, tree: str, request: dict[str, Any], seconds: float, limit: int
    ) -> dict[str, Any]:
        zygote_source = text(request["zygote"], "the zygote")
        runner = text(request["runner"], "the runner")
        preload = [text(name, "a module name") for name in request.get("preload", [])]
        key = hashlib.sha256(f"{zygote_source}\0{runner}\0{preload}".encode()).hexdigest()
        zygote = self._zygotes.get(key)
        if zygote is None or zygote.process.poll() is not None:
            zygote = self._zygotes[key] = Zygote(self.config.python, zygote_source, runner, preload)
        uid = self.config.grader_user if separate_user(self.config.grader_user) else None
        question = {
            "tree": tree,
            "job": request.get("job"),
            "uid": uid,
            "gid": uid,
            "timeout": seconds,
            "result_limit": limit,
            "limits": {**self._limits(), "RLIMIT_FSIZE": 0},
        }
        return zygote.ask(question, seconds + 30.0)

    def _run_command_mode(
        self, tree: str, request: dict[str, Any], seconds: float, limit: int
    ) -> dict[str, Any]:
        argv = [text(a, "an argument") for a in request["argv"]]
        cwd = tree
        home = os.path.join(tree, ".home")
        os.mkdir(home)
        uid = self.config.grader_user
        separate = separate_user(uid)
        if separate:
            assert uid is not None
            os.chown(home, uid, uid)
            os.chmod(home, 0o700)
        given = request.get("env", {})
        env = {
            "PATH": self.config.base_env.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            **{text(k, "an environment name"): text(v, k) for k, v in given.items()},
            "HOME": home,
            "TMPDIR": home,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        result_r, result_w = os.pipe()
        env["UNDERTOW_RESULT_FD"] = str(result_w)
        limits = self._limits()
        prctl = _prctl()

        def confine() -> None:
            _no_new_privileges(prctl)
            for name, value in limits.items():
                resource.setrlimit(getattr(resource, name), (value, value))

        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=confine,
                pass_fds=(result_w,),
                user=uid if separate else None,
                group=uid if separate else None,
                extra_groups=[] if separate else None,
            )
        except OSError as exc:
            os.close(result_r)
            os.close(result_w)
            raise RequestError("io", f"could not start {argv[0]!r}: {exc}") from None
        os.close(result_w)
        assert proc.stdout is not None

        def end() -> None:
            _kill_group(proc.pid)
            if separate:
                assert uid is not None
                kill_user(uid)

        output_fd = proc.stdout.fileno()
        streams = {result_r: limit + 1, output_fd: 4000}
        outputs, totals, timed_out = _collect(proc, streams, seconds, end)
        returncode = proc.wait()
        proc.stdout.close()
        os.close(result_r)
        channel = bytes(outputs[result_r][:limit])
        return {
            "channel": base64.b64encode(channel).decode("ascii"),
            "output": bytes(outputs[output_fd]).decode("utf-8", "replace"),
            "exit_code": returncode,
            "timed_out": timed_out,
            "overflow": totals[result_r] > limit,
        }

    # lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the CLI and the zygotes; kill and sweep up after both users (as root)."""
        if self.session is not None:
            session, self.session = self.session, None
            session.stop(0.0)
        for zygote in self._zygotes.values():
            zygote.close()
        self._zygotes.clear()
        users = {u for u in (self.config.user, self.config.grader_user) if u is not None}
        if users and os.geteuid() == 0:
            for uid in users:
                if uid != os.geteuid():
                    kill_user(uid)
            sweep_shared(users)
            purge_sysv_ipc(users)


def prepare_container(config: WorkerConfig) -> None:
    """Inside a container of its own: the two users, the workspace and the grader's folder."""
    if config.add_users:
        for name, uid in (("agent", config.user), ("grader", config.grader_user)):
            if uid is None:
                continue
            with open("/etc/passwd", "a") as passwd:
                passwd.write(f"{name}:x:{uid}:{uid}:{name}:{config.root}:/bin/sh\n")
            with open("/etc/group", "a") as group:
                group.write(f"{name}:x:{uid}:\n")
    os.makedirs(config.root, exist_ok=True)
    if config.user is not None:
        os.chown(config.root, config.user, primary_gid(config.user))
        os.chmod(config.root, 0o700)
    if config.grader_root:
        os.makedirs(config.grader_root, exist_ok=True)
        os.chmod(config.grader_root, 0o711)


def _answer(worker: Worker, line: bytes) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except ValueError as exc:
        return {"ok": False, "error": {"kind": "bad_request", "message": f"not JSON: {exc}"}}
    response = worker.handle(request)
    request_id = request.get("id") if isinstance(request, dict) else None
    response["id"] = request_id if isinstance(request_id, int | str) else None
    return response


def serve(config: WorkerConfig) -> None:
    """Answer JSON-line requests from stdin on stdout until stdin closes."""
    prepare_container(config)
    config.root = os.path.realpath(config.root)
    worker = Worker(config)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    for line in iter(stdin.readline, b""):
        try:
            response = _answer(worker, line)
            encoded = json.dumps(response).encode()
        except Exception as exc:  # never let one request end the server
            message = f"{type(exc).__name__}: {exc}"[:500]
            encoded = json.dumps(
                {"ok": False, "id": None, "error": {"kind": "io", "message": message}}
            ).encode()
        stdout.write(encoded + b"\n")
        stdout.flush()


if __name__ == "__main__":
    serve(WorkerConfig(**json.loads(sys.argv[1])))
