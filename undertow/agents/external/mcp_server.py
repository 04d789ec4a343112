"""An episode's tools as an MCP server (the official ``mcp`` SDK's low-level server).

Each tool the env publishes is listed with its JSON schema; each call goes through the
:class:`ToolCallBridge`, so it is played as one step of the episode (probes, ledger and all)
and its observation is the call's result (``isError`` when the env says the call failed).
Arguments are not checked here: the env checks them, and a bad call is a step like any other.

:class:`EpisodeHTTPServer` serves it over streamable HTTP on 127.0.0.1 at a path holding a
token only this episode's agent is given, with the SDK's DNS-rebinding protection on, on a
uvicorn server in a thread of its own; other routes (the metering proxy) can share its port.
For stdio, agents start :mod:`undertow.agents.external.stdio_relay`, which serves the same
tools on its stdin and stdout and forwards each call to this endpoint.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
import uvicorn
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from undertow.agents.external.bridge import ToolCallBridge
from undertow.errors import UndertowError

SERVER_NAME = "undertow-episode"
READY_SECONDS = 30.0


def episode_server(tools: list[dict[str, Any]], bridge: ToolCallBridge) -> Server[Any, Any]:
    """An MCP server listing ``tools`` whose calls are played through ``bridge``."""
    server: Server[Any, Any] = Server(SERVER_NAME)
    listed = [
        types.Tool(
            name=tool["name"],
            description=tool.get("description") or "",
            inputSchema=tool.get("parameters") or {"type": "object", "properties": {}},
        )
        for tool in tools
    ]

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return listed

    @server.call_tool(validate_input=False)
    async def call_tool(name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
        text, ok = await anyio.to_thread.run_sync(
            bridge.call, name, arguments or {}, abandon_on_cancel=True
        )
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], isError=not ok
        )

    return server


class _SessionEndpoint:
    """The session manager as an ASGI endpoint (a Starlette route takes any ASGI app)."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self.manager = manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.manager.handle_request(scope, receive, send)


class EpisodeHTTPServer:
    """``start()`` then ``mcp_url``; ``routes`` (e.g. the metering proxy) share the port.
    Without an MCP ``server`` it serves the ``routes`` alone (``mcp_url`` is empty)."""

    def __init__(self, server: Server[Any, Any] | None, routes: Sequence[BaseRoute] = ()) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.mcp_url = ""
        endpoints = list(routes)
        lifespan = None
        if server is not None:
            path = f"/{uuid.uuid4().hex}/mcp"
            self.mcp_url = self.base_url + path
            security = TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=[f"127.0.0.1:{self.port}", f"localhost:{self.port}"],
                allowed_origins=[f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"],
            )
            manager = StreamableHTTPSessionManager(app=server, security_settings=security)

            @contextlib.asynccontextmanager
            async def lifespan(_: Starlette) -> AsyncIterator[None]:
                async with manager.run():
                    yield

            endpoints.insert(0, Route(path, _SessionEndpoint(manager)))
        app = Starlette(routes=endpoints, lifespan=lifespan)
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> EpisodeHTTPServer:
        self._thread.start()
        deadline = time.monotonic() + READY_SECONDS
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise UndertowError(
                    f"the episode's MCP server did not start on 127.0.0.1:{self.port}"
                )
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._uvicorn.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()
