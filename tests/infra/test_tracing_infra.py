"""Telemetry in Azure: OpenTelemetry as the Functions docs describe it for Python, Entra only.

"Use OpenTelemetry with Azure Functions"
(https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto?pivot=programming-language-python):
``"telemetryMode": "OpenTelemetry"`` at the root of host.json; ``PYTHON_ENABLE_OPENTELEMETRY``
set to ``true`` so the host lets the Python worker export its own telemetry (the worker,
azure-functions-python-worker's dispatcher, then makes each invocation's trace context
current); and, for Microsoft Entra authentication, the host and the worker configured apart:
the host by ``APPLICATIONINSIGHTS_AUTHENTICATION_STRING`` ("Require Microsoft Entra
authentication" in the Functions monitoring docs), the worker by the app passing its
credential to the Azure Monitor distro (shared/tracing/_setup.py). Not
``PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY``: with it the worker configures the distro
itself, before and beside the app's scrubbing pipeline. The component's local authentication
is off and the identities hold Monitoring Metrics Publisher (test_security_properties.py,
test_rbac.py, test_rotation_infra.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.infra.conftest import ROOT

APP = "infra/modules/function-app.bicep"
ROTATION = "infra/modules/rotation.bicep"
#: Settings that would authenticate ingestion with the instrumentation key, or let the
#: worker set up a pipeline of its own.
REFUSED = (
    "APPINSIGHTS_INSTRUMENTATIONKEY",
    "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
)


def app_settings(bicep: dict[str, Any], module: str = APP) -> dict[str, Any]:
    """The ``appSettings`` variable of a function app's module, as the site gets it."""
    settings: dict[str, Any] = bicep[module]["variables"]["appSettings"]["value"]
    return settings


def telemetry_problems(settings: dict[str, Any], client_id: str) -> list[str]:
    """What keeps an app's telemetry from being OpenTelemetry over Entra only."""
    found = []
    if settings.get("PYTHON_ENABLE_OPENTELEMETRY") != "true":
        found.append("PYTHON_ENABLE_OPENTELEMETRY is not 'true'")
    if "TRACING_SAMPLE_RATIO" not in settings:
        found.append("TRACING_SAMPLE_RATIO is not set")
    wanted = f"ClientId=${{{client_id}}};Authorization=AAD"
    if settings.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING") != wanted:
        found.append("APPLICATIONINSIGHTS_AUTHENTICATION_STRING is not the identity's AAD")
    found += [f"{name} is set" for name in REFUSED if name in settings]
    return found


def test_host_json_sets_the_opentelemetry_mode() -> None:
    host = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    assert host.get("telemetryMode") == "OpenTelemetry"


def test_the_jobs_app_exports_opentelemetry_with_its_identity(bicep: dict[str, Any]) -> None:
    assert telemetry_problems(app_settings(bicep), "identityClientId") == []


def test_the_rotation_app_exports_opentelemetry_with_its_identity(bicep: dict[str, Any]) -> None:
    assert telemetry_problems(app_settings(bicep, ROTATION), "identityClientId") == []


def test_the_sample_ratio_is_a_parameter_of_the_jobs_app(bicep: dict[str, Any]) -> None:
    tree = bicep["infra/modules/function-app.bicep"]
    assert app_settings(bicep)["TRACING_SAMPLE_RATIO"] == "tracingSampleRatio"
    assert tree["parameters"]["tracingSampleRatio"]["default"] == "1"


def test_the_check_fails_on_key_based_or_worker_owned_telemetry(bicep: dict[str, Any]) -> None:
    settings = copy.deepcopy(app_settings(bicep))
    settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] = "true"
    settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = ""
    settings.pop("PYTHON_ENABLE_OPENTELEMETRY")
    assert len(telemetry_problems(settings, "identityClientId")) == 3
