"""P6: a full posture run over 1,000 settings and 200 vault secrets (goal: <= 2 s).

"Full" means every rule judges: the runtime and vault rules against the devstack, the
auth probe against the stack's host, and the control-plane, Entra and Logs rules against
a local TLS server, in a process of its own as the services would be, replaying the
recorded ARM, Resource Graph, Graph and Logs answers of tests/support/recordings/ (read
as data files), through the real SDK clients. The row
also gives the run with the cloud rules off, as on a bare devstack.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import socket
import statistics
import string
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trustme
import uvicorn
from azure.keyvault.secrets import SecretClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.report import Row
from bench.stats import Summary
from devstack.runner import ROOT
from posture.context import CheckContext
from posture.runner import Run, run_rules

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from bench.harness import Bench

SETTINGS = 1000
SECRETS = 200
RUNS = 5
RECORDINGS = ROOT / "tests" / "support" / "recordings"


def _name(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(3, 12)))


def _ordinary(rng: random.Random) -> str:
    """One value of the kinds app settings hold when nothing is wrong (no secret shape)."""
    guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    makers: list[Callable[[], str]] = [
        lambda: f"https://{_name(rng)}.{rng.choice(['blob', 'queue'])}.core.windows.net/",
        lambda: (
            f"https://{_name(rng)}.vault.azure.net/secrets/{_name(rng)}/{guid.replace('-', '')}"
        ),
        lambda: f"@Microsoft.KeyVault(SecretUri=https://{_name(rng)}.vault.azure.net/secrets/x/)",
        lambda: guid,
        lambda: base64.b64encode(rng.randbytes(rng.choice([16, 24, 32, 48]))).decode(),
        lambda: base64.b64encode(json.dumps({_name(rng): guid}).encode()).decode(),
        lambda: f"{rng.getrandbits(256):064x}",
        lambda: rng.choice(["0 0 3 * * *", "*/30 * * * * *", "~4", "3.11.7", "managedidentity"]),
        lambda: f"/home/site/wwwroot/{_name(rng)}/{_name(rng)}.py",
        lambda: f"Authorization=AAD;ClientId={guid}",
        lambda: json.dumps({"queue": _name(rng), "retries": rng.randint(1, 9)}),
    ]
    return rng.choice(makers)()


def _environment(rng: random.Random, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    values = [_ordinary(rng) for _ in range(1000)]
    while len(env) < SETTINGS:
        env[f"BENCH_SETTING_{len(env)}"] = values[len(env) % len(values)]
    return env


def _seed_secrets(vault_url: str, credential: TokenCredential) -> None:
    client = SecretClient(vault_url, credential)
    existing = sum(1 for _ in client.list_properties_of_secrets())

    def create(_: int) -> None:
        client.set_secret(f"bench-{uuid.uuid4().hex[:12]}", uuid.uuid4().hex)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(max(0, SECRETS - existing))))


class _Replay:
    """The recorded cloud answers, merged, on one loopback TLS server (as the services answer)."""

    def __init__(self, folder: Path) -> None:
        self.rows: dict[str, Any] = {}
        self.responses: dict[str, Any] = {}
        self.collections: dict[str, list[Any]] = {"applications": [], "servicePrincipals": []}
        self.facts: dict[str, str] = {}
        for path in sorted(RECORDINGS.glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            self.rows.update({row["id"]: row for row in doc.get("resource_graph") or []})
            self.responses.update(doc.get("responses") or {})
            for name, items in (doc.get("graph_collections") or {}).items():
                self.collections[name] += items
            self.facts.update({k: v for k, v in doc.items() if isinstance(v, str)})
        self.bundle = folder / "bundle.pem"  # the devstack's CA and this server's
        self.pem = folder / "replay.pem"
        self.origin = ""

    def make_certs(self) -> None:
        ca = trustme.CA()
        self.bundle.write_bytes(
            Path(os.environ["REQUESTS_CA_BUNDLE"]).read_bytes() + ca.cert_pem.bytes()
        )
        ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(self.pem))

    async def answer(self, request: Request) -> Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/Microsoft.ResourceGraph/resources"):
            rows = list(self.rows.values())
            page = {"totalRecords": len(rows), "count": len(rows), "resultTruncated": "false"}
            return JSONResponse({**page, "data": rows, "facets": []})
        if path.removeprefix("/v1.0/") in self.collections:
            return JSONResponse({"value": self.collections[path.removeprefix("/v1.0/")]})
        body = self.responses.get(f"{request.method} {path}")
        if body is None:
            return JSONResponse({"error": {"code": "NotFound", "message": "not recorded"}}, 404)
        if isinstance(body, list):
            body = body[int(request.query_params.get("$skiptoken") or 0)]
        text = json.dumps(body).replace("{origin}", self.origin)
        return Response(text, media_type="application/json")

    def settings(self, api: str) -> dict[str, str]:
        return {
            "POSTURE_SUBSCRIPTION_IDS": "6a1f0c4e-8a36-4b4e-9d55-2f0c7e1b9a10",
            "POSTURE_RESOURCE_GROUPS": "rg-app",
            "POSTURE_ARM_ENDPOINT": self.origin,
            "POSTURE_GRAPH_ENABLED": "true",
            "POSTURE_GRAPH_ENDPOINT": self.origin,
            "POSTURE_LOGS_ENDPOINT": self.origin,
            "POSTURE_LOG_WORKSPACE_ID": self.facts["workspace_id"],
            "POSTURE_NETWORK_MODE": "private",
            "POSTURE_WORKLOAD_ID_PREMIUM": "true",
            "POSTURE_ROTATION_PRINCIPAL_ID": self.facts["rotation_principal_id"],
            "POSTURE_AUTH_PROBE_URL": f"{api}/posture",  # the stack's api ends in /api
        }


def _replay_main(folder: str) -> None:
    """The replay server's own process (as the services are remote): prints its port, serves."""
    replay = _Replay(Path(folder))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    replay.origin = f"https://127.0.0.1:{sock.getsockname()[1]}"
    app = Starlette(routes=[Route("/{path:path}", replay.answer, methods=["GET", "POST"])])
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        ssl_certfile=str(replay.pem),
        timeout_graceful_shutdown=2,  # the rules' pooled connections stay open
    )
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def _start_replay(folder: Path) -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "-m", "bench.posture_case", str(folder)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # bound when it printed; listening once uvicorn runs
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return proc, port
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("the replay server did not start")


