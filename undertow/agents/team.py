"""``team``: an orchestrator and its workers, each an LLM with its own memory, as one agent.

For multi-actor worlds (``undertow/Orchestra-v0``). The parent graph holds every member's
conversation, whose turn it is, and who is waiting with unread messages; each ``act`` runs

    START -> dispatch -> orchestrator | worker -> END

``dispatch`` files the last observation in the conversation of the member who acted, delivers
the messages the env delivered (``fields["delivered"]``) into their recipients'
conversations, and picks whose turn it is. The ``orchestrator`` and ``worker`` nodes each run
their role's subgraph (a model turn with that role's tools) on that member's conversation and
return its action, stamped with the member's channel as ``actor`` (the env issues one per
member in the reset observation's ``fields["channels"]``; the router keeps them, the models
never see them, and whatever ``actor`` a model writes is replaced). Every message between
members passes through the env: the team shares nothing else.

Turns: a worker keeps the turn until it reports (at most ``worker_turns`` in a row, then it
waits at the back of the queue); the orchestrator keeps it until it delegates or sends a
message (at most ``orchestrator_turns`` in a row); then the turn goes to the first member
waiting with unread messages, or else back to the orchestrator. The state is checkpointed
per episode, so every member's memory at any step can be read back (:meth:`TeamAgent.memory`).
"""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from undertow.agents.graph_agent import (
    SYSTEM_PROMPT,
    GraphAgent,
    last_call_id,
    observation_turn,
)
from undertow.agents.llm import action_from_message
from undertow.errors import UndertowError
from undertow.record import Usage

ORCHESTRATOR = "orchestrator"
ROLE_TOOLS = {
    ORCHESTRATOR: ("delegate", "send_message", "read_inbox", "answer", "finish"),
    "worker": ("search_documents", "read_document", "report", "send_message", "read_inbox"),
}
HANDS_OVER = {ORCHESTRATOR: ("delegate", "send_message"), "worker": ("report",)}
ROLE_PROMPTS = {
    ORCHESTRATOR: "You are the orchestrator of a team. Your workers act only on what you "
    "delegate to them; their reports reach you as messages.",
    "worker": "You are a worker in a team. Do what the orchestrator delegates to you and "
    "report back.",
}


class TeamSetupError(UndertowError):
    """The world does not brief a team (the team agent plays multi-actor worlds)."""


class MemberState(TypedDict, total=False):
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    reply: dict[str, Any]
    action: Any
    usage: Usage


class TeamState(TypedDict, total=False):
    observation: dict[str, Any]
    conversations: dict[str, list[dict[str, Any]]]
    turn: str
    turns: int
    """How many turns in a row ``turn`` has had."""
    waiting: list[str]
    channels: dict[str, str]
    """Member -> the channel its actions must name (from the env)."""
    action: Any
    usage: Usage | None


def role(member: str) -> str:
    return ORCHESTRATOR if member == ORCHESTRATOR else "worker"


