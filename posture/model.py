"""What a posture rule is, what it answers, and the registry that holds every rule.

A rule is data (id, title, severity, remediation, what it reads, the permission it
needs) plus one function, ``evaluate(context) -> RuleResult``. Keeping the metadata
next to the function means the report, the CLI, the docs and the tests all describe
the same rule from one place.

Evidence is a list of small flat mappings of names and numbers: setting names,
secret names, pattern kinds, fingerprints, resource names, dates. Never a value that
was found to be secret; the runner scrubs every evidence string once more anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from posture.errors import RuleRegistryError

if TYPE_CHECKING:
    from posture.context import CheckContext

DOCS_PAGE: Final = "docs/posture.md"
DEFAULT_BUDGET_SECONDS: Final = 20.0

EvidenceValue = str | int | float | bool | None
Evidence = Mapping[str, EvidenceValue]


class Severity(StrEnum):
    """How bad a failure of the rule is; ordered critical > high > medium > low > info."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: ``--fail-on`` compares ranks."""
        return _RANKS[self]


_RANKS: Final = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Status(StrEnum):
    """``error`` means the rule could not evaluate; ``skipped`` that it is not configured."""

    PASS = "pass"  # noqa: S105 (a status name)
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class Category(StrEnum):
    RUNTIME = "runtime"
    KEY_VAULT = "key-vault"
    CONTROL_PLANE = "control-plane"
    ENTRA = "entra"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The answer of one rule: a status, a one-line message and redacted evidence."""

    status: Status
    message: str
    evidence: tuple[Evidence, ...] = ()

    @classmethod
    def passed(cls, message: str, evidence: Sequence[Evidence] = ()) -> RuleResult:
        return cls(Status.PASS, message, tuple(evidence))

    @classmethod
    def failed(cls, message: str, evidence: Sequence[Evidence] = ()) -> RuleResult:
        return cls(Status.FAIL, message, tuple(evidence))

    @classmethod
    def error(cls, reason: str, evidence: Sequence[Evidence] = ()) -> RuleResult:
        return cls(Status.ERROR, reason, tuple(evidence))

    @classmethod
    def skipped(cls, reason: str) -> RuleResult:
        return cls(Status.SKIPPED, reason)


Evaluate = Callable[["CheckContext"], RuleResult]


@dataclass(frozen=True, slots=True)
class Rule:
    """One check of the catalogue (docs/posture.md lists them all)."""

    id: str
    title: str
    severity: Severity
    category: Category
    remediation: str
    reads: str
    permission: str
    evaluate: Evaluate = field(repr=False, compare=False)
    budget: float = DEFAULT_BUDGET_SECONDS

    @property
    def docs(self) -> str:
        return f"{DOCS_PAGE}#{self.id.lower()}"


_REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    *,
    title: str,
    severity: Severity,
    category: Category,
    remediation: str,
    reads: str,
    permission: str,
    budget: float = DEFAULT_BUDGET_SECONDS,
) -> Callable[[Evaluate], Evaluate]:
    """Register the decorated function as the evaluator of rule ``rule_id``."""

    def register(evaluate: Evaluate) -> Evaluate:
        if rule_id in _REGISTRY:
            raise RuleRegistryError(f"rule {rule_id} is registered twice")
        _REGISTRY[rule_id] = Rule(
            id=rule_id,
            title=title,
            severity=severity,
            category=category,
            remediation=remediation,
            reads=reads,
            permission=permission,
            evaluate=evaluate,
            budget=budget,
        )
        return evaluate

    return register


def all_rules() -> list[Rule]:
    """Every registered rule, in catalogue order (category, then registration)."""
    from posture import rules  # noqa: F401  (importing registers the rules)

    order = list(Category)
    return sorted(_REGISTRY.values(), key=lambda r: order.index(r.category))


def get_rule(rule_id: str) -> Rule:
    for candidate in all_rules():
        if candidate.id == rule_id:
            return candidate
    raise RuleRegistryError(f"no rule {rule_id}")
