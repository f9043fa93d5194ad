"""Judging resources in scope: one function every control-plane rule goes through.

A resource rule asks three things, always the same way: which resources of the judged
types the scope shows, which of them are at fault (one evidence item per resource and
property), and whether the app names one the scope does not show. The last answer keeps
a blind rule from passing: a storage account the app's settings point at and Resource
Graph does not list makes the rule ``unknown``, naming the setting, unless something in
sight already fails. :func:`judge` holds that logic once, for the property table
(:mod:`posture.rules.properties`) and for the rules that need code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from posture.context import CheckContext
from posture.errors import GraphError, Unseen
from posture.model import Evidence, RuleResult
from posture.sources import arm
from posture.sources.arm import ArmResource
from shared.settings import POSTURE_GRAPH_ENABLED

READER: Final = "Reader on the subscriptions (or resource groups) of POSTURE_SUBSCRIPTION_IDS"
GRAPH_APPS: Final = "Graph application permission Application.Read.All"
GRAPH_POLICY: Final = "Graph application permission Policy.Read.All"
GRAPH_OFF: Final = f"Microsoft Graph rules are off ({POSTURE_GRAPH_ENABLED.name} is not true)"
Check = Callable[[ArmResource], Iterable[tuple[str, Any]]]
#: Every APP-* rule judges the apps and their deployment slots alike.
APPS: Final = (arm.SITE, arm.SITE_SLOT)
_OLD_TLS: Final = ("TLS1_0", "TLS1_1", "1.0", "1.1")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.replace(" ", "").lower() == b.replace(" ", "").lower()
    return a is b if isinstance(a, bool) or isinstance(b, bool) else bool(a == b)


@dataclass(frozen=True, slots=True)
class Prop:
    """One property a resource must hold: accepted values, refused values, and what Azure
    reads an unset property as (``allowSharedKeyAccess`` unset allows shared keys)."""

    path: str
    want: tuple[Any, ...] = ()
    refuse: tuple[Any, ...] = ()
    unset: Any = None

    def problem(self, resource: ArmResource) -> tuple[str, Any] | None:
        raw = resource.prop(self.path)
        value = self.unset if raw is None else raw
        if self.want and not any(_same(value, w) for w in self.want):
            return (self.path, raw)
        if any(_same(value, r) for r in self.refuse):
            return (self.path, raw)
        return None


@dataclass(frozen=True, slots=True)
class Scope:
    """What one rule judges: resource types, a name for them, whether the scope must hold
    one (every Functions deployment has a site and a storage account)."""

    types: tuple[str, ...]
    what: str
    required: bool = False
    applies: Callable[[ArmResource], bool] = field(default=lambda r: True)


#: Every app and slot: a Functions deployment always has one.
ALL_APPS: Final = Scope(APPS, "app(s)", required=True)
VAULTS: Final = Scope((arm.KEY_VAULT,), "vault(s)")


def _evidence(resource: ArmResource, prop: str, value: Any) -> Evidence:
    return {
        "resource": resource.name,
        "resource_id": resource.id,
        "resource_group": resource.resource_group,
        "type": resource.type,
        "property": prop,
        "value": None if value is None else str(value),
    }


def judge(context: CheckContext, scope: Scope, check: Check) -> RuleResult:
    """Fail with one evidence item per (resource, property) ``check`` objects to; ``unknown``
    when nothing fails and the scope lacks a resource the rule needs to see."""
    resources = [r for t in scope.types for r in arm.of_type(context, t) if scope.applies(r)]
    unseen: list[Evidence] = [
        {"setting": c.setting, "resource": c.name, "type": " or ".join(c.types),
         "problem": "named by the app's settings, not in scope", "unseen": True}
        for c in arm.unseen_connections(context, scope.types)
    ]  # fmt: skip
    found = [_evidence(r, prop, value) for r in resources for prop, value in check(r)]
    if found:
        names = sorted({str(e["resource"]) for e in found})
        return RuleResult.failed(
            f"{len(names)} {scope.what} at fault: {', '.join(names)}", [*found, *unseen]
        )
    if unseen:
        listed = ", ".join(f"{e['resource']} ({e['setting']})" for e in unseen)
        return RuleResult.unknown(
            f"{scope.what} the app connects to are not in scope: {listed}; widen "
            "POSTURE_RESOURCE_GROUPS or grant Reader where they live",
            unseen,
        )
    if not resources:
        if scope.required:
            raise Unseen(f"no {scope.what} in scope: a Functions deployment always has one")
        return RuleResult.passed(f"no {scope.what} in scope")
    return RuleResult.passed(f"{len(resources)} {scope.what} checked, none at fault")


def old_tls(value: Any) -> bool:
    """An unset or pre-1.2 TLS minimum (Storage spells it TLS1_2, App Service 1.2)."""
    return value is None or str(value) in _OLD_TLS


def judge_graph(context: CheckContext, needs: str, judge: Callable[[], RuleResult]) -> RuleResult:
    """Run a Graph rule: ``unknown`` while Graph is off, ``error`` naming the permission
    ``needs`` when Graph refuses or fails."""
    if not context.value(POSTURE_GRAPH_ENABLED):
        raise Unseen(f"{GRAPH_OFF}: grant the Graph permissions, then set it to true")
    try:
        return judge()
    except GraphError as exc:
        return RuleResult.error(f"{exc} (needs {needs})")
