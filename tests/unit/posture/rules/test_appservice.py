"""APP-AUTH, APP-FUNC-AUTH and RT-AUTH-PROBE against recorded App Service answers.

The recording (tests/support/recordings/appservice.json) has the shape of the Web Apps
API 2022-03-01: "Get Auth Settings V2 Without Secrets" (GET ``config/authsettingsV2``;
learn.microsoft.com/rest/api/appservice/web-apps/get-auth-settings-v2-without-secrets)
and "List Functions" (``functions``, paged with ``nextLink``), fields as the azure-mgmt-web
models SiteAuthSettingsV2 / GlobalValidation / AzureActiveDirectoryRegistration and
FunctionEnvelope name them. It passes; each failure changes one field of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from blueprints.http.errors import ApiError, Forbidden, Unauthenticated
from posture.model import Status
from tests.support import recordings
from tests.support.cloud import StubCloud
from tests.support.servers import Switch, serve

REC = recordings.load("appservice")
SITE = next(r["id"] for r in REC["resource_graph"] if r["name"] == "func-app")
SLOT = next(r["id"] for r in REC["resource_graph"] if r["name"] == "func-app/staging")
AUTH = f"GET {SITE}/config/authsettingsV2"
SLOT_AUTH = f"GET {SLOT}/config/authsettingsV2"
ENTRA = ["properties", "identityProviders", "azureActiveDirectory"]


def _judge(stub: StubCloud, recording: dict[str, Any], rule_id: str = "APP-AUTH") -> Any:
    stub.use(recordings.model(recording))
    return stub.evaluate(rule_id)[rule_id]


def test_the_recorded_app_and_slot_pass_and_only_the_secretless_variant_is_read(
    stub: StubCloud,
) -> None:
    result = _judge(stub, REC)
    assert result.status is Status.PASS, result
    assert "2 app(s) checked" in result.message  # the app and its slot
    paths = {r["path"] for r in stub.requests("authsettingsV2")}
    assert paths == {f"{SITE}/config/authsettingsV2", f"{SLOT}/config/authsettingsV2"}
    assert not any(str(p).endswith("/list") for p in paths)
    assert all(r["method"] == "GET" for r in stub.requests("authsettingsV2"))


AUTH_BREAKS = [
    ("auth off", ["properties", "platform", "enabled"], False, "platform.enabled"),
    ("not required", ["properties", "globalValidation", "requireAuthentication"], False,
     "globalValidation.requireAuthentication"),
    ("anonymous allowed", ["properties", "globalValidation", "unauthenticatedClientAction"],
     "AllowAnonymous", "globalValidation.unauthenticatedClientAction"),
    ("redirect to login", ["properties", "globalValidation", "unauthenticatedClientAction"],
     "RedirectToLoginPage", "globalValidation.unauthenticatedClientAction"),
    ("path left open", ["properties", "globalValidation", "excludedPaths"],
     ["/api/health", "/api/jobs"], "globalValidation.excludedPaths"),
    ("another provider on", ["properties", "identityProviders", "gitHub"],
     {"enabled": True, "registration": {"clientId": "Iv1.0"}}, "identityProviders.gitHub.enabled"),
    ("another tenant", [*ENTRA, "registration", "openIdIssuer"],
     "https://login.microsoftonline.com/0f0f0f0f-0000-4000-8000-00000000beef/v2.0",
     "azureActiveDirectory.registration.openIdIssuer"),
    ("no audience", [*ENTRA, "validation", "allowedAudiences"], [],
     "azureActiveDirectory.validation.allowedAudiences"),
    ("client secret setting", [*ENTRA, "registration", "clientSecretSettingName"],
     "MICROSOFT_PROVIDER_AUTHENTICATION_SECRET",
     "identityProviders.azureActiveDirectory.registration.clientSecretSettingName"),
    ("token store SAS", ["properties", "login", "tokenStore", "azureBlobStorage",
                         "sasUrlSettingName"], "TOKEN_STORE_SAS",
     "login.tokenStore.azureBlobStorage.sasUrlSettingName"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "value", "prop"), AUTH_BREAKS, ids=[b[0] for b in AUTH_BREAKS]
)
def test_each_changed_field_fails_app_auth_naming_it(
    stub: StubCloud, case: str, path: list[str], value: Any, prop: str
) -> None:
    result = _judge(stub, recordings.derive(REC, ["responses", AUTH, *path], value))
    assert result.status is Status.FAIL, case
    assert [(e["resource"], e["property"]) for e in result.evidence] == [("func-app", prop)]


def test_required_authentication_with_no_provider_refuses_everyone_and_passes(
    stub: StubCloud,
) -> None:
    """An app that serves no HTTP function (the rotation app) requires authentication and
    configures no provider: no token can satisfy it, so App Service refuses every request."""
    closed = recordings.derive(REC, ["responses", AUTH, "properties", "identityProviders"], None)
    assert _judge(stub, closed, "APP-AUTH").status is Status.PASS


def test_a_slot_is_judged_like_its_app(stub: StubCloud) -> None:
    path = ["responses", SLOT_AUTH, "properties", "globalValidation", "requireAuthentication"]
    result = _judge(stub, recordings.derive(REC, path, False))
    assert result.status is Status.FAIL
    assert {e["resource"] for e in result.evidence} == {"func-app/staging"}
    assert {e["type"] for e in result.evidence} == {"microsoft.web/sites/slots"}


def test_a_secret_setting_is_named_never_read(stub: StubCloud) -> None:
    path = ["responses", AUTH, *ENTRA, "registration", "clientSecretSettingName"]
    result = _judge(stub, recordings.derive(REC, path, "MICROSOFT_PROVIDER_AUTHENTICATION_SECRET"))
    assert result.evidence[0]["value"] == "MICROSOFT_PROVIDER_AUTHENTICATION_SECRET"
    assert not stub.requests("appsettings")  # the setting's value is never fetched


def test_refused_is_an_error_not_a_failure(stub: StubCloud) -> None:
    refused = recordings.model(REC)
    refused.arm_failure = (403, "AuthorizationFailed")
    stub.use(refused)
    results = stub.evaluate("APP-AUTH", "APP-FUNC-AUTH")
    for rule_id in ("APP-AUTH", "APP-FUNC-AUTH"):
        assert results[rule_id].status is Status.ERROR
        assert "HTTP 403 AuthorizationFailed" in results[rule_id].message


def test_without_a_subscription_both_are_unknown_naming_the_setting(stub: StubCloud) -> None:
    stub.use(recordings.model(REC))
    results = stub.evaluate("APP-AUTH", "APP-FUNC-AUTH", POSTURE_SUBSCRIPTION_IDS="")
    assert {r.status for r in results.values()} == {Status.UNKNOWN}
    assert all("POSTURE_SUBSCRIPTION_IDS is not set" in r.message for r in results.values())
    assert stub.model.requests == []


# -- APP-FUNC-AUTH ------------------------------------------------------------------------

FUNCTIONS = f"GET {SITE}/functions"


def test_function_levels_pass_when_every_http_function_is_anonymous_across_pages(
    stub: StubCloud,
) -> None:
    result = _judge(stub, REC, "APP-FUNC-AUTH")
    assert result.status is Status.PASS, result
    pages = stub.requests(f"{SITE}/functions")
    assert [r["query"].get("$skiptoken") for r in pages] == [None, "1"]  # followed nextLink


def test_an_http_function_without_auth_level_takes_the_function_default_and_fails(
    stub: StubCloud,
) -> None:
    """An HTTP trigger's authLevel defaults to ``function`` (a function key): the Python
    library's ``FunctionApp(http_auth_level=AuthLevel.FUNCTION)`` and ``HttpTrigger`` default,
    and the HTTP trigger reference's "authLevel ... the default value is function"
    (https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger)."""
    path = ["responses", FUNCTIONS, 1, "value", 0, "properties", "config", "bindings", 0]
    unset = recordings.derive(REC, [*path, "authLevel"], None)
    del unset["responses"][FUNCTIONS][1]["value"][0]["properties"]["config"]["bindings"][0][
        "authLevel"
    ]
    result = _judge(stub, unset, "APP-FUNC-AUTH")
    assert result.status is Status.FAIL
    assert [(e["property"], e["value"]) for e in result.evidence] == [
        ("functions/health.authLevel", "function")
    ]


def test_an_app_whose_functions_arm_cannot_list_is_unknown(stub: StubCloud) -> None:
    empty = recordings.derive(REC, ["responses", FUNCTIONS], [{"value": []}])
    result = _judge(stub, empty, "APP-FUNC-AUTH")
    assert result.status is Status.UNKNOWN
    assert "listed no function of func-app" in result.message


def test_a_function_level_key_on_the_second_page_fails(stub: StubCloud) -> None:
    path = ["responses", FUNCTIONS, 1, "value", 0, "properties", "config", "bindings", 0]
    result = _judge(stub, recordings.derive(REC, [*path, "authLevel"], "FUNCTION"), "APP-FUNC-AUTH")
    assert result.status is Status.FAIL
    assert [(e["property"], e["value"]) for e in result.evidence] == [
        ("functions/health.authLevel", "function")
    ]


# -- RT-AUTH-PROBE ------------------------------------------------------------------------


def _platform(status: int, challenge: bool) -> Starlette:
    """What answers the probe: App Service Authentication's refusal (before any function
    runs: no app marker), or the app itself."""

    async def route(request: Request) -> Response:
        assert "authorization" not in request.headers  # the probe sends no credential
        headers = (
            {"WWW-Authenticate": 'Bearer realm="func-app.azurewebsites.net"'} if challenge else {}
        )
        return Response(b"", status_code=status, headers=headers)

    return Starlette(routes=[Route("/api/posture", route)])


def _the_app(error: ApiError) -> Starlette:
    """The app's own refusal, as its HTTP functions answer it (the real error classes)."""

    async def route(request: Request) -> Response:
        answer = error.response()
        return Response(answer.get_body(), answer.status_code, dict(answer.headers))

    return Starlette(routes=[Route("/api/posture", route)])


