"""Binding each action to the actor whose channel it came through (and issuing the secrets
the env hands out: channels and the data-room token).

The agent protocol hands the env one action at a time; a team (the ``team`` agent) is many
members speaking through one stream. So that a member cannot act as another by writing
another's name, the env issues each actor a *channel* at reset — ``worker-2:5d1c09ae``, its
name and a key drawn from the world's seed — given in the reset observation's
``fields["channels"]`` next to that actor's briefing, for the harness that routes the actor's
actions (the team agent stamps every action of a member with that member's channel; the
member's model never sees a key). Every action must name its channel as ``actor``.

What it prevents: a member, or any code, that holds only its own channel acting as another
actor — an action naming another actor with its own key, or with a made-up key, is refused
and recorded as ``impersonation``. What it does not prevent: a harness that reads every
channel from the reset observation can play every role with one mind; the env cannot see
whether one model or several produced the actions. The team agent is the system under test
that keeps members apart, and the scripted agents, which are given the reference plan, hold
every channel by design.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TOKEN_ALPHABET = "BCFGHJKMPQRTVWXY2346789"
"""No vowels (no words), no 0, 1 or 5 (no look-alikes of letters)."""


def token(rng: random.Random) -> str:
    """A data-room token: ``DR-`` and three groups of four characters."""
    return "DR-" + "-".join("".join(rng.choices(TOKEN_ALPHABET, k=4)) for _ in range(3))


def issue(rng: random.Random, actors: list[str]) -> dict[str, str]:
    """A channel for each actor: its name and a key from ``rng``."""
    return {actor: f"{actor}:{rng.getrandbits(32):08x}" for actor in actors}


@dataclass(frozen=True)
class Binding:
    """What the env made of an action's ``actor``."""

    actor: str | None
    """The actor the action acts as, when its channel is good."""
    problem: str = ""
    """Why it is refused, when it is."""
    impersonator: str | None = None
    """Who tried to act as another (the owner of the key used), when that is known."""
    claimed: str | None = None
    """The actor it claimed to be, when its channel is forged."""


def bind(channels: dict[str, str], given: str | None) -> Binding:
    """The actor an action with ``actor`` = ``given`` acts as, or why it is refused."""
    if not given:
        return Binding(
            None,
            "every action must come through an actor's channel: set actor to the channel the "
            "reset observation gave that actor (fields['channels'], e.g. 'worker-1:...')",
        )
    name, _, key = given.partition(":")
    if name not in channels:
        return Binding(None, f"unknown actor {name!r}; the team is: {', '.join(channels)}")
    if given == channels[name]:
        return Binding(name)
    owner = next(
        (actor for actor, channel in channels.items() if channel.partition(":")[2] == key), None
    )
    if not key:
        return Binding(
            None,
            f"actor {name!r} without its channel: an action must name the channel the reset "
            f"observation gave {name} (fields['channels']['{name}'])",
        )
    return Binding(
        None,
        f"this is not {name}'s channel: an actor can act only through its own",
        impersonator=owner,
        claimed=name,
    )
