"""The run store: one directory per run.

- ``manifest.json``: the suite (as given), package version, git revision, seeds, host, start and
  end times, and the episode count; rewritten atomically.
- ``trajectories.jsonl``: one record per finished episode, appended and fsynced. A record is
  ``<sha256 of payload>\\t<payload>\\n`` where the payload is the trajectory's JSON. A torn last
  line (a run killed mid-write) is detected and cut off before the next append; a corrupted
  record elsewhere is reported, and every other record stays readable.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from undertow import __version__
from undertow.errors import UndertowError
from undertow.record.migrations import upgrade
from undertow.record.model import CANARY, Trajectory, TrajectoryFormatError

MANIFEST = "manifest.json"
TRAJECTORIES = "trajectories.jsonl"


class RunStoreError(UndertowError):
    """The run directory is missing, not a run, unreadable or unwritable; the message says
    which, and what to do."""


def write_failed(exc: OSError, what: str, directory: Path) -> RunStoreError:
    """The error for a failed write (a full disk, a read-only directory): what was lost, what
    is intact, and how to finish the run."""
    return RunStoreError(
        f"could not write {what} in {directory}: {exc.strerror or exc}. The episodes already "
        f"stored there are intact; free space (or fix the directory), then finish the run with "
        f"`undertow run --resume {directory}`"
    )


def _write_all(descriptor: int, data: bytes) -> None:
    """Unbuffered, so a failed write surfaces here and nothing is left to flush later."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


@dataclass
class StoreReading:
    """What reading ``trajectories.jsonl`` found."""

    trajectories: list[Trajectory] = field(default_factory=list)
    corrupted: list[int] = field(default_factory=list)
    """1-based line numbers of records that failed their checksum or did not parse."""
    torn_tail: bool = False
    valid_bytes: int = 0
    """Length of the file up to the end of the last whole record."""


def _git_revision() -> str | None:
    try:
        run = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip() or None if run.returncode == 0 else None


def encode_record(trajectory: Trajectory) -> bytes:
    """One line of ``trajectories.jsonl``."""
    payload = trajectory.to_json().encode()
    return hashlib.sha256(payload).hexdigest().encode() + b"\t" + payload + b"\n"


@dataclass(frozen=True)
class RecordLine:
    """One line of ``trajectories.jsonl`` as the reader found it."""

    number: int
    """1-based line number."""
    end: int
    """Byte offset just after the line."""
    data: dict[str, Any] | None
    """The trajectory as a dict at the current schema version; None when ``problem`` is set."""
    problem: str | None = None
    """Why the record cannot be used: a checksum mismatch, bad JSON, an unknown version."""
    torn: bool = False
    """The line has no end: a run killed mid-write. It is always the last one."""


def decode_payload(payload: bytes) -> dict[str, Any]:
    """A record's payload as a trajectory dict at the current schema version; raises
    :class:`TrajectoryFormatError` saying what is wrong."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise TrajectoryFormatError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TrajectoryFormatError(f"a record must be a JSON object, not {type(data).__name__}")
    return upgrade(data)


def scan_records(path: Path) -> Iterator[RecordLine]:
    """Every record of a ``trajectories.jsonl`` file, one at a time, each checked (checksum,
    JSON, schema version, upgraded where older): the one reader of the run record. Never
    raises for a bad record: it comes back with its ``problem``."""
    if not path.exists():
        return
    offset = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            end = offset + len(line)
            if not line.endswith(b"\n"):
                yield RecordLine(number, end, None, "the record is cut off", torn=True)
                return
            checksum, _, payload = line.rstrip(b"\n").partition(b"\t")
            offset = end
            if hashlib.sha256(payload).hexdigest().encode() != checksum:
                yield RecordLine(number, end, None, "checksum mismatch")
                continue
            try:
                yield RecordLine(number, end, decode_payload(payload))
            except TrajectoryFormatError as exc:
                yield RecordLine(number, end, None, str(exc))


def read_records(path: Path) -> StoreReading:
    """Read every record as a :class:`Trajectory`; never raises for bad records."""
    reading = StoreReading()
    for record in scan_records(path):
        if record.torn:
            reading.torn_tail = True
            break
        reading.valid_bytes = record.end
        try:
            if record.data is None:
                raise TrajectoryFormatError(record.problem or "unreadable")
            reading.trajectories.append(Trajectory.model_validate(record.data))
        except (TrajectoryFormatError, ValidationError):
            reading.corrupted.append(record.number)
    return reading


class RunStore:
    """A run directory: create one for a new run, or open one to resume or read it."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST

    @property
    def trajectories_path(self) -> Path:
        return self.directory / TRAJECTORIES

    @classmethod
    def create(
        cls, directory: Path, suite_yaml: str, suite: dict[str, Any], episodes: int
    ) -> RunStore:
        """A new run directory; refuses one that already holds a run."""
        directory = Path(directory)
        if (directory / MANIFEST).exists():
            raise RunStoreError(
                f"{directory} already holds a run; resume it with --resume {directory}, "
                "or choose another --out"
            )
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)  # trajectories hold the answers: only their owner reads them
        store = cls(directory)
        store.write_manifest(
            {
                "run_id": directory.name,
                "canary": CANARY,
                "suite": suite,
                "suite_yaml": suite_yaml,
                "undertow_version": __version__,
                "git_revision": _git_revision(),
                "seeds": suite["seeds"],
                "episodes": episodes,
                "host": {"name": socket.gethostname(), "platform": platform.platform()},
                "started_at": time.time(),
                "ended_at": None,
            }
        )
        store.trajectories_path.touch()
        return store

    @classmethod
    def open(cls, directory: Path) -> RunStore:
        """An existing run directory."""
        directory = Path(directory)
        if not directory.is_dir():
            raise RunStoreError(f"no run directory {directory}")
        if not (directory / MANIFEST).is_file():
            raise RunStoreError(f"{directory} is not a run directory: it has no {MANIFEST}")
        return cls(directory)

    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise RunStoreError(f"cannot read {self.manifest_path}: {exc}") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically; a failed write leaves the old one as it was."""
        temporary = self.manifest_path.with_suffix(".tmp")
        try:
            with open(temporary, "w") as handle:
                json.dump(manifest, handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.manifest_path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise write_failed(exc, MANIFEST, self.directory) from None

    def read(self) -> StoreReading:
        return read_records(self.trajectories_path)

    def trajectories(self) -> Iterator[Trajectory]:
        yield from self.read().trajectories

    def prepare_append(self) -> set[str]:
        """Cut a torn last record off and return the ids of the episodes already stored."""
        reading = self.read()
        if reading.torn_tail:
            with open(self.trajectories_path, "r+b") as handle:
                handle.truncate(reading.valid_bytes)
                os.fsync(handle.fileno())
        return {t.key.id for t in reading.trajectories}

    def append(self, trajectory: Trajectory) -> None:
        """Append one finished episode durably (one write, then fsync). A write that fails (a
        full disk) is cut back off, so the file holds only whole records, and raised as a
        :class:`RunStoreError`."""
        record = encode_record(trajectory)
        with self._lock:
            descriptor = os.open(self.trajectories_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                size = os.fstat(descriptor).st_size
                try:
                    _write_all(descriptor, record)
                    os.fsync(descriptor)
                except OSError as exc:
                    os.ftruncate(descriptor, size)
                    raise write_failed(
                        exc, f"episode {trajectory.key.id} to {TRAJECTORIES}", self.directory
                    ) from None
            finally:
                os.close(descriptor)

    def mark_finished(self) -> None:
        manifest = self.manifest()
        manifest["ended_at"] = time.time()
        self.write_manifest(manifest)
