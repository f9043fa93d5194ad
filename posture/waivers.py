"""Waivers: a checked-in file that accepts a known finding or gap, with a reason, an owner
and an expiry.

The file is TOML (``posture-waivers.toml``), one ``[[waiver]]`` table per waiver::

    [[waiver]]
    rule = "DEF-PLANS"          # a rule id, or a pattern such as "ENT-*"
    scope = "*"                 # what it covers: "*" (the whole rule, gaps included), or a
                                # pattern matched against a finding's resource, resource id,
                                # setting, secret, app, deployment, table, subscription or owner
    reason = "Defender is bought by the platform team for the whole tenant"
    owner = "platform-security@example.org"
    expires = 2026-09-30        # a date; the waiver stops applying after it

The anchors are PSRule's suppression groups (rules, a selector, ``expiresOn``) and prowler's
mutelist (checks, resources, a reason). A waived finding is never hidden: every format
shows it, with its waiver, and only the gate stops counting it. An expired waiver fails
the gate whether or not it still matches anything: a decision with a date is reviewed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Final

from posture.errors import WaiverError

DEFAULT_FILE: Final = "posture-waivers.toml"
FIELDS: Final = ("rule", "scope", "reason", "owner", "expires")
#: Evidence keys that name what a finding is about, in the order a waiver's scope tries them.
SUBJECT_KEYS: Final = (
    "resource_id",
    "resource",
    "setting",
    "secret",
    "app",
    "deployment",
    "table",
    "subscription",
    "owner",
    "service_principal",
)


@dataclass(frozen=True, slots=True)
class Waiver:
    rule: str
    scope: str
    reason: str
    owner: str
    expires: date

    def expired(self, today: date) -> bool:
        return today > self.expires

    def covers_rule(self, rule_id: str) -> bool:
        return fnmatchcase(rule_id.upper(), self.rule.upper())

    def covers(self, evidence: Mapping[str, Any]) -> bool:
        """Whether this waiver's scope names the subject of one evidence item."""
        if self.scope == "*":
            return True
        subjects = [str(evidence[k]) for k in SUBJECT_KEYS if evidence.get(k) is not None]
        return any(fnmatchcase(s.lower(), self.scope.lower()) for s in subjects)

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "scope": self.scope,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
        }


def _expiry(where: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise WaiverError(
            f"{where}: expires must be a date (expires = 2026-09-30), not {value!r}"
        ) from None


def parse(text: str, *, source: str, rule_ids: Iterable[str]) -> tuple[Waiver, ...]:
    """The waivers of a file's text; :class:`WaiverError` names the first bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WaiverError(f"{source} is not valid TOML ({exc}): fix its syntax") from None
    unknown_keys = sorted(set(data) - {"waiver"})
    if unknown_keys:
        raise WaiverError(
            f"{source}: unexpected table {unknown_keys[0]!r}; waivers are [[waiver]] tables"
        )
    known = list(rule_ids)
    found: list[Waiver] = []
    for index, entry in enumerate(data.get("waiver") or [], start=1):
        where = f"{source}, waiver {index}"
        missing = [f for f in FIELDS if not str(entry.get(f) or "").strip()]
        if missing:
            raise WaiverError(
                f"{where}: {', '.join(missing)} missing; every waiver names "
                "rule, scope, reason, owner and expires"
            )
        extra = sorted(set(entry) - set(FIELDS))
        if extra:
            raise WaiverError(
                f"{where}: unexpected field {extra[0]!r} (fields: {', '.join(FIELDS)})"
            )
        rule = str(entry["rule"]).strip()
        if not any(fnmatchcase(r.upper(), rule.upper()) for r in known):
            raise WaiverError(f"{where}: rule {rule} matches no rule; use a rule id of the report")
        found.append(
            Waiver(
                rule=rule,
                scope=str(entry["scope"]).strip(),
                reason=str(entry["reason"]).strip(),
                owner=str(entry["owner"]).strip(),
                expires=_expiry(where, entry["expires"]),
            )
        )
    return tuple(found)


def load(path: Path, *, rule_ids: Iterable[str]) -> tuple[Waiver, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WaiverError(f"{path} cannot be read ({type(exc).__name__}): check the path") from None
    return parse(text, source=str(path), rule_ids=rule_ids)
