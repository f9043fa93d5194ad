"""The code scanner, rule by rule: each on a generated positive, and the identity-based forms
that must stay quiet. Secrets in the generated modules come from secret_shapes at run time."""

from __future__ import annotations

import ast
import random
import textwrap

import pytest

from migrate.scan import pycode, pyfacts
from tests.support import secret_shapes

RNG = random.Random(26)


def findings(source: str) -> dict[int, tuple[str, str]]:
    tree = ast.parse(textwrap.dedent(source))
    found = pycode.scan_module(tree, pyfacts.collect(tree), "m.py")
    return {f.line: (f.rule, f.service) for f in found}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            """
            import os
            from azure.storage.queue import QueueClient
            conn = os.environ["ORDERS"]
            q = QueueClient.from_connection_string(conn, "orders")
            """,
            {4: ("MIG-CODE-ENVSECRET", "storage-queue"), 5: ("MIG-CODE-CONNSTR", "storage-queue")},
        ),
        (
            """
            from azure.servicebus import ServiceBusClient
            import os
            c = ServiceBusClient.from_connection_string(conn_str=os.getenv("SB"))
            """,
            {4: ("MIG-CODE-CONNSTR", "servicebus")},
        ),
        (
            """
            import os
            from azure.identity import UsernamePasswordCredential
            c = UsernamePasswordCredential("id", "user", os.environ["USER_PASSWORD"])
            """,
            {4: ("MIG-CODE-SECRETCRED", "entra")},
        ),
        (
            """
            import os
            from azure.core.credentials import AzureNamedKeyCredential
            from azure.data.tables import TableServiceClient
            key = os.environ["TABLES_KEY"]
            t = TableServiceClient("https://a", credential=AzureNamedKeyCredential("a", key))
            """,
            {5: ("MIG-CODE-ENVSECRET", "storage-table"), 6: ("MIG-CODE-KEYCRED", "storage-table")},
        ),
        (
            """
            from azure.storage.blob import generate_blob_sas
            sas = generate_blob_sas("acct", "c", "b", account_key=k)
            """,
            {3: ("MIG-CODE-KEYCRED", "storage-blob")},
        ),
        (
            """
            import requests, os
            headers = {"x-functions-key": os.environ["PEER_KEY"]}
            requests.get("https://peer/api/x", params={"code": token})
            """,
            {3: ("MIG-CODE-KEYHEADER", "functions"), 4: ("MIG-CODE-KEYHEADER", "third-party")},
        ),
        (
            """
            parts = dict(p.split("=", 1) for p in conn.split(";"))
            key = parts["SharedAccessKey"]
            """,
            {3: ("MIG-CODE-ACCOUNTKEY", "servicebus")},
        ),
    ],
)
def test_rules_on_generated_positives(source: str, expected: dict[int, tuple[str, str]]) -> None:
    assert findings(source) == expected


def test_a_secret_shaped_literal_and_a_key_like_literal_named_as_a_secret_are_critical() -> None:
    planted = secret_shapes.storage_connection_string_planted(RNG).text
    secret = secret_shapes.messaging_key(RNG)  # an older app secret: 32 bytes, base64
    found = findings(f"CONN = {planted!r}\nAPI_SECRET = {secret!r}\nNAME = 'MyStorage'\n")
    assert found == {
        1: ("MIG-CODE-LITERAL", "storage"),
        2: ("MIG-CODE-LITERAL", "entra"),
    } or found == {1: ("MIG-CODE-LITERAL", "storage"), 2: ("MIG-CODE-LITERAL", "third-party")}


def test_one_finding_per_line_the_most_severe() -> None:
    planted = secret_shapes.storage_connection_string_planted(RNG).text
    source = (
        "from azure.storage.blob import BlobServiceClient\n"
        f"c = BlobServiceClient.from_connection_string({planted!r})\n"
    )
    assert findings(source) == {2: ("MIG-CODE-LITERAL", "storage")}


def test_identity_based_code_and_mentions_stay_quiet() -> None:
    source = '''
        """A docstring may say AccountKey, from_connection_string and ClientSecretCredential."""
        import os
        from azure.identity import DefaultAzureCredential
        from azure.storage.blob import BlobServiceClient
        from azure.common.credentials import ServicePrincipalCredentials  # imported, never used
        url = os.environ["Storage__blobServiceUri"]
        name = os.environ["SECRET_NAME"]
        vault = os.environ["KEY_VAULT_URI"]
        client = BlobServiceClient(url, credential=DefaultAzureCredential())
        # BlobServiceClient.from_connection_string(os.environ["OLD"]) was here
        headers = {"Authorization": f"Bearer {token}"}
        '''
    assert findings(source) == {}


def test_a_setting_named_by_a_module_constant_and_its_appsetting_alias_are_followed() -> None:
    source = """
        import os
        from azure.storage.blob import ContainerClient
        SETTING = "Uploads"
        raw = os.environ[SETTING].strip()
        alias = os.environ["APPSETTING_Uploads"]
        c = ContainerClient.from_connection_string(raw, "c")
        d = ContainerClient.from_connection_string(alias, "d")
        """
    found = findings(source)
    assert found[5] == ("MIG-CODE-ENVSECRET", "storage-blob")
    assert found[6] == ("MIG-CODE-ENVSECRET", "storage-blob")


def test_only_the_secret_argument_flows_a_read_into_a_credential() -> None:
    source = """
        import os
        from azure.identity import ClientSecretCredential
        tenant = os.environ["TENANT_ID"]
        client = os.environ["CLIENT_ID"]
        secret = os.environ["APP_PASSWORDLESS"]
        c = ClientSecretCredential(tenant, client, secret)
        """
    found = findings(source)
    assert 4 not in found
    assert 5 not in found
    assert found[6] == ("MIG-CODE-ENVSECRET", "entra")
