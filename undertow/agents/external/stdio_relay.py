"""The episode's tools over stdio: ``python -m undertow.agents.external.stdio_relay URL``.

An MCP client that speaks stdio starts this as its server (the command is in the agent's
``UNDERTOW_MCP_COMMAND``). It serves, on its stdin and stdout, the tools of the episode's
streamable HTTP endpoint at URL, and forwards every call there, where it is played as a step;
results come back unchanged. It is one of the agent's processes, stopped with the agent.
"""

from __future__ import annotations

import sys
from typing import Any

import anyio
from mcp import ClientSession, types
from mcp.client.streamable_http import streamablehttp_client
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from undertow.agents.external.mcp_server import SERVER_NAME


async def relay(url: str) -> None:
    """Serve ``url``'s tools on stdio until the client closes stdin."""
    async with (
        streamablehttp_client(url, timeout=30, sse_read_timeout=24 * 3600) as (read, write, _),
        ClientSession(read, write) as upstream,
    ):
        await upstream.initialize()
        tools = (await upstream.list_tools()).tools
        server: Server[Any, Any] = Server(SERVER_NAME)

        @server.list_tools()
        async def list_tools() -> list[types.Tool]:
            return tools

        @server.call_tool(validate_input=False)
        async def call_tool(name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
            return await upstream.call_tool(name, arguments or {})

        async with stdio_server() as (stdin, stdout):
            await server.run(stdin, stdout, server.create_initialization_options())


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m undertow.agents.external.stdio_relay MCP_URL")
    anyio.run(relay, sys.argv[1])


if __name__ == "__main__":
    main()
