"""A langgraph agent of your own, evaluated unchanged: the graph is built for the tools it is
given, which in an Undertow episode are the environment's."""

from __future__ import annotations

import os
from typing import Any

import gymnasium
from langchain_openai import ChatOpenAI
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

import undertow.envs  # noqa: F401  (registers Undertow's environments with gymnasium)
from undertow.agents.imported import langchain_tools


def build_graph(tools: list[Any], model: str = "gpt-4o-mini", base_url: str | None = None) -> Any:
    """A tool-calling loop: the model, then its tools, until it answers without a call."""
    llm = ChatOpenAI(model=model, base_url=base_url, temperature=0).bind_tools(tools)

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [llm.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile()


def helpdesk_tools() -> list[Any]:
    """The helpdesk's tools, as LangChain tools with exactly its schemas."""
    env: Any = gymnasium.make("undertow/Helpdesk-v0").unwrapped
    try:
        return langchain_tools(env.tools())
    finally:
        env.close()


# The same graph compiled once, at import, for the helpdesk's tools; its model and endpoint
# come from the environment (OPENAI_BASE_URL and OPENAI_API_KEY, as ChatOpenAI reads them).
helpdesk_graph = build_graph(
    helpdesk_tools(), model=os.environ.get("MY_AGENTS_MODEL", "gpt-4o-mini")
)
