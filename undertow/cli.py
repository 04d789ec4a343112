"""The ``undertow`` command. Thin: parses arguments, calls the subsystems, prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from undertow import __version__
from undertow.errors import UndertowError
from undertow.record import TrajectoryFormatError

app = typer.Typer(
    help="Undertow: long-horizon behavioural evaluation of LLM agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
sandbox_app = typer.Typer(help="Build, check and clean up sandboxes.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
model_app = typer.Typer(help="The bundled local model.", no_args_is_help=True)
app.add_typer(model_app, name="model")
console = Console()
errors = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"undertow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Undertow: long-horizon behavioural evaluation of LLM agents."""


ImageOption = Annotated[str, typer.Option("--image", "--tag", help="Docker image of the sandbox.")]


def _default_image() -> str:
    from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE

    return DEFAULT_IMAGE


@sandbox_app.command("build-base")
def build_base(
    tag: ImageOption = "",
    suite: Annotated[str, typer.Option(help="Debian suite to bootstrap.")] = "bookworm",
    mirror: Annotated[str, typer.Option(help="Debian mirror.")] = "http://deb.debian.org/debian",
) -> None:
    """Build the sandbox base image (Debian + python3, git, pytest) with debootstrap."""
    from undertow.envs.sandbox.base_image import build_base_image
    from undertow.envs.sandbox.provider import connect_docker

    tag = tag or _default_image()
    client = connect_docker()
    with console.status(f"building {tag} from Debian {suite}") as status:
        image_id = build_base_image(
            client,
            tag,
            suite=suite,
            mirror=mirror,
            on_line=lambda line: status.update(f"building {tag}: {line[:100]}"),
        )
    console.print(f"[green]built[/green] {tag} ({image_id[:19]})")


@sandbox_app.command("build-image")
def build_image(
    tasks: Annotated[Path, typer.Argument(help="An OwnRepo task file with an `image` section.")],
    base: Annotated[
        str, typer.Option("--image", help="Base image where the task file names none.")
    ] = "",
) -> None:
    """Build (or find, by its content hash) the image a task file names; print its tag."""
    from undertow.envs.repo.byo import TaskFileError, load_task_file
    from undertow.envs.sandbox.project_image import ensure_image
    from undertow.envs.sandbox.provider import connect_docker

    spec, _ = load_task_file(tasks)
    if spec.image is None:
        raise TaskFileError(f"{tasks} has no `image` section; see docs/repository.md")
    client = connect_docker()
    try:
        with console.status(f"building the image of {tasks}") as status:
            tag = ensure_image(
                client,
                spec.image,
                tasks.parent,
                base or _default_image(),
                on_line=lambda line: status.update(f"building: {line[:100]}"),
            )
    finally:
        client.close()
    console.print(f"[green]image[/green] {tag}")


@sandbox_app.command("doctor")
def doctor(image: ImageOption = "") -> None:
    """Check the sandbox backends and say what to do about each problem."""
    from undertow.envs.sandbox.doctor import Status, run_checks

    with console.status("checking sandboxes"):
        checks = run_checks(image or _default_image())
    colour = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "red"}
    table = Table("check", "status", "detail", "what to do", show_lines=True)
    for check in checks:
        table.add_row(
            check.name, f"[{colour[check.status]}]{check.status}[/]", check.detail, check.fix
        )
    console.print(table)
    if any(check.status is Status.FAIL for check in checks):
        raise typer.Exit(1)


@sandbox_app.command("prune")
def prune(
    run: Annotated[str, typer.Option("--run", help="Remove every container of this run id.")] = "",
    everything: Annotated[
        bool, typer.Option("--all", help="Remove every Undertow container, even of live runs.")
    ] = False,
) -> None:
    """Remove sandbox containers left by interrupted runs (by default: owners no longer alive)."""
    from undertow.envs.sandbox.docker_backend import prune as prune_containers
    from undertow.envs.sandbox.provider import connect_docker

    client = connect_docker()
    try:
        removed = prune_containers(client, run_id=run or None, everything=everything)
    finally:
        client.close()
    console.print(f"removed {removed} sandbox container{'s' if removed != 1 else ''}")


