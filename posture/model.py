"""What a posture rule is, what it answers, and the registry that holds every rule.

A rule is data (id, title, severity, remediation, what it reads, the permission it
needs) plus one function, ``evaluate(context) -> RuleResult``. Keeping the metadata
next to the function means the report, the CLI, the docs and the tests all describe
the same rule from one place; what each rule corresponds to in other tools (prowler,
PSRule for Azure, Azure Policy) and its public documentation page live in
:mod:`posture.references`, keyed by rule id.

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
    """What a rule answered.

    ``error``: it tried to read and could not (refused, failed, out of time). ``unknown``:
    it could not see what it judges (an input is unset, the scope shows nothing); both name
    what was missing and both count against a gate. ``skipped``: the rule does not apply
    here, by a fact or a declaration (outside Azure, no licence declared), never because
    something could not be seen.
    """

    PASS = "pass"  # noqa: S105 (a status name)
    FAIL = "fail"
    ERROR = "error"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"

    @property
    def blind(self) -> bool:
        """The rule did not judge: it could not read or could not see."""
        return self in (Status.ERROR, Status.UNKNOWN)


class Category(StrEnum):
    RUNTIME = "runtime"
    KEY_VAULT = "key-vault"
    CONTROL_PLANE = "control-plane"
    ENTRA = "entra"

    @property
    def budget(self) -> float:
        """Seconds a rule of this category may take: a remote plane gets three times more."""
        return _BUDGETS[self]


#: The runtime and the vault answer from one process and one service; the control plane
#: and Graph page through whole estates and tenants.
_BUDGETS: Final = {
    Category.RUNTIME: DEFAULT_BUDGET_SECONDS,
    Category.KEY_VAULT: DEFAULT_BUDGET_SECONDS,
    Category.CONTROL_PLANE: 3 * DEFAULT_BUDGET_SECONDS,
    Category.ENTRA: 3 * DEFAULT_BUDGET_SECONDS,
}


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
    def unknown(cls, reason: str, evidence: Sequence[Evidence] = ()) -> RuleResult:
        return cls(Status.UNKNOWN, reason, tuple(evidence))

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
    budget: float | None = None

    @property
    def time_budget(self) -> float:
        """Seconds this rule may take: its own budget, else its category's."""
        return self.budget if self.budget is not None else self.category.budget

    @property
    def docs(self) -> str:
        """The public page that explains the control and its fix (for a rule registered
        without a reference, the Functions security overview)."""
        from posture.references import DEFAULT_LEARN, reference

        found = reference(self.id)
        return found.learn if found is not None else DEFAULT_LEARN


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
    budget: float | None = None,
) -> Callable[[Evaluate], Evaluate]:
    """Register the decorated function as the evaluator of rule ``rule_id`` (the checks
    that need code; plain property checks are rows of :mod:`posture.rules.properties`)."""

    def register(evaluate: Evaluate) -> Evaluate:
        add(
            Rule(
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
        )
        return evaluate

    return register


def add(new: Rule) -> Rule:
    """Put ``new`` in the registry; an id registered twice is refused."""
    if new.id in _REGISTRY:
        raise RuleRegistryError(f"rule {new.id} is registered twice")
    _REGISTRY[new.id] = new
    return new


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
