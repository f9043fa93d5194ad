"""The OpenAPI document describes exactly the HTTP functions the app registers.

The app is indexed the way the Functions host indexes it (``app.get_functions()``),
in a child process with the sample settings, so this test sees what a deployment
serves: a route added without a description, or a description left behind by a
removed route, fails here. It also holds the document's anonymous operations
against the paths the platform's authentication lets through.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from devstack.options import AUTH_EXCLUDED_PATHS

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

_INDEX = """
import json
import function_app
from azure.functions.decorators.http import HttpTrigger
from blueprints.openapi import document
out = []
for function in function_app.app.get_functions():
    trigger = function.get_trigger()
    if isinstance(trigger, HttpTrigger):
        out.append({
            "name": function.get_function_name(),
            "route": trigger.route or function.get_function_name(),
            "methods": sorted(str(getattr(m, "value", m)).upper() for m in trigger.methods or []),
            "auth_level": str(getattr(trigger.auth_level, "value", trigger.auth_level)),
        })
print(json.dumps({"functions": out, "document": document()}))
"""


def _sample_settings() -> dict[str, str]:
    values: dict[str, str] = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    return values


@pytest.fixture(scope="module")
def indexed() -> dict[str, Any]:
    """The app's HTTP functions and its OpenAPI document, from a freshly indexed app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDENTITY_", "AZURE_"))}
    env.update(_sample_settings())
    result = subprocess.run(
        [sys.executable, "-c", _INDEX],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture(scope="module")
def registered(indexed: dict[str, Any]) -> list[dict[str, Any]]:
    functions: list[dict[str, Any]] = indexed["functions"]
    return functions


@pytest.fixture(scope="module")
def document(indexed: dict[str, Any]) -> dict[str, Any]:
    built: dict[str, Any] = indexed["document"]
    return built


def _template(route: str) -> str:
    """``jobs/{id:guid}`` -> ``/jobs/{id}``: OpenAPI has no inline constraints."""
    return "/" + re.sub(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)[^}]*\}", r"{\1}", route.strip("/"))


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_registered_route_is_documented_and_nothing_else(
    registered: list[dict[str, Any]], document: dict[str, Any]
) -> None:
    assert registered, "the app registers no HTTP function"
    served = {
        (method, _template(function["route"]))
        for function in registered
        for method in function["methods"]
    }
    assert all(function["methods"] for function in registered), "a route accepts every method"
    documented = _operations(document)
    assert served - documented == set(), "registered but missing from blueprints/openapi.py"
    assert documented - served == set(), "documented but not registered by function_app.py"


def test_operation_ids_are_the_function_names(
    registered: list[dict[str, Any]], document: dict[str, Any]
) -> None:
    by_operation = {
        (method, _template(function["route"])): function["name"]
        for function in registered
        for method in function["methods"]
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["operationId"] == by_operation[(method.upper(), path)]


def test_no_function_key_every_route_anonymous_at_function_level(
    registered: list[dict[str, Any]],
) -> None:
    assert {function["auth_level"] for function in registered} == {"anonymous"}


def test_only_the_excluded_paths_are_documented_without_a_token(document: dict[str, Any]) -> None:
    prefix = document["servers"][0]["url"]
    anonymous = {
        prefix + path
        for path, item in document["paths"].items()
        for operation in item.values()
        if operation.get("security", document["security"]) == []
    }
    assert anonymous == set(AUTH_EXCLUDED_PATHS)
    scheme = document["components"]["securitySchemes"]["entra"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


def test_every_operation_documents_its_errors_with_the_one_shape(document: dict[str, Any]) -> None:
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            secured = operation.get("security", document["security"]) != []
            codes = set(operation["responses"])
            if secured:
                assert "401" in codes, (method, path)
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == error_ref, (method, path, code)


@pytest.mark.slow
def test_document_is_valid_openapi_31(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    schema = schemathesis.openapi.from_dict(document)
    schema.validate()
    assert len(list(schema.get_all_operations())) == len(_operations(document))


def test_document_is_json_and_holds_no_setting_value(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    for value in _sample_settings().values():
        if len(value) > 6:
            assert value not in text
