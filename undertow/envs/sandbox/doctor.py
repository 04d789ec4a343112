"""Health checks for the sandbox backends, each with what to do about a problem."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from enum import StrEnum

import docker
import docker.errors

from undertow.envs.sandbox.base import SandboxError
from undertow.envs.sandbox.docker_backend import (
    LABEL_OWNER,
    LABEL_SANDBOX,
    DockerSandbox,
    owner_alive,
)
from undertow.envs.sandbox.local import LocalSandbox
from undertow.envs.sandbox.provider import connect_docker


class Status(StrEnum):
    """OK; WARN: a backend is unavailable but another serves; FAIL: something is broken."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it went, and the fix when it did not go well."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def _local_checks() -> list[Check]:
    try:
        with LocalSandbox() as sandbox:
            result = sandbox.exec("echo ok", timeout=10)
    except (SandboxError, OSError) as exc:
        return [Check("local backend", Status.FAIL, str(exc), "check that /tmp is writable")]
    who = (
        "as a user of the sandbox's own"
        if os.geteuid() == 0
        else "as the current user (run as root for a user per sandbox)"
    )
    status = Status.OK if result.ok else Status.FAIL
    return [
        Check(
            "local backend",
            status,
            f"commands run {who} with rlimits in {result.duration * 1000:.1f} ms "
            "(not a security boundary)",
            "" if result.ok else f"`echo ok` failed: {result.stderr or result.note}",
        )
    ]


def _limit_checks(info: dict) -> list[Check]:
    wanted = {
        "MemoryLimit": "memory limits",
        "SwapLimit": "swap limits (memory limits then hold without swap)",
        "PidsLimit": "process-count limits (fork bombs)",
        "CpuCfsQuota": "CPU limits",
    }
    missing = [label for key, label in wanted.items() if not info.get(key, False)]
    if not missing:
        return [Check("resource limits", Status.OK, "memory, swap, pids and CPU limits supported")]
    return [
        Check(
            "resource limits",
            Status.WARN,
            "the daemon lacks " + ", ".join(missing),
            "enable the cgroup controllers (kernel command line "
            "`cgroup_enable=memory swapaccount=1`) and restart dockerd",
        )
    ]


def _sandbox_checks(client: docker.DockerClient, image: str) -> list[Check]:
    started = time.monotonic()
    try:
        sandbox = DockerSandbox.start(client, image=image, run_id="doctor")
    except (SandboxError, docker.errors.DockerException) as exc:
        return [
            Check(
                "sandbox container",
                Status.FAIL,
                str(exc),
                "run `undertow sandbox build-base` to rebuild the image (it needs python3)",
            )
        ]
    with sandbox:
        start_ms = (time.monotonic() - started) * 1000
        round_trip = time.monotonic()
        sandbox.exec("true", timeout=10)
        exec_ms = (time.monotonic() - round_trip) * 1000
        interfaces = sandbox.exec("ls /sys/class/net", timeout=10).stdout.split()
    checks = [
        Check(
            "sandbox container",
            Status.OK,
            f"started in {start_ms:.0f} ms; a command round trip took {exec_ms:.1f} ms",
        )
    ]
    if interfaces == ["lo"]:
        checks.append(Check("network isolation", Status.OK, "containers see only loopback"))
    else:
        checks.append(
            Check(
                "network isolation",
                Status.FAIL,
                f"containers see interfaces {interfaces}",
                "the daemon ignores network_mode=none; upgrade Docker",
            )
        )
    return checks


def _leftover_check(client: docker.DockerClient) -> Check:
    containers = client.containers.list(all=True, filters={"label": LABEL_SANDBOX})
    orphans = [c for c in containers if not owner_alive(c.labels.get(LABEL_OWNER, ""))]
    if not orphans:
        return Check("leftover containers", Status.OK, f"{len(containers)} in use, none orphaned")
    return Check(
        "leftover containers",
        Status.WARN,
        f"{len(orphans)} containers of interrupted runs remain",
        "remove them with `undertow sandbox prune`",
    )


def _debootstrap_hint() -> str:
    return "" if shutil.which("debootstrap") else " (after `apt-get install -y debootstrap`)"


def run_checks(image: str) -> list[Check]:
    """Check the local backend, the Docker daemon, its limits, the image and leftovers."""
    checks = _local_checks()
    try:
        client = connect_docker(timeout=5.0)
    except SandboxError as exc:
        checks.append(
            Check(
                "docker daemon",
                Status.WARN,
                f"{exc} Sandboxes fall back to the local backend.",
                "for the docker backend, install and start it: "
                "`apt-get install -y docker.io` then `dockerd &`",
            )
        )
        return checks
    try:
        info = client.info()
        checks.append(
            Check("docker daemon", Status.OK, f"Docker {info.get('ServerVersion')} answers")
        )
        checks += _limit_checks(info)
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            checks.append(
                Check(
                    "base image",
                    Status.WARN,
                    f"image {image!r} is missing; sandboxes fall back to the local backend",
                    "build it: `undertow sandbox build-base`" + _debootstrap_hint(),
                )
            )
        else:
            checks.append(Check("base image", Status.OK, f"image {image!r} is present"))
            checks += _sandbox_checks(client, image)
        checks.append(_leftover_check(client))
    finally:
        client.close()
    return checks
