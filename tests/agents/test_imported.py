"""Agents by import path and entry point, and the langgraph adapter: the docs' own examples
run, resume, score and compare like built-in agents."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from tests.helpers import run_undertow
from undertow.agents.fake_server import FakeLLMServer, Reply
from undertow.agents.imported import LangGraphAgent, langchain_tools
from undertow.agents.registry import AgentSpecError, make_agent, register_agent
from undertow.record import EpisodeStatus
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episode
from undertow.scenarios.suite import expand, parse_suite

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "docs" / "examples"
DOC = ROOT / "docs" / "your-own-agent.md"

SUITE = """
name: own-agents
scenarios:
  - {name: desk, env: undertow/Helpdesk-v0, options: {days: 1, tickets_per_day: 2},
     limits: {max_steps: 8}}
  - {name: repo, env: undertow/Repo-v0, options: {tickets: 1, sandbox: local},
     limits: {max_steps: 8}}
agents:
  - {id: "my_agents.agent:ChatAgent", name: chat,
     options: {model: fake, base_url: "URL", api_key: x}}
  - {id: "my_agents.graph:build_graph", name: graph, options: {model: fake, base_url: "URL"}}
  - {id: "my_agents.graph:helpdesk_graph", name: desk-graph}
seeds: {public: 0-1}
"""


def script(request: dict[str, Any]) -> Reply:
    """Per conversation: a first look with the env's own tool, a remark, then finish."""
    names = {tool["function"]["name"] for tool in request.get("tools", [])}
    turn = sum(message.get("role") == "assistant" for message in request["messages"])
    first = Reply(tool="list_queue", args={}) if "list_queue" in names else Reply(tool="list_files")
    replies = [
        first,
        Reply(content="Let me think."),
        Reply(tool="finish", args={"confidence": 0.3}),
    ]
    return replies[min(turn, 2)]


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setenv("OPENAI_API_KEY", "x")
    return EXAMPLES


@pytest.mark.parametrize("name", ["agent.py", "graph.py"])
def test_the_docs_show_the_tested_examples_verbatim(name: str) -> None:
    source = (EXAMPLES / "my_agents" / name).read_text()
    assert f"`docs/examples/my_agents/{name}`" in DOC.read_text()
    assert f"```python\n{source}```" in DOC.read_text()


def test_readme_links_the_guide() -> None:
    assert "docs/your-own-agent.md" in (ROOT / "README.md").read_text()


def one_episode(scenario: str = "desk") -> Any:
    text = SUITE.replace("URL", "http://127.0.0.1:9/v1")
    return next(e for e in expand(parse_suite(text, "test")) if e.key.scenario == scenario)


@pytest.mark.parametrize(
    ("agent_id", "options"),
    [
        ("my_agents.agent:ChatAgent", {"model": "fake", "api_key": "x"}),
        ("my_agents.graph:build_graph", {"model": "fake"}),
    ],
)
def test_import_path_agents_play_an_episode(
    examples: Path, agent_id: str, options: dict[str, Any]
) -> None:
    with FakeLLMServer(script) as server:
        agent = make_agent(agent_id, {**options, "base_url": server.url})
        trajectory = run_episode(one_episode(), agent)
    assert trajectory.status is EpisodeStatus.COMPLETED, trajectory.error
    first, remark, finish = trajectory.steps
    assert first.action is not None and first.action.tool == "list_queue"
    assert remark.action is None and remark.raw_action == "Let me think."
    assert finish.action is not None and finish.action.tool == "finish"
    assert all(step.usage.prompt_tokens > 0 for step in trajectory.steps)
    assert trajectory.outcome is not None
    # the model saw the env's tools, and each observation answering its call
    request = server.log.requests[1]
    assert {t["function"]["name"] for t in request["tools"]} >= {"list_queue", "finish"}
    assert request["messages"][-1]["role"] == "tool"
    assert request["messages"][-1]["content"] == first.observation
    assert server.log.requests[2]["messages"][-1] == {"role": "user", "content": remark.observation}


