"""ARM, Graph and the Logs API on one local TLS stub, and the real clients pointed at it.

The control-plane, Entra and telemetry rules run unchanged: the SDK clients and Graph
calls get the stub's address from the same settings that name another cloud's endpoints
(``POSTURE_ARM_ENDPOINT``, ``POSTURE_GRAPH_ENDPOINT``, ``POSTURE_LOGS_ENDPOINT``), tokens from
the devstack's issuer, and trust the stub's certificate through ``connection_verify``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import trustme

from devstack.tokens import IssuerCredential, TokenIssuer
from posture.context import CheckContext
from posture.model import RuleResult, get_rule
from posture.runner import run_rules
from tests.support.arm_stub import CloudModel, create_cloud_stub
from tests.support.servers import Switch, serve

SUB = "6a1f0c4e-8a36-4b4e-9d55-2f0c7e1b9a10"


@functools.cache
def stub_issuer() -> TokenIssuer:
    """One signing key for every stub's tokens in a session. The stubs never check a token's
    signature, and an RSA key costs a fifth of a second to make: more than most rule tests."""
    return TokenIssuer.generate()


class StubCloud:
    """One stub server per plane (ARM and Logs share one); ``use`` swaps what they answer."""

    def __init__(self, arm: str, graph: str, ca: Path, switches: tuple[Switch, Switch]) -> None:
        self.arm, self.graph, self.ca = arm, graph, ca
        self._switches = switches
        self.model = CloudModel()

    def use(self, cloud_model: CloudModel) -> CloudModel:
        self.model = cloud_model
        self._switches[0].app = create_cloud_stub(cloud_model, self.arm)
        self._switches[1].app = create_cloud_stub(cloud_model, self.graph)
        return cloud_model

    def context(self, **env: str) -> CheckContext:
        base = {
            "POSTURE_SUBSCRIPTION_IDS": SUB,
            "POSTURE_RESOURCE_GROUPS": "rg-app",
            "POSTURE_ARM_ENDPOINT": self.arm,
            "POSTURE_LOGS_ENDPOINT": self.arm,
            "POSTURE_GRAPH_ENABLED": "true",
            "POSTURE_GRAPH_ENDPOINT": self.graph,
        }
        return CheckContext(
            env={**base, **env},
            credential=IssuerCredential(stub_issuer()),
            client_options={"connection_verify": str(self.ca)},
        )

    def evaluate(self, *rule_ids: str, **env: str) -> dict[str, RuleResult]:
        run = run_rules(self.context(**env), rules=[get_rule(r) for r in rule_ids])
        return {o.rule.id: o.result for o in run.outcomes}

    def requests(self, fragment: str) -> list[dict[str, Any]]:
        return [r for r in self.model.requests if fragment in str(r["path"])]


@contextlib.contextmanager
def stub_cloud(folder: Path) -> Iterator[StubCloud]:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(folder / "srv.pem"))
    arm_switch, graph_switch = Switch(), Switch()
    with (
        serve(arm_switch, certfile=folder / "srv.pem") as (arm, _),
        serve(graph_switch, certfile=folder / "srv.pem") as (graph, _),
    ):
        yield StubCloud(arm, graph, folder / "ca.pem", (arm_switch, graph_switch))
