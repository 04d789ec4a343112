"""Local model benchmark: seconds per step of the react agent on the bundled SmolLM2-135M.

Plays helpdesk episodes (one day, three tickets) with the react agent on the local model as
``undertow run --model local`` configures it, and reports the agent's seconds per step (the
model call: prompt evaluation and generation) at p50 and p95, with what llama.cpp says it spent
per call: prompt tokens evaluated (after the reused prefix), tokens generated, and the
milliseconds of each, the model server's CPU seconds per step (which other processes on a
shared machine do not change as they change wall time), and the load average before and
after. Prints a table, then, as the last line, one JSON object.

    python bench/local_model.py [--steps 20] [--seeds 1] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from undertow.agents.local_model import CLIENT_OPTIONS, LocalModelServer
from undertow.agents.react import ReactAgent
from undertow.scenarios.runner import run_episode
from undertow.scenarios.suite import expand, parse_suite

TARGET_P50_SECONDS = 5.0
SUITE = """
name: local-bench
scenarios:
  - name: desk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 3}
    limits: {max_steps: STEPS, wall_seconds: 3600}
agents: [{id: react, options: {model: local}}]
seeds: {public: SEEDS}
"""
PERF_LINE = re.compile(
    r"(prompt eval|eval) time =\s*([\d.]+) ms /\s*(\d+) (?:tokens|runs)", re.IGNORECASE
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU seconds a process has used (load-independent, unlike wall time)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def llama_timings(log: Path) -> dict[str, list[float]]:
    """Per model call, from llama.cpp's perf lines: prompt tokens and ms, generated and ms."""
    found: dict[str, list[float]] = {"prompt_tokens": [], "prompt_ms": [], "gen_tokens": [],
                                     "gen_ms": []}  # fmt: skip
    for kind, ms, count in PERF_LINE.findall(log.read_text(errors="replace")):
        prefix = "prompt" if kind.lower() == "prompt eval" else "gen"
        found[f"{prefix}_tokens"].append(float(count))
        found[f"{prefix}_ms"].append(float(ms))
    return found


def run(steps: int, seeds: int, threads: int | None) -> dict[str, Any]:
    text = SUITE.replace("STEPS", str(steps)).replace("SEEDS", f"0-{seeds - 1}")
    agent_seconds: list[float] = []
    prompt_tokens: list[int] = []
    load_before = os.getloadavg()[0]
    with LocalModelServer(threads=threads) as server:
        cpu_before = cpu_seconds(server.pid)
        for episode in expand(parse_suite(text, "bench")):
            agent = ReactAgent(
                server.model, api_base=server.api_base, timeout=600, **CLIENT_OPTIONS
            )
            trajectory = run_episode(episode, agent)
            if trajectory.error:
                raise SystemExit(f"the episode errored: {trajectory.error}")
            agent_seconds += [step.agent_seconds for step in trajectory.steps]
            prompt_tokens += [step.usage.prompt_tokens for step in trajectory.steps]
        timings = llama_timings(server.log)
        server_cpu = cpu_seconds(server.pid) - cpu_before
    calls = len(timings["prompt_ms"])
    return {
        "bench": "local_model",
        "cores": os.cpu_count(),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "threads": server.threads,
        "batch_threads": server.batch_threads,
        "steps": len(agent_seconds),
        "step_s_p50": percentile(agent_seconds, 0.5),
        "step_s_p95": percentile(agent_seconds, 0.95),
        "step_s_mean": statistics.fmean(agent_seconds),
        "server_cpu_s_per_step": server_cpu / len(agent_seconds),
        "prompt_tokens_p50": percentile([float(t) for t in prompt_tokens], 0.5),
        "evaluated_prompt_tokens_p50": percentile(timings["prompt_tokens"], 0.5) if calls else 0,
        "prompt_ms_p50": percentile(timings["prompt_ms"], 0.5) if calls else 0,
        "generated_tokens_p50": percentile(timings["gen_tokens"], 0.5) if calls else 0,
        "generation_ms_p50": percentile(timings["gen_ms"], 0.5) if calls else 0,
        "generation_tokens_per_s": sum(timings["gen_tokens"]) / (sum(timings["gen_ms"]) / 1000)
        if calls
        else 0,
        "target_p50_s": TARGET_P50_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per episode")
    parser.add_argument("--seeds", type=int, default=1, help="episodes (seeds 0..N-1)")
    parser.add_argument("--threads", type=int, default=None, help="generation threads")
    args = parser.parse_args()
    result = run(args.steps, args.seeds, args.threads)
    table = Table("figure", "value", title="local model (SmolLM2-135M, react, helpdesk)")
    for key, value in result.items():
        if key != "bench":
            table.add_row(key, f"{value:.2f}" if isinstance(value, float) else str(value))
    Console().print(table)
    ratio = result["step_s_p50"] / TARGET_P50_SECONDS
    p50 = result["step_s_p50"]
    print(f"p50 {p50:.2f} s per step: {ratio:.2f}x the {TARGET_P50_SECONDS:g} s target")
    print(json.dumps({**result, "p50_to_target": ratio}))


if __name__ == "__main__":
    main()
