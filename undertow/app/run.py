"""A run from the command line: resolve the suite and overrides, run with progress, summarise."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from undertow.agents.local_model import CLIENT_OPTIONS, LocalModelServer
from undertow.agents.registry import LLM_AGENTS, SCRIPTED, make_agent
from undertow.app.score import agent_table
from undertow.envs.sandbox import open_provider
from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE
from undertow.envs.sandbox.provider import BACKENDS, backend_name, docker_unusable_reason
from undertow.errors import UndertowError
from undertow.record import EpisodeStatus, Trajectory
from undertow.record.store import RunStore, write_failed
from undertow.scenarios.runner import (
    EpisodeExecutor,
    ThreadExecutor,
    accepts_provider,
    latest_records,
    pending,
    run_episodes,
)
from undertow.scenarios.suite import (
    AgentSpec,
    Suite,
    SuiteError,
    expand,
    load_suite,
    parse_seeds,
)
from undertow.scoring.html_report import write_report
from undertow.scoring.report import write_scores
from undertow.scoring.score import score_views
from undertow.scoring.view import EpisodeView

SANDBOX_BACKENDS = BACKENDS
EXECUTORS = ("threads", "ray")


@dataclass
class RunRequest:
    """What the user asked for on the command line."""

    suite: str = ""
    agents: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    api_base: str | None = None
    seeds: str = ""
    trials: int | None = None
    parallel: int = 2
    sandbox: str = "auto"
    executor: str = "threads"
    address: str | None = None
    out: Path | None = None
    resume: Path | None = None
    retry_errored: bool = False
    max_error_rate: float | None = None
    image: str = ""


def uses_local_model(agent: AgentSpec) -> bool:
    """An LLM agent with no model, or model ``local``: it runs on the bundled local model."""
    return agent.id in LLM_AGENTS and agent.options.get("model", "local") == "local"


def with_local_model(suite: Suite, server: LocalModelServer) -> Suite:
    """The suite with its local-model agents pointed at the running server."""
    local = {"model": server.model, "api_base": server.api_base}
    agents = [
        agent.model_copy(update={"options": {**CLIENT_OPTIONS, **agent.options, **local}})
        if uses_local_model(agent)
        else agent
        for agent in suite.agents
    ]
    return suite.model_copy(update={"agents": agents})


def _apply_overrides(suite: Suite, request: RunRequest) -> Suite:
    data = suite.model_dump(mode="json")
    if request.agents or request.models:
        data["agents"] = [{"id": agent_id} for agent_id in request.agents] + [
            {
                "id": "react",
                "name": model,
                "options": {
                    "model": model,
                    **({"api_base": request.api_base} if request.api_base else {}),
                },
            }
            for model in request.models
        ]
    if request.seeds:
        try:
            data["seeds"]["public"] = parse_seeds(request.seeds)
        except ValueError as exc:
            raise SuiteError(f"--seeds: {exc}") from None
    if request.trials is not None:
        data["trials"] = request.trials
    if request.image:
        data["image"] = request.image
    try:
        return Suite.model_validate(data)
    except ValueError as exc:
        raise SuiteError(f"the options given do not make a valid suite: {exc}") from None


def choose_sandbox(request: RunRequest, suite: Suite, console: Console) -> str:
    """The backend to open. Model-driven agents (any but the scripted ones) get the local
    backend, which is no boundary, only when it was chosen explicitly; for them ``auto``
    means docker, and a machine without it is refused with the way out."""
    if suite.image and request.sandbox == "auto":  # a named image means docker: never dropped
        problem = docker_unusable_reason(suite.image)
        if problem is not None:
            raise SuiteError(
                f"the sandbox image {suite.image!r} (the suite's `image` or --image) cannot be "
                f"used: {problem}"
            )
        return "docker"
    models = sorted({a.label for a in suite.agents if a.id not in SCRIPTED})
    if not models or request.sandbox == "docker":
        return request.sandbox
    if not any(accepts_provider(scenario.env) for scenario in suite.scenarios):
        return request.sandbox
    names = ", ".join(models)
    if request.sandbox == "local":
        console.print(
            f"[yellow]sandbox: local, as asked: the model-driven agents ({names}) run their "
            "commands on this machine, which the local backend does not protect "
            "(docs/grading-and-containment.md)"
        )
        return "local"
    problem = docker_unusable_reason()
    if problem is not None:
        raise SuiteError(
            f"the model-driven agents ({names}) run in the docker sandbox unless you choose "
            "--sandbox local: the local backend is no boundary (their commands could read this "
            f"machine's files and reach its network). Docker cannot be used here: {problem}"
        )
    console.print(f"sandbox: auto chose docker for the model-driven agents ({names})")
    return "docker"


def _open_executor(
    request: RunRequest, suite: Suite, run_id: str, console: Console
) -> EpisodeExecutor:
    """Threads here sharing one sandbox provider, or Ray workers opening their own."""
    request.sandbox = choose_sandbox(request, suite, console)
    if request.executor == "ray":
        from undertow.scenarios.ray_executor import RayExecutor

        with console.status("connecting to Ray"):
            executor: EpisodeExecutor = RayExecutor(
                request.parallel,
                address=request.address,
                sandbox=backend_name(request.sandbox),
                run_id=run_id,
                image=suite.image or DEFAULT_IMAGE,
            )
        console.print(
            f"executor: ray on {request.address or 'a private local cluster'}, "
            f"{request.parallel} workers, each with its own {request.sandbox} sandboxes"
        )
        return executor
    needs_sandbox = any(accepts_provider(s.env) for s in suite.scenarios)
    provider = (
        open_provider(
            backend_name(request.sandbox),
            image=suite.image or DEFAULT_IMAGE,
            run_id=run_id,
            warm=request.parallel,
        )
        if needs_sandbox
        else None
    )
    if provider is not None:
        console.print(f"sandbox: {provider.backend} ({provider.reason})")
    return ThreadExecutor(request.parallel, provider, owns_provider=True)


def _check_request(request: RunRequest) -> None:
    if request.sandbox not in SANDBOX_BACKENDS:
        raise SuiteError(
            f"--sandbox must be one of {', '.join(SANDBOX_BACKENDS)}, not {request.sandbox!r}"
        )
    if request.executor not in EXECUTORS:
        raise SuiteError(
            f"--executor must be one of {', '.join(EXECUTORS)}, not {request.executor!r}"
        )
    if request.address and request.executor != "ray":
        raise SuiteError("--address names a Ray cluster; use it with --executor ray")
    if request.address and not request.address.rpartition(":")[2].isdigit():
        raise SuiteError(f"--address {request.address!r}: write HOST:PORT, e.g. 127.0.0.1:6379")
    if request.parallel < 1:
        raise SuiteError(f"--parallel must be at least 1, not {request.parallel}")
    if request.trials is not None and request.trials < 1:
        raise SuiteError(f"--trials must be at least 1, not {request.trials}")
    if request.api_base and not request.models:
        raise SuiteError("--api-base applies to --model agents; give a --model too")
    if request.resume and (
        request.suite
        or request.agents
        or request.models
        or request.seeds
        or request.trials
        or request.image
    ):
        raise SuiteError(
            "--resume finishes a run exactly as it was started; give no suite or overrides with it"
        )
    if request.retry_errored and not request.resume:
        raise SuiteError(
            "--retry-errored plays a run's errored episodes again; use it with --resume DIR"
        )
    if request.max_error_rate is not None and not 0 <= request.max_error_rate <= 1:
        raise SuiteError(
            "--max-error-rate is a share of the episodes, from 0 to 1, not "
            f"{request.max_error_rate}"
        )
    if not request.resume and not request.suite:
        raise SuiteError("name a suite (e.g. `undertow run smoke`) or --resume a run directory")


def _resolve(request: RunRequest) -> tuple[Suite, RunStore, int]:
    """The suite to run and its store (new, or the one being resumed)."""
    if request.resume:
        store = RunStore.open(request.resume)
        manifest = store.manifest()
        suite = Suite.model_validate(manifest["suite"])
        if request.sandbox == "auto":  # a run resumes in the sandbox it was started with
            request.sandbox = manifest.get("sandbox", "auto")
        return suite, store, len(expand(suite))
    base, text = load_suite(request.suite)
    suite = _apply_overrides(base, request)
    if request.max_error_rate is not None:  # kept in the manifest, so a resume holds to it
        suite = suite.model_copy(update={"max_error_rate": request.max_error_rate})
    for agent in suite.agents:  # refuse bad agents before anything runs
        options = (
            {**agent.options, "model": "openai/check"} if uses_local_model(agent) else agent.options
        )
        make_agent(agent.id, options)
    out = request.out or Path("runs") / f"{suite.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise SuiteError(f"--out {out} exists and is not empty; choose a new directory")
    episodes = len(expand(suite))
    store = RunStore.create(out, text, suite.model_dump(mode="json"), episodes)
    store.write_manifest({**store.manifest(), "sandbox": request.sandbox})
    return suite, store, episodes


def start_run(request: RunRequest, console: Console) -> list[Trajectory]:
    """Run (or resume) a suite with a progress bar; print the summary; return all trajectories."""
    _check_request(request)
    suite, store, total = _resolve(request)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )
    failed = 0
    local_model: LocalModelServer | None = None
    with contextlib.ExitStack() as cleanup:  # stops the model and the executor, however it ends
        if any(uses_local_model(agent) for agent in suite.agents):
            with console.status("starting the local model (SmolLM2-135M-Instruct, llama.cpp)"):
                local_model = LocalModelServer().start()
            cleanup.callback(local_model.stop)
            console.print(f"local model: {local_model.model} at {local_model.api_base}")
            suite = with_local_model(suite, local_model)
        console.print(f"run directory: [bold]{store.directory}[/bold] ({total} episodes)")
        try:
            executor = _open_executor(request, suite, store.directory.name, console)
        except UndertowError as exc:
            raise UndertowError(
                f"{exc}\n(the run is kept: start it with `undertow run --resume "
                f"{store.directory}` once that is fixed)"
            ) from None
        cleanup.callback(executor.close)
        with progress:
            todo = pending(expand(suite), store, retry_errored=request.retry_errored)
            task = progress.add_task(suite.name, total=total, completed=total - len(todo), failed=0)

            def done(trajectory: Trajectory) -> None:
                nonlocal failed
                failed += trajectory.status is EpisodeStatus.ERRORED
                progress.update(task, advance=1, failed=failed)

            result = run_episodes(
                expand(suite),
                store,
                executor=executor,
                on_done=done,
                retry_errored=request.retry_errored,
            )
        if local_model is not None and (death := local_model.died()):
            console.print(f"[red]{death}: its episodes errored from then on")
    store.mark_finished()
    trajectories = latest_records(store.trajectories())
    scores = score_views([EpisodeView.from_trajectory(t) for t in trajectories])
    try:
        write_scores(store.directory, scores)
        report, _, _ = write_report(store.directory)
    except OSError as exc:
        raise write_failed(exc, "the scores and report", store.directory) from None
    console.print(agent_table(scores))
    errored = sum(t.status is EpisodeStatus.ERRORED for t in trajectories)
    if errored:
        console.print(
            f"[yellow]{errored} of {len(trajectories)} episodes errored (counted as failures); "
            f"see `undertow show {store.directory}`; play them again with `undertow run "
            f"--resume {store.directory} --retry-errored`"
        )
    if result.skipped:
        console.print(f"resumed: {result.skipped} episodes were already stored")
    console.print(
        f"report: [bold]{report}[/bold] (open it in a browser); scores: "
        f"{store.directory / 'scores.json'}; paired comparisons: `undertow score "
        f"{store.directory}`; episodes: `undertow show {store.directory}`"
    )
    cap = suite.max_error_rate if request.max_error_rate is None else request.max_error_rate
    check_error_rate(errored, len(trajectories), cap, store.directory)
    return trajectories


class RunFailed(UndertowError):
    """The run finished, but too many of its episodes errored to trust its scores."""

    exit_code = 3


def check_error_rate(errored: int, episodes: int, cap: float | None, directory: Path) -> None:
    """Raise :class:`RunFailed` when the share of errored episodes is above ``cap``."""
    if cap is None or not episodes or errored / episodes <= cap:
        return
    raise RunFailed(
        f"the run failed: {errored} of {episodes} episodes errored ({errored / episodes:.0%}), "
        f"more than the cap of {cap:.0%} (max_error_rate). The scores and report are written, "
        f"but they rest on too few episodes. See the causes with `undertow show {directory}`, "
        f"fix them, then play those episodes again with `undertow run --resume {directory} "
        f"--retry-errored`"
    )
