"""A runaway external agent: ignores SIGTERM, forks children that leave its process group and
session (setsid), ignore SIGTERM too and keep forking, and calls tools without end.

    python runaway.py PIDS_FILE

Every process it starts appends its pid to PIDS_FILE.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


def note(pids_file: str) -> None:
    with open(pids_file, "a") as out:
        out.write(f"{os.getpid()}\n")


def spawn_forever(pids_file: str, depth: int) -> None:
    """Fork a child that leaves the session, ignores SIGTERM and does the same, a few levels."""
    if os.fork() != 0:
        return
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    note(pids_file)
    for _ in range(3 if depth < 2 else 0):
        spawn_forever(pids_file, depth + 1)
    while True:
        time.sleep(0.05)


async def call_forever() -> None:
    async with (
        streamablehttp_client(os.environ["UNDERTOW_MCP_URL"]) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        while True:
            await session.call_tool("list_queue", {})


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    note(sys.argv[1])
    spawn_forever(sys.argv[1], 0)
    asyncio.run(call_forever())
