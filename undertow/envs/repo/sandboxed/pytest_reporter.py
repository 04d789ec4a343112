"""A pytest plugin for graders: every test's outcome, one JSON line on the result channel.

Loaded with ``-p pytest_reporter`` in a bring-your-own repository's grading run; the channel
is the file descriptor named by ``UNDERTOW_RESULT_FD``. Lines: ``{"nodeid", "when",
"outcome"}`` for each test's call and for any phase or collection that did not pass (with
``"detail"``, the end of pytest's account of the failure, where it did not), then
``{"finished": exit status}`` when the session ends, so a run cut short (an ``os._exit``
in the code under test) is seen as such. Standard library and pytest only.
"""

from __future__ import annotations

import json
import os
from typing import Any


def _send(record: dict[str, Any]) -> None:
    line = (json.dumps(record) + "\n").encode()
    fd = int(os.environ.get("UNDERTOW_RESULT_FD", "3"))
    while line:
        line = line[os.write(fd, line) :]


DETAIL_CHARACTERS = 1500


def _record(report: Any, when: str) -> dict[str, Any]:
    record = {"nodeid": report.nodeid, "when": when, "outcome": report.outcome}
    if report.outcome == "failed":
        record["detail"] = str(report.longreprtext)[-DETAIL_CHARACTERS:]
    return record


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call" or report.outcome != "passed":
        _send(_record(report, report.when))


def pytest_collectreport(report: Any) -> None:
    if report.outcome != "passed":
        _send(_record(report, "collect"))


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    _send({"finished": int(exitstatus)})
