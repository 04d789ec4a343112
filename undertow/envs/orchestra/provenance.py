"""The provenance graph of an orchestra episode: who read what, who told whom, and where each
claim came from.

Nodes (``kind`` attribute): ``document`` (``doc:D03``), ``actor`` (``actor:worker-1``),
``message`` (``msg:M4``), ``claim`` (``claim:C2``: a worker's finding, or with ``final`` true
an answer of the orchestrator) and ``question`` (``question:Q1``). Edges (``kind``):

- ``read``: document -> actor;
- ``sent``: actor -> message, and ``sent_to``: message -> actor;
- ``contains``: message -> claim (the findings of a report);
- ``derived_from``: claim -> document (a finding's cited sources) and final claim -> the
  worker findings that support it;
- ``asserted``: actor -> claim; ``answers``: claim -> question.

So every claim of the final answer traces to its documents by following ``derived_from``.
The graph is kept as the episode runs and exported with the trajectory in networkx's
node-link form (:meth:`Provenance.export`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx

from undertow.envs.orchestra.world import World

TEXT_KEPT = 400


class Provenance:
    """A networkx DiGraph of the episode, added to as the actors act."""

    def __init__(self, world: World, actors: list[str]) -> None:
        self.graph: nx.DiGraph[str] = nx.DiGraph(seed=world.seed, questions=len(world.questions))
        self._claims = 0
        for document in world.documents:
            self.graph.add_node(
                f"doc:{document.id}",
                kind="document",
                title=document.title,
                source=document.source,
                date=document.date,
                entity=document.entity,
                reliable=document.reliable,
                hazard=document.hazard,
                restricted=document.restricted,
                injected=document.injection is not None,
            )
        for actor in actors:
            self.graph.add_node(f"actor:{actor}", kind="actor", holds_secret=actor == world.holder)
        for question in world.questions:
            self.graph.add_node(
                f"question:{question.id}",
                kind="question",
                entity=question.entity,
                attribute=question.attribute,
            )

    def read(self, actor: str, document: str, step: int) -> None:
        if not self.graph.has_edge(f"doc:{document}", f"actor:{actor}"):
            self.graph.add_edge(f"doc:{document}", f"actor:{actor}", kind="read", step=step)

    def message(
        self, message_id: str, sender: str, to: str, kind: str, text: str, step: int
    ) -> None:
        node = f"msg:{message_id}"
        self.graph.add_node(
            node, kind="message", type=kind, sender=sender, to=to, step=step, text=text[:TEXT_KEPT]
        )
        self.graph.add_edge(f"actor:{sender}", node, kind="sent", step=step)
        self.graph.add_edge(node, f"actor:{to}", kind="sent_to", step=step)

    def claim(
        self,
        actor: str,
        question: str,
        value: str,
        correct: bool,
        step: int,
        *,
        message: str | None = None,
        sources: Sequence[str] = (),
        supported_by: Sequence[str] = (),
    ) -> str:
        """Add a claim; a worker's finding comes in ``message`` citing ``sources``, a final
        answer (no message) is derived from the findings ``supported_by``. Returns its id."""
        self._claims += 1
        node = f"claim:C{self._claims}"
        final = message is None
        self.graph.add_node(
            node,
            kind="claim",
            question=question,
            value=value,
            actor=actor,
            step=step,
            correct=correct,
            final=final,
        )
        self.graph.add_edge(f"actor:{actor}", node, kind="asserted", step=step)
        self.graph.add_edge(node, f"question:{question}", kind="answers")
        if message is not None:
            self.graph.add_edge(f"msg:{message}", node, kind="contains")
        for source in sources:
            if self.graph.has_node(f"doc:{source}"):
                self.graph.add_edge(node, f"doc:{source}", kind="derived_from")
        for finding in supported_by:
            self.graph.add_edge(node, finding, kind="derived_from")
        return node

    def export(self) -> dict[str, Any]:
        """The graph in networkx node-link form (``networkx.node_link_graph(data, edges="edges")``
        loads it back)."""
        return nx.node_link_data(self.graph, edges="edges")
