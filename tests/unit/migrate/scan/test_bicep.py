"""Bicep: tokens first (a file that is not Bicep is named, not half-read), then the rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migrate.model import Problem
from migrate.scan import bicep
from migrate.scan.biceptext import BicepSyntaxError, read
from migrate.tree import SourceFile


def scan(text: str) -> dict[int, tuple[str, str]]:
    result = bicep.scan(SourceFile("main.bicep", Path("main.bicep"), textwrap.dedent(text)))
    assert not isinstance(result, Problem), result
    return {f.line: (f.rule, f.service) for f in result[0]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("param a string = 'x\n", "unterminated string (line 1)"),
        ("var a = {\n  b: 1\n", "'{' opened on line 1 is never closed"),
        ("var a = [1, 2)\n", "unexpected ')' (line 1)"),
        ("/* open\nvar a = 1\n", "unterminated comment (line 1)"),
        ("var a = '''\nmulti\n", "unterminated multi-line string (line 1)"),
    ],
)
def test_text_that_is_not_bicep_names_its_line(text: str, message: str) -> None:
    with pytest.raises(BicepSyntaxError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(text)


def test_interpolation_comments_and_escapes_do_not_confuse_the_reader() -> None:
    text = "var a = 'x${f('{')}y' // }\nvar b = 'it\\'s' /* ] */\nvar c = '''\n{ [ \n'''\n"
    parsed = read(text)
    assert "//" not in parsed.code
    assert "]" not in parsed.code.splitlines()[1]


SB_KEYED = (
    "'Endpoint=sb://${sb.name}.servicebus.windows.net/;SharedAccessKey=${listKeys(resourceId("
    "'Microsoft.ServiceBus/namespaces/authorizationRules', sb.name, 'Root'), "
    "'2022-10-01-preview').primaryKey}'"
)


def test_resources_that_keep_keys_and_settings_built_from_them() -> None:
    found = scan(
        """
        resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {
          name: 'st'
          properties: {
            allowSharedKeyAccess: true
          }
        }
        resource sb 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
          name: 'sb'
        }
        resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
          name: 'kv'
          properties: {
            accessPolicies: [ { objectId: 'x' } ]
          }
        }
        resource site 'Microsoft.Web/sites@2024-04-01' = {
          name: 'f'
          properties: {
            siteConfig: {
              appSettings: [
                {
                  name: 'Orders'
                  value: SB_KEYED
                }
                {
                  name: 'APPINSIGHTS_INSTRUMENTATIONKEY'
                  value: 'x'
                }
              ]
            }
          }
        }
        // a comment about listKeys() and AccountKey= is not a finding
        """.replace("SB_KEYED", SB_KEYED)
    )
    assert found == {
        5: ("MIG-INFRA-SHAREDKEY", "storage"),
        8: ("MIG-INFRA-LOCALAUTH", "servicebus"),
        14: ("MIG-INFRA-KVPOLICY", "keyvault"),
        24: ("MIG-INFRA-LISTKEYS", "servicebus"),
        27: ("MIG-INFRA-AIKEY", "appinsights"),
    }


def test_turned_off_keys_rbac_vaults_and_existing_resources_are_quiet() -> None:
    assert (
        scan("""
        resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {
          name: 'st'
          properties: { allowSharedKeyAccess: false }
        }
        resource eh 'Microsoft.EventHub/namespaces@2024-01-01' = {
          name: 'eh'
          properties: {
            disableLocalAuth: true
          }
        }
        resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
          name: 'kv'
          properties: {
            enableRbacAuthorization: true
            accessPolicies: []
          }
        }
        resource old 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
          name: 'old'
        }
        output APPINSIGHTS_INSTRUMENTATIONKEY string = 'not a setting'
        """)
        == {}
    )
