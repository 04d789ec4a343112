"""The ``undertow`` command. Thin: parses arguments, calls the subsystems, prints."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from undertow import __version__
from undertow.errors import UndertowError

app = typer.Typer(
    help="Undertow: long-horizon behavioural evaluation of LLM agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
sandbox_app = typer.Typer(help="Build, check and clean up sandboxes.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
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


def main() -> None:
    """Entry point: run the app; user-facing errors become a message and exit code 2."""
    try:
        app()
    except UndertowError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        errors.print("interrupted")
        sys.exit(130)