class TeamAgent(GraphAgent):
    """An orchestrator and workers as langgraph subgraphs. See the module docstring."""

    name = "team"

    def __init__(
        self,
        model: str,
        *,
        window: int = 30,
        worker_turns: int = 12,
        orchestrator_turns: int = 24,
        **client: Any,
    ) -> None:
        if min(window, worker_turns, orchestrator_turns) < 1:
            raise ValueError("window, worker_turns and orchestrator_turns must be at least 1")
        self.window = window
        self.limits = {ORCHESTRATOR: orchestrator_turns, "worker": worker_turns}
        self.members = {r: self._member_graph(r) for r in ROLE_TOOLS}
        super().__init__(model, **client)

    # ---- graphs -----------------------------------------------------------------------------

    def _member_graph(self, member_role: str) -> Any:
        """One member's turn: the model, shown its conversation and its role's tools."""

        def model_turn(state: MemberState) -> dict[str, Any]:
            tools = [t for t in state["tools"] if t["name"] in ROLE_TOOLS[member_role]]
            completion = self.client.complete(state["messages"], tools)
            return {
                "reply": completion.message,
                "action": action_from_message(completion.message),
                "usage": completion.usage,
            }

        graph = StateGraph(MemberState)
        graph.add_node("model", model_turn)
        graph.add_edge(START, "model")
        graph.add_edge("model", END)
        return graph.compile()

    def _build(self) -> StateGraph:
        graph = StateGraph(TeamState)
        graph.add_node("dispatch", self._dispatch)
        graph.add_node(ORCHESTRATOR, self._member_turn)
        graph.add_node("worker", self._member_turn)
        graph.add_edge(START, "dispatch")
        graph.add_conditional_edges(
            "dispatch", lambda state: role(state["turn"]), [ORCHESTRATOR, "worker"]
        )
        graph.add_edge(ORCHESTRATOR, END)
        graph.add_edge("worker", END)
        return graph

    # ---- nodes ------------------------------------------------------------------------------

    def _dispatch(self, state: TeamState) -> dict[str, Any]:
        observation = state["observation"]
        if not state.get("conversations"):
            channels = observation.get("fields", {}).get("channels") or {}
            return {
                "conversations": _briefed(observation),
                "channels": dict(channels),
                "turn": ORCHESTRATOR,
                "turns": 0,
            }
        conversations = {m: list(c) for m, c in state["conversations"].items()}
        waiting = list(state.get("waiting", []))
        actor = state["turn"]
        own = conversations[actor]
        own.append(observation_turn(observation["text"], last_call_id(own[-1])))
        for message in observation["fields"].get("delivered", []):
            recipient = message["to"]
            if recipient in conversations and recipient != actor:
                conversations[recipient].append(
                    {
                        "role": "user",
                        "content": f"[{message['id']}] from {message['from']}:\n{message['text']}",
                    }
                )
                if recipient not in waiting:
                    waiting.append(recipient)
        tool = state["action"].get("tool") if isinstance(state.get("action"), dict) else None
        turn = self._next_turn(actor, tool, state.get("turns", 0), waiting)
        if turn in waiting:
            waiting.remove(turn)
        return {
            "conversations": conversations,
            "waiting": waiting,
            "turn": turn,
            "turns": state.get("turns", 0) + 1 if turn == actor else 0,
        }

    def _next_turn(self, actor: str, tool: str | None, turns: int, waiting: list[str]) -> str:
        """Who acts next (see the module docstring); ``waiting`` may gain the one who yields."""
        member_role = role(actor)
        if tool not in HANDS_OVER[member_role] and turns + 1 < self.limits[member_role]:
            return actor
        if member_role == "worker" and tool not in HANDS_OVER["worker"]:
            waiting.append(actor)  # out of turns with its work unfinished: it waits its turn
        others = [m for m in waiting if m != actor]
        if others:
            return others[0]
        return ORCHESTRATOR

    def _member_turn(self, state: TeamState) -> dict[str, Any]:
        member = state["turn"]
        conversation = state["conversations"][member]
        head, recent = conversation[:2], conversation[2:][-self.window :]
        while recent and recent[0].get("role") == "tool":
            recent = recent[1:]  # a tool result must follow the call that asked for it
        result = self.members[role(member)].invoke({"messages": head + recent, "tools": self.tools})
        action = result["action"]
        if isinstance(action, dict):
            action = {**action, "actor": state.get("channels", {}).get(member, member)}
        conversations = dict(state["conversations"])
        conversations[member] = [*conversation, result["reply"]]
        return {"conversations": conversations, "action": action, "usage": result["usage"]}

    # ---- the GraphAgent hooks ---------------------------------------------------------------

    def _update(self, observation: dict[str, Any]) -> dict[str, Any]:
        return {"observation": observation, "usage": None}

    def _closing_messages(self, observation: dict[str, Any]) -> list[dict[str, Any]]:
        conversation = list(self._state().get("conversations", {}).get(ORCHESTRATOR, []))
        if conversation:
            last_call = last_call_id(conversation[-1])
            conversation.append(observation_turn(observation["text"], last_call))
        return conversation

    def memory(self) -> dict[str, Any]:
        """Every member's conversation, whose turn it is and who waits, as checkpointed."""
        values = self._state()
        return {key: values.get(key) for key in ("conversations", "turn", "turns", "waiting")}


def _briefed(observation: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each member's conversation, started with the system prompt and its own briefing."""
    briefings = observation.get("fields", {}).get("briefings")
    if not isinstance(briefings, dict) or ORCHESTRATOR not in briefings:
        raise TeamSetupError(
            "the team agent plays multi-actor worlds whose reset observation briefs each member "
            "(fields['briefings'], as undertow/Orchestra-v0 does); use react or "
            "plan-act-reflect for this env"
        )
    return {
        member: [
            {"role": "system", "content": f"{SYSTEM_PROMPT} {ROLE_PROMPTS[role(member)]}"},
            {"role": "user", "content": briefing},
        ]
        for member, briefing in briefings.items()
    }
