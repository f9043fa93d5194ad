"""ARM JSON templates: the Bicep rules on a JSON tree with lines; comments allowed, as ARM does."""

from __future__ import annotations

import json
from typing import Any

from migrate.scan import arm, jsonpos


def scan(document: dict[str, Any]) -> dict[int, tuple[str, str]]:
    text = json.dumps(document, indent=2)
    found, _ = arm.scan(jsonpos.parse(text), "azuredeploy.json")
    return {f.line: (f.rule, f.service) for f in found}


TEMPLATE = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def test_storage_cosmos_settings_and_webhooks() -> None:
    found = scan(
        {
            "$schema": TEMPLATE,
            "resources": [
                {"type": "Microsoft.Storage/storageAccounts", "name": "st", "properties": {}},
                {
                    "type": "Microsoft.DocumentDB/databaseAccounts",
                    "name": "db",
                    "properties": {"disableLocalAuth": False},
                },
                {
                    "type": "Microsoft.Web/sites",
                    "name": "f",
                    "properties": {
                        "siteConfig": {
                            "appSettings": [
                                {
                                    "name": "CosmosConnection",
                                    "value": (
                                        "[listConnectionStrings(resourceId("
                                        "'Microsoft.DocumentDB/databaseAccounts', 'db'), "
                                        "'2024-05-15').connectionStrings[0].connectionString]"
                                    ),
                                },
                                {
                                    "name": "APPLICATIONINSIGHTS_CONNECTION_STRING",
                                    "value": "[reference('ai').ConnectionString]",
                                },
                            ]
                        }
                    },
                },
                {
                    "type": "Microsoft.EventGrid/systemTopics/eventSubscriptions",
                    "name": "s",
                    "properties": {"destination": {"endpointType": "WebHook", "properties": {}}},
                },
            ],
        }
    )
    assert sorted(found.values()) == sorted(
        [
            ("MIG-INFRA-SHAREDKEY", "storage"),
            ("MIG-INFRA-LOCALAUTH", "cosmosdb"),
            ("MIG-INFRA-LISTKEYS", "cosmosdb"),
            ("MIG-INFRA-AIKEY", "appinsights"),
            ("MIG-INFRA-WEBHOOK", "eventgrid"),
        ]
    )


def test_an_authentication_string_and_turned_off_keys_are_quiet() -> None:
    assert (
        scan(
            {
                "$schema": TEMPLATE,
                "resources": [
                    {
                        "type": "Microsoft.Storage/storageAccounts",
                        "name": "st",
                        "properties": {"allowSharedKeyAccess": False},
                    },
                    {
                        "type": "Microsoft.Web/sites",
                        "name": "f",
                        "properties": {
                            "siteConfig": {
                                "appSettings": [
                                    {
                                        "name": "AzureWebJobsStorage__blobServiceUri",
                                        "value": "[reference('st').primaryEndpoints.blob]",
                                    },
                                    {
                                        "name": "APPLICATIONINSIGHTS_CONNECTION_STRING",
                                        "value": "[reference('ai').ConnectionString]",
                                    },
                                    {
                                        "name": "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
                                        "value": "Authorization=AAD",
                                    },
                                ]
                            }
                        },
                    },
                ],
            }
        )
        == {}
    )


def test_json_with_comments_and_trailing_commas_keeps_its_lines() -> None:
    text = '{\n  // a comment\n  "a": [1, 2,],\n  /* b */ "b": {"c": "d",},\n}\n'
    node = jsonpos.parse(text)
    assert node.value == {"a": [1, 2], "b": {"c": "d"}}
    assert node.key_line("a") == 3
    assert node.key_line("b") == 4
    assert jsonpos.relax('{"a": "x, // not a comment"}') == '{"a": "x, // not a comment"}'
