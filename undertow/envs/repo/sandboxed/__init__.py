"""Code that runs inside a sandbox, beside the agent's code: standard library (and pytest) only.

Nothing here imports Undertow: the grader sends these files' source into the sandbox. The
case runner calls a generated package's functions for a grading zygote's child; the pytest
reporter reports each test's outcome from a bring-your-own repository's grading run.
"""
