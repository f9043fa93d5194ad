"""verify on the local stack: every v2 public app, once fixed, starts with no key and passes
the posture runtime rules; an app that still needs a key fails, naming the connection; a v1
app's settings are judged without a host. Each test but the last starts a stack of its own
(``python -m devstack up``, by migrate's verify: so they request ``stacks``, and are slow)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from migrate.fix.runner import fix
from migrate.verify.runner import DEPLOYMENT_ONLY, verify
from tests.support import migrate_fixtures as mf
from tests.support import secret_shapes

V2 = [
    name
    for name in mf.names()
    if json.loads((mf.FIXTURES / name / "expected.json").read_text())["model"] == "v2"
]


@pytest.mark.slow
@pytest.mark.usefixtures("stacks")
@pytest.mark.parametrize("name", V2)
def test_every_fixed_v2_app_runs_with_no_secret_and_passes_the_runtime_rules(
    name: str, tmp_path: Path
) -> None:
    app = mf.materialize(name, tmp_path / "in")
    fix(app.app_dir, tmp_path / "out")
    outcome = verify(tmp_path / "out")
    assert outcome.mode == "stack"
    assert outcome.passed, outcome.render()
    names = {c.name: c.passed for c in outcome.checks}
    assert names["stack starts"]
    assert names["connections"]
    assert names["posture RT-ENV-SECRETS"]
    assert names["posture RT-CONN-KEYED"]
    assert names["posture RT-CONN-TOKEN"], "no identity-based connection was proven with a token"
    # Left to the deployment, and said so: the checker reports what it cannot see as failed.
    assert names["posture RT-AUTH-PROBE"] is None


def test_what_verify_leaves_to_the_deployment_is_a_runtime_rule_of_the_checker() -> None:
    from posture.model import Category, get_rule

    assert DEPLOYMENT_ONLY
    for rule_id in DEPLOYMENT_ONLY:
        assert get_rule(rule_id).category == Category.RUNTIME


@pytest.mark.slow
@pytest.mark.usefixtures("stacks")
def test_a_binding_without_identity_settings_fails_naming_its_connection(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "function_app.py").write_text(
        "import azure.functions as func\n\napp = func.FunctionApp()\n\n\n"
        '@app.queue_trigger(arg_name="msg", queue_name="orders", connection="Orders")\n'
        "def orders(msg: func.QueueMessage) -> None:\n    pass\n"
    )
    outcome = verify(app)
    assert not outcome.passed
    failing = [c for c in outcome.checks if c.passed is False]
    assert [c.name for c in failing] == ["connections"]
    assert "'Orders'" in failing[0].detail


@pytest.mark.slow
@pytest.mark.usefixtures("stacks")
def test_a_keyed_connection_string_stops_the_app_naming_the_setting(tmp_path: Path) -> None:
    app = mf.materialize("uptime-monitor", tmp_path / "in")
    fix(app.app_dir, tmp_path / "out")
    planted = secret_shapes.storage_connection_string_planted(random.Random(3))
    settings = {"IsEncrypted": False, "Values": {"AzureWebJobsStorage": planted.text}}
    (tmp_path / "out" / "local.settings.json").write_text(json.dumps(settings))
    outcome = verify(tmp_path / "out")
    assert not outcome.passed
    assert outcome.checks[0].name == "stack starts"
    assert outcome.checks[0].passed is False
    assert "AzureWebJobsStorage" in outcome.checks[0].detail
    assert planted.value not in outcome.render()


def test_a_v1_app_is_judged_on_its_settings(tmp_path: Path) -> None:
    app = mf.materialize("yokawasa-v2functions", tmp_path / "in")
    fix(app.app_dir, tmp_path / "out")
    outcome = verify(tmp_path / "out")
    assert outcome.mode == "settings"
    assert outcome.passed, outcome.render()
    judged = [c.name for c in outcome.checks if c.passed]
    assert "local.settings.json.sample: posture RT-ENV-SECRETS" in judged
    before = verify(app.app_dir)  # the input itself fails the same rules
    assert not before.passed
    assert any("RT-CONN-KEYED" in c.name and c.passed is False for c in before.checks)
