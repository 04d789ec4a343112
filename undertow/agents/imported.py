"""Your own agents by import path: ``module:attr`` naming an Agent class, a factory, or a
compiled langgraph graph, and the adapter that runs such a graph unchanged.

- An **Agent class or factory** (anything callable that returns an object with ``reset``,
  ``act`` and ``last_usage``; see :mod:`undertow.agents.base`) is called with the suite
  entry's ``options`` as keyword arguments.
- A **compiled langgraph graph** (``graph = builder.compile()``) whose state holds
  ``messages`` is run by :class:`LangGraphAgent`.
- A **graph factory**, a function with a ``tools`` parameter that returns a compiled graph, is
  called at the start of every episode with the env's tools as LangChain tools (plus the
  entry's ``options``): the graph's model is bound to exactly the env's tool schemas.

:class:`LangGraphAgent` feeds the task, then each observation, to the graph as messages (a
``ToolMessage`` answering the tool call it made, else a ``HumanMessage``) and takes the next
action from the tool calls of the last ``AIMessage`` in its output. The graph runs as written:
its own nodes, prompts and routing. Only its tool nodes (``langgraph.prebuilt.ToolNode``) do not
run: the graph is paused before them (``interrupt_before``) and the environment executes the
calls, one step each; their results are written back as that node's output and the graph goes
on. Its tokens come from the messages' ``usage_metadata``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from undertow.agents.registry import AgentSpecError
from undertow.record import PlanItem, Usage


class ImportedAgentError(AgentSpecError):
    """An import path does not name a usable agent; the message says why and how to fix it."""


def load_object(path: str) -> Any:
    """The object ``module:attr`` names (``attr`` may be dotted). The working directory is
    importable, as it is for ``module:env`` env ids."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ImportedAgentError(
            f"{path!r} is not an import path; write module:attr, e.g. acme.agent:AcmeAgent"
        )
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())  # your agent packages, next to where you run undertow
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportedAgentError(
            f"cannot import {module_name!r} for agent {path!r}: {exc}. Install the package, "
            "or run undertow from the directory that holds it"
        ) from None
    for part in attr.split("."):
        if not hasattr(found, part):
            raise ImportedAgentError(f"{module_name!r} has no attribute {attr!r} (agent {path!r})")
        found = getattr(found, part)
    return found


def is_compiled_graph(value: Any) -> bool:
    """True for a compiled langgraph graph (a Pregel instance)."""
    try:
        from langgraph.pregel import Pregel
    except ImportError:  # pragma: no cover - langgraph is a dependency
        return False
    return isinstance(value, Pregel)


def is_agent(value: Any) -> bool:
    """True for an object with the Agent protocol's methods."""
    return all(callable(getattr(value, name, None)) for name in ("reset", "act", "last_usage"))


def agent_from_object(value: Any, options: dict[str, Any], label: str) -> Any:
    """An agent for one episode from what an import path or entry point named."""
    if is_compiled_graph(value):
        if options:
            raise ImportedAgentError(
                f"{label} is a compiled graph, which takes no options (given {sorted(options)}); "
                "name a graph factory (a function returning the graph) to pass options"
            )
        return LangGraphAgent(value)
    if not callable(value):
        raise ImportedAgentError(
            f"{label} is a {type(value).__name__}: name an Agent class, a factory or a compiled "
            "langgraph graph"
        )
    if not inspect.isclass(value) and _takes_tools(value):
        _check_call(value, {"tools": [], **options}, label)
        return LangGraphAgent(value, options)
    _check_call(value, options, label)
    made = value(**options)
    if is_compiled_graph(made):
        return LangGraphAgent(made)
    if not is_agent(made):
        raise ImportedAgentError(
            f"{label} returned a {type(made).__name__}, which is neither an agent (reset, act, "
            "last_usage; see docs/your-own-agent.md) nor a compiled langgraph graph"
        )
    return made


def _takes_tools(factory: Callable[..., Any]) -> bool:
    try:
        return "tools" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


def _check_call(factory: Callable[..., Any], options: dict[str, Any], label: str) -> None:
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise ImportedAgentError(f"{label} with options {options}: {exc}") from None
    except ValueError:  # no signature to check (a builtin): the call itself will say
        pass


# ---- the graph adapter ----------------------------------------------------------------------


def langchain_tools(schemas: list[dict[str, Any]]) -> list[Any]:
    """The env's tools as LangChain tools with exactly its JSON schemas, to bind to a model or
    hand to a ``ToolNode``. Calling one directly raises: the environment executes them."""
    from langchain_core.tools import StructuredTool

    def executed_by_the_env(**_: Any) -> str:
        raise RuntimeError(
            "Undertow's environment executes this tool; call it through a langgraph ToolNode "
            "(or end the graph on the tool call) so that the call becomes a step"
        )

    return [
        StructuredTool.from_function(
            func=executed_by_the_env,
            name=schema["name"],
            description=schema.get("description") or schema["name"],
            args_schema=schema.get("parameters") or {"type": "object", "properties": {}},
        )
        for schema in schemas
    ]