PROBES = [
    ("platform 401 with challenge", _platform(401, True), Status.PASS),
    ("platform 401 without challenge", _platform(401, False), Status.PASS),
    ("platform 403", _platform(403, False), Status.PASS),
    ("the app's own 401 (Bearer challenge too)", _the_app(Unauthenticated("who?")), Status.FAIL),
    ("the app's own 403", _the_app(Forbidden("no role")), Status.FAIL),
    ("open", _platform(200, False), Status.FAIL),
    ("not found: reached the app", _platform(404, False), Status.FAIL),
    ("server error", _platform(503, False), Status.ERROR),
]


@pytest.mark.parametrize(("case", "app", "expected"), PROBES, ids=[p[0] for p in PROBES])
def test_the_probe_passes_only_a_refusal_by_the_platform(
    stub: StubCloud, case: str, app: Starlette, expected: Status
) -> None:
    """The app verifies callers' tokens itself (shared/callers/_token.py) and its 401 carries a
    Bearer challenge too, so a challenge cannot tell the platform from the app: the app's
    own refusals are marked (``X-Refused-By: app``) and anything else that refuses before the
    function runs is the platform."""
    switch = Switch()
    switch.app = app
    with serve(switch) as (base, _):
        results = stub.evaluate("RT-AUTH-PROBE", POSTURE_AUTH_PROBE_URL=f"{base}/api/posture")
    result = results["RT-AUTH-PROBE"]
    assert result.status is expected, (case, result)
    assert result.evidence[0]["refused_by_app"] is case.startswith("the app's own")


