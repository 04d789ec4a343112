"""A project's sandbox image: a base image with the project's dependencies installed.

Containers have no network, so dependencies are installed when the image is built, and the
build has no network either: the wheels are downloaded on the host (``pip download``, for
the base image's Python, platform and C library, wheels only) into the build context, and
installed in the image by pip run from its own wheel with ``--no-index``. Then the setup
commands run, as root, still without network. The image is tagged by a content hash of the
base image's id, the requirements (the files' text and the packages listed) and the setup
commands, so an unchanged project reuses its image and any change builds a new one.

pip's own configuration applies to the download (``PIP_INDEX_URL``, ``PIP_FIND_LINKS``,
``PIP_NO_INDEX``, ...): a machine without the package index can point it at a folder of
wheels.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import docker.errors
from pydantic import BaseModel, ConfigDict, Field

from undertow.errors import UndertowError

TAG_PREFIX = "undertow-project"
LABEL_KEY = "undertow.project-image"
WHEELS = "/tmp/undertow-wheels"
PROBE = (
    "import json, platform, sys; print(json.dumps({'python': '%d.%d' % sys.version_info[:2], "
    "'libc': platform.libc_ver(), 'machine': platform.machine()}))"
)
PIP_SECONDS = 900
_building = threading.Lock()


class ProjectImageError(UndertowError):
    """The project's image could not be built; the message says which step failed and why."""


class ImageSpec(BaseModel):
    """How to build a project's image (the ``image`` section of a task file)."""

    model_config = ConfigDict(extra="forbid")

    base: str | None = None
    """The image to build on (default: the run's sandbox image, ``undertow-base:bookworm``
    unless ``--image`` or the suite's ``image`` names another)."""
    requirements: list[str] = Field(default_factory=list)
    """pip requirement files, relative to the file that names them (self-contained: their
    own ``-r`` lines are not followed)."""
    packages: list[str] = Field(default_factory=list)
    """Requirement strings, e.g. ``six==1.16.0``."""
    setup: list[str] = Field(default_factory=list)
    """Shell commands run as root after the packages are installed, without network."""


def _requirement_texts(spec: ImageSpec, folder: Path) -> list[tuple[str, str]]:
    texts = []
    for name in spec.requirements:
        path = folder / name
        try:
            texts.append((name, path.read_text()))
        except OSError as exc:
            raise ProjectImageError(
                f"image.requirements: cannot read {name!r} ({path.resolve()}): {exc.strerror}"
            ) from None
    return texts


def image_tag(base_id: str, spec: ImageSpec, folder: Path) -> str:
    """The tag of the image ``spec`` builds on the base image ``base_id``: a content hash."""
    payload = json.dumps(
        [base_id, _requirement_texts(spec, folder), spec.packages, spec.setup], sort_keys=True
    )
    return f"{TAG_PREFIX}:{hashlib.sha256(payload.encode()).hexdigest()[:24]}"


def ensure_image(
    client: docker.DockerClient,
    spec: ImageSpec,
    folder: Path,
    base: str,
    *,
    on_line: Callable[[str], None] = lambda _line: None,
) -> str:
    """The tag of the project's image, built now unless an image with that content hash
    exists. ``folder`` is where requirement paths start; ``base`` applies where the spec
    names none."""
    base = spec.base or base
    try:
        base_id = str(client.images.get(base).id)
    except docker.errors.ImageNotFound:
        raise ProjectImageError(
            f"the base image {base!r} is missing; build it with `undertow sandbox build-base`"
            + (" or name an existing image in image.base" if spec.base else "")
        ) from None
    tag = image_tag(base_id, spec, folder)
    with _building:  # one build per tag, however many episodes reset at once
        if not _exists(client, tag):
            _build(client, spec, folder, base, tag, on_line)
    return tag


