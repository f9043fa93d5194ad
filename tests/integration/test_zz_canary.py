"""The leak canary: the partner key appears nowhere but in the vault.

Runs after the other integration tests (file order) on the same stack, whose
partner key was generated at random for this session; every version the
vault ever held is searched for, raw, base64 and URL-encoded, in the stack's
and the host's logs, every file under the state directory except the vault's
own store, every HTTP response the tests received, every queue message and
every blob.
"""

from __future__ import annotations

from tests.integration.test_jobs_pipeline import Api
from tests.support.canary import leaks, outputs, partner_keys
from tests.support.devstack import RunningStack


def test_partner_key_never_leaves_the_vault(stack: RunningStack) -> None:
    assert Api.recorded, "the pipeline tests recorded no HTTP response to search"
    searched = outputs(stack, Api.recorded)
    assert any(name.startswith("blob results/") for name in searched), "no result blob searched"
    assert leaks(partner_keys(stack), searched) == []
