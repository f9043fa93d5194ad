"""An editor attached to the devstack host stops at a breakpoint in a blueprint.

What VS Code's ``attach`` configuration in .vscode/launch.json does, done by a small Debug
Adapter Protocol client (:mod:`tests.conformance.dap`): attach to the host started with
``--debug-port`` (``devstack up --debug-host``), set a breakpoint in the app's blueprint
module, call the route, see the ``stopped`` event at that line, continue, get the answer.
Sequence: microsoft.github.io/debug-adapter-protocol/overview ("Initialization": initialize,
attach, the ``initialized`` event, setBreakpoints, configurationDone).
"""

from __future__ import annotations

import threading
from pathlib import Path

import requests

from devstack.ports import free_port
from devstack.runner import RunningStack
from tests.conformance.conftest import APPS, app_host
from tests.conformance.dap import attached

BLUEPRINT = APPS / "debugging" / "greeting_blueprint.py"


def test_a_breakpoint_in_a_blueprint_is_hit(stack: RunningStack, tmp_path: Path) -> None:
    line = next(
        number
        for number, text in enumerate(BLUEPRINT.read_text().splitlines(), start=1)
        if text.endswith("# breakpoint here")
    )
    port = free_port()
    with (
        app_host(stack, tmp_path, "debugging", extra_args=("--debug-port", str(port))) as host,
        attached(port) as dap,
    ):
        assert f"Debugger listening on 127.0.0.1:{port}" in host.log_text()
        attach = dap.send("attach", {"justMyCode": True})
        dap.event("initialized")
        placed = dap.request(
            "setBreakpoints",
            {"source": {"path": str(BLUEPRINT)}, "breakpoints": [{"line": line}]},
        )
        assert placed["body"]["breakpoints"][0]["verified"] is True
        dap.request("configurationDone")
        dap.response(attach)

        answers: list[requests.Response] = []
        call = threading.Thread(
            target=lambda: answers.append(
                requests.get(host.url("/api/greet"), params={"name": "dap"}, timeout=120)
            )
        )
        call.start()
        stopped = dap.event("stopped", timeout=60)
        assert stopped["body"]["reason"] == "breakpoint"
        thread = stopped["body"]["threadId"]
        frames = dap.request("stackTrace", {"threadId": thread})["body"]["stackFrames"]
        assert (Path(frames[0]["source"]["path"]), frames[0]["line"]) == (BLUEPRINT, line)
        assert frames[0]["name"] == "greet"
        assert not answers  # the request waits at the breakpoint
        dap.request("continue", {"threadId": thread})
        call.join(120)
    assert [(a.status_code, a.text) for a in answers] == [(200, "hello dap")]
