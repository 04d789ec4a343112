"""The grading zygote: a fresh, confined child process per evaluation (standard library only).

The sandbox worker starts it as ``python3 -I -S -B -c <this source>``; no agent code has run
in it, ever. Its first input line names a trusted runner (Python source defining
``main(job, channel)``) and the standard-library modules to load before any child exists.
Then, per request line ``{"tree", "job", "uid", "gid", "timeout", "limits"}``, it forks a
child that confines itself before it runs the runner: fds 0-2 are /dev/null and an output pipe,
fd 3 the result channel, every other descriptor is closed, rlimits are set, and when the
zygote is root the child enters ``tree`` with ``chroot`` and drops to the grading uid, so it
can open no file outside the tree and write none at all. The zygote relays at most
``result_limit`` bytes of the channel, drops the child's output (a tail is kept for
diagnostics), and kills every process of the grading uid once the child is done or late.

Answer: one JSON line ``{"channel", "output", "exit_code", "timed_out", "overflow"}`` with
the channel base64-encoded. What the channel says is only what the child reported; the
caller judges it.
"""

import base64
import contextlib
import json
import os
import resource
import selectors
import signal
import sys
import time
import types

OUTPUT_TAIL = 4000
READ_CHUNK = 65536
KILL_ROUNDS = 50


def _living(uid):
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


def kill_uid(uid):
    """Kill every process of ``uid`` (those that called setsid too): a helper with that uid
    signals everything it may (``kill(-1)``), until none is left."""
    for _ in range(KILL_ROUNDS):
        _reap()
        if not _living(uid):
            return
        helper = os.fork()
        if helper == 0:
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(helper, 0)
        time.sleep(0.002)


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _confine(request, devnull, output_w, result_w):
    os.setsid()
    os.dup2(devnull, 0)
    os.dup2(output_w, 1)
    os.dup2(output_w, 2)
    os.dup2(result_w, 3)
    os.closerange(4, 65536)
    limits = request.get("limits", {})
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))
    tree = request["tree"]
    if os.geteuid() == 0:
        os.chroot(tree)
        os.chdir("/")
        os.setgroups([])
        os.setgid(request["gid"])
        os.setuid(request["uid"])
        sys.path[:] = ["/"]
    else:
        os.chdir(tree)
        sys.path[:] = [tree]
    sys.path_importer_cache.clear()
    sys.dont_write_bytecode = True


def _child(runner, request, devnull, output_w, result_w):
    status = 1
    try:
        _confine(request, devnull, output_w, result_w)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115  (lives as long as the child)
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        channel = open(3, "w", closefd=False)  # noqa: SIM115
        runner.main(request["job"], channel)
        channel.flush()
        status = 0
    except BaseException as exc:  # the child is confined: report and leave
        with contextlib.suppress(OSError):
            os.write(2, f"grading child: {type(exc).__name__}: {exc}\n".encode()[:2000])
    os._exit(status)


def _end_leftovers(pid, uid):
    if os.geteuid() == 0 and uid is not None:
        kill_uid(uid)
    else:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def _relay(pid, uid, result_r, output_r, timeout, limit):
    selector = selectors.DefaultSelector()
    selector.register(result_r, selectors.EVENT_READ)
    selector.register(output_r, selectors.EVENT_READ)
    channel, tail = bytearray(), b""
    overflow = timed_out = False
    deadline = time.monotonic() + timeout
    status = None
    while selector.get_map():
        now = time.monotonic()
        if now >= deadline:
            timed_out = status is None
            break
        for key, _ in selector.select(min(0.05, deadline - now)):
            chunk = os.read(key.fd, READ_CHUNK)
            if not chunk:
                selector.unregister(key.fd)
            elif key.fd == result_r:
                room = limit - len(channel)
                overflow = overflow or len(chunk) > room
                channel += chunk[: max(0, room)]
            else:
                tail = (tail + chunk)[-OUTPUT_TAIL:]
        if status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
                _end_leftovers(pid, uid)  # what the child left holds the pipes open
                deadline = min(deadline, time.monotonic() + 1.0)
    selector.close()
    return bytes(channel), tail, overflow, timed_out, status


def serve():
    setup = json.loads(sys.stdin.buffer.readline())
    for name in setup.get("preload", []):
        with contextlib.suppress(ImportError):
            __import__(name)
    runner = types.ModuleType("undertow_grading_runner")
    exec(compile(setup["runner"], "<grading runner>", "exec"), runner.__dict__)
    devnull = os.open(os.devnull, os.O_RDONLY)
    for line in iter(sys.stdin.buffer.readline, b""):
        request = json.loads(line)
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(runner, request, devnull, output_w, result_w)
        os.close(result_w)
        os.close(output_w)
        channel, tail, overflow, timed_out, status = _relay(
            pid,
            request.get("uid"),
            result_r,
            output_r,
            float(request["timeout"]),
            int(request["result_limit"]),
        )
        if status is None:
            os.kill(pid, signal.SIGKILL)
            status = os.waitpid(pid, 0)[1]
        _end_leftovers(pid, request.get("uid"))
        _reap()
        os.close(result_r)
        os.close(output_r)
        answer = {
            "channel": base64.b64encode(channel).decode("ascii"),
            "output": tail.decode("utf-8", "replace"),
            "exit_code": os.waitstatus_to_exitcode(status),
            "timed_out": timed_out,
            "overflow": overflow,
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
