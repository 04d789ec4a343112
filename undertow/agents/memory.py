"""The agent's memory at every step, kept in the trajectory as changes.

After each action the runner asks an agent that has ``memory()`` (the langgraph agents: their
checkpointed graph state) for it and stores only what changed since the step before in
``Step.extra["memory"]``, so a long episode's trajectory grows with its messages, not with
their square. :func:`memory_at` replays the changes to give the memory after any step.

A change is one of: ``{"append": [...]}`` (a list that only grew), ``{"keys": {key: change}}``
(a dict, key by key; ``{"delete": true}`` for a removed key), ``{"set": value}`` (anything
else, e.g. a list compacted by a reflection).
"""

from __future__ import annotations

from typing import Any

from undertow.record import Trajectory

MEMORY_KEY = "memory"


def memory_change(before: Any, after: Any) -> dict[str, Any] | None:
    """The change from ``before`` to ``after``; None when they are equal."""
    if isinstance(before, list) and isinstance(after, list) and after[: len(before)] == before:
        return {"append": after[len(before) :]} if len(after) > len(before) else None
    if isinstance(before, dict) and isinstance(after, dict):
        keys: dict[str, Any] = {}
        for key in before.keys() - after.keys():
            keys[key] = {"delete": True}
        for key, value in after.items():
            change = memory_change(before[key], value) if key in before else {"set": value}
            if change is not None:
                keys[key] = change
        return {"keys": keys} if keys else None
    return None if before == after else {"set": after}


def apply_memory_change(memory: Any, change: dict[str, Any]) -> Any:
    """``memory`` with ``change`` applied (a new object; ``memory`` is not modified)."""
    if "append" in change:
        return [*memory, *change["append"]]
    if "keys" in change:
        result = dict(memory)
        for key, sub in change["keys"].items():
            if sub.get("delete"):
                result.pop(key, None)
            else:
                result[key] = apply_memory_change(result.get(key), sub)
        return result
    return change["set"]


def memory_at(trajectory: Trajectory, step: int) -> Any:
    """The agent's memory after ``step`` (its index), or None if it recorded none."""
    if not 0 <= step < len(trajectory.steps):
        raise IndexError(f"step {step} is not in this episode (0-{len(trajectory.steps) - 1})")
    memory: Any = None
    for recorded in trajectory.steps[: step + 1]:
        if MEMORY_KEY in recorded.extra:
            memory = apply_memory_change(memory, recorded.extra[MEMORY_KEY])
    return memory
