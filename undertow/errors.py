"""The base of Undertow's user-facing errors: each carries a message that says what to do."""


class UndertowError(Exception):
    """A problem the user can act on. The command line prints its message without a traceback."""