def _exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def _build(
    client: docker.DockerClient,
    spec: ImageSpec,
    folder: Path,
    base: str,
    tag: str,
    on_line: Callable[[str], None],
) -> None:
    with tempfile.TemporaryDirectory(prefix="undertow-image-") as workdir:
        context = Path(workdir)
        lines = [f"FROM {base}"]
        requirements = _write_requirements(spec, folder, context)
        if requirements:
            pip_wheel = _download(client, base, context, on_line)
            install = (
                f"python3 {WHEELS}/{pip_wheel}/pip install --no-index --find-links {WHEELS} "
                "--break-system-packages --root-user-action=ignore --disable-pip-version-check "
                f"--no-warn-script-location -r {WHEELS}/requirements.txt && rm -rf {WHEELS}"
            )
            lines += [f"COPY wheels {WHEELS}", _run(install)]
        lines += [_run(command) for command in spec.setup]
        lines.append(f"LABEL {LABEL_KEY}={json.dumps(tag)}")
        (context / "Dockerfile").write_text("\n".join(lines) + "\n")
        on_line(f"building {tag} on {base}")
        log: list[str] = []
        for chunk in client.api.build(
            path=str(context),
            tag=tag,
            network_mode="none",
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        ):
            text = str(chunk.get("stream", "")).rstrip()
            if text:
                log.append(text)
                on_line(text)
            if "error" in chunk:
                raise ProjectImageError(
                    f"building the image {tag} failed: {chunk['error']}\nLast lines of the "
                    "build:\n" + "\n".join(log[-30:])
                )


def _run(command: str) -> str:
    return "RUN " + json.dumps(["/bin/sh", "-ec", command])


def _write_requirements(spec: ImageSpec, folder: Path, context: Path) -> bool:
    """The one requirement file of the build (``wheels/requirements.txt``); False if empty."""
    wheels = context / "wheels"
    wheels.mkdir()
    parts = []
    for number, (name, text) in enumerate(_requirement_texts(spec, folder)):
        copied = f"requirements-{number}-{Path(name).name}"
        (wheels / copied).write_text(text)
        parts.append(f"-r {copied}")
    parts += spec.packages
    (wheels / "requirements.txt").write_text("\n".join(parts) + "\n")
    return bool(parts)


def _target(client: docker.DockerClient, base: str) -> dict[str, Any]:
    """The base image's Python version, C library and machine."""
    try:
        output = client.containers.run(
            base, ["python3", "-c", PROBE], network_disabled=True, remove=True
        )
        return dict(json.loads(output))
    except (docker.errors.DockerException, ValueError) as exc:
        raise ProjectImageError(
            f"cannot ask the base image {base!r} for its Python ({exc}); the image must have "
            "python3"
        ) from None


def platform_tags(libc: tuple[str, str] | list[str], machine: str) -> list[str]:
    """The wheel platform tags a C library and machine accept, newest first."""
    tags = []
    name, version = libc
    if name == "glibc" and version:
        major, minor = (int(part) for part in version.split(".")[:2])
        tags += [f"manylinux_{major}_{m}_{machine}" for m in range(minor, 16, -1)]
        if machine in ("x86_64", "i686"):
            tags += [
                f"manylinux2014_{machine}",
                f"manylinux2010_{machine}",
                f"manylinux1_{machine}",
            ]
        elif minor >= 17:
            tags.append(f"manylinux2014_{machine}")
    return [*tags, f"linux_{machine}"]


def _download(
    client: docker.DockerClient, base: str, context: Path, on_line: Callable[[str], None]
) -> str:
    """Download pip and the requirements' wheels for the base image into ``wheels/``;
    return pip's wheel's file name."""
    target = _target(client, base)
    python = str(target["python"])
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--only-binary",
        ":all:",
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--abi",
        "cp" + python.replace(".", ""),
        *(
            arg
            for tag in platform_tags(target["libc"], target["machine"])
            for arg in ("--platform", tag)
        ),
        "--dest",
        str(context / "wheels"),
        "-r",
        str(context / "wheels" / "requirements.txt"),
        "pip",
    ]
    on_line(f"downloading wheels for Python {python} on the host")
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_SECONDS, cwd=context / "wheels"
        )
    except subprocess.TimeoutExpired:
        raise ProjectImageError(f"pip download did not finish in {PIP_SECONDS}s") from None
    if done.returncode != 0:
        raise ProjectImageError(
            f"pip download of the image's requirements failed (exit {done.returncode}). The "
            f"image installs wheels only, for Python {python} on {target['machine']} "
            f"({' '.join(target['libc'])}), without network; a dependency published only as "
            "an sdist cannot be installed this way (build its wheel and add the folder to "
            "PIP_FIND_LINKS). pip said:\n" + (done.stdout + done.stderr)[-3000:]
        )
    wheels = sorted((context / "wheels").glob("pip-*.whl"))
    if not wheels:
        raise ProjectImageError("pip download gave no wheel of pip itself")
    return wheels[-1].name
