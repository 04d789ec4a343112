"""Agents that run as their own process: the episode's tools served over MCP (``mcp_server``,
``stdio_relay``), the process and everything it starts supervised (``process``), its model
calls metered (``metering``), and the Agent that joins them to the runner's loop
(``mcp_agent``). Between the agent's calls and the runner's steps stands ``bridge``."""
