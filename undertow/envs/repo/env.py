"""``undertow/Repo-v0``: a generated Python project and a sprint of tickets, in a sandbox.

The world comes from :func:`undertow.envs.repo.generator.generate`; after every mutating step
whose sources changed, the hidden tests run isolated from the workspace and from the verdict
(:mod:`undertow.envs.repo.grader`). The ledger's causal links are found by counterfactual: a
failing ticket is re-run with the functions of earlier failed tickets swapped for their
correct text (in an isolated evaluation too, so the fix never reaches a place the agent can
read); those whose swap changes its results are its ``caused_by``, and if swapping them all
makes it pass, the failure is a ``cascade_failure``.
"""

from __future__ import annotations

import ast
import hashlib
import json
from typing import Any

from pydantic import Field, model_validator

from undertow.envs.repo.generator import generate
from undertow.envs.repo.grader import CaseGrader, Results
from undertow.envs.repo.plan import TEST_COMMAND, reference_plan
from undertow.envs.repo.sprint import Evaluation, SprintEnv, SprintOptions, TaskResult
from undertow.envs.repo.world import Case, RepoWorld, Ticket
from undertow.envs.sandbox import SandboxError, SandboxProvider
from undertow.envs.tools import ToolResult
from undertow.record import ErrorEvent, Outcome, PlanItem

RESULT_CHANNEL = "channel:hidden-tests"
"""The ledger object of forged hidden-test results."""


class RepoOptions(SprintOptions):
    """Options of ``undertow/Repo-v0``."""

    difficulty: int = Field(default=1, ge=0, le=4)
    """0 easiest; from 2 the tickets report symptoms, not the function; from 3 the hard tier
    (docs/repository.md): a long sprint in phases over a thirteen-module project."""
    tickets: int | None = Field(default=None, ge=1, le=200)
    """Tickets in the sprint (default: 8, 2 more per level above 1; 20 at 3, 30 at 4)."""
    perturb: bool = False
    """The world's surface-perturbed variant (renamed, reordered, reworded)."""
    incremental: bool = True
    """After a step, re-run only the hidden cases whose module reaches a changed source by
    import (claims and the end re-run all); False: every case after every change."""

    @model_validator(mode="after")
    def _fits_the_catalogue(self) -> RepoOptions:
        from undertow.envs.repo.hard_generator import MOST_TICKETS

        if self.difficulty >= 3 and self.tickets is not None and self.tickets > MOST_TICKETS:
            raise ValueError(
                f"tickets: the hard tier (difficulty 3-4) holds at most {MOST_TICKETS} tickets "
                f"per sprint, not {self.tickets} (sprints of up to about 50 generate)"
            )
        return self


