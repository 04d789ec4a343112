"""Example agents of your own, as docs/your-own-agent.md shows them."""
