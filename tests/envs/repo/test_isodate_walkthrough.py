"""The walkthrough of docs/repository.md, end to end on docker: isodate 0.6.1's sdist (from
PyPI, vendored in tests/data), its dependency six installed when the project's image is
built, three tasks with hidden tests. No network: the wheels come from tests/data and the
wheelhouse that scripts/fetch-test-wheels.sh fills."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import docker
import docker.errors
import pytest

from undertow.cli import main
from undertow.envs.repo.byo import load_task_file
from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE
from undertow.envs.sandbox.project_image import image_tag
from undertow.record.store import RunStore

EXAMPLE = Path(__file__).parents[3] / "examples" / "ownrepo-isodate"
SDIST = Path(__file__).parents[2] / "data" / "isodate-0.6.1.tar.gz"


@pytest.mark.docker
@pytest.mark.slow
def test_the_isodate_suite_runs_on_docker(
    docker_client: docker.DockerClient, offline_wheels: Path, tmp_path: Path
) -> None:
    example = tmp_path / "ownrepo-isodate"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("isodate", "__pycache__"))
    subprocess.run([sys.executable, str(example / "make_repository.py"), str(SDIST)], check=True)
    spec, _ = load_task_file(example / "tasks.yaml")
    assert spec.image is not None
    base_id = str(docker_client.images.get(DEFAULT_IMAGE).id)
    tag = image_tag(base_id, spec.image, example)
    out = tmp_path / "run"
    os.environ["COLUMNS"] = "200"
    try:
        main(["run", str(example / "suite.yaml"), "--sandbox", "docker", "--out", str(out)])
    except SystemExit as exit_:
        assert not exit_.code
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(tag, force=True)
    runs = {t.key.agent: t for t in RunStore.open(out).trajectories()}
    oracle, sloppy, noop = runs["oracle"], runs["sloppy-all"], runs["noop"]
    assert oracle.outcome is not None and oracle.outcome.success and oracle.ledger == []
    assert noop.outcome is not None and not noop.outcome.success
    errors = {e.object: e for e in sloppy.ledger}
    assert set(errors) == {"month-end", "comma-decimals", "duration-seconds"}
    assert errors["duration-seconds"].caused_by == [errors["comma-decimals"].id]
