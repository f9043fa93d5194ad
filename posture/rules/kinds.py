"""The kinds of rule that need code, each declared with one decorator holding what it shares.

Most rules are one of a few kinds, and a kind decides the same things for all of its rules:
the category, what must hold before judging, and the wrapper the judging goes through. A
resource rule objects to one resource at a time and :func:`posture.rules.judge.judge`
does the rest (scope, unseen connections, the summary); a Graph rule runs behind
:func:`posture.rules.judge.judge_graph` (``unknown`` while Graph is off, ``error`` naming
what it needs when Graph refuses); a rule on the app's environment first makes sure the
environment is an app's. Writing that once here keeps every rule's function down to its
own judgement, and a rule's declaration down to what a reader of the report sees
(:class:`Text`). A rule that fits no kind uses :func:`posture.model.rule` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, NotRequired, Protocol, TypedDict, TypeVar, Unpack

from posture.context import CheckContext
from posture.model import Category, Evaluate, RuleResult, Severity, rule
from posture.rules.judge import READER, Scope, judge, judge_graph
from posture.sources.arm import ArmResource
from posture.sources.env import require_loaded

#: One resource's problems, as (property, value) pairs: empty when it is not at fault.
ResourceCheck = Callable[[CheckContext, ArmResource], Iterable[tuple[str, Any]]]
#: The decorated function: what a kind's wrapper judges with.
_Judging = TypeVar("_Judging", ResourceCheck, Evaluate)
#: Why a rule does not apply here (a declaration, such as the partner taking a key), or None.
Skip = Callable[[CheckContext], str | None]


class Text(TypedDict):
    """A rule as a reader of the report sees it (the arguments of :func:`posture.model.rule`
    that the kind does not decide)."""

    title: str
    severity: Severity
    remediation: str
    reads: str
    budget: NotRequired[float]


class Kind(Protocol):
    """A decorator of one kind's rules: the rule's id, its :class:`Text`, and the
    permission it needs when it is not the kind's."""

    def __call__(
        self, rule_id: str, *, permission: str | None = None, **text: Unpack[Text]
    ) -> Callable[[Evaluate], Evaluate]: ...


def _declare(
    rule_id: str,
    category: Category,
    permission: str,
    text: Text,
    unless: Skip | None,
    run: Callable[[CheckContext, _Judging], RuleResult],
) -> Callable[[_Judging], _Judging]:
    """The decorator that registers rule ``rule_id``: ``skipped`` when ``unless`` gives a
    reason, else what ``run`` makes of the decorated function."""

    def register(function: _Judging) -> _Judging:
        def evaluate(context: CheckContext) -> RuleResult:
            reason = unless(context) if unless is not None else None
            return RuleResult.skipped(reason) if reason is not None else run(context, function)

        rule(rule_id, category=category, permission=permission, **text)(evaluate)
        return function

    return register


def resource_rule(
    rule_id: str,
    *,
    scope: Scope,
    unless: Skip | None = None,
    permission: str = READER,
    **text: Unpack[Text],
) -> Callable[[ResourceCheck], ResourceCheck]:
    """Register a control-plane rule that judges each resource of ``scope`` with the
    decorated function (``check(context, resource)``); Reader sees them all."""

    def run(context: CheckContext, check: ResourceCheck) -> RuleResult:
        return judge(context, scope, partial(check, context))

    return _declare(rule_id, Category.CONTROL_PLANE, permission, text, unless, run)


def graph_rule(
    rule_id: str, *, permission: str, needs: str, unless: Skip | None = None, **text: Unpack[Text]
) -> Callable[[Evaluate], Evaluate]:
    """Register an Entra rule read through Microsoft Graph; ``needs`` names the permissions
    an ``error`` result asks for when Graph refuses."""

    def run(context: CheckContext, evaluate: Evaluate) -> RuleResult:
        return judge_graph(context, needs, partial(evaluate, context))

    return _declare(rule_id, Category.ENTRA, permission, text, unless, run)


def checked_rule(
    category: Category, first: Callable[[CheckContext], object], *, usual: str
) -> Kind:
    """A decorator for the rules of ``category`` that all need ``first`` to hold (it raises
    :class:`posture.errors.Unseen` when it does not) before they judge; a rule needs the
    ``usual`` permission unless it names its own."""

    def run(context: CheckContext, evaluate: Evaluate) -> RuleResult:
        first(context)
        return evaluate(context)

    def kind(
        rule_id: str, *, permission: str | None = None, **text: Unpack[Text]
    ) -> Callable[[Evaluate], Evaluate]:
        return _declare(rule_id, category, permission or usual, text, None, run)

    return kind


#: The runtime rules on the app's environment: an empty one holds no secret, and saying so
#: would be a blind pass (:func:`posture.sources.env.require_loaded`).
environment_rule = checked_rule(
    Category.RUNTIME,
    lambda context: require_loaded(context.env),
    usual="none (the app's own environment)",
)
