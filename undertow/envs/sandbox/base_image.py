"""Build the default sandbox base image where no image registry is reachable.

The image is a Debian root filesystem made by ``debootstrap`` from Debian's package mirror
(with python3, git and pytest), trimmed, and imported into the daemon with ``docker import``
through the SDK. It needs root, ``debootstrap`` and a running Docker daemon.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import docker

from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE, transient_retry
from undertow.errors import UndertowError

DEFAULT_SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-pytest", "git", "ca-certificates", "procps")
TRIMMED_PATHS = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man")


class BaseImageError(UndertowError):
    """The base image could not be built; the message says what to install or fix."""


def _check_prerequisites() -> None:
    if os.geteuid() != 0:
        raise BaseImageError("building the base image needs root (debootstrap runs as root)")
    if shutil.which("debootstrap") is None:
        raise BaseImageError(
            "debootstrap is not installed; install it with `apt-get install -y debootstrap`"
        )


def _debootstrap(target: Path, suite: str, mirror: str, on_line: Callable[[str], None]) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(BASE_PACKAGES)}",
        suite,
        str(target),
        mirror,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    tail: list[str] = []
    for line in process.stdout:
        on_line(line.rstrip())
        tail = [*tail[-19:], line.rstrip()]
    if process.wait() != 0:
        raise BaseImageError(
            f"debootstrap {suite} from {mirror} failed (exit {process.returncode}). "
            "Check that the mirror is reachable (or pass --mirror). Last lines:\n" + "\n".join(tail)
        )


def _trim(rootfs: Path) -> None:
    for relative in TRIMMED_PATHS:
        folder = rootfs / relative
        if folder.is_dir():
            for child in folder.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)


def build_base_image(
    client: docker.DockerClient,
    tag: str = DEFAULT_IMAGE,
    *,
    suite: str = DEFAULT_SUITE,
    mirror: str = DEFAULT_MIRROR,
    on_line: Callable[[str], None] = lambda _line: None,
) -> str:
    """Build the base image and return its id. ``on_line`` receives progress lines."""
    _check_prerequisites()
    repository, _, version = tag.rpartition(":") if ":" in tag else (tag, "", "latest")
    with tempfile.TemporaryDirectory(prefix="undertow-rootfs-") as workdir:
        rootfs = Path(workdir) / "rootfs"
        _debootstrap(rootfs, suite, mirror, on_line)
        _trim(rootfs)
        on_line("packing the root filesystem")
        archive = Path(workdir) / "rootfs.tar"
        subprocess.run(
            ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."], check=True
        )
        on_line(f"importing into the Docker daemon as {tag}")
        transient_retry(client.api.import_image_from_file)(
            str(archive),
            repository=repository,
            tag=version,
            changes=[
                'CMD ["/bin/bash"]',
                "ENV LANG=C.UTF-8",
                "LABEL undertow.base=1",
            ],
        )
    return str(client.images.get(tag).id)
