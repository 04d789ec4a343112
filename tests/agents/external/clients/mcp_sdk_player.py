"""An external agent on the official `mcp` client: plays the calls in a JSON file.

    python mcp_sdk_player.py CALLS.json [--ask-model]

CALLS.json holds [[tool, args], ...]. It connects as the environment says
(UNDERTOW_MCP_TRANSPORT: http at UNDERTOW_MCP_URL, or stdio by starting UNDERTOW_MCP_COMMAND),
lists the tools and makes each call in turn. With --ask-model it first asks the model for each
call through OPENAI_BASE_URL (the metering proxy), with plain urllib.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client


def ask_model(tool: str) -> None:
    request = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=json.dumps(
            {"model": "whatever", "messages": [{"role": "user", "content": f"Call {tool}?"}]}
        ).encode(),
        headers={
            "Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        usage = json.load(response)["usage"]
    print("model", usage["prompt_tokens"], usage["completion_tokens"], flush=True)


async def play(session: ClientSession, calls: list[tuple[str, dict[str, Any]]], ask: bool) -> None:
    await session.initialize()
    listed = {tool.name for tool in (await session.list_tools()).tools}
    print("tools", sorted(listed), flush=True)
    for tool, args in calls:
        if ask:
            ask_model(tool)
        result = await session.call_tool(tool, args)
        print(tool, "error" if result.isError else "ok", flush=True)


async def main() -> None:
    calls = json.loads(Path(sys.argv[1]).read_text())
    ask = "--ask-model" in sys.argv
    if os.environ["UNDERTOW_MCP_TRANSPORT"] == "stdio":
        command = json.loads(os.environ["UNDERTOW_MCP_COMMAND"])
        server = StdioServerParameters(command=command[0], args=command[1:])
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await play(session, calls, ask)
    else:
        url = os.environ["UNDERTOW_MCP_URL"]
        async with (
            streamablehttp_client(url) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await play(session, calls, ask)


if __name__ == "__main__":
    asyncio.run(main())