@app.command("run")
def run_suite(
    suite: Annotated[str, typer.Argument(help="Built-in suite name or suite YAML path.")] = "",
    agent: Annotated[
        list[str] | None, typer.Option("--agent", help="Agent id; replaces the suite's agents.")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", help="litellm model string to evaluate (a react agent each)."),
    ] = None,
    api_base: Annotated[
        str | None, typer.Option(help="Endpoint for the --model agents (e.g. a local server).")
    ] = None,
    seeds: Annotated[str, typer.Option(help="Public seeds, e.g. 0-9 or 1,4,7.")] = "",
    trials: Annotated[int | None, typer.Option(help="Trials per seed.")] = None,
    parallel: Annotated[int, typer.Option(help="Episodes run at once.")] = 2,
    sandbox: Annotated[str, typer.Option(help="Sandbox backend: auto, docker or local.")] = "auto",
    executor: Annotated[
        str, typer.Option(help="Where episodes play: threads (here) or ray (a Ray cluster).")
    ] = "threads",
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address (--executor ray); default: private.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Run directory to create.")] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Finish an interrupted run in this directory.")
    ] = None,
    retry_errored: Annotated[
        bool, typer.Option(help="With --resume: play the errored episodes again.")
    ] = False,
    max_error_rate: Annotated[
        float | None,
        typer.Option(help="Fail the run (exit 3) if a larger share of its episodes errored."),
    ] = None,
    image: Annotated[
        str,
        typer.Option(help="Docker image of the sandboxes (replaces the suite's image)."),
    ] = "",
) -> None:
    """Run a suite: every episode, with limits, into a run directory; then print a summary."""
    from undertow.app.run import RunRequest, start_run

    request = RunRequest(
        suite=suite,
        agents=agent or [],
        models=model or [],
        api_base=api_base,
        seeds=seeds,
        trials=trials,
        parallel=parallel,
        sandbox=sandbox,
        executor=executor,
        address=address,
        out=out,
        resume=resume,
        retry_errored=retry_errored,
        max_error_rate=max_error_rate,
        image=image,
    )
    start_run(request, console)


@app.command("list")
def list_things(
    what: Annotated[str, typer.Argument(help="envs, suites or agents (default: all).")] = "all",
) -> None:
    """List the environments, built-in suites and agents."""
    from undertow.app.listing import catalogue_tables

    tables = catalogue_tables()
    if what != "all" and what not in tables:
        raise UndertowError(f"cannot list {what!r}; choose envs, suites or agents")
    for name, table in tables.items():
        if what in ("all", name):
            console.print(table)


@app.command("show")
def show(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    episode: Annotated[str, typer.Argument(help="Episode id or its number in the list.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    memory: Annotated[
        int | None,
        typer.Option("--memory", help="Print the agent's memory after this step (its index)."),
    ] = None,
) -> None:
    """List a run's episodes, or replay one: actions, observations, probe changes, errors."""
    from undertow.app.show import show_run

    show_run(run_dir, episode, as_json, console, memory_step=memory)


@app.command("score")
def score(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
) -> None:
    """Score a run: every metric per agent, and paired agent differences; writes scores.json."""
    from undertow.app.score import score_run

    score_run(run_dir, console)


@app.command("report")
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
) -> None:
    """Write DIR/report.html (one self-contained page) and DIR/report.json."""
    from undertow.scoring.html_report import write_report

    with console.status(f"building the report of {run_dir}"):
        html_path, json_path, data = write_report(run_dir)
    if data.skipped_lines:
        console.print(f"[red]records that could not be read, skipped: lines {data.skipped_lines}")
    console.print(f"report: [bold]{html_path}[/bold] ({len(data.episodes)} episodes); {json_path}")


