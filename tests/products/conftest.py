"""The products installed from a copy of the repository, and the devstack running another app.

``built``: one wheel, one fresh venv per product (tests/support/products.py). ``orders_stack``:
the installed ``devstack up`` on ``app/`` (a small app of another team) with a cache
directory of its own, so its first start installs Azurite as a team's would; it is started
as soon as a test asks for it and waited for only by the tests that call the app, so the
Azurite install runs while the other tests do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.runner import stop_process
from tests.support import products as p
from tests.support.marks import require_stack
from tests.support.waiting import eventually

APP = Path(__file__).resolve().parent / "app"
#: Loopback URLs on the devstack's default Storage ports: the stack moves them to its own.
ACCOUNT = "devstoreaccount1"
IDENTITY_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME": "python",
    **{
        f"{conn}__{service}ServiceUri": f"https://127.0.0.1:{port}/{ACCOUNT}"
        for conn in ("AzureWebJobsStorage", "ORDERS")
        for service, port in (("blob", 10000), ("queue", 10001), ("table", 10002))
    },
}
READY_TIMEOUT = 600.0


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[p.Built]:
    workdir = tmp_path_factory.mktemp("products")
    yield p.build(workdir)
    for venv in workdir.glob("venv-*"):  # a few hundred MB a run: pytest keeps three runs
        shutil.rmtree(venv, ignore_errors=True)


@dataclass
class OrdersStack:
    process: subprocess.Popen[bytes]
    devstack: p.Product
    state: Path
    cache: Path
    log: Path
    workdir: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def endpoints(self) -> dict[str, Any]:
        """The running stack's endpoints, once it is ready (the Azurite install comes first)."""
        path = self.state / "endpoints.json"

        def ready() -> bool:
            assert self.process.poll() is None, self.output()[-4000:]
            return path.is_file()

        eventually(ready, timeout=READY_TIMEOUT, interval=0.5)
        loaded: dict[str, Any] = eventually(lambda: _json(path), timeout=30)
        return loaded

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The installed ``devstack`` command, on this stack's state directory."""
        argv = [str(self.devstack.bin / "devstack"), "--state-dir", str(self.state), *args]
        return p.run(argv, cwd=self.workdir)


def _json(path: Path) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
    except ValueError:
        return None  # being written
    return loaded


@pytest.fixture(scope="session")
def orders_stack(built: p.Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrdersStack]:
    workdir = tmp_path_factory.mktemp("orders")
    app = workdir / "app"
    shutil.copytree(APP, app)
    (app / "local.settings.json").write_text(
        json.dumps({"IsEncrypted": False, "Values": IDENTITY_SETTINGS})
    )
    devstack = built.products["devstack"]
    cache, state, log = workdir / "cache", workdir / "state", workdir / "stack.log"
    require_stack("the installed devstack")
    argv = [str(devstack.bin / "devstack"), "--state-dir", str(state), "up"]
    argv += ["--app-dir", str(app), "--memory", "--free-ports", "--no-banner"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=workdir,
            env=p.clean_env(XDG_CACHE_HOME=str(cache)),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield OrdersStack(process, devstack, state, cache, log, workdir)
    finally:
        stop_process(process)
        shutil.rmtree(cache, ignore_errors=True)  # Azurite's node_modules: about 190 MB
