"""Project images: dependencies installed at build time from wheels downloaded on the host,
cached by a content hash of the base image, the requirements and the setup commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE
from undertow.envs.sandbox.project_image import (
    ImageSpec,
    ProjectImageError,
    ensure_image,
    image_tag,
    platform_tags,
)


def test_platform_tags_cover_older_manylinux_and_plain_linux() -> None:
    tags = platform_tags(("glibc", "2.36"), "x86_64")
    assert tags[0] == "manylinux_2_36_x86_64" and "manylinux_2_17_x86_64" in tags
    assert "manylinux2014_x86_64" in tags and tags[-1] == "linux_x86_64"
    assert platform_tags(("", ""), "aarch64") == ["linux_aarch64"]


def test_the_tag_is_a_hash_of_base_requirements_and_setup(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    spec = ImageSpec(requirements=["requirements.txt"], setup=["true"])
    tag = image_tag("sha256:base", spec, tmp_path)
    assert tag == image_tag("sha256:base", spec, tmp_path)
    assert tag != image_tag("sha256:other", spec, tmp_path)
    assert tag != image_tag("sha256:base", spec.model_copy(update={"setup": ["false"]}), tmp_path)
    (tmp_path / "requirements.txt").write_text("six==1.15.0\n")
    assert tag != image_tag("sha256:base", spec, tmp_path)


def test_a_missing_requirement_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProjectImageError, match="cannot read 'nope"):
        image_tag("sha256:base", ImageSpec(requirements=["nope.txt"]), tmp_path)


@pytest.fixture
def built(docker_client: docker.DockerClient) -> Iterator[list[str]]:
    """Tags built by the test, removed after it."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        docker_client.images.remove(tag, force=True)


@pytest.mark.docker
@pytest.mark.slow
def test_dependencies_are_installed_at_build_time_and_the_image_is_reused(
    docker_client: docker.DockerClient, offline_wheels: Path, tmp_path: Path, built: list[str]
) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    spec = ImageSpec(
        requirements=["requirements.txt"],
        setup=["python3 -c 'import six; print(six.__version__)' > /six-version"],
    )
    lines: list[str] = []
    tag = ensure_image(docker_client, spec, tmp_path, DEFAULT_IMAGE, on_line=lines.append)
    built.append(tag)
    assert any("Successfully installed six-1.16.0" in line for line in lines)
    output = docker_client.containers.run(
        tag, ["cat", "/six-version"], network_disabled=True, remove=True
    )
    assert output.decode().strip() == "1.16.0"
    again: list[str] = []
    assert ensure_image(docker_client, spec, tmp_path, DEFAULT_IMAGE, on_line=again.append) == tag
    assert again == []  # found by its hash: nothing downloaded, nothing built


@pytest.mark.docker
@pytest.mark.slow
def test_a_failing_setup_command_says_what_it_printed(
    docker_client: docker.DockerClient, tmp_path: Path, built: list[str]
) -> None:
    spec = ImageSpec(setup=["echo 'the setup step broke' >&2; exit 3"])
    with pytest.raises(ProjectImageError) as failure:
        ensure_image(docker_client, spec, tmp_path, DEFAULT_IMAGE)
    message = str(failure.value)
    assert "returned a non-zero code: 3" in message and "the setup step broke" in message


@pytest.mark.docker
def test_a_dependency_without_a_wheel_is_explained(
    docker_client: docker.DockerClient, offline_wheels: Path, tmp_path: Path
) -> None:
    spec = ImageSpec(packages=["no-such-package-undertow==1.0"])
    with pytest.raises(ProjectImageError, match="pip download of the image's requirements failed"):
        ensure_image(docker_client, spec, tmp_path, DEFAULT_IMAGE)


@pytest.mark.docker
def test_a_missing_base_image_is_explained(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    with pytest.raises(ProjectImageError, match="the base image 'undertow-nope:1' is missing"):
        ensure_image(docker_client, ImageSpec(base="undertow-nope:1"), tmp_path, DEFAULT_IMAGE)
