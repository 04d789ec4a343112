"""The sandbox's side of a coding-agent CLI (standard library only).

The sandbox worker executes this source when a ``cli_start`` request brings it (as it runs the
grading zygote's source), and keeps one :class:`Session` per sandbox. It is given the worker's
module, whose process helpers it uses, and imports nothing from ``undertow``.

- **The CLI** is started once, as the agent's user, in the workspace, with the shims
  (:mod:`undertow.envs.sandbox.cli_shim`: ``undertow-exec``, ``undertow-tool``, ``sh``,
  ``bash``) first on its PATH, a home of its own outside the workspace, and its output in a
  log only the worker reads.
- **The relay** is an HTTP server on the sandbox's own 127.0.0.1. The shims' requests
  (``POST /undertow/exec``, ``/undertow/tool``) and the CLI's model calls (``/v1/...``) become
  events the host takes one at a time (``cli_wait``) and answers (``cli_reply``); each
  connection is held open until its answer comes. A request needs the session's key and, where
  the agent has a user of its own, must come from a process of that user (the grading user's
  are refused). Connections, body sizes and the bytes held at once are bounded.
- **Freezing.** The worker calls :meth:`Session.freeze` before every request that looks at or
  changes the world (a command, a file, a snapshot, a grading run): every process of the CLI is
  stopped with SIGSTOP, and only ``cli_thaw`` lets them go on. The kill at the end of each
  command spares exactly those frozen processes (:meth:`Session.sweep`). Before a grading run
  the frozen processes that hold a channel a grading process could write to are killed
  (:meth:`Session.close_channels`): a socket others can connect to (a frozen listener's
  backlog still accepts), and for unconfined runs an inotify instance or System V shared
  memory.
- **Stopping**: SIGTERM, ``grace`` seconds, then every process of the agent's user is killed
  (without a user of its own: every process of the CLI's session or carrying its marker).
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import queue
import resource
import shutil
import signal
import socketserver
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

MARK_VARIABLE = "UNDERTOW_CLI_MARK"
SHIMS = ("undertow-tool", "sh", "bash")
"""Links to ``undertow-exec``: the shim acts by the name it is called by."""
MAX_CONNECTIONS = 32
MAX_BODY = 16 * 1024 * 1024
MAX_BUFFERED = 64 * 1024 * 1024
READ_SECONDS = 30.0
FREEZE_SECONDS = 10.0
KILL_SECONDS = 10.0
SETTLE_SECONDS = 0.002
MAX_GRACE_SECONDS = 60.0
OUTPUT_TAIL = 4000
STOPPED = (b"T", b"t")
DEAD = (b"Z", b"X")
Answer = tuple[int, bytes, str]
"""An HTTP answer of the relay: status, body, content type."""
BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Connection: close\r\n\r\n"
    b'{"error": {"message": "too many connections at once", "type": "undertow_relay"}}'
)
SCAN = r"""
import json, os, sys
report = {}
for pid in sys.argv[1:]:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        report[pid] = None
        continue
    sockets, inotify = [], False
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            sockets.append(int(link[8:-1]))
        inotify = inotify or link == "anon_inode:inotify"
    try:
        with open(f"/proc/{pid}/maps") as maps:
            sysv = any("/SYSV" in line for line in maps)
    except OSError:
        sysv = True
    report[pid] = {"sockets": sockets, "inotify": inotify, "sysv": sysv}