def test_the_probe_is_unknown_without_an_address_and_defaults_to_the_host_name(
    stub: StubCloud,
) -> None:
    blind = stub.evaluate("RT-AUTH-PROBE")["RT-AUTH-PROBE"]
    assert blind.status is Status.UNKNOWN
    assert "POSTURE_AUTH_PROBE_URL and WEBSITE_HOSTNAME are unset" in blind.message
    from posture.rules.appservice import probe_url

    context = stub.context(WEBSITE_HOSTNAME="func-app.azurewebsites.net")
    assert probe_url(context) == "https://func-app.azurewebsites.net/api/posture"


def test_a_plain_http_probe_address_off_this_machine_is_refused(stub: StubCloud) -> None:
    result = stub.evaluate("RT-AUTH-PROBE", POSTURE_AUTH_PROBE_URL="http://func-app.example/api")
    assert result["RT-AUTH-PROBE"].status is Status.ERROR
    assert "POSTURE_AUTH_PROBE_URL" in result["RT-AUTH-PROBE"].message


# -- APP-TRANSPORT and APP-BASICAUTH on Flex Consumption, slots included ------------------

WEB = f"GET {SITE}/config/web"
SLOT_WEB = f"GET {SLOT}/config/web"


def test_the_flex_app_and_its_slot_pass_transport_and_basic_auth(stub: StubCloud) -> None:
    stub.use(recordings.model(REC))
    results = stub.evaluate("APP-TRANSPORT", "APP-BASICAUTH", "APP-IDENTITY")
    assert {k: r.status for k, r in results.items()} == dict.fromkeys(results, Status.PASS)
    assert {r["path"] for r in stub.requests("/basicPublishingCredentialsPolicies/")} == {
        f"{res}/basicPublishingCredentialsPolicies/{kind}"
        for res in (SITE, SLOT)
        for kind in ("ftp", "scm")
    }


def test_ftps_state_is_not_demanded_of_a_flex_app_but_is_of_others(stub: StubCloud) -> None:
    """Flex Consumption rejects siteConfig.ftpsState (tests/infra/flex_platform.py cites the
    platform's deprecations table); its FTP is judged by basicPublishingCredentialsPolicies."""
    flex = recordings.derive(REC, ["responses", WEB, "properties", "ftpsState"], "AllAllowed")
    assert _judge(stub, flex, "APP-TRANSPORT").status is Status.PASS
    # The slot row carries no functionAppConfig: an App Service app, where ftpsState counts.
    other = recordings.derive(REC, ["responses", SLOT_WEB, "properties", "ftpsState"], "AllAllowed")
    result = _judge(stub, other, "APP-TRANSPORT")
    assert result.status is Status.FAIL
    assert [(e["resource"], e["property"]) for e in result.evidence] == [
        ("func-app/staging", "siteConfig.ftpsState")
    ]
    # On the Flex app, FTP left on is APP-BASICAUTH's finding.
    ftp = f"GET {SITE}/basicPublishingCredentialsPolicies/ftp"
    result = _judge(stub, recordings.derive(REC, ["responses", ftp, "properties", "allow"], True),
                    "APP-BASICAUTH")  # fmt: skip
    assert result.status is Status.FAIL
    assert [(e["resource"], e["property"]) for e in result.evidence] == [("func-app", "ftp.allow")]
