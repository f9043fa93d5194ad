"""Table input and output bindings on Azurite's Table endpoint, identity-based.

Sources: Azure Tables input binding (learn.microsoft.com/azure/azure-functions/
functions-bindings-storage-table-input) and output binding (...-table-output), the
worker's end-to-end table tests (tests/endtoend/table_functions), and the Tables
extension's behaviour for Python apps reported in azure-functions-python-worker issues
1231 and 1725 (rowKey is ignored: the whole partition comes back).
"""

from __future__ import annotations

import json
import uuid

import requests
from azure.data.tables import TableServiceClient

from tests.conformance.conftest import AppHost


def test_output_then_input_as_a_json_array(bindings_app: AppHost) -> None:
    """table-output takes a JSON entity (PartitionKey/RowKey in any case); table-input
    passes a JSON array string of entities without Timestamp or ETag, the partition
    filtered, rowKey ignored."""
    partition = uuid.uuid4().hex
    for row, value in (("r1", 1), ("r2", 2)):
        entity = {"partitionKey": partition, "RowKey": row, "value": value}
        response = requests.post(bindings_app.url("/api/table/put"), json=entity, timeout=10)
        assert response.text == "OK"
    got = requests.get(bindings_app.url(f"/api/table/{partition}/r1"), timeout=10).json()
    assert got["type"] == "str"
    rows = sorted(got["rows"], key=lambda row: row["RowKey"])
    assert rows == [
        {"PartitionKey": partition, "RowKey": "r1", "value": 1},
        {"PartitionKey": partition, "RowKey": "r2", "value": 2},
    ]
    assert "Functions.table_get: table input 'rows' sets rowKey" in bindings_app.log_text()


def test_inserting_an_existing_entity_fails(bindings_app: AppHost) -> None:
    """table-output inserts: an entity that already exists (same keys, no ETag) makes the
    invocation fail, and the function's HTTP answer is a 500."""
    entity = json.dumps({"PartitionKey": uuid.uuid4().hex, "RowKey": "same"})
    first = requests.post(bindings_app.url("/api/table/put"), data=entity, timeout=10)
    second = requests.post(bindings_app.url("/api/table/put"), data=entity, timeout=10)
    assert (first.status_code, second.status_code) == (200, 500)


def test_star_etag_replaces(bindings_app: AppHost, tables: TableServiceClient) -> None:
    """An entity with "ETag": "*" replaces whatever is there (the extension's upsert)."""
    partition = uuid.uuid4().hex
    for value in ("old", "new"):
        entity = {"PartitionKey": partition, "RowKey": "k", "ETag": "*", "v": value}
        requests.post(
            bindings_app.url("/api/table/put"), json=entity, timeout=10
        ).raise_for_status()
    stored = tables.get_table_client("conftable").get_entity(partition, "k")
    assert stored["v"] == "new"
