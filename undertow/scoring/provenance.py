"""Reading an episode's provenance graph back from its trajectory, and tracing final claims.

An environment that records provenance (the orchestra) exports a networkx DiGraph in
node-link form as ``trajectory.artifacts["provenance"]``. Final claims (``kind="claim"``,
``final=True``) lead by ``derived_from`` edges to the worker findings they rest on, and those
to the documents they cite.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from undertow.record import Trajectory


def provenance_graph(episode: Trajectory | dict[str, Any]) -> nx.DiGraph | None:
    """The episode's provenance graph, or None when its env records none."""
    artifacts = (
        episode.artifacts if isinstance(episode, Trajectory) else episode.get("artifacts", {})
    )
    data = artifacts.get("provenance")
    if data is None:
        return None
    graph = nx.node_link_graph(data, directed=True, multigraph=False, edges="edges")
    return nx.DiGraph(graph)


def final_claims(graph: nx.DiGraph) -> list[str]:
    """The nodes of the final answer's claims, in the order they were made."""
    claims = [
        node
        for node, data in graph.nodes(data=True)
        if data.get("kind") == "claim" and data.get("final")
    ]
    return sorted(claims, key=lambda node: (graph.nodes[node]["step"], node))


def claim_sources(graph: nx.DiGraph, claim: str) -> set[str]:
    """The documents a claim rests on: every document reachable by ``derived_from`` edges."""
    derived = nx.subgraph_view(
        graph, filter_edge=lambda a, b: graph.edges[a, b].get("kind") == "derived_from"
    )
    return {
        node for node in nx.descendants(derived, claim) if graph.nodes[node]["kind"] == "document"
    }


def unsupported_final_claims(graph: nx.DiGraph) -> list[str]:
    """Final claims resting on no worker finding (what the orchestrator said on its own)."""
    return [
        claim
        for claim in final_claims(graph)
        if not any(
            graph.edges[claim, target].get("kind") == "derived_from"
            for target in graph.successors(claim)
        )
    ]