def test_a_graph_agents_memory_is_its_messages(examples: Path) -> None:
    with FakeLLMServer(script) as server:
        agent = make_agent("my_agents.graph:build_graph", {"model": "fake", "base_url": server.url})
        trajectory = run_episode(one_episode(), agent)
    from undertow.agents.memory import memory_at

    memory = memory_at(trajectory, 2)
    kinds = [message["type"] for message in memory]
    assert kinds == ["human", "ai", "tool", "ai", "human", "ai"]
    assert memory[2]["data"]["content"] == trajectory.steps[0].observation


def fake_graph(replies: list[AIMessage]) -> Any:
    """A compiled graph with a ToolNode whose model is langchain's scripted fake."""
    model = GenericFakeChatModel(messages=iter(replies))
    tools = langchain_tools(
        [
            {"name": "list_queue", "description": "open tickets", "parameters": {}},
            {"name": "finish", "description": "end", "parameters": {}},
        ]
    )

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile()


def test_parallel_tool_calls_are_one_step_each_then_the_graph_goes_on() -> None:
    two_calls = AIMessage(
        content="",
        tool_calls=[
            {"name": "list_queue", "args": {}, "id": "a"},
            {"name": "list_queue", "args": {}, "id": "b"},
        ],
    )
    finish = AIMessage(content="", tool_calls=[{"name": "finish", "args": {}, "id": "c"}])
    agent = LangGraphAgent(fake_graph([two_calls, finish]))
    agent.reset("work the queue", [], seed=0)
    assert agent.act({"text": "task", "fields": {}}) == {"tool": "list_queue", "args": {}}
    assert agent.act({"text": "first", "fields": {}}) == {"tool": "list_queue", "args": {}}
    assert agent.act({"text": "second", "fields": {}}) == {"tool": "finish", "args": {}}
    tool_messages = [m for m in agent.memory() if m["type"] == "tool"]
    assert [(m["data"]["tool_call_id"], m["data"]["content"]) for m in tool_messages] == [
        ("a", "first"),
        ("b", "second"),
    ]


def test_the_env_tools_cannot_run_outside_the_env() -> None:
    (tool,) = langchain_tools([{"name": "finish", "description": "end", "parameters": {}}])
    with pytest.raises(RuntimeError, match="Undertow's environment executes this tool"):
        tool.invoke({})


BAD_IDS = [
    ("acme.nothing:Agent", {}, "cannot import 'acme.nothing'"),
    ("my_agents.agent:Nobody", {}, "has no attribute 'Nobody'"),
    ("my_agents.agent:SYSTEM", {}, "is a str: name an Agent class"),
    ("my_agents.agent:ChatAgent", {"model": "x", "colour": 1}, "unexpected keyword argument"),
    ("my_agents.graph:helpdesk_graph", {"model": "x"}, "is a compiled graph, which takes no"),
    ("my_agents.agent:json", {}, "is a module"),
    ("genius", {}, "unknown agent 'genius'"),
    ("json:dumps", {}, "missing a required argument: 'obj'"),
]


