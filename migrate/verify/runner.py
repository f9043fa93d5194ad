"""``verify(DIR)``: start the migrated app on the local stack and judge it.

The local stack's Storage refuses Shared Key and SAS as Azure does with shared-key access
off, its host runs identity-based connections only (a connection string is refused, by
name), and the posture checker's runtime rules judge the app's environment: no secret in
any setting, no credential to fall back to, every identity-based connection gets a token
its service accepts. A v1 app (function.json) cannot run on the local stack's host; its
settings files are judged by the same environment rules instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from migrate.errors import UsageError
from migrate.scan import jsonpos
from migrate.scan.settings import entries_of
from migrate.tree import SKIPPED_DIRS
from migrate.verify import stack as local_stack
from migrate.verify.outcome import Outcome

#: Runtime rules that judge settings alone (no token, no network).
ENV_RULES = ("RT-ENV-SECRETS", "RT-CRED-FALLBACK", "RT-CONN-KEYED", "RT-SAS-CLASSIFY")
#: Runtime rules that judge what only a deployment has, and why verify leaves them to it: the
#: posture checker reports them as failures when it cannot see (it never passes blind), so
#: they are not run here at all, and the outcome says where they are judged instead.
DEPLOYMENT_ONLY = {
    "RT-AUTH-PROBE": "judged on the deployed app (App Service Authentication is Azure's "
    "front end; verify runs the app without it): run the posture checker after deploying",
}
_APP_ENV = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


def find_app(path: Path) -> Path | None:
    """The directory holding function_app.py: ``path`` itself or the one below it."""
    if not path.is_dir():
        raise UsageError(f"{path} is not a directory: give the migrated app's directory")
    if (path / "function_app.py").exists():
        return path
    found = sorted(
        p.parent
        for p in path.rglob("function_app.py")
        if not any(part in SKIPPED_DIRS for part in p.relative_to(path).parts)
    )
    if len(found) > 1:
        names = ", ".join(str(p.relative_to(path)) for p in found[:4])
        raise UsageError(f"{path} holds several apps ({names}): give one app's directory")
    return found[0] if found else None


def verify(path: Path, *, timeout: float = 180.0) -> Outcome:
    app = find_app(path)
    if app is None:
        return _settings_only(path)
    outcome = Outcome(str(app), "stack")
    with tempfile.TemporaryDirectory(prefix="migrate-verify-") as state:
        started = local_stack.start(app, Path(state), timeout=timeout)
        try:
            if started.endpoints is None:
                tail = started.log_tail(60)
                reason = next((line for line in tail if "cannot start" in line), "") or next(
                    (line for line in reversed(tail) if line.strip()), ""
                )
                outcome.add("stack starts", False, reason or "the stack exited before it was ready")
                return outcome
            outcome.add("stack starts", True, "the host loaded the app on the local stack")
            _host_status(started.endpoints, outcome)
            _runtime_rules(started.endpoints, outcome)
        finally:
            started.stop()
    return outcome


def _host_status(endpoints: dict[str, Any], outcome: Outcome) -> None:
    base = str(endpoints["api"]).rsplit("/api", 1)[0]
    try:
        status = requests.get(f"{base}/admin/host/status", timeout=30).json()
    except (requests.RequestException, ValueError) as exc:
        outcome.add("host status", False, f"the host did not answer ({type(exc).__name__})")
        return
    errors = [str(e) for e in status.get("errors", [])]
    keyed = [e for e in errors if "connection '" in e]
    other = [e for e in errors if e not in keyed]
    if keyed:
        outcome.add("connections", False, "; ".join(keyed))
    else:
        outcome.add("connections", True, "no function was refused for its connection")
    if other:
        outcome.add("functions the local stack cannot run", None, "; ".join(other))


@contextmanager
def _as_app(env: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in _APP_ENV}
    os.environ.update({name: env[name] for name in _APP_ENV if name in env})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _runtime_rules(endpoints: dict[str, Any], outcome: Outcome) -> None:
    import json

    from azure.identity import ManagedIdentityCredential

    from posture.context import CheckContext
    from posture.model import Category, Status, all_rules
    from posture.runner import run_rules

    env: dict[str, str] = json.loads(Path(endpoints["app_env_file"]).read_text())
    with _as_app(env):
        context = CheckContext(
            env=env,
            credential=ManagedIdentityCredential(),
            client_options={"connection_verify": endpoints["ca_bundle"]},
        )
        rules = [
            r for r in all_rules() if r.category == Category.RUNTIME and r.id not in DEPLOYMENT_ONLY
        ]
        run = run_rules(context, rules=rules)
    for rule_id, reason in DEPLOYMENT_ONLY.items():
        outcome.add(f"posture {rule_id}", None, reason)
    for item in run.outcomes:
        status = item.result.status
        passed = None if status == Status.SKIPPED else status == Status.PASS
        outcome.add(f"posture {item.rule.id}", passed, item.result.message)


def _settings_only(path: Path) -> Outcome:
    from posture.context import CheckContext
    from posture.model import Status, get_rule
    from posture.runner import run_rules

    outcome = Outcome(str(path), "settings")
    outcome.add(
        "stack starts",
        None,
        "no function_app.py: a v1 app (function.json) does not run on "
        "the local stack's host; its settings are judged instead",
    )
    files = sorted(
        p
        for p in path.rglob("local.settings*.json*")
        if not any(part in SKIPPED_DIRS for part in p.relative_to(path).parts)
    )
    if not files:
        outcome.add("settings", None, "no local settings file to judge")
    for file in files:
        try:
            entries = entries_of(jsonpos.parse(file.read_text(encoding="utf-8")), file.name) or []
        except (ValueError, OSError):
            outcome.add(f"settings {file.relative_to(path)}", False, "not valid JSON")
            continue
        env = {e.name: e.value for e in entries}
        run = run_rules(CheckContext(env=env), rules=[get_rule(rule_id) for rule_id in ENV_RULES])
        for item in run.outcomes:
            status = item.result.status
            passed = None if status == Status.SKIPPED else status == Status.PASS
            outcome.add(
                f"{file.relative_to(path)}: posture {item.rule.id}", passed, item.result.message
            )
    return outcome