print(json.dumps(report))
"""
"""Run as the agent's user (root in a container may not read its processes' descriptors):
per process, its socket inodes, whether it holds an inotify instance or System V memory."""


def _stat(pid: int) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()
    except OSError:
        return None


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with the pid, who it is."""
    fields = _stat(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def _state(pid: int) -> bytes:
    fields = _stat(pid)
    return fields[0] if fields else b"X"


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


def _table(name: str) -> list[list[str]]:
    try:
        with open(f"/proc/net/{name}") as handle:
            return [line.split() for line in handle.read().splitlines()[1:]]
    except OSError:
        return []


def reachable_sockets(uid: int) -> set[int]:
    """Inodes of sockets another process could send to: TCP listeners and UDP sockets of
    ``uid``, and named (abstract or path) Unix sockets that listen or take datagrams."""
    found = set()
    for name in ("tcp", "tcp6", "udp", "udp6"):
        listening = "0A" if name.startswith("tcp") else None  # any UDP socket takes datagrams
        for row in _table(name):  # sl local remote st queues timers retransmits uid timeout inode
            if len(row) > 9 and row[7] == str(uid) and listening in (None, row[3]):
                found.add(int(row[9]))
    for row in _table("unix"):  # Num RefCount Protocol Flags Type St Inode Path
        if len(row) >= 8 and (int(row[3], 16) & 0x10000 or row[4] == "0002"):
            found.add(int(row[6]))
    return found


def tcp_peer_uid(server_port: int, client_port: int) -> int | None:
    """The uid of the loopback socket at ``client_port`` connected to ``server_port``."""
    for name in ("tcp", "tcp6"):
        for row in _table(name):
            if len(row) <= 7:
                continue
            local, remote = row[1], row[2]
            if local.endswith(f"0100007F:{client_port:04X}") and remote.endswith(
                f":{server_port:04X}"
            ):
                return int(row[7])
    return None


class _Pending:
    """A relay request waiting for the host's answer."""

    def __init__(self, request_id: int, fields: dict[str, Any]) -> None:
        self.id = request_id
        self.fields = fields
        self.done = threading.Event()
        self.answer: Answer | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Relay
    timeout = READ_SECONDS

    def log_message(self, *_: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.session.serve(self)

    do_POST = do_GET


class _Relay(ThreadingHTTPServer):
    """The relay's listener: a bounded number of connections, each on a thread of its own."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, session: Session) -> None:
        self.session = session
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:  # HTTPServer's would look the host name up
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _error(status: int, message: str) -> Answer:
    body = json.dumps({"error": {"message": message, "type": "undertow_relay"}}).encode()
    return status, body, "application/json"


class Session:
    """One CLI in one sandbox: its process, its relay, its freezing and its end."""

    def __init__(self, worker: Any, config: Any, request: dict[str, Any]) -> None:
        self.w = worker
        self.config = config
        self.uid: int | None = config.user if worker.separate_user(config.user) else None
        self.gid = worker.primary_gid(self.uid) if self.uid is not None else None
        self.key = worker.text(request["key"], "the key")
        self.model = bool(request.get("model"))
        self.folder = config.cli_root
        self.mark = uuid.uuid4().hex
        self.frozen: dict[int, int] | None = None
        """While frozen: pid -> start time of each stopped process of the CLI."""
        self.notes: list[str] = []
        self.closed = False
        self._events: queue.Queue[_Pending] = queue.Queue()
        self._waiting: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        self._buffered = 0
        self._code: int | None = None
        self._prepare(request)
        self.relay = _Relay(self)
        self.port = int(self.relay.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        try:
            self._write_session_file()
            self.process = self._start(request)
        except BaseException:
            self.relay.server_close()
            raise
        threading.Thread(
            target=self.relay.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()

    # ---- the folder and the process -----------------------------------------------------------

    def _path(self, *parts: str) -> str:
        return os.path.join(self.folder, *parts)

    def _prepare(self, request: dict[str, Any]) -> None:
        """The CLI's folder: shims in ``bin``, the suite's ``files``, ``home`` (the CLI's own),
        the task; root's, readable by the CLI, except ``home``, which is the CLI's."""
        shutil.rmtree(self.folder, ignore_errors=True)
        for folder in ("", "bin", "files", "home"):
            os.makedirs(self._path(folder), exist_ok=True)
            os.chmod(self._path(folder), 0o755)
        if self.uid is not None:
            os.chown(self._path("home"), self.uid, self.gid or self.uid)
        os.chmod(self._path("home"), 0o700)
        shim = self._path("bin", "undertow-exec")
        source = self.w.text(request["shim"], "the shim's source")
        self._write(shim, f"#!{self._python()} -IS\n{source}".encode(), 0o755)
        for name in SHIMS:
            os.symlink("undertow-exec", self._path("bin", name))
        files = request.get("files") or {}
        if not isinstance(files, dict):
            raise self.w.RequestError("bad_request", "files must be an object of names to base64")
        for name, data in files.items():
            target = self._path("files", self.w.relative(name, "a CLI file"))
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            self._write(target, base64.b64decode(self.w.text(data, "a file's data")), 0o755)
        task = self.w.text(request.get("task", ""), "the task")
        self._write(self._path("task.md"), task.encode(), 0o644)

    def _program(self, name: str) -> str:
        """``name`` on the sandbox's PATH (never the shims'), where the CLI's user may run it."""
        for folder in self.config.base_env.get("PATH", "/usr/bin:/bin").split(":"):
            candidate = os.path.join(folder or ".", name)
            if self.uid is not None:
                if _runnable_by_anyone(os.path.realpath(candidate)):
                    return candidate
            elif os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
        raise self.w.RequestError(
            "io", f"cannot start the CLI: no {name!r} on the sandbox's PATH that its user may run"
        )

    def _python(self) -> str:
        """A python3 on the sandbox's PATH that any user may run (the shims' interpreter)."""
        folders = self.config.base_env.get("PATH", "/usr/bin:/bin").split(":")
        for candidate in [os.path.join(f, "python3") for f in folders] + [self.config.python]:
            real = os.path.realpath(candidate)
            if _runnable_by_anyone(real):
                return real
        raise self.w.RequestError("io", "no python3 on the sandbox's PATH that its users may run")

    @staticmethod
    def _write(path: str, data: bytes, mode: int) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, mode)

    def _write_session_file(self) -> None:
        """Where the shims find the relay, readable by the CLI's user only."""
        path = self._path("session.json")
        self._write(path, json.dumps({"url": self.url, "key": self.key}).encode(), 0o640)
        if self.uid is not None:
            os.chown(path, 0, self.gid or self.uid)

    def _environment(self, request: dict[str, Any]) -> dict[str, str]:
        given = request.get("env") or {}
        if not isinstance(given, dict):
            raise self.w.RequestError("bad_request", "env must be an object of names to values")
        text = self.w.text
        environment = {**self.config.base_env}
        environment.update({text(k, "a name"): text(v, f"${k}") for k, v in given.items()})
        environment.update(
            {
                "PATH": f"{self._path('bin')}:{self.config.base_env.get('PATH', '/usr/bin:/bin')}",
                "HOME": self._path("home"),
                "SHELL": self._path("bin", "bash"),
                "UNDERTOW_CLI_URL": self.url,
                "UNDERTOW_CLI_DIR": self.folder,
                "UNDERTOW_TASK_FILE": self._path("task.md"),
                "UNDERTOW_WORKDIR": self.config.root,
                MARK_VARIABLE: self.mark,
            }
        )
        if self.model:
            environment.update(
                {
                    "OPENAI_BASE_URL": f"{self.url}/v1",
                    "OPENAI_API_BASE": f"{self.url}/v1",
                    "OPENAI_API_KEY": self.key,
                }
            )
        return environment

    def _start(self, request: dict[str, Any]) -> subprocess.Popen[bytes]:
        values = {
            "{workdir}": self.config.root,
            "{cli_dir}": self.folder,
            "{files}": self._path("files"),
            "{task_file}": self._path("task.md"),
            "{base_url}": f"{self.url}/v1",
        }
        argv = request.get("argv")
        if not isinstance(argv, list) or not argv:
            raise self.w.RequestError("bad_request", "argv must be a non-empty list of strings")
        command = []
        for part in argv:
            part = self.w.text(part, "an argument")
            for placeholder, value in values.items():
                part = part.replace(placeholder, value)
            command.append(part)
        if "/" not in command[0]:  # the sandbox's own program, not the shim of that name
            command[0] = self._program(command[0])
        environment = self._environment(request)
        log = os.open(self._path("cli.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            process = subprocess.Popen(
                command,
                cwd=self.config.root,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._confine(),
                user=self.uid,
                group=self.gid,
                extra_groups=[] if self.uid is not None else None,
            )
        except OSError as exc:
            raise self.w.RequestError("io", f"cannot start the CLI {command[0]!r}: {exc}") from None
        finally:
            os.close(log)
        self.w.WATCHED.add(process.pid)
        return process

    def _confine(self) -> Any:
        """The CLI's limits: a command's, but no CPU-time or address-space limit (it lives the
        whole episode; runtimes such as node reserve more address space than they use)."""
        config, prctl = self.config, self.w._prctl()
        owner = self.uid if self.uid is not None else os.getuid()
        nproc = self.w._count_processes_of(owner) + config.processes if config.processes else None

        def confine() -> None:
            self.w._no_new_privileges(prctl)
            if config.file_size_bytes:
                size = config.file_size_bytes
                resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
            if nproc:
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
            if config.oom_adjust:
                with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as adj:
                    adj.write("1000")

        return confine

    def describe(self) -> dict[str, Any]:
        return {"pid": self.process.pid, "url": self.url, "folder": self.folder}

    def exit_code(self) -> int | None:
        """The CLI's exit code (negative: the signal that killed it) once it has exited."""
        if self._code is not None:
            return self._code
        pid = self.process.pid
        status = self.w.REAPED.pop(pid, None)
        if status is None:
            code = self.process.poll()
            if code is None:
                return None
            status = self.w.REAPED.pop(pid, None)  # collected by the init's reaper meanwhile
        if status is not None:
            code = os.waitstatus_to_exitcode(status)
            self.process.returncode = code
        self._code = code
        return code

    def output_tail(self) -> str:
        try:
            with open(self._path("cli.log"), "rb") as handle:
                handle.seek(max(0, os.fstat(handle.fileno()).st_size - OUTPUT_TAIL))
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # ---- the CLI's processes ----------------------------------------------------------------

    def members(self) -> list[int]:
        """Living processes of the CLI: every process of the agent's user where it has one (no
        other runs between commands); else those of the CLI's session or with its marker."""
        if self.uid is not None:
            return list(self.w.living_processes(self.uid))
        leader = self.process.pid
        marker = f"{MARK_VARIABLE}={self.mark}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            fields = _stat(int(entry))
            if not fields or fields[0] in (b"Z", b"X"):
                continue
            if int(fields[3]) == leader or marker in _environ(int(entry)):
                found.append(int(entry))
        return found

    def _frozen_alive(self) -> list[int]:
        """The frozen processes still alive (a zombie is dead: its parent, frozen, cannot reap
        it yet)."""
        return [
            pid
            for pid, started in (self.frozen or {}).items()
            if start_time(pid) == started and _state(pid) not in DEAD
        ]

    def freeze(self) -> None:
        """Stop every process of the CLI (and kill any process of the agent's user that is not
        one of the frozen ones: a command's leftover); idempotent."""
        if self.closed:
            return
        if self.frozen is None:
            self.frozen = {}
            self._stop(self.members, adopt=True)
        else:
            self.sweep()
            self._stop(self._frozen_alive, adopt=False)

    def _stop(self, processes: Any, adopt: bool) -> None:
        """SIGSTOP ``processes()`` until two scans in a row find every one of them stopped (a
        stopped process cannot fork or continue another); those that will not stop are killed."""
        assert self.frozen is not None
        deadline = time.monotonic() + FREEZE_SECONDS
        quiet = 0
        while time.monotonic() < deadline:
            running = []
            for pid in processes():
                started, state = start_time(pid), _state(pid)
                if started is None or state in DEAD:  # exited since it was listed
                    continue
                if adopt:
                    self.frozen.setdefault(pid, started)
                if state not in STOPPED:
                    running.append(pid)
            quiet = 0 if running else quiet + 1
            if quiet >= 2:
                return
            for pid in running:
                _signal(pid, signal.SIGSTOP)
            time.sleep(SETTLE_SECONDS)
        leftover = [pid for pid in processes() if _state(pid) not in STOPPED + DEAD]
        self._kill(leftover)
        for pid in leftover:
            self.frozen.pop(pid, None)
        self.notes.append(f"{len(leftover)} processes of the CLI would not stop; they were killed")

    def _kill(self, pids: list[int]) -> None:
        for pid in pids:
            _signal(pid, signal.SIGSTOP)
        for pid in pids:
            _signal(pid, signal.SIGKILL)
        self.w.reap_orphans()

    def sweep(self) -> None:
        """Kill every living process of the CLI's user (or marker) that is not a frozen one."""
        if self.frozen is None:
            self.freeze()
        frozen = self.frozen or {}
        deadline = time.monotonic() + KILL_SECONDS
        while time.monotonic() < deadline:
            self.w.reap_orphans()
            victims = [pid for pid in self.members() if frozen.get(pid) != start_time(pid)]
            if not victims:
                return
            self._kill(victims)
            time.sleep(SETTLE_SECONDS)

    def thaw(self) -> dict[str, Any]:
        """Let the frozen processes go on; returns what happened to the CLI since the last thaw."""
        for pid in self._frozen_alive():
            _signal(pid, signal.SIGCONT)
        self.frozen = None
        notes, self.notes = self.notes, []
        return {"notes": notes}

    def close_channels(self, unconfined: bool) -> None:
        """Before a grading run: kill the frozen processes that hold a channel a grading process
        could write to (a socket it could connect to; for an unconfined run, which sees the
        whole file system, also an inotify instance or System V shared memory), and those
        whose descriptors cannot be inspected. Only with a user of the agent's own."""
        if self.uid is None or self.frozen is None:
            return
        candidates = reachable_sockets(self.uid)
        if not candidates and not unconfined:
            return
        report = self._scan(self._frozen_alive())
        for pid_text, found in report.items():
            pid = int(pid_text)
            if found is None:
                why = "its descriptors could not be inspected"
            elif candidates & set(found["sockets"]):
                why = "it held a socket other processes could connect to"
            elif unconfined and found["inotify"]:
                why = "it watched files (inotify), which the grading process could signal through"
            elif unconfined and found["sysv"]:
                why = "it had System V shared memory attached"
            else:
                continue
            self._kill([pid])
            self.frozen.pop(pid, None)
            self.notes.append(f"process {pid} of the CLI was killed before grading: {why}")

    def _scan(self, pids: list[int]) -> dict[str, Any]:
        if not pids:
            return {}
        assert self.uid is not None
        prctl = self.w._prctl()
        try:
            done = subprocess.run(
                [self._python(), "-I", "-S", "-c", SCAN, *map(str, pids)],
                user=self.uid,
                group=self.gid,
                extra_groups=[],
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                cwd="/",
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=60,
                preexec_fn=lambda: self.w._no_new_privileges(prctl),
            )
            report: dict[str, Any] = json.loads(done.stdout)
        except (OSError, ValueError, subprocess.SubprocessError):
            report = dict.fromkeys(map(str, pids))  # nothing could be inspected
        return report

    # ---- the relay ------------------------------------------------------------------------------

    def serve(self, handler: _Handler) -> None:
        """Answer one HTTP request of the relay; never raises."""
        try:
            status, body, content_type = self._answer(handler)
        except (OSError, ValueError) as exc:
            status, body, content_type = _error(400, f"unreadable request: {exc}")
        except Exception as exc:
            status, body, content_type = _error(500, f"{type(exc).__name__}: {exc}"[:500])
        with contextlib.suppress(OSError):
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)

    def _answer(self, handler: _Handler) -> Answer:
        if self.closed:
            return _error(410, "the episode is over")
        if self.uid is not None and tcp_peer_uid(self.port, handler.client_address[1]) != self.uid:
            return _error(403, "only the CLI's own processes may use this endpoint")
        if handler.headers.get("Authorization", "") != f"Bearer {self.key}":
            return _error(401, "this endpoint needs the session's key (OPENAI_API_KEY)")
        path = urlsplit(handler.path).path
        if path.startswith("/v1/") and not self.model:
            return _error(404, "no model is configured for this CLI (the agent's model option)")
        if path not in ("/undertow/exec", "/undertow/tool") and not path.startswith("/v1/"):
            return _error(404, f"no endpoint {path}")
        length = self._length(handler)
        if isinstance(length, tuple):
            return length
        with self._lock:
            if self._buffered + length > MAX_BUFFERED:
                return _error(503, "too many bytes in requests at once")
            self._buffered += length
        try:
            body = handler.rfile.read(length) if length else b""
            if len(body) != length:
                return _error(400, "the body ended before its Content-Length")
            fields = self._fields(handler, path, body)
            if isinstance(fields, tuple):
                return fields
            return self._ask(fields)
        finally:
            with self._lock:
                self._buffered -= length

    @staticmethod
    def _length(handler: _Handler) -> int | Answer:
        if handler.command != "POST":
            return 0
        given = handler.headers.get("Content-Length")
        if given is None or not given.strip().isdigit():
            return _error(411, "a POST needs a Content-Length")
        length = int(given)
        if length > MAX_BODY:
            return _error(413, f"the body is larger than {MAX_BODY} bytes")
        return length

    @staticmethod
    def _fields(handler: _Handler, path: str, body: bytes) -> dict[str, Any] | Answer:
        if path.startswith("/v1/"):
            return {
                "kind": "model",
                "method": handler.command,
                "path": _origin_form(handler.path),
                "content_type": handler.headers.get("Content-Type", "application/json"),
                "body": base64.b64encode(body).decode("ascii"),
            }
        if handler.command != "POST":
            return _error(405, f"{path} takes a POST")
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(400, "the body is not JSON")
        if not isinstance(payload, dict):
            return _error(400, "the body must be a JSON object")
        if path == "/undertow/exec":
            command, cwd = payload.get("command"), payload.get("cwd", "")
            timeout = payload.get("timeout")
            if not isinstance(command, str) or not isinstance(cwd, str):
                return _error(400, "an exec request needs a command (and a cwd) as strings")
            if timeout is not None and not _number(timeout):
                return _error(400, "timeout must be a number of seconds")
            return {"kind": "exec", "command": command, "cwd": cwd, "timeout": timeout}
        tool = payload.get("tool")
        if not isinstance(tool, str):
            return _error(400, "a tool request needs the tool's name as a string")
        return {"kind": "tool", "tool": tool, "args": payload.get("args", {})}

    def _ask(self, fields: dict[str, Any]) -> Answer:
        with self._lock:
            self._next_id += 1
            pending = _Pending(self._next_id, fields)
            self._waiting[pending.id] = pending
        self._events.put(pending)
        while not pending.done.wait(0.2):
            if self.closed:
                break
        with self._lock:
            self._waiting.pop(pending.id, None)
        return pending.answer or _error(410, "the episode is over")

    def wait(self, timeout: float) -> dict[str, Any] | None:
        """The next event, waiting up to ``timeout`` seconds: a request (``exec``, ``tool``,
        ``model``), or ``exit`` once the CLI's process has exited; None if nothing came."""
        deadline = time.monotonic() + timeout
        while True:
            code = self.exit_code()
            if code is not None:
                return {"kind": "exit", "exit_code": code, "output": self.output_tail()}
            left = deadline - time.monotonic()
            try:
                pending = self._events.get(timeout=max(0.0, min(0.05, left)))
            except queue.Empty:
                if left <= 0:
                    return None
                continue
            with self._lock:
                waiting = pending.id in self._waiting
            if waiting:
                return {"id": pending.id, **pending.fields}

    def reply(self, request: dict[str, Any]) -> int:
        """The host's answer to request ``request_id``: ``status``, ``content_type`` and
        ``body`` (base64)."""
        request_id, status = request.get("request_id"), request.get("status", 200)
        with self._lock:
            pending = self._waiting.get(request_id) if isinstance(request_id, int) else None
        if pending is None:
            raise self.w.RequestError("bad_request", f"no request {request_id!r} awaits an answer")
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise self.w.RequestError("bad_request", f"status {status!r} is not an HTTP status")
        content_type = self.w.text(request.get("content_type", "application/json"), "content_type")
        body = base64.b64decode(self.w.text(request.get("body", ""), "the body"))
        pending.answer = (status, body, content_type)
        pending.done.set()
        return len(body)

    # ---- the end --------------------------------------------------------------------------------

    def stop(self, grace: Any) -> dict[str, Any]:
        """End the session: requests are answered "the episode is over", the CLI gets SIGTERM
        and ``grace`` seconds, then every process of it is killed."""
        if not _number(grace) or not 0 <= grace <= MAX_GRACE_SECONDS:
            raise self.w.RequestError("bad_request", f"grace must be 0 to {MAX_GRACE_SECONDS:g} s")
        self.closed = True
        members = self.members()
        for signum in (signal.SIGTERM, signal.SIGCONT):
            for pid in members:
                _signal(pid, signum)
        self.frozen = None
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and self.members():
            self.w.reap_orphans()
            time.sleep(0.02)
        stayed = len(self.members())
        if self.uid is not None:
            self.w.kill_user(self.uid)
        else:
            deadline = time.monotonic() + KILL_SECONDS
            while time.monotonic() < deadline and self.members():
                self._kill(self.members())
                time.sleep(SETTLE_SECONDS)
        self.relay.shutdown()
        self.relay.server_close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            if self.exit_code() is None:
                self.process.wait(timeout=KILL_SECONDS)
        self.w.WATCHED.discard(self.process.pid)
        return {"exit_code": self.exit_code(), "output": self.output_tail(), "killed": stayed}


def _origin_form(target: str) -> str:
    """The path and query of a request target (an absolute ``http://host/...`` or ``//host``
    target names no other host: the host forwards to its own proxy only)."""
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _runnable_by_anyone(path: str) -> bool:
    """True when ``path`` is a file every user may execute, in folders every user may enter."""
    try:
        if not os.path.isfile(path) or not os.stat(path).st_mode & 0o001:
            return False
        folder = os.path.dirname(path)
        while True:
            if not os.stat(folder).st_mode & 0o001:
                return False
            if folder == os.path.dirname(folder):
                return True
            folder = os.path.dirname(folder)
    except OSError:
        return False


def _environ(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return handle.read()
    except OSError:
        return b""