def _timed(env: dict[str, str], options: dict[str, Any]) -> tuple[list[float], Run]:
    run_rules(CheckContext(env=env, client_options=options))  # warm: tokens, connections
    runs = [run_rules(CheckContext(env=env, client_options=options)) for _ in range(RUNS)]
    return [r.duration_ms / 1000 for r in runs], runs[-1]


def run_posture_case(bench: Bench) -> Row:
    import tempfile

    stack = bench.stack
    _seed_secrets(stack.endpoints["vault"], bench.credential)
    bare, _ = _timed(_environment(random.Random(6)), {})
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as folder:
        replay = _Replay(Path(folder))
        replay.make_certs()
        proc, port = _start_replay(Path(folder))
        replay.origin = f"https://127.0.0.1:{port}"
        try:
            env = _environment(random.Random(6), replay.settings(stack.api))
            samples, last = _timed(env, {"connection_verify": str(replay.bundle)})
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a client's keep-alive held it open
                proc.kill()
                proc.wait()
    summary = Summary.of(samples)
    median = statistics.median(samples)
    statuses = Counter(o.result.status.value for o in last.outcomes)
    slowest = sorted(last.outcomes, key=lambda o: o.duration_ms, reverse=True)[:3]
    return Row(
        "P6",
        f"full posture run, {len(env)} settings and {SECRETS} vault secrets, "
        f"{len(last.outcomes)} rules",
        f"{median:.2f} s (median of {RUNS})",
        f"{statistics.median(bare):.2f} s (cloud rules off)",
        None,
        "<= 2 s",
        median <= 2.0,
        {
            "runs": asdict(summary),
            "bare_runs": asdict(Summary.of(bare)),
            "statuses": dict(statuses),
            "not_passing": {
                o.rule.id: o.result.status.value
                for o in last.outcomes
                if o.result.status.value != "pass"
            },
            "slowest_ms": {o.rule.id: o.duration_ms for o in slowest},
        },
    )


if __name__ == "__main__":
    _replay_main(sys.argv[1])
