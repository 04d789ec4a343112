"""Red-team scripted agents: each attacks how an env grades, through its published tools
only, to show that no attack earns credit and every one is in the ledger (one module per
env family)."""
