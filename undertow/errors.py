"""The base of Undertow's user-facing errors: each carries a message that says what to do."""


class UndertowError(Exception):
    """A problem the user can act on. The command line prints its message without a traceback
    and exits with ``exit_code``."""

    exit_code = 2


class HarnessError(UndertowError):
    """The harness itself failed (a sandbox died, a daemon went away), not the agent: an env's
    ``step`` lets it through, and the episode ends as errored with this cause."""
