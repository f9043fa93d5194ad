"""The host's admin API, the part a developer uses locally.

``POST /admin/functions/{name}`` with ``{"input": "..."}`` runs a non-HTTP function
once, in the background, and answers ``202 Accepted`` (``404`` for a function the host
does not have, ``400`` for a body that is not a JSON object). The input is what the
trigger would carry: a queue message's text, a blob's ``container/name`` path; a timer
ignores it. Disabled functions can be run this way, as in Azure. Azure wants the master
key for this route; the devstack puts App Service Authentication in front instead.

``GET /admin/host/status`` reports the host's id, state and uptime, and, as ``errors``,
every function the devstack host refused to load.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstack.host.functions import HTTP_TRIGGER, IndexedFunction, Refusal
from devstack.host.invocation import InvocationError, Invoker, TriggerValue

logger = logging.getLogger("devstack.host")

ADMIN_REASON = "This function was programmatically called via the host APIs."
ManualTrigger = Callable[[IndexedFunction, str], TriggerValue]


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class AdminApi:
    def __init__(
        self,
        *,
        host_id: str,
        functions: list[IndexedFunction],
        refusals: list[Refusal],
        invoker: Invoker,
        manual_triggers: dict[str, ManualTrigger],
    ) -> None:
        self.host_id = host_id
        self.functions = {f.name.lower(): f for f in functions}
        self.refusals = refusals
        self.invoker = invoker
        self.manual_triggers = manual_triggers
        self.started = time.monotonic()

    async def handle(self, request: Request) -> Response:
        parts = [part for part in request.url.path.split("/") if part]
        if parts == ["admin", "host", "status"] and request.method == "GET":
            return self._status()
        if len(parts) == 3 and parts[:2] == ["admin", "functions"] and request.method == "POST":
            return await self._invoke(parts[2], request)
        return Response(status_code=404)

    def _status(self) -> Response:
        status: dict[str, Any] = {
            "id": self.host_id,
            "state": "Running",
            "version": "devstack",
            "versionDetails": f"devstack host, azure-functions {version('azure-functions')}",
            "processUptime": int((time.monotonic() - self.started) * 1000),
            "functionAppContentEditingState": "Unknown",
        }
        if self.refusals:
            status["errors"] = [refusal.line() for refusal in self.refusals]
        return JSONResponse(status)

    async def _invoke(self, name: str, request: Request) -> Response:
        function = self.functions.get(name.lower())
        if function is None:
            return _error(404, "not_found", f"no function named {name!r} is loaded")
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "invalid_body", 'send a JSON object such as {"input": "..."}')
        raw = next((v for k, v in body.items() if str(k).lower() == "input"), None)
        text = "" if raw is None else raw if isinstance(raw, str) else json.dumps(raw)
        if function.trigger_type == HTTP_TRIGGER:
            return _error(400, "http_function", "call an HTTP function through its route")
        build = self.manual_triggers.get(function.trigger_type)
        if build is None:
            return _error(400, "unsupported", f"{function.trigger_type} cannot be run by hand")
        threading.Thread(
            target=self._run, args=(function, build, text), name=f"admin-{name}", daemon=True
        ).start()
        return Response(status_code=202)

    def _run(self, function: IndexedFunction, build: ManualTrigger, text: str) -> None:
        try:
            self.invoker.run(function, build(function, text), reason=ADMIN_REASON)
        except InvocationError:
            pass  # already logged as a failed invocation
        except Exception:
            logger.exception("Functions.%s could not be run by hand", function.name)
