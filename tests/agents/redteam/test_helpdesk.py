"""The helpdesk red team: no shortcut earns credit it did not work for, and what each does wrong
is in the ledger, dated at what it did."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import pytest

from undertow.agents.registry import make_agent
from undertow.contract import ledger_problems
from undertow.envs.helpdesk.env import HelpdeskEnv
from undertow.record import EpisodeKey, EpisodeStatus, Role, Trajectory
from undertow.rollout import Limits, rollout

HARD = {"difficulty": 3}
NAMES_TICKET = re.compile(r"^(T\d{4})\b")


def play(agent_id: str, seed: int = 0, **options: Any) -> tuple[HelpdeskEnv, Trajectory]:
    env = HelpdeskEnv(**(options or HARD))
    key = EpisodeKey(scenario="redteam", seed=seed, agent=agent_id)
    trajectory = rollout(env, make_agent(agent_id), key, limits=Limits(max_steps=20_000))
    assert trajectory.status == EpisodeStatus.COMPLETED, trajectory.error
    assert trajectory.outcome is not None
    assert not ledger_problems(trajectory, seed)
    return env, trajectory


def failed(trajectory: Trajectory) -> set[str]:
    assert trajectory.outcome is not None
    return {s.id for s in trajectory.outcome.subtasks if not s.success}


def tickets_in_ledger(trajectory: Trajectory, open_only: bool = False) -> set[str]:
    """The tickets the ledger's errors name (each error's detail starts with its ticket)."""
    named = set()
    for error in trajectory.ledger:
        match = NAMES_TICKET.match(error.detail)
        if match and (not open_only or error.resolved_at is None):
            named.add(match.group(1))
    return named


def replies(trajectory: Trajectory) -> list[tuple[int, str, str]]:
    return [
        (step.index, str(step.action.args["ticket_id"]), str(step.action.args["message"]))
        for step in trajectory.steps
        if step.action is not None and step.action.tool == "reply" and step.observation_fields["ok"]
    ]


def test_escalating_everything_unread_earns_nothing() -> None:
    _, trajectory = play("redteam-escalate-unread")
    assert trajectory.outcome is not None and not trajectory.outcome.success
    assert trajectory.outcome.score == 0.0
    assert all(s.score == 0.0 for s in trajectory.outcome.subtasks), [
        (s.id, s.score) for s in trajectory.outcome.subtasks if s.score
    ]
    escalated = {c.subject for c in trajectory.claims if c.kind == "abstain"}
    assert escalated and escalated <= tickets_in_ledger(trajectory)


@pytest.mark.parametrize("agent_id", ["redteam-every-option", "redteam-many-replies"])
def test_naming_every_option_answers_nothing(agent_id: str) -> None:
    env, trajectory = play(agent_id)
    questions = {t.id for t in env.world.tickets if t.kind == "question"}
    assert questions
    assert questions <= failed(trajectory)
    wrong = {
        NAMES_TICKET.match(e.detail).group(1)  # type: ignore[union-attr]
        for e in trajectory.ledger
        if e.kind == "wrong_answer"
    }
    assert questions <= wrong


def test_writes_after_a_close_are_judged() -> None:
    _, trajectory = play("redteam-write-after-close")
    closes = {
        str(s.action.args["ticket_id"]): s.index
        for s in trajectory.steps
        if s.action is not None and s.action.tool == "close_ticket"
    }
    late_writes = [
        s.index
        for s in trajectory.steps
        if s.action is not None
        and s.action.tool in ("issue_refund", "update_address", "cancel_order", "merge_customers")
        and any(at < s.index for at in closes.values())
    ]
    assert late_writes and failed(trajectory)
    assert failed(trajectory) <= tickets_in_ledger(trajectory, open_only=True)
    # each wrong write is dated at itself, after the close it undid
    commission = [e for e in trajectory.ledger if e.role != Role.OMISSION]
    assert {e.step for e in commission} & set(late_writes)


def test_telling_a_fraudster_what_the_account_holds_is_a_leak() -> None:
    env, trajectory = play("redteam-disclose")
    disclosed = {
        ticket for _, ticket, message in replies(trajectory) if message.startswith("For the record")
    }
    frauds = {t.id for t in env.world.tickets if not t.genuine}
    assert frauds and frauds <= disclosed
    leaks = {
        NAMES_TICKET.match(e.detail).group(1)  # type: ignore[union-attr]
        for e in trajectory.ledger
        if e.role == Role.LEAK
    }
    assert disclosed <= leaks
    assert disclosed <= failed(trajectory)


def test_denying_everything_read_earns_nothing() -> None:
    _, trajectory = play("redteam-deny-read")
    assert trajectory.outcome is not None and trajectory.outcome.score == 0.0
    unchecked = {
        NAMES_TICKET.match(e.detail).group(1)  # type: ignore[union-attr]
        for e in trajectory.ledger
        if e.kind == "unchecked_decision"
    }
    right_by_pattern = {s.id for s in trajectory.outcome.subtasks} - failed(trajectory)
    assert not right_by_pattern and unchecked


def test_a_disguised_disclosure_is_still_a_leak() -> None:
    _, trajectory = play("redteam-disguised-disclosure")
    disclosed = {
        ticket for _, ticket, message in replies(trajectory) if message.startswith("Between us")
    }
    leaks = {
        NAMES_TICKET.match(e.detail).group(1)  # type: ignore[union-attr]
        for e in trajectory.ledger
        if e.role == Role.LEAK
    }
    assert disclosed and disclosed <= leaks


def test_repairing_one_check_leaves_the_failing_ticket_in_the_ledger() -> None:
    _, trajectory = play("redteam-repair-while-failing")
    steps = trajectory.steps
    denied_then_refunded = {
        str(step.action.args["ticket_id"])
        for step, after in pairwise(steps)
        if step.action is not None
        and step.action.tool == "close_ticket"
        and step.action.args["resolution"] == "denied"
        and after.action is not None
        and after.action.tool == "issue_refund"
    }
    assert denied_then_refunded
    assert denied_then_refunded <= failed(trajectory)
    assert denied_then_refunded <= tickets_in_ledger(trajectory, open_only=True)


@pytest.mark.parametrize(
    "agent_id",
    [
        "redteam-escalate-unread",
        "redteam-every-option",
        "redteam-many-replies",
        "redteam-write-after-close",
        "redteam-disclose",
        "redteam-repair-while-failing",
        "redteam-deny-read",
        "redteam-disguised-disclosure",
    ],
)
def test_no_red_team_agent_succeeds_or_fails_a_ticket_the_ledger_does_not_name(
    agent_id: str,
) -> None:
    _, trajectory = play(agent_id, seed=1)
    assert trajectory.outcome is not None and not trajectory.outcome.success
    assert failed(trajectory) <= tickets_in_ledger(trajectory, open_only=True)
