"""A Unix-socket proxy in front of the Docker daemon that can play a brief daemon outage.

While down, new connections are accepted and closed at once and idle API connections are cut,
as when dockerd restarts; attach streams (containers' command channels) are left alone.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

DAEMON_SOCKET = "/var/run/docker.sock"


class DockerOutageProxy:
    """Serve ``path``; forward to the daemon except during :meth:`outage`."""

    def __init__(self, path: Path, daemon: str = DAEMON_SOCKET) -> None:
        self.path = path
        self.daemon = daemon
        self.refused = 0
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._api_connections: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def outage(self, seconds: float) -> None:
        """From now on, for ``seconds``, the daemon looks gone."""
        with self._lock:
            self._down_until = time.monotonic() + seconds
            idle, self._api_connections = self._api_connections, []
        for connection in idle:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()

    def _down(self) -> bool:
        return time.monotonic() < self._down_until

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._down():
                self.refused += 1
                client.close()
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(self.daemon)
        first = client.recv(65536)
        if b"/attach" not in first.split(b"\r\n", 1)[0]:
            with self._lock:
                self._api_connections.append(client)
        upstream.sendall(first)
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    def __enter__(self) -> DockerOutageProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
