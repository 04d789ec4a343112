"""Which sandbox `undertow run` opens: model-driven agents get the local one only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rich.console import Console

from undertow.app import run
from undertow.app.run import RunRequest, choose_sandbox
from undertow.record.store import RunStore
from undertow.scenarios.suite import Suite, SuiteError


def suite(*agents: str, env: str = "undertow/Repo-v0") -> Suite:
    return Suite.model_validate(
        {
            "name": "s",
            "scenarios": [{"name": "x", "env": env}],
            "agents": [{"id": a, "options": {"model": "openai/x"}} for a in agents],
            "seeds": {"public": [0]},
        }
    )


def choose(sandbox: str, the_suite: Suite) -> tuple[str, str]:
    console = Console(record=True, width=300)
    chosen = choose_sandbox(RunRequest(sandbox=sandbox), the_suite, console)
    return chosen, console.export_text()


@pytest.fixture
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "docker_unusable_reason", lambda: "no Docker daemon answers")


@pytest.fixture
def docker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "docker_unusable_reason", lambda: None)


@pytest.mark.usefixtures("no_docker")
def test_model_agents_without_docker_need_an_explicit_local_sandbox() -> None:
    for agent in ("react", "plan-act-reflect"):
        with pytest.raises(SuiteError, match=r"--sandbox local.*no Docker daemon answers"):
            choose("auto", suite("oracle", agent))
    chosen, said = choose("local", suite("react"))
    assert chosen == "local" and "does not protect" in said


@pytest.mark.usefixtures("docker")
def test_auto_chooses_docker_for_model_agents_and_says_so() -> None:
    chosen, said = choose("auto", suite("react"))
    assert chosen == "docker" and "auto chose docker for the model-driven agents (react)" in said


@pytest.mark.usefixtures("no_docker")
def test_scripted_agents_and_sandbox_free_envs_are_unchanged() -> None:
    assert choose("auto", suite("oracle", "redteam-setsid"))[0] == "auto"
    assert choose("auto", suite("react", env="undertow/Helpdesk-v0"))[0] == "auto"


def test_a_resumed_run_keeps_the_sandbox_it_was_started_with(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite("react").model_dump(mode="json")))
    started = RunRequest(suite=str(tmp_path / "suite.yaml"), out=tmp_path / "run", sandbox="local")
    run._resolve(started)
    assert RunStore.open(tmp_path / "run").manifest()["sandbox"] == "local"
    resumed = RunRequest(resume=tmp_path / "run")
    run._resolve(resumed)
    assert resumed.sandbox == "local"
    overridden = RunRequest(resume=tmp_path / "run", sandbox="docker")
    run._resolve(overridden)
    assert overridden.sandbox == "docker"
