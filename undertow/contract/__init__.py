"""The environment contract: what every Undertow world must do, checked.

:func:`check_contract` runs every check of :mod:`undertow.contract.checks` (gymnasium's own
``check_env`` among them) on a sample of seeds and returns one :class:`CheckResult` per check;
:func:`assert_contract` raises :class:`ContractError` listing the failures. ``undertow
check-env`` prints the same. The contract is written out for authors in
``docs/environment-contract.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium

import undertow.envs  # noqa: F401  (registers the built-in environments)
from undertow.contract.checks import CHECKS, EnvFactory, ledger_problems, probe_problems
from undertow.envs.base import BehaviourEnv
from undertow.errors import UndertowError

DEFAULT_SEEDS = (0, 1, 2)
EnvSource = str | type[BehaviourEnv[Any, Any]]

__all__ = [
    "CHECKS",
    "DEFAULT_SEEDS",
    "CheckResult",
    "ContractError",
    "assert_contract",
    "check_contract",
    "ledger_problems",
    "probe_problems",
]


class ContractError(UndertowError):
    """An environment breaks the contract; the message lists every failed check."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str = ""


def factory(env: EnvSource, options: dict[str, Any]) -> EnvFactory:
    """A callable making a fresh env from an id (``gymnasium.make``) or a class."""
    if isinstance(env, str):
        return lambda: gymnasium.make(env, **options).unwrapped  # type: ignore[return-value]
    return lambda: env(**options)


def _safely(name: str, check: Callable[[], list[str]]) -> CheckResult:
    try:
        problems = check()
    except Exception as exc:  # a crash is a failed check, with what crashed
        return CheckResult(name, False, f"raised {type(exc).__name__}: {exc}")
    return CheckResult(name, not problems, "; ".join(problems[:10]))


def check_contract(
    env: EnvSource, seeds: tuple[int, ...] = DEFAULT_SEEDS, **options: Any
) -> list[CheckResult]:
    """Run every contract check; return one result per check."""
    make = factory(env, options)
    return [
        _safely(name, lambda check=check: check(make, seeds))  # type: ignore[misc]
        for name, check in CHECKS.items()
    ]


def assert_contract(env: EnvSource, seeds: tuple[int, ...] = DEFAULT_SEEDS, **options: Any) -> None:
    """Raise :class:`ContractError` naming every failed check; return quietly when all pass."""
    failed = [r for r in check_contract(env, seeds, **options) if not r.ok]
    if failed:
        label = env if isinstance(env, str) else env.__name__
        raise ContractError(
            f"{label} breaks the environment contract:\n"
            + "\n".join(f"- {r.name}: {r.message}" for r in failed)
        )
