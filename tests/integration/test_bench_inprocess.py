"""The P4 benchmark's in-process handler works against the stack (bench/inprocess.py).

P4 calls ``submit_job`` in the benchmark's own process with the headers the host would
forward; if the app starts to need another header (its own check of the bearer token, say)
this test fails in ``make test``, not only in ``make bench``. The forwarded principal is
made by the devstack host's own App Service Authentication emulation from the same token.
"""

from __future__ import annotations

import pytest

from bench.inprocess import InProcessHandler, forwarded_headers
from bench.load import LoadError
from devstack.runner import RunningStack


@pytest.fixture
def as_the_app(stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in stack.app_env.items():
        monkeypatch.setenv(name, value)


def test_the_forwarded_headers_carry_the_token_and_the_principal(stack: RunningStack) -> None:
    token = stack.caller_token("Jobs.Submit")
    headers = forwarded_headers(stack, token)
    assert headers["authorization"] == f"Bearer {token}"
    assert headers["x-ms-client-principal-idp"] == "aad"
    assert headers["x-ms-client-principal"]
    assert all(name == name.lower() for name in headers)


@pytest.mark.usefixtures("as_the_app")
def test_the_handler_called_in_process_accepts_a_job(stack: RunningStack) -> None:
    handler = InProcessHandler(stack, stack.caller_token("Jobs.Submit"))
    try:
        handler(0)
        handler(1)
    finally:
        handler.close()


@pytest.mark.usefixtures("as_the_app")
def test_the_handler_refuses_a_caller_without_the_role(stack: RunningStack) -> None:
    handler = InProcessHandler(stack, stack.caller_token("Jobs.Read"))
    try:
        with pytest.raises(LoadError, match="403"):
            handler(0)
    finally:
        handler.close()
