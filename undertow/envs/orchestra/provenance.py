"""The provenance graph of an orchestra episode: who read what, who told whom, and where each
claim came from.

Nodes (``kind`` attribute): ``document`` (``doc:D003``), ``actor`` (``actor:worker-1``),
``message`` (``msg:M4``), ``claim`` (``claim:C2``: a worker's finding on a fact, or with
``final`` true an answer of the orchestrator) and ``question`` (``question:Q1``). Edges
(``kind``):

- ``read``: document -> actor;
- ``sent``: actor -> message, and ``sent_to``: message -> actor;
- ``contains``: message -> claim (the findings of a report);
- ``derived_from``: a finding -> each document it cites **that its worker read**; a final
  claim -> the findings it rests on (see ``findings``);
- ``cites_unread``: a finding -> a document it cites that its worker never read (shown, never
  followed as evidence);
- ``learned_from``: a finding -> the message its value came in, when it came from a teammate;
- ``asserted``: actor -> claim; ``answers``: claim -> question (a finding: each question
  whose answer needs its fact).

So every final claim traces, by ``derived_from`` alone, to documents somebody on its path
actually read. The graph is kept as the episode runs and exported with the trajectory in
networkx's node-link form (:meth:`Provenance.export`).
"""

from __future__ import annotations

from collections.abc import Iterable
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
                collection=document.collection,
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
                type=question.kind,
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

    def _claim(
        self, actor: str, label: str, value: str, correct: bool, step: int, **data: Any
    ) -> str:
        self._claims += 1
        node = f"claim:C{self._claims}"
        self.graph.add_node(
            node,
            kind="claim",
            question=label,
            value=value,
            actor=actor,
            step=step,
            correct=correct,
            **data,
        )
        self.graph.add_edge(f"actor:{actor}", node, kind="asserted", step=step)
        return node

    def finding(
        self,
        actor: str,
        fact: tuple[str, str],
        value: str,
        correct: bool,
        step: int,
        *,
        message: str,
        read: Iterable[str],
        unread: Iterable[str],
        questions: Iterable[str],
        learned_from: str | None = None,
    ) -> str:
        """A worker's finding, in ``message``, citing documents it ``read`` and ``unread``;
        bearing on ``questions``. Returns its node."""
        company, attribute = fact
        node = self._claim(
            actor,
            f"{attribute} of {company}",
            value,
            correct,
            step,
            final=False,
            company=company,
            attribute=attribute,
        )
        self.graph.add_edge(f"msg:{message}", node, kind="contains")
        for document in read:
            self.graph.add_edge(node, f"doc:{document}", kind="derived_from")
        for document in unread:
            if self.graph.has_node(f"doc:{document}"):
                self.graph.add_edge(node, f"doc:{document}", kind="cites_unread")
        if learned_from is not None:
            self.graph.add_edge(node, f"msg:{learned_from}", kind="learned_from")
        for question in questions:
            self.graph.add_edge(node, f"question:{question}", kind="answers")
        return node

    def answer(
        self,
        actor: str,
        question: str,
        value: str,
        correct: bool,
        step: int,
        rests_on: Iterable[str],
    ) -> str:
        """The orchestrator's answer to ``question``, resting on the findings ``rests_on``."""
        node = self._claim(actor, question, value, correct, step, final=True)
        self.graph.add_edge(node, f"question:{question}", kind="answers")
        for finding in rests_on:
            self.graph.add_edge(node, finding, kind="derived_from")
        return node

    def export(self) -> dict[str, Any]:
        """The graph in networkx node-link form (``networkx.node_link_graph(data, edges="edges")``
        loads it back)."""
        return nx.node_link_data(self.graph, edges="edges")
