"""The app's registered HTTP functions called in this process, as the Python worker calls them.

In Azure the Functions host serves HTTP and hands each request to the Python worker, which
calls the registered function with a ``func.HttpRequest``; what the app owns is that call.
:class:`InProcessHandler` makes it here: ``function_app`` loaded the way the host loads it
(``devstack.host.functions.load_function_app``), the function found through
``app.get_functions()``, called on this process's threads against the same stack.

The request carries what the host forwards: the caller's own headers, its bearer token
included (an app may check the token itself as well as trusting App Service
Authentication), and the ``X-MS-CLIENT-PRINCIPAL*`` headers App Service Authentication
adds, made by the devstack host's own emulation from the same token. Header names arrive
lower-cased, as the host converts them (devstack/host/httpconv.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.functions as func

from bench.load import JOB, LoadError
from devstack.host.auth import AuthSettings, EasyAuth
from devstack.host.functions import load_function_app
from devstack.runner import ROOT, RunningStack


def forwarded_headers(stack: RunningStack, token: str) -> dict[str, str]:
    """The headers the host hands the app for a ``POST /api/jobs`` made with ``requests``."""
    auth = EasyAuth(
        AuthSettings(
            issuer=str(stack.endpoints["issuer"]),
            audiences=(str(stack.endpoints["audience"]),),
            jwks_url=str(stack.endpoints["jwks"]),
        )
    )
    bearer = f"Bearer {token}"
    principal = auth.authenticate(bearer)
    headers = {
        "host": stack.api.split("//", 1)[1].split("/", 1)[0],
        "user-agent": "python-requests",
        "accept-encoding": "gzip, deflate",
        "accept": "*/*",
        "connection": "keep-alive",
        "authorization": bearer,
        "content-type": "application/json",
        "content-length": str(len(JOB)),
    }
    headers.update({name.lower(): value for name, value in principal.items()})
    return headers


def reset_app_state() -> None:
    """Forget the app's process-wide clients and settings (another stack's, or none yet)."""
    from shared import identity, partner, storage
    from shared.settings import get_settings

    partner.reset()
    storage.reset_clients()
    identity.reset_credential()
    get_settings.cache_clear()


_REGISTERED: dict[str, Callable[..., Any]] = {}


def registered_function(name: str) -> Callable[..., Any]:
    """The user function ``name`` of the app, loaded as the host loads it (a fresh import of
    function_app.py: an app indexes once, and another caller may have indexed the one
    imported already), once per process."""
    if not _REGISTERED:
        for function in load_function_app(ROOT).get_functions():
            _REGISTERED[function.get_function_name() or ""] = function.get_user_function()
    try:
        return _REGISTERED[name]
    except KeyError:
        raise LookupError(f"function_app registers no function named {name}") from None


class InProcessHandler:
    """``POST /api/jobs`` as the worker would run it: ``submit_job(func.HttpRequest)``."""

    def __init__(self, stack: RunningStack, token: str, *, function_name: str = "submit_job"):
        reset_app_state()  # the app's clients are built for this stack on first use
        self._function = registered_function(function_name)
        self._headers = forwarded_headers(stack, token)
        self._url = f"{stack.api}/jobs"

    def __call__(self, _: int) -> None:
        request = func.HttpRequest(
            method="POST", url=self._url, headers=self._headers, body=JOB, params={}
        )
        response = self._function(request)
        if response.status_code != 202:
            raise LoadError(f"submit_job answered {response.status_code}")

    def close(self) -> None:
        """Forget this stack: its spans are sent, and tracing stops before the stack does
        (an exporter left running would retry a stopped stack through the next cases)."""
        from shared.tracing import stop_tracing

        stop_tracing()
        reset_app_state()
