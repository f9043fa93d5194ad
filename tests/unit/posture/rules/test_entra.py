"""ENT-APP-SECRETS and ENT-CRED-EXPIRY on what a tenant can hide: symmetric keys, an unreadable
policy, a Graph that shows nothing. Same stub and models as test_controlplane_entra.py."""

from __future__ import annotations

from typing import Any

from posture.model import Status
from tests.support.arm_stub import CloudModel, create_cloud_stub
from tests.support.cloud import StubCloud
from tests.support.cloud_model import entra_app, model, password_credential

RULES = ("ENT-APP-SECRETS", "ENT-CRED-EXPIRY")


def test_a_symmetric_key_is_a_client_secret_by_another_name(stub: StubCloud) -> None:
    """keyCredential ``type`` Symmetric (Graph keyCredential resource type: AsymmetricX509Cert,
    X509CertAndPassword, Symmetric) is a shared secret, judged as one."""
    clean = model()
    clean.applications = [entra_app("app-clean", [])]
    clean.service_principals = [entra_app("sp-clean", [])]
    symmetric = {**password_credential(100), "type": "Symmetric", "usage": "Verify"}
    clean.applications.append(entra_app("app-symmetric", [], keys=[symmetric]))
    stub.use(clean)
    result = stub.evaluate(*RULES)["ENT-APP-SECRETS"]
    assert result.status is Status.FAIL
    assert [(e["owner"], e["kind"]) for e in result.evidence] == [("app-symmetric", "symmetric")]


def test_expiry_without_policy_read_is_unknown_not_a_pass(stub: StubCloud) -> None:
    """Without Policy.Read.All the lifetime bound cannot be read: a 2-year secret must not
    pass just because its policy was unreadable."""
    quiet = model()
    quiet.applications = [entra_app("app-long", [password_credential(200, lifetime_days=730)])]
    quiet.service_principals = [entra_app("sp-clean", [])]
    stub.use(quiet)
    original = create_cloud_stub

    def refuse_policy(model_: CloudModel, origin: str) -> Any:
        app = original(model_, origin)

        async def guarded(scope: Any, receive: Any, send: Any) -> None:
            if scope.get("path") == "/v1.0/policies/defaultAppManagementPolicy":
                from starlette.responses import JSONResponse

                await JSONResponse({"error": {"code": "Authorization_RequestDenied"}}, 403)(
                    scope, receive, send
                )
                return
            await app(scope, receive, send)

        return guarded

    stub._switches[1].app = refuse_policy(quiet, stub.graph)
    result = stub.evaluate(*RULES)["ENT-CRED-EXPIRY"]
    assert result.status is Status.UNKNOWN
    assert "lifetimes were not judged" in result.message
    assert "HTTP 403" in result.message
    assert "Policy.Read.All" in result.message


def test_a_tenant_graph_shows_nothing_of_is_unknown(stub: StubCloud) -> None:
    empty = model()
    empty.applications, empty.service_principals = [], []
    stub.use(empty)
    results = stub.evaluate(*RULES)
    for rule_id in ("ENT-APP-SECRETS", "ENT-CRED-EXPIRY"):
        assert results[rule_id].status is Status.UNKNOWN, rule_id
        assert "listed no application and no service principal" in results[rule_id].message