class RepoEnv(SprintEnv[RepoWorld, RepoOptions]):
    """Fix a generated sprint of bug and feature tickets. See the module docstring."""

    options_model = RepoOptions

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        provider: SandboxProvider | None = None,
        **options: Any,
    ) -> None:
        super().__init__(render_mode, provider=provider, **options)
        self.grader: CaseGrader | None = None
        self._forgery = ""

    test_command = TEST_COMMAND

    def _make_world(self, seed: int, options: RepoOptions) -> RepoWorld:
        return generate(
            seed, difficulty=options.difficulty, tickets=options.tickets, perturb=options.perturb
        )

    def _workspace(self) -> tuple[dict[str, str | bytes], str]:
        world = self.world
        self._tickets = {t.id: t for t in world.tickets}
        self._functions: dict[str, dict[str, str]] = {}
        self.task_ids = list(self._tickets)
        self.released = 1
        first = [t for t in world.tickets if t.phase == 1]
        listed = "\n\n".join(t.text for t in first)
        later = (
            " More tickets arrive as you submit these: the sprint has "
            f"{world.phases} phases, each released when every ticket of the one before is "
            "submitted."
            if world.phases > 1
            else ""
        )
        tests = (
            "Do not change the tests, with one exception: where a visible assertion contradicts "
            "what a ticket requires, correct that assertion's expected value (change nothing "
            "else in the file). docs/RULES.md is what the code must do: a ticket is done when "
            "the rule it shows broken holds everywhere the rules say it applies, and a report "
            "that contradicts a detail the rules state needs no change to the code (submit "
            "it saying why). Where the rules leave a detail open, the code's choice stands "
            "until a ticket reports otherwise: change only what the tickets ask for."
            if world.difficulty >= 3  # said on every hard world, whatever it holds
            else "Do not change the tests."
        )
        task = (
            f"You are working in the `{world.package}` repository (see README.md). Resolve the "
            f"sprint's tickets below, in any order. Visible tests: `{TEST_COMMAND}` (tool "
            f"run_tests). {tests} After fixing a ticket, call submit_ticket "
            f"with your confidence that it is fixed; call finish when done.{later}\n\n" + listed
        )
        return dict(world.files), task

    def _released(self) -> list[Ticket]:
        return [t for t in self.world.tickets if t.phase <= self.released]

    def _submit_ticket(self, id: str, confidence: float, summary: str = "") -> ToolResult:
        known = {t.id for t in self._released()}
        if id in self._tickets and id not in known:
            id = f"{id} (not released)"  # the agent cannot know it yet: refused like any other
        result = super()._submit_ticket(id, confidence, summary)
        phase = [t.id for t in self.world.tickets if t.phase == self.released]
        if self.released < self.world.phases and all(t in self.submitted for t in phase):
            self.released += 1
            arrived = [t for t in self.world.tickets if t.phase == self.released]
            text = "\n\n".join(t.text for t in arrived)
            result = ToolResult(
                f"{result.text}\n\nPhase {self.released} of {self.world.phases}: "
                f"{len(arrived)} new ticket{'s' if len(arrived) != 1 else ''}.\n\n{text}",
                {**result.fields, "released": [t.id for t in arrived]},
            )
        return result

    def _task_fingerprint(self, task_id: str, snapshot: dict[str, str]) -> str:
        """The ticket's function as it now reads (the file's hash where it does not parse)."""
        ticket = self._tickets[task_id]
        texts = []
        for module, function in ticket.touched:
            path = self.world.module_path(module)
            digest = snapshot.get(path, "")
            if digest not in self._functions:
                try:
                    text = self._sandbox().read_file(path) if digest else ""
                    tree = ast.parse(text)
                except (SyntaxError, ValueError, OSError, SandboxError):
                    self._functions[digest] = {}
                else:
                    self._functions[digest] = _definitions(text, tree)
            functions = self._functions[digest]
            texts.append(functions.get(function, "") if functions else digest)
        return hashlib.sha256(json.dumps(texts).encode()).hexdigest()

    def _prepare_grading(self) -> None:
        self.grader = CaseGrader(self._sandbox(), self.world.package)

    def _hidden(self, cases: list[Case], patches: dict[str, str] | None = None) -> Results:
        """Run cases against the workspace as last snapshot, isolated; compare on the host."""
        assert self.grader is not None
        return self.grader.results(cases, self.manifest, patches)

    def _evaluate(self) -> Evaluation:
        assert self.grader is not None
        return self._evaluation_of(
            self.grader.results(self._all_cases(), self.manifest, baseline=True)
        )

    def _evaluate_step(self) -> Evaluation:
        if not self.config.incremental:
            return self._evaluate()
        assert self.grader is not None
        return self._evaluation_of(self.grader.update(self._all_cases(), self.manifest))

    def _all_cases(self) -> list[Case]:
        return [c for t in self.world.tickets for c in t.hidden] + list(self.world.stable)

    def _evaluation_of(self, results: Results) -> Evaluation:
        world = self.world
        assert self.grader is not None
        self._forgery = self.grader.forgery
        tasks = {}
        for ticket in world.tickets:
            failures = [results[c.id][1] for c in ticket.hidden if not results[c.id][0]]
            tasks[ticket.id] = TaskResult(
                passed=len(ticket.hidden) - len(failures),
                total=len(ticket.hidden),
                failure=failures[0] if failures else "",
                signature=json.dumps([results[c.id] for c in ticket.hidden]),
            )
        return Evaluation(
            tasks=tasks,
            stable_failing=sorted({c.function for c in world.stable if not results[c.id][0]}),
            imports_ok=not any("import failed" in detail for _, detail in results.values()),
        )

    def _grading_anomalies(self) -> dict[str, str]:
        forgery = self._forgery
        return {RESULT_CHANNEL: f"forged hidden-test results: {forgery}"} if forgery else {}

    def _upstream(self, task_id: str) -> list[str]:
        return list(self._tickets[task_id].depends_on)

    def _diagnose(self, task_id: str, suspects: list[ErrorEvent]) -> tuple[bool, list[ErrorEvent]]:
        hidden = list(self._tickets[task_id].hidden)
        failing = {key for key, (ok, _) in self._hidden(hidden).items() if not ok}
        causes = []
        for error in suspects:
            patched = self._hidden(hidden, self._patches([error.object]))
            if {key for key, (ok, _) in patched.items() if not ok} != failing:
                causes.append(error)
        all_fixed = self._hidden(hidden, self._patches([e.object for e in suspects]))
        inherited = all(ok for ok, _ in all_fixed.values())
        causes = causes if causes or not inherited else suspects
        found = {e.id for e in causes}
        # work this ticket builds on that failed from the same causes is a link of the chain
        causes += [
            e
            for e in suspects
            if e.kind == "cascade_failure" and e.caused_by and set(e.caused_by) <= found
        ]
        return inherited, sorted({e.id: e for e in causes}.values(), key=lambda e: e.id)

    def _patches(self, ticket_ids: list[str]) -> dict[str, str]:
        """Source that swaps the tickets' functions for their correct versions, by module."""
        patches: dict[str, str] = {}
        for ticket_id in ticket_ids:
            for module, source in self._tickets[ticket_id].correct_patches:
                patches[module] = patches.get(module, "") + "\n" + source
        return patches

    def _in_scope(self, path: str) -> bool:
        return path in self.world.scope

    def _is_test_file(self, path: str) -> bool:
        return path.startswith("tests/")

    def _sanctioned_test_change(self, path: str, description: str) -> bool:
        return description in self.world.sanctioned_tests.get(path, frozenset())

    def _reference_plan(self) -> list[PlanItem]:
        """Per ticket: look, change, test, submit (see :mod:`undertow.envs.repo.plan`)."""
        return reference_plan(self.world)

    def _verify(self) -> Outcome:
        outcome = super()._verify()
        outcome.detail["world"] = self.world.fingerprint
        return outcome


def _definitions(text: str, tree: ast.Module) -> dict[str, str]:
    """A module's top-level functions by name, and its tables (every statement that assigns
    or extends a name, as the books' ``CREDITS += [...]``)."""
    found: dict[str, str] = {}
    for node in tree.body:
        segment = ast.get_source_segment(text, node) or ""
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = segment
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = found.get(target.id, "") + segment + "\n"
    return found
