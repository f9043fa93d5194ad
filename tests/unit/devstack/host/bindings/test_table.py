"""Table entities in and out.

Sources: Azure Tables input and output bindings (learn.microsoft.com/azure/
azure-functions/functions-bindings-storage-table-input, -output) and the Tables
extension's TablesExtensionConfigProvider (ConvertEntityToJObject drops odata.etag and
Timestamp; CreateTableEntityFromJObject matches PartitionKey/RowKey/ETag in any case,
non-scalar values are stored as their JSON text).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from devstack.host.bindings.table import TableBindingError, _entity, entities, query_json


class FakeTable:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.queries: list[str] = []

    def query_entities(self, query: str) -> list[dict[str, Any]]:
        self.queries.append(query)
        return self.rows

    def list_entities(self) -> list[dict[str, Any]]:
        self.queries.append("")
        return self.rows


def test_query_json_filters_and_converts() -> None:
    guid = uuid.uuid4()
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC)
    table = FakeTable(
        [
            {"PartitionKey": "p", "RowKey": "1", "when": moment, "id": guid, "raw": b"\x01"},
            {"PartitionKey": "p", "RowKey": "2"},
        ]
    )
    text = query_json(table, partition_key="o'k", filter_text="n gt 1", take=1)
    assert table.queries == ["PartitionKey eq 'o''k' and n gt 1"]
    assert json.loads(text) == [
        {
            "PartitionKey": "p",
            "RowKey": "1",
            "when": "2026-01-02T03:04:05.6Z",
            "id": str(guid),
            "raw": "AQ==",
        }
    ]
    assert query_json(table, partition_key=None, filter_text=None, take=None).count("RowKey") == 2


def test_entities_from_values() -> None:
    assert entities('{"a": 1}') == [{"a": 1}]
    assert entities([{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]
    for bad in ("not json", "[1, 2]", 3):
        with pytest.raises(TableBindingError):
            entities(bad)


def test_entity_keys_and_values() -> None:
    entity = _entity(
        {"partitionkey": 1, "ROWKEY": "r", "etag": "*", "nested": {"x": 1}}, None, None
    )
    assert entity == {"PartitionKey": "1", "RowKey": "r", "ETag": "*", "nested": '{\n  "x": 1\n}'}
    assert _entity({"v": 1}, "from-binding", "row")["PartitionKey"] == "from-binding"
    with pytest.raises(TableBindingError, match="RowKey"):
        _entity({"PartitionKey": "p"}, None, None)
