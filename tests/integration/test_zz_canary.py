"""The leak canary: the partner key appears nowhere but in the vault, and no caller token or
its claims appear anywhere.

Runs after the other integration tests (file order) on the same stack, whose
partner key was generated at random for this session; every version the
vault ever held is searched for, raw, base64 and URL-encoded, in the stack's
and the host's logs, every file under the state directory except the vault's
own store, every HTTP response the tests received, every queue message and
every blob.
"""

from __future__ import annotations

from pathlib import Path

from devstack.runner import RunningStack
from tests.integration.test_jobs_pipeline import Api
from tests.support.canary import AUDIENCE_MARKER, leaks, outputs, partner_keys


def test_partner_key_never_leaves_the_vault(stack: RunningStack) -> None:
    assert Api.recorded, "the pipeline tests recorded no HTTP response to search"
    searched = outputs(stack, Api.recorded)
    assert any(name.startswith("blob results/") for name in searched), "no result blob searched"
    assert leaks(partner_keys(stack), searched) == []


def test_caller_tokens_and_their_claims_are_written_nowhere(stack: RunningStack) -> None:
    # Planted: every caller token of the session names the marker in its audience, and a
    # token written anywhere would be caught (raw, or by its decoded claims).
    assert AUDIENCE_MARKER in stack.endpoints["audience"]
    token = stack.caller_token("Jobs.Submit")
    assert leaks([AUDIENCE_MARKER], {"a token": token, "nothing": "x"}) == ["a token"]
    searched = outputs(stack, Api.recorded)
    # The stack's own statement of the audience it accepts is where the marker belongs.
    del searched[str(Path(stack.state_dir, "endpoints.json"))]
    assert leaks([AUDIENCE_MARKER], searched) == []
