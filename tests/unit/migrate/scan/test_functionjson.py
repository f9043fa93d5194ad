"""v1 apps' function.json: bindings with their connections, keys named by binding properties,
HTTP auth levels (a trigger that names none is at FUNCTION, the host's default)."""

from __future__ import annotations

import json
from pathlib import Path

from migrate.model import Problem
from migrate.scan import functionjson
from migrate.tree import SourceFile


def scan(bindings: list[dict[str, object]]) -> functionjson.BindingsAndFindings:
    text = json.dumps({"scriptFile": "__init__.py", "bindings": bindings}, indent=2)
    result = functionjson.scan(SourceFile("Orders/function.json", Path("function.json"), text))
    assert not isinstance(result, Problem), result
    return result


def test_bindings_of_each_service_with_their_connection_and_entity() -> None:
    bindings, secrets, findings = scan([
        {"type": "queueTrigger", "direction": "in", "name": "m", "queueName": "orders"},
        {"type": "blob", "direction": "out", "name": "b", "path": "out/{id}", "connection": "Out"},
        {"type": "signalRConnectionInfo", "direction": "in", "name": "c", "hubName": "h",
         "connectionStringSetting": "AzureSignalRConnectionString"},
        dict([("type", "sendGrid"), ("direction", "out"), ("apiKey", "SendGridKey")]),
        {"type": "httpTrigger", "direction": "in", "name": "req"},
    ])  # fmt: skip
    assert [(b.service, b.direction, b.connection, b.entity) for b in bindings] == [
        ("storage-queue", "trigger", "AzureWebJobsStorage", "orders"),
        ("storage-blob", "out", "Out", "out"),
        ("signalr", "in", "AzureSignalRConnectionString", None),
    ]
    assert [(s.setting, s.property) for s in secrets] == [("SendGridKey", "apiKey")]
    assert [(f.rule, f.message) for f in findings] == [
        ("MIG-INFRA-AUTHLEVEL", "HTTP trigger with authLevel function: callers send a key")
    ]


def test_a_function_json_without_bindings_is_a_problem_line() -> None:
    text = '{"scriptFile": "__init__.py"}'
    result = functionjson.scan(SourceFile("F/function.json", Path("function.json"), text))
    assert isinstance(result, Problem)
    assert 'no "bindings" list' in result.reason
