"""Run the rules: all at once, each within its time budget, none able to stop the others.

Every rule runs on its own daemon thread. A rule whose source raised
:class:`~posture.errors.Unseen` becomes ``unknown`` with what could not be seen; any
other exception becomes ``error`` with a reason built from the exception's type and HTTP
status (never its text, which may quote a response body); a rule still running when its
budget is spent becomes ``error`` too, and the run goes on without it (its thread is
left to finish on its own, and cannot keep the process alive). Messages and evidence are scrubbed of
anything secret-shaped one last time before they leave the runner.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from posture.context import CheckContext
from posture.errors import Unseen
from posture.model import Evidence, EvidenceValue, Rule, RuleResult, all_rules
from shared.redaction import scrub
from shared.settings import SettingsError


@dataclass(frozen=True, slots=True)
class Outcome:
    """A rule and what it answered in one run."""

    rule: Rule
    result: RuleResult
    duration_ms: float


@dataclass(frozen=True, slots=True)
class Run:
    """One posture run: when, how long, and every rule's outcome in catalogue order."""

    started: datetime
    duration_ms: float
    outcomes: tuple[Outcome, ...]


def failure_reason(exc: BaseException) -> str:
    """Why a rule could not evaluate, safe to show: type, status and service code only."""
    from azure.core.exceptions import HttpResponseError  # rules import the SDKs; indexing does not

    if isinstance(exc, SettingsError):
        return str(exc)
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        code = exc.error.code if exc.error is not None else None
        suffix = f" {code}" if code else ""
        return f"{type(exc).__name__} (HTTP {exc.status_code}{suffix})"
    return f"could not evaluate ({type(exc).__name__})"


def _clean_value(value: EvidenceValue) -> EvidenceValue:
    return scrub(value) if isinstance(value, str) else value


def sanitize(result: RuleResult) -> RuleResult:
    """The result with every string scrubbed: a rule's slip cannot leak into a report."""
    evidence: list[Evidence] = [
        {str(k): _clean_value(v) for k, v in item.items()} for item in result.evidence
    ]
    return RuleResult(result.status, scrub(result.message), tuple(evidence))


class _Slot:
    def __init__(self, rule: Rule, context: CheckContext) -> None:
        self.rule = rule
        self.result: RuleResult | None = None
        self.started = time.monotonic()
        self.finished: float | None = None
        self.thread = threading.Thread(
            target=self._run, args=(context,), name=f"posture-{rule.id}", daemon=True
        )

    def _run(self, context: CheckContext) -> None:
        try:
            result = self.rule.evaluate(context)
        except Unseen as exc:  # its message is the checker's own: what could not be seen
            result = RuleResult.unknown(str(exc))
        except Exception as exc:  # a broken rule must not stop the run
            result = RuleResult.error(failure_reason(exc))
        self.result = result
        self.finished = time.monotonic()


def run_rules(
    context: CheckContext,
    *,
    rules: Iterable[Rule] | None = None,
    budgets: Mapping[str, float] | None = None,
) -> Run:
    """Evaluate ``rules`` (default: all) concurrently; ``budgets`` overrides per rule id."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    slots = [_Slot(r, context) for r in (all_rules() if rules is None else rules)]
    for slot in slots:
        slot.started = time.monotonic()
        slot.thread.start()
    outcomes: list[Outcome] = []
    for slot in slots:
        budget = (budgets or {}).get(slot.rule.id, slot.rule.time_budget)
        slot.thread.join(max(0.0, slot.started + budget - time.monotonic()))
        if slot.result is None or slot.finished is None:
            result = RuleResult.error(f"exceeded its time budget of {budget:g} s")
            elapsed = budget
        else:
            result, elapsed = slot.result, slot.finished - slot.started
        outcomes.append(Outcome(slot.rule, sanitize(result), round(elapsed * 1000, 1)))
    return Run(started, round((time.monotonic() - clock) * 1000, 1), tuple(outcomes))
