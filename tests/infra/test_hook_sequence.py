"""The hooks as a sequence: ``azd up``, store the key, ``azd up``, ``azd down``, ``azd up``, as a
developer does it, and provision after provision from a fresh environment, as CI does it.

The real hook scripts run (under sh and under bash) against a fake azd environment store
and a fake Azure (tests/infra/azd_world.py plays azd's and ARM's parts and cites them). The
role assignments scoped to the partner secret can only be made once the secret exists: a
provision asked to make them in a vault without it is refused by ARM, and the whole ``azd up``
fails. The checks fail if any ``up`` would do that, or if a provision after the key was
stored would not grant.

Proven on generated broken copies of the scripts, in the shape they once had: the flag
remembered in the azd environment (set by the key script, never derived, not reset after
``azd down``) fails the developer's sequence on the second ``up`` after ``down``; a
preprovision that does not derive it never grants in CI.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra.azd_world import SECRET, World

DERIVE = re.compile(r"# --- 2\. does the partner key exist\?.*?(?=# --- 3\.)", re.S)


def developer_sequence(world: World) -> list[str]:
    """What goes wrong across up, key, up, down, up, key, up (empty: nothing). A refused
    ``up`` ends the sequence, as it ends ``azd up``."""
    if refused := world.up():
        return [f"first up: {r}" for r in refused]
    world.set_key()
    if refused := world.up():
        return [f"up after the key was stored: {r}" for r in refused]
    first_vault = world.env()["KEY_VAULT_NAME"]
    problems = []
    if (first_vault, SECRET) not in world.grants:
        problems.append(f"up after the key was stored granted nothing on {SECRET}")
    world.down()
    if refused := world.up():
        return [*problems, *(f"up after down: {r}" for r in refused)]
    second_vault = world.env()["KEY_VAULT_NAME"]
    if second_vault == first_vault:
        problems.append("up after down reused the purge-protected vault's name")
    world.set_key()
    if refused := world.up():
        return [*problems, *(f"up after the key was stored again: {r}" for r in refused)]
    if (second_vault, SECRET) not in world.grants:
        problems.append(f"up after the key was stored again granted nothing on {SECRET}")
    return problems


def ci_sequence(world: World) -> list[str]:
    """CI: every run starts from a fresh azd environment holding only the workflow's variables."""
    variables = {"KEY_VAULT_SALT": "c1c1c1c1"}
    world.reset_env(**variables)
    problems = [f"first run: {r}" for r in world.up()]
    vault = world.env()["KEY_VAULT_NAME"]
    world.ci = False  # a person stores the key, from their own environment
    world.set_key()
    world.ci = True
    world.reset_env(**variables)
    problems += [f"run after the key was stored: {r}" for r in world.up()]
    if (vault, SECRET) not in world.grants:
        problems.append(f"the run after the key was stored granted nothing on {SECRET}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_up_down_up_never_grants_on_a_missing_secret(tmp_path: Path, shell: str) -> None:
    world = World(tmp_path, shell=shell)
    assert developer_sequence(world) == []
    assert world.env()["PARTNER_KEY_EXISTS"] == "true"


@pytest.mark.slow
def test_postdown_forgets_the_key_at_once(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.up() == []
    world.set_key()
    assert world.up() == []
    world.down()
    assert world.env()["PARTNER_KEY_EXISTS"] == "false"


@pytest.mark.slow
def test_ci_grants_once_the_key_exists(tmp_path: Path) -> None:
    assert ci_sequence(World(tmp_path, ci=True)) == []


def test_the_hook_asks_arm_with_azds_token_on_stdin(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.up() == []
    calls = [c for c in world.calls() if c["tool"] == "curl"]
    token = (world.state / "token.txt").read_text()
    assert calls, "preprovision asked Azure nothing"
    for call in calls:
        assert token not in " ".join(call["args"]), "the token must never be an argument"
        assert call["stdin"] == f"Authorization: Bearer {token}\n"
        assert call["args"][-1].startswith("https://management.azure.com/subscriptions/")


@pytest.mark.slow
def test_an_unclear_answer_counts_as_no_key(tmp_path: Path) -> None:
    # Signed out of azd (or any answer but 200 and 404): the hook says so, and takes the key
    # as absent, which at worst delays the grants by one provision; a wrong "yes" would fail it.
    world = World(tmp_path)
    assert world.up() == []
    world.set_key()
    (world.state / "signed-out").touch()
    proc = world.run("hooks/preprovision.sh")
    assert "(HTTP 401)" in proc.stderr
    assert world.env()["PARTNER_KEY_EXISTS"] == "false"
    assert world.provision() == []


def remembered_flag(world: World) -> None:
    """Turn the world's copies of the scripts back into the shape that remembered the flag."""
    hooks, scripts = world.project / "infra" / "hooks", world.project / "infra" / "scripts"
    pre = (hooks / "preprovision.sh").read_text()
    assert DERIVE.search(pre), "the derivation block is gone"
    (hooks / "preprovision.sh").write_text(DERIVE.sub("", pre))
    down = (hooks / "postdown.sh").read_text()
    assert "azd env set PARTNER_KEY_EXISTS false\n" in down
    (hooks / "postdown.sh").write_text(down.replace("azd env set PARTNER_KEY_EXISTS false\n", ""))
    key = (scripts / "set-partner-key.sh").read_text()
    (scripts / "set-partner-key.sh").write_text(key + "azd env set PARTNER_KEY_EXISTS true\n")


def test_the_sequence_fails_when_the_flag_is_remembered(tmp_path: Path) -> None:
    world = World(tmp_path)
    remembered_flag(world)
    problems = developer_sequence(world)
    expected = "up after down: a role assignment on partner-api-key"
    assert any(p.startswith(expected) for p in problems), problems


def test_ci_fails_when_the_flag_is_not_derived(tmp_path: Path) -> None:
    world = World(tmp_path, ci=True)
    hook = world.project / "infra" / "hooks" / "preprovision.sh"
    hook.write_text(DERIVE.sub("", hook.read_text()))
    assert ci_sequence(world) == [f"the run after the key was stored granted nothing on {SECRET}"]
