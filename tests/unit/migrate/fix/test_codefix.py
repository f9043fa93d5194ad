"""The code fixer: each rewrite on a generated module, everything else byte for byte."""

from __future__ import annotations

import ast
import textwrap

from migrate.fix import codefix, codeplan
from migrate.scan import pyfacts


def fixed(source: str, literal_lines: set[int] | None = None) -> codefix.CodeResult:
    source = textwrap.dedent(source)
    constants = pyfacts.collect(ast.parse(source)).constants
    return codefix.apply(
        source, codeplan.plan(source), constants=constants, literal_lines=literal_lines or set()
    )


def test_a_client_from_a_connection_string_reads_a_url_and_takes_the_credential() -> None:
    result = fixed('''
        """Orders."""
        import os  # the environment

        from azure.storage.queue import QueueClient

        SETTING = "Orders"


        def queue():
            # one client per call, on purpose
            raw = os.environ[SETTING]
            return QueueClient.from_connection_string(
                raw,  # the connection
                "orders",
            )
        ''')
    assert 'raw = os.environ["Orders__queueServiceUri"]' in result.source
    assert (
        '    return QueueClient(\n        raw,  # the connection\n        "orders",\n'
        "        credential=_migrate_credential(),\n    )"
    ) in result.source
    assert "# one client per call, on purpose" in result.source
    assert "import os  # the environment" in result.source
    lines = result.source.splitlines()
    queue = lines.index("from azure.storage.queue import QueueClient")
    assert lines[queue + 1] == "from secretless_credential import credential as _migrate_credential"
    assert result.uses_helper
    compile(result.source, "m.py", "exec")


def test_async_clients_take_the_async_credential_and_sas_credentials_are_dropped() -> None:
    result = fixed("""
        import os
        from azure.storage.blob.aio import BlobClient
        blob = BlobClient.from_connection_string(os.getenv("Uploads"), "c", "b", credential=sas)
        """)
    assert (
        'BlobClient(os.getenv("Uploads__blobServiceUri"), "c", "b", '
        "credential=_migrate_async_credential())" in result.source
    )
    assert "import async_credential as _migrate_async_credential" in result.source


def test_a_secret_credential_becomes_the_apps_and_its_only_reads_become_none() -> None:
    result = fixed("""
        import os
        from azure.identity import ClientSecretCredential
        secret = os.environ['APP_SECRET']
        tenant = os.environ['TENANT']
        cred = ClientSecretCredential(tenant, "client", secret)
        print(tenant)
        """)
    assert "secret = None" in result.source
    assert "tenant = os.environ['TENANT']" in result.source  # still used elsewhere: left alone
    assert "cred = _migrate_credential()" in result.source


def test_what_cannot_be_followed_is_left_unchanged_with_a_reason() -> None:
    source = """
        from azure.storage.blob import BlobServiceClient
        def make(conn):
            return BlobServiceClient.from_connection_string(conn)
        """
    result = fixed(source)
    assert result.source == textwrap.dedent(source)
    assert not result.uses_helper
    assert codeplan.plan(textwrap.dedent(source)).left == {
        4: "the connection string does not come from one app setting the fix can follow"
    }


def test_a_reported_secret_literal_is_emptied() -> None:
    result = fixed(
        'TOKEN = "aGVsbG8td29ybGQtdGhpcy1pcy1sb25n"  # rotate\nNAME = "x"\n', literal_lines={1}
    )
    assert result.source == 'TOKEN = ""  # rotate\nNAME = "x"\n'


def test_the_helper_module_compiles_in_both_forms() -> None:
    for client_id in (False, True):
        source = codefix.helper_source(client_id=client_id)
        compile(source, "secretless_credential.py", "exec")
        assert ("ManagedIdentityCredential" in source) is client_id
