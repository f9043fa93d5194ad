"""What ``verify`` found, as lines a person reads: one per check, then the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool | None  # None: not applicable (skipped), never a failure
    detail: str


@dataclass(slots=True)
class Outcome:
    app: str
    mode: str  # "stack" (the host ran) or "settings" (v1: the settings were judged)
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, passed: bool | None, detail: str) -> None:
        self.checks.append(Check(name, passed, detail))

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed is not False for c in self.checks)

    def render(self) -> str:
        marks = {True: "pass", False: "FAIL", None: "skip"}
        lines = [
            f"migrate verify: {self.app} "
            f"({'on the local stack' if self.mode == 'stack' else 'settings only'})"
        ]
        lines += [f"  {marks[c.passed]:4}  {c.name}: {c.detail}" for c in self.checks]
        verdict = "passed" if self.passed else "FAILED"
        lines.append(
            f"verify {verdict}: {sum(c.passed is False for c in self.checks)} failing check(s)"
        )
        return "\n".join(lines) + "\n"
