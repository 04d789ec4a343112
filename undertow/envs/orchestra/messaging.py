"""Messages between the actors: every one passes through the env, which keeps them all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    id: str
    sender: str
    to: str
    kind: str
    """``delegate``, ``message`` or ``report``."""
    text: str
    step: int

    def delivered(self) -> dict[str, Any]:
        """The message as a step's ``fields["delivered"]`` gives it."""
        return {"id": self.id, "from": self.sender, "to": self.to, "text": self.text}


class Mailroom:
    """Every message of the episode, and each actor's inbox."""

    def __init__(self, actors: list[str]) -> None:
        self.messages: list[Message] = []
        self.inbox: dict[str, list[Message]] = {actor: [] for actor in actors}

    def post(self, sender: str, to: str, kind: str, text: str, step: int) -> Message:
        message = Message(f"M{len(self.messages) + 1}", sender, to, kind, text, step)
        self.messages.append(message)
        self.inbox[to].append(message)
        return message

    def inbox_text(self, actor: str) -> str:
        received = self.inbox[actor]
        if not received:
            return "Your inbox is empty."
        return "\n\n".join(f"[{m.id}] from {m.sender}:\n{m.text}" for m in received)
