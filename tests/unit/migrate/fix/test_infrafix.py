"""Templates: keyed app settings become identity settings read from the same resource."""

from __future__ import annotations

import json
from pathlib import Path

from migrate.fix import infrafix
from migrate.fix.report import FixReport
from migrate.scan import arm, bicep, jsonpos
from migrate.tree import SourceFile

STORAGE = {"blobServiceUri": "storage", "queueServiceUri": "storage", "tableServiceUri": "storage"}

KEYED = (
    "'DefaultEndpointsProtocol=https;AccountName=${st.name};"
    "AccountKey=${st.listKeys().keys[0].value}'"
)
BICEP = """\
resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: 'st'
}
resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: 'f'
  properties: {
    siteConfig: {
      appSettings: [
        {
          name: 'AzureWebJobsStorage'
          value: KEYED
        }
        {
          name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
          value: KEYED
        }
      ]
    }
  }
}
module m 'm.bicep' = {
  name: 'm'
  params: {
    settings: {
      AzureWebJobsDashboard: KEYED
      Other: 'kept'
    }
  }
}
""".replace("KEYED", KEYED)


def test_bicep_array_and_object_forms(tmp_path: Path) -> None:
    path = tmp_path / "main.bicep"
    path.write_text(BICEP)
    found, _ = bicep.scan(SourceFile("main.bicep", path, BICEP))  # type: ignore[misc]
    report = FixReport(tmp_path, tmp_path)
    infrafix.fix_bicep(path, "main.bicep", found, {"AzureWebJobsStorage": STORAGE}, report)
    text = path.read_text()
    assert (
        "name: 'AzureWebJobsStorage__queueServiceUri'\n"
        "          value: st.properties.primaryEndpoints.queue" in text
    )
    assert "AzureWebJobsDashboard" not in text
    assert "Other: 'kept'" in text
    assert text.count("listKeys") == 1  # the content share keeps its key, and is reported
    rescanned, _ = bicep.scan(SourceFile("main.bicep", path, text))  # type: ignore[misc]
    assert [f.setting for f in rescanned if f.rule == "MIG-INFRA-LISTKEYS"] == [
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"
    ]


def test_arm_items_become_items_that_read_the_endpoints_and_stay_strict_json(
    tmp_path: Path,
) -> None:
    key = (
        "[concat('DefaultEndpointsProtocol=https;AccountName=st;AccountKey=', "
        "listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2019-06-01')"
        ".keys[0].value)]"
    )
    document = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "resources": [
            {
                "type": "Microsoft.Web/sites",
                "name": "f",
                "properties": {
                    "siteConfig": {
                        "appSettings": [
                            {"name": "FUNCTIONS_EXTENSION_VERSION", "value": "~4"},
                            {"name": "AzureWebJobsStorage", "value": key},
                        ]
                    }
                },
            }
        ],
    }
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps(document, indent=2))
    found, _ = arm.scan(jsonpos.parse(path.read_text()), "azuredeploy.json")
    infrafix.fix_arm(
        path,
        "azuredeploy.json",
        found,
        {"AzureWebJobsStorage": STORAGE},
        FixReport(tmp_path, tmp_path),
    )
    settings = json.loads(path.read_text())["resources"][0]["properties"]["siteConfig"][
        "appSettings"
    ]
    assert [s["name"] for s in settings] == [
        "FUNCTIONS_EXTENSION_VERSION",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
    ]
    assert settings[1]["value"] == (
        "[reference(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-05-01')"
        ".primaryEndpoints.blob]"
    )
