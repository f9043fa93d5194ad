"""The whole stack run against another app directory, authentication off.

``python -m devstack up --app-dir DIR --no-auth`` (docs/devstack.md, "Running another
app"): the app's ``UseDevelopmentStorage=true`` becomes identity-based Azurite URIs, and
every caller is anonymous. Source for the connection form: identity-based connections
(learn.microsoft.com/azure/azure-functions/functions-reference, "Connecting to host
storage with an identity").
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
from pathlib import Path

import pytest
import requests

from devstack.runner import stop_process
from tests.conformance.conftest import APPS
from tests.support.processes import launch, stack_endpoints, wait_ready
from tests.support.waiting import eventually


@pytest.mark.slow
@pytest.mark.usefixtures("stacks")
def test_another_app_directory_without_authentication(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    shutil.copytree(APPS / "elsewhere", app_dir)
    settings = {
        "IsEncrypted": False,
        "Values": {"AzureWebJobsStorage": "UseDevelopmentStorage=true"},
    }
    (app_dir / "local.settings.json").write_text(json.dumps(settings))
    state = tmp_path / "state"
    argv = [
        sys.executable,
        "-m",
        "devstack",
        "--state-dir",
        str(state),
        "up",
        "--app-dir",
        str(app_dir),
        "--no-auth",
        "--memory",
        "--free-ports",
        "--no-banner",
    ]
    log_path = tmp_path / "stack.log"
    process = launch(argv, what="devstack up --app-dir", log_path=log_path)
    try:
        endpoints = wait_ready(
            process,
            stack_endpoints(state, process.pid),
            what="devstack up --app-dir",
            log_path=log_path,
            timeout=150,
        )
        api = endpoints["api"]
        assert requests.get(f"{api}/hello", timeout=10).text == "hello from elsewhere"
        assert requests.post(f"{api}/enqueue", data=b"anonymous", timeout=10).text == "queued"
        env = json.loads(Path(endpoints["app_env_file"]).read_text())
        assert "AzureWebJobsStorage" not in env
        assert env["AzureWebJobsStorage__queueServiceUri"] == endpoints["queue"]

        from azure.storage.queue import QueueClient

        from devstack.tokens import IssuerCredential, TokenIssuer

        issuer = TokenIssuer.load_or_create(Path(endpoints["signing_key"]))
        queue = QueueClient(
            endpoints["queue"],
            "elsewhere-out",
            credential=IssuerCredential(issuer),
            connection_verify=endpoints["ca_bundle"],
        )
        found = eventually(lambda: [m.content for m in queue.peek_messages(max_messages=5)])
        assert [base64.b64decode(m) for m in found] == [b"anonymous"]
        assert (
            "App Service Authentication emulation is OFF"
            in (state / "logs" / "host.log").read_text()
        )
    finally:
        stop_process(process)