@app.command("compare")
def compare(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories (one or more).")],
    agent: Annotated[
        list[str] | None,
        typer.Option("--agent", help="Only these agents (id, or agent@run where ids repeat)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write compare.html and compare.json.")
    ] = None,
) -> None:
    """Compare agents across runs: each metric with its interval, paired differences."""
    from undertow.app.compare import comparison_table
    from undertow.scoring.comparison import compare_runs, default_out, write_comparison

    result = compare_runs(run_dirs, agent or [])
    json_path, html_path = write_comparison(result, out or default_out())
    console.print(comparison_table(result))
    console.print(f"written: {html_path} and {json_path}")


@app.command("check-env")
def check_env_command(
    env_id: Annotated[str, typer.Argument(help="Env id, or module:id for your own.")],
    seed: Annotated[list[int] | None, typer.Option("--seed", help="Seeds to sample.")] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="Env option as KEY=VALUE (YAML value).")
    ] = None,
) -> None:
    """Check an environment against gymnasium's checker and Undertow's contract."""
    import yaml

    from undertow.contract import DEFAULT_SEEDS, check_contract
    from undertow.scenarios.suite import checked_options, registered_id

    options = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UndertowError(f"--option {item!r}: write KEY=VALUE, e.g. --option sandbox=local")
        options[key] = yaml.safe_load(value)
    try:
        registered_id(env_id)
    except ValueError as exc:
        raise UndertowError(str(exc)) from None
    import gymnasium

    if env_id.rpartition(":")[2] not in gymnasium.registry:
        raise UndertowError(f"unknown env {env_id!r}; see `undertow list envs`")
    try:
        options = checked_options(env_id, options, None)
    except ValueError as exc:
        raise UndertowError(f"--option: {exc}") from None
    with console.status(f"checking {env_id}"):
        results = check_contract(env_id, tuple(seed or DEFAULT_SEEDS), **options)
    table = Table("check", "result", "what broke and where", show_lines=True)
    for result in results:
        verdict = "[green]pass[/]" if result.ok else "[red]FAIL[/]"
        table.add_row(result.name, verdict, escape(result.message))
    console.print(table)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


@app.command("new-env")
def new_env_command(
    name: Annotated[str, typer.Argument(help="Package name of the new env, e.g. warehouse.")],
    directory: Annotated[Path, typer.Option("--dir", help="Where to create it.")] = Path("."),
    description: Annotated[str, typer.Option(help="One line about the world.")] = "",
) -> None:
    """Scaffold a working environment package (env, tests, suite) that passes the contract."""
    from undertow.envs.scaffold import new_env

    package = new_env(name, directory, description)
    console.print(f"created {package}/ (env.py, __init__.py, tests/, suite.yaml)")
    console.print(f"next: `python -m pytest {package}` and `undertow run {package}/suite.yaml`")


@model_app.command("serve")
def model_serve(
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1 (default: a free one).")
    ] = None,
) -> None:
    """Serve SmolLM2-135M-Instruct with llama.cpp on 127.0.0.1 until SIGINT or SIGTERM."""
    import signal
    import threading

    from undertow.agents.local_model import LocalModelError, LocalModelServer

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with console.status("starting the local model"):
        server = LocalModelServer(port).start()
    console.print(
        f"litellm model: [bold]{server.model}[/bold]   api_base: [bold]{server.api_base}[/bold]"
    )
    console.print(f"e.g. undertow run smoke --model {server.model} --api-base {server.api_base}")
    console.print(
        "in a suite, give its agents the options native_tools: false, schema_format: "
        "json_object and max_tokens: 128, as `--model local` does (see the README)"
    )
    try:
        while not stopping.wait(1.0):
            if not server.running():
                raise LocalModelError(f"the local model server exited:\n{server.output_tail()}")
    finally:
        server.stop()
    console.print("stopped the local model")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; user-facing errors become a message and exit code 2."""
    try:
        app(args=argv)
    except (UndertowError, TrajectoryFormatError) as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        errors.print("interrupted")
        sys.exit(130)