class LangGraphAgent:
    """Runs a compiled langgraph graph (or a graph factory) as an Undertow agent: see the
    module docstring."""

    needs_plan = False

    def __init__(self, graph: Any, options: dict[str, Any] | None = None) -> None:
        """``graph``: a compiled graph, or a factory called per episode as
        ``graph(tools=..., **options)``."""
        self._source = graph
        self._options = options or {}
        self.name = getattr(graph, "name", None) or getattr(graph, "__name__", "langgraph")
        self.graph: Any = None
        self._config: dict[str, Any] = {}
        self._tool_nodes: list[str] = []
        self._pending: deque[dict[str, Any]] = deque()
        self._answered: list[Any] = []
        self._last_call: dict[str, Any] | None = None
        self._started = False
        self._counted: set[str] = set()
        self._final_text = ""
        self._next_input: Any = None
        self._usage = Usage()

    def reset(
        self,
        task: str,
        tools: list[dict[str, Any]],
        seed: int,
        plan: list[PlanItem] | None = None,
    ) -> None:
        from langchain_core.messages import HumanMessage

        graph = self._source
        if not is_compiled_graph(graph):
            graph = graph(tools=langchain_tools(tools), **self._options)
            if not is_compiled_graph(graph):
                raise ImportedAgentError(
                    f"the graph factory {self.name} returned a {type(graph).__name__}, "
                    "not a compiled langgraph graph"
                )
        self.graph = _with_checkpointer(graph)
        self._tool_nodes = _tool_nodes(self.graph)
        self._config = {"configurable": {"thread_id": f"undertow-{seed}-{uuid.uuid4().hex}"}}
        self._pending.clear()
        self._answered = []
        self._last_call = None
        self._started = False
        self._counted = set()
        self._final_text = ""
        self._next_input = {"messages": [HumanMessage(task)]}

    def act(self, observation: dict[str, Any]) -> dict[str, Any] | str:
        """The graph's next tool call; the graph runs on only when its last calls are answered."""
        self._usage = Usage()
        if self._last_call is not None:
            self._answered.append(_tool_message(observation["text"], self._last_call))
            self._last_call = None
        elif self._started:
            from langchain_core.messages import HumanMessage

            self._next_input = {"messages": [HumanMessage(observation["text"])]}
        if not self._pending:
            self._advance()
        if not self._pending:
            return self._final_text
        call = self._pending.popleft()
        self._last_call = call
        return {"tool": call["name"], "args": call.get("args") or {}}

    def _advance(self) -> None:
        """Run the graph until it pauses before a tool node or ends; queue its tool calls."""
        paused = self.graph.get_state(self._config).next if self._started else ()
        self._started = True
        if self._answered:
            update = {"messages": self._answered}
            self._answered = []
            if paused:
                self.graph.update_state(self._config, update, as_node=paused[0])
                self._next_input = None
            else:
                self._next_input = update
        state = self.graph.invoke(
            self._next_input, self._config, interrupt_before=self._tool_nodes or None
        )
        messages = list(state.get("messages", []))
        keys = {i: getattr(m, "id", None) or f"#{i}" for i, m in enumerate(messages)}
        new = [m for i, m in enumerate(messages) if _is_ai(m) and keys[i] not in self._counted]
        self._counted.update(keys.values())
        self._usage = _usage_of(new)
        last = messages[-1] if messages else None
        calls = list(getattr(last, "tool_calls", None) or []) if _is_ai(last) else []
        self._pending.extend(calls)
        self._final_text = _text_of(last) if _is_ai(last) else ""

    def last_usage(self) -> Usage:
        return self._usage

    def memory(self) -> list[dict[str, Any]]:
        """The graph's messages, as checkpointed."""
        from langchain_core.messages import messages_to_dict

        if self.graph is None or not self._config:
            return []
        values = self.graph.get_state(self._config).values
        return messages_to_dict(values.get("messages", []))


def _with_checkpointer(graph: Any) -> Any:
    """The graph with a checkpointer (needed to pause and go on); its own if it has one."""
    if getattr(graph, "checkpointer", None):
        return graph
    from langgraph.checkpoint.memory import InMemorySaver

    return graph.copy(update={"checkpointer": InMemorySaver()})


def _tool_nodes(graph: Any) -> list[str]:
    from langgraph.prebuilt import ToolNode

    return [name for name, node in graph.nodes.items() if isinstance(node.bound, ToolNode)]


def _is_ai(message: Any) -> bool:
    return getattr(message, "type", None) == "ai"


def _tool_message(text: str, call: dict[str, Any]) -> Any:
    from langchain_core.messages import ToolMessage

    return ToolMessage(content=text, tool_call_id=call.get("id") or "", name=call.get("name"))


def _text_of(message: Any) -> str:
    content = getattr(message, "content", "")
    if isinstance(content, str):
        return content
    return "".join(
        part.get("text", "") if isinstance(part, dict) else str(part) for part in content
    )


def _usage_of(messages: list[Any]) -> Usage:
    """Tokens (and, where litellm knows the model's price, cost) of the model's new messages."""
    prompt = completion = 0
    cost = 0.0
    for message in messages:
        usage = getattr(message, "usage_metadata", None) or {}
        tokens_in, tokens_out = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
        prompt += tokens_in
        completion += tokens_out
        model = (getattr(message, "response_metadata", None) or {}).get("model_name")
        cost += _price(model, tokens_in, tokens_out)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost)


def _price(model: str | None, prompt: int, completion: int) -> float:
    if not model or not (prompt or completion):
        return 0.0
    from undertow.agents.llm import litellm  # configured: local price list, quiet

    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt, completion_tokens=completion
        )
    except Exception:  # a model litellm has no price for: cost unknown, so 0
        return 0.0
    return float(prompt_cost + completion_cost)
