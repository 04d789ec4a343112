"""An external agent built the usual way: a langgraph ReAct agent whose tools come from the
episode's MCP server through langchain-mcp-adapters, its model a ChatOpenAI at
OPENAI_BASE_URL (the metering proxy, or the model server itself).

    python langgraph_mcp_player.py
"""

from __future__ import annotations

import asyncio
import json
import os
import warnings
from pathlib import Path
from typing import Any

from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_openai import ChatOpenAI
from langgraph.prebuilt import create_react_agent


def connection() -> Any:
    if os.environ["UNDERTOW_MCP_TRANSPORT"] == "stdio":
        command = json.loads(os.environ["UNDERTOW_MCP_COMMAND"])
        return {"transport": "stdio", "command": command[0], "args": command[1:]}
    return {"transport": "streamable_http", "url": os.environ["UNDERTOW_MCP_URL"]}


async def main() -> None:
    client = MultiServerMCPClient({"undertow": connection()})
    tools = await client.get_tools()
    model = ChatOpenAI(model=os.environ.get("UNDERTOW_MODEL", "fake"), temperature=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_react_agent's move to langchain.agents
        agent = create_react_agent(model, tools)
    task = Path(os.environ["UNDERTOW_TASK_FILE"]).read_text()
    result = await agent.ainvoke({"messages": [("user", task)]}, {"recursion_limit": 500})
    print("messages", len(result["messages"]), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
