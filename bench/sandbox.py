"""Sandbox benchmark: command round trip and acquire latency, per backend.

Measures p50/p95 of a trivial command's round trip (``true``) and of acquiring a sandbox
(local; docker cold start; docker from a warm pool), with ``docker exec`` through the CLI as
the reference. Prints a table, then, as the very last line, one JSON object with the figures.

    python bench/sandbox.py [--repeats 200] [--acquires 20]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from undertow.envs.sandbox.docker_backend import DockerSandbox
from undertow.envs.sandbox.local import LocalSandbox
from undertow.envs.sandbox.provider import DockerPool, connect_docker, docker_unusable_reason

RUN_ID = "bench-sandbox"


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000, "n": len(ordered)}


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def timed_acquire(acquire: Callable[[], object], release: Callable[[object], None], n: int) -> list:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        sandbox = acquire()
        samples.append(time.perf_counter() - started)
        release(sandbox)
    return samples


def bench_local(repeats: int, acquires: int) -> dict[str, dict[str, float]]:
    with LocalSandbox() as sandbox:
        sandbox.exec("true")
        exec_samples = timed(lambda: sandbox.exec("true"), repeats)
    return {
        "local exec": percentiles(exec_samples),
        "local acquire": percentiles(timed_acquire(LocalSandbox, lambda s: s.close(), acquires)),
    }


def bench_docker(repeats: int, acquires: int) -> dict[str, dict[str, float]]:
    client = connect_docker()
    results = {}
    with DockerSandbox.start(client, run_id=RUN_ID) as sandbox:
        sandbox.exec("true")
        results["docker exec (command server)"] = percentiles(
            timed(lambda: sandbox.exec("true"), repeats)
        )
        docker_cli = shutil.which("docker")
        if docker_cli:
            cli_repeats = max(10, repeats // 5)
            results["docker exec (CLI reference)"] = percentiles(
                timed(
                    lambda: subprocess.run(
                        [docker_cli, "exec", sandbox.container.id, "true"], check=True
                    ),
                    cli_repeats,
                )
            )
    results["docker acquire (cold)"] = percentiles(
        timed_acquire(
            lambda: DockerSandbox.start(client, run_id=RUN_ID), lambda s: s.close(), acquires
        )
    )
    pool = DockerPool(client, run_id=RUN_ID, warm=2)
    try:
        warm_samples = []
        for _ in range(acquires):
            pool.wait_until_warm(timeout=120)
            started = time.perf_counter()
            sandbox = pool.acquire()
            warm_samples.append(time.perf_counter() - started)
            sandbox.close()
        results["docker acquire (warm pool)"] = percentiles(warm_samples)
    finally:
        pool.close()
        client.close()
    return results


def ratio(results: dict, slower: str, faster: str) -> float | None:
    if slower in results and faster in results:
        return results[slower]["p50_ms"] / results[faster]["p50_ms"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="command round trips")
    parser.add_argument("--acquires", type=int, default=20, help="sandbox acquisitions")
    args = parser.parse_args()
    console = Console()
    results = bench_local(args.repeats, args.acquires)
    problem = docker_unusable_reason()
    if problem is None:
        results |= bench_docker(args.repeats, args.acquires)
    else:
        console.print(f"[yellow]docker skipped:[/yellow] {problem}")
    table = Table("measure", "p50 ms", "p95 ms", "n", title="Sandbox latency")
    for name, figures in results.items():
        table.add_row(
            name, f"{figures['p50_ms']:.2f}", f"{figures['p95_ms']:.2f}", str(figures["n"])
        )
    console.print(table)
    ratios = {
        "docker exec CLI / command server (p50)": ratio(
            results, "docker exec (CLI reference)", "docker exec (command server)"
        ),
        "docker acquire cold / warm (p50)": ratio(
            results, "docker acquire (cold)", "docker acquire (warm pool)"
        ),
        "docker command server / local exec (p50)": ratio(
            results, "docker exec (command server)", "local exec"
        ),
    }
    for name, value in ratios.items():
        if value is not None:
            console.print(f"{name}: {value:.1f}x")
    print(json.dumps({"results": results, "ratios": ratios}))


if __name__ == "__main__":
    main()
