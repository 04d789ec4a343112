"""The host side of OwnRepo's pytest grading: what it needs from the machine."""

from __future__ import annotations

import importlib.machinery
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from undertow.envs.repo import pytest_grader
from undertow.envs.sandbox import SandboxUnavailable


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder every ancestor of which other users can pass (pytest's own
    tmp_path sits in a 0700 folder)."""
    folder = Path(tempfile.mkdtemp(prefix="undertow-modes-", dir="/tmp"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_folder_closed_to_other_users_is_named_with_its_mode(open_tmp: Path) -> None:
    site = open_tmp / "closed" / "site-packages"
    site.mkdir(parents=True)
    os.chmod(open_tmp / "closed", 0o700)
    os.chmod(site, 0o755)
    assert pytest_grader.closed_to_others(str(site)) == f"{open_tmp / 'closed'} has mode 0700"
    os.chmod(open_tmp / "closed", 0o711)  # passable, and the packages folder listable
    assert pytest_grader.closed_to_others(str(site)) is None
    os.chmod(site, 0o711)  # passable but not listable
    assert pytest_grader.closed_to_others(str(site)) == f"{site} has mode 0711"


def test_local_grading_as_another_user_says_why_it_cannot_reach_pytest(
    open_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = open_tmp / "venv" / "site-packages" / "pytest"
    package.mkdir(parents=True)
    os.chmod(open_tmp / "venv", 0o700)
    spec = importlib.machinery.ModuleSpec("pytest", None, origin=str(package / "__init__.py"))
    monkeypatch.setattr(pytest_grader.importlib.util, "find_spec", lambda name: spec)
    box = SimpleNamespace(backend="local", user=40000)
    with pytest.raises(SandboxUnavailable, match=r"venv has mode 0700.*docker backend"):
        pytest_grader.grader_python_path(box)
    box.user = None  # not root: commands run as this user, who can reach its own packages
    assert str(open_tmp / "venv" / "site-packages") in pytest_grader.grader_python_path(box)