@pytest.mark.parametrize(("agent_id", "options", "message"), BAD_IDS)
def test_bad_import_paths_are_explained(
    examples: Path, agent_id: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(AgentSpecError, match=message.replace("(", r"\(")):
        make_agent(agent_id, options)


def test_a_factory_must_return_an_agent_or_a_graph() -> None:
    register_agent("returns-a-number", lambda: 42)
    with pytest.raises(AgentSpecError, match="returned a int, which is neither an agent"):
        make_agent("returns-a-number")
    with pytest.raises(AgentSpecError, match="is a built-in agent"):
        register_agent("oracle", lambda: 42)

    def explodes() -> Any:
        raise ValueError("no key")

    register_agent("explodes", explodes)
    with pytest.raises(AgentSpecError, match="could not be made: ValueError: no key"):
        make_agent("explodes")


def test_bad_agent_on_the_command_line_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = run_undertow("run", "smoke", "--agent", "acme.nothing:Agent", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot import 'acme.nothing' for agent 'acme.nothing:Agent'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def entry_point_site(tmp_path: Path) -> Path:
    """An installed distribution (its metadata only) declaring an agent entry point."""
    info = tmp_path / "site" / "acme_agents-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-agents\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[undertow.agents]\nacme-chat = my_agents.agent:ChatAgent\n"
    )
    return info.parent


def test_entry_point_agents_are_listed_and_made(
    examples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = entry_point_site(tmp_path)
    monkeypatch.syspath_prepend(str(site))
    agent = make_agent("acme-chat", {"model": "fake", "base_url": "http://127.0.0.1:9/v1"})
    assert type(agent).__name__ == "ChatAgent"
    result = run_undertow(
        "list", "agents", env={"PYTHONPATH": f"{site}:{EXAMPLES}", "OPENAI_API_KEY": "x"}
    )
    assert result.returncode == 0, result.stderr
    assert "acme-chat" in result.stdout and "from acme-agents" in result.stdout


@pytest.mark.slow
def test_own_agents_run_resume_score_and_compare_like_built_in_ones(tmp_path: Path) -> None:
    site = entry_point_site(tmp_path)
    env = {"PYTHONPATH": str(site), "OPENAI_API_KEY": "x"}
    with FakeLLMServer(script) as server:
        env["OPENAI_BASE_URL"] = server.url
        suite = tmp_path / "own.yaml"
        entry_point_agent = (
            f'  - {{id: acme-chat, options: {{model: fake, base_url: "{server.url}"}}}}\n'
        )
        suite.write_text(
            SUITE.replace("URL", server.url).replace("seeds:", entry_point_agent + "seeds:")
        )
        out = tmp_path / "run"
        first = run_undertow("run", str(suite), "--out", str(out), env=env, cwd=EXAMPLES)
        assert first.returncode == 0, first.stdout + first.stderr
        stored = (out / "trajectories.jsonl").read_text().splitlines(keepends=True)
        assert len(stored) == 16
        (out / "trajectories.jsonl").write_text("".join(stored[:5]))  # as if killed
        resumed = run_undertow("run", "--resume", str(out), env=env, cwd=EXAMPLES)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert "resumed: 5 episodes were already stored" in resumed.stdout
    trajectories = list(RunStore.open(out).trajectories())
    assert len({t.key.id for t in trajectories}) == 16
    assert not [t.error for t in trajectories if t.status is EpisodeStatus.ERRORED]
    assert {t.key.agent for t in trajectories} == {"chat", "graph", "desk-graph", "acme-chat"}
    scored = run_undertow("score", str(out), cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    scores = json.loads((out / "scores.json").read_text())
    assert {"chat", "graph", "desk-graph", "acme-chat"} <= set(json.dumps(scores).split('"'))
    compared = run_undertow(
        "compare", str(out), "--out", str(tmp_path / "cmp"), cwd=tmp_path, env=env
    )
    assert compared.returncode == 0, compared.stderr
    assert "chat" in compared.stdout and "desk-graph" in compared.stdout
    assert (out / "report.html").exists()


def test_a_resumed_run_finds_an_import_path_agent_in_process(
    examples: Path, tmp_path: Path
) -> None:
    """The suite in the manifest names the agent by import path; nothing else is needed."""
    from undertow.scenarios.runner import run_episodes

    with FakeLLMServer(script) as server:
        text = SUITE.replace("URL", server.url)
        episodes = [e for e in expand(parse_suite(text, "test")) if e.key.agent == "chat"]
        store = RunStore.create(tmp_path / "run", text, {"seeds": {}}, len(episodes))
        run_episodes(episodes[:1], store)
        result = run_episodes(episodes, store)
    assert (result.skipped, result.errored) == (1, 0)
    assert sys.modules["my_agents.agent"].ChatAgent.__name__ == "ChatAgent"
