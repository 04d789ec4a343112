"""What a generated repository world is made of: the project's files, the sprint's tickets and
the hidden cases that judge them. Built by :mod:`undertow.envs.repo.generator`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    """One hidden or stable test: call ``module.function(*args)`` and expect ``expected``."""

    id: str
    module: str
    function: str
    args: list[Any]
    expected: Any

    def as_job(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "module": self.module,
            "function": self.function,
            "args": self.args,
            "expected": self.expected,
        }


@dataclass(frozen=True)
class Edit:
    """One change to a file: replace ``old`` by ``new`` (``old`` None: append ``new``)."""

    path: str
    old: str | None
    new: str


@dataclass(frozen=True)
class Symptom:
    """What a ticket reports: a call a user makes, what it gives on the shipped repository,
    and what it should give."""

    call: Case
    shipped: tuple[str, Any]
    """``("ok", value)`` or ``("error", text)``, computed on the repository as shipped."""
    shown: str
    """How the ticket shows the call (a command line or a Python expression)."""
    command: str
    """A shell command that reproduces it in the workspace."""


@dataclass(frozen=True)
class Ticket:
    """A sprint ticket: fix a bug, add a feature or change earlier work, decided by hidden
    tests."""

    id: str
    kind: str
    """``bug``, ``feature``, ``change``, or ``report``: a user's report the rules contradict,
    whose right work is no change (the hard tier)."""
    module: str
    function: str
    bug: str | None
    """The catalogue's name of the bug (lower tiers: its kind, ``off_by_one``; the hard tier:
    its id, ``kilos``), None for other tickets."""
    title: str
    body: str
    path: str
    fix_old: str | None
    """The buggy function text to replace (None for features, which are appended)."""
    fix_new: str
    hidden: tuple[Case, ...]
    depends_on: tuple[str, ...] = ()
    """Earlier tickets whose functions this ticket's function calls, directly or not."""
    compounds_with: tuple[str, ...] = ()
    """Earlier tickets whose unfixed bug makes this ticket's hidden tests fail."""
    phase: int = 1
    """Tickets of phase n+1 are released when every ticket of phase n is submitted."""
    edits: tuple[Edit, ...] = ()
    """The correct change, edit by edit (empty: ``fix_old`` -> ``fix_new`` in ``path``)."""
    sites: tuple[tuple[str, str], ...] = ()
    """(module, function) of every function the ticket's change touches (empty: its own)."""
    patches: tuple[tuple[str, str], ...] = ()
    """(module, correct source of the touched functions), for counterfactual re-runs."""
    reads: tuple[str, ...] = ()
    """Files a careful engineer reads before changing anything (empty: ``path``)."""
    symptom: Symptom | None = None
    surface: tuple[Edit, ...] | None = None
    """What an agent that fixes the place the ticket points at the obvious way does (None:
    the correct change)."""
    traps: tuple[str, ...] = ()
    """The distractors on this ticket's way (``smell``, ``helper``, ``split``, ...)."""
    test_fix: Edit | None = None
    """A visible test that asserts the shipped, wrong result this ticket corrects, and the one
    change of it the sprint sanctions: its assertion line (``old``) made right (``new``)."""

    @property
    def text(self) -> str:
        return f"{self.id}: {self.title}\n{self.body}"

    @property
    def changes(self) -> tuple[Edit, ...]:
        """The correct change, edit by edit (none for a report the rules contradict)."""
        if self.edits or self.kind == "report":
            return self.edits
        return (Edit(self.path, self.fix_old, self.fix_new),)

    @property
    def touched(self) -> tuple[tuple[str, str], ...]:
        return self.sites or ((self.module, self.function),)

    @property
    def correct_patches(self) -> tuple[tuple[str, str], ...]:
        return self.patches or ((self.module, self.fix_new),)


@dataclass(frozen=True)
class RepoWorld:
    """Everything generated for one episode."""

    seed: int
    difficulty: int
    perturbed: bool
    package: str
    files: dict[str, str]
    tickets: tuple[Ticket, ...]
    stable: tuple[Case, ...]
    correct_modules: dict[str, str]
    """Module name -> the fully correct module source (for counterfactual patches)."""
    calls: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Function -> the functions it calls (the dependency graph)."""
    shipped_modules: dict[str, str] = field(default_factory=dict)
    """Module name -> its source as shipped (the workspace at the start)."""

    @property
    def test_files(self) -> tuple[str, ...]:
        return tuple(sorted(p for p in self.files if p.startswith("tests/")))

    @property
    def sanctioned_tests(self) -> dict[str, frozenset[str]]:
        """Test file -> SHA-256 of the contents it may have besides its own: a ticket's
        ``test_fix`` made (the wrong assertion corrected, or dropped)."""
        found: dict[str, set[str]] = {}
        for ticket in self.tickets:
            fix = ticket.test_fix
            if fix is None or fix.old is None or fix.path not in self.files:
                continue
            shipped = self.files[fix.path]
            for content in (shipped.replace(fix.old, fix.new), shipped.replace(fix.old + "\n", "")):
                found.setdefault(fix.path, set()).add(hashlib.sha256(content.encode()).hexdigest())
        return {path: frozenset(hashes) for path, hashes in found.items()}

    @property
    def scope(self) -> frozenset[str]:
        """Files the sprint may change."""
        return frozenset(edit.path for t in self.tickets for edit in t.changes)

    @property
    def phases(self) -> int:
        return max((t.phase for t in self.tickets), default=1)

    @property
    def fingerprint(self) -> str:
        """SHA-256 over files, tickets and tests: equal worlds have equal fingerprints."""
        payload = json.dumps(
            {
                "files": self.files,
                "tickets": [
                    t.__dict__ | {"hidden": [c.__dict__ for c in t.hidden]} for t in self.tickets
                ],
                "stable": [c.__dict__ for c in self.stable],
            },
            sort_keys=True,
            default=lambda value: getattr(value, "__dict__", str(value)),
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def module_path(self, module: str) -> str:
        return f"{self.package}/{module}.py"
