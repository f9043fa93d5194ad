"""Table input and output, as the Azure Tables extension runs them for a Python app.

Input is always a JSON *array* of entities (``PartitionKey``, ``RowKey`` and the
properties; no ``Timestamp`` or ETag) filtered by ``partitionKey`` and ``filter`` and cut
at ``take``. The extension ignores ``rowKey`` for Python apps and returns the whole
partition; the devstack does the same (and says so at start-up). Output takes a JSON
object or array of objects: keys are matched case-insensitively, a missing
``PartitionKey``/``RowKey`` comes from the binding, an entity without ``ETag`` is
inserted (an existing one makes the invocation fail), ``"ETag": "*"`` replaces
unconditionally, any other ETag replaces only that version. The table is created on the
first write.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import uuid
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

_KEYS = {"partitionkey": "PartitionKey", "rowkey": "RowKey", "etag": "ETag"}


class TableBindingError(ValueError):
    """A value the table binding cannot write."""


def _json_value(value: Any) -> Any:
    value = getattr(value, "value", value) if type(value).__name__ == "EntityProperty" else value
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo else value
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if moment.microsecond:
            text += f".{moment.microsecond:06d}".rstrip("0")
        return text + "Z"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def query_json(
    table_client: Any, *, partition_key: str | None, filter_text: str | None, take: int | None
) -> str:
    """The JSON array the input binding passes to the function."""
    clauses = []
    if partition_key:
        clauses.append("PartitionKey eq '" + partition_key.replace("'", "''") + "'")
    if filter_text:
        clauses.append(filter_text)
    query = " and ".join(clauses)
    pages = table_client.query_entities(query) if query else table_client.list_entities()
    entities: list[dict[str, Any]] = []
    for entity in pages:
        entities.append({str(key): _json_value(value) for key, value in entity.items()})
        if take and len(entities) >= take:
            break
    return json.dumps(entities, separators=(",", ":"))


def entities(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise TableBindingError("a table output value must be a JSON object or array") from exc
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TableBindingError("a table output value must be a JSON object or array of objects")
    return value


def _entity(raw: dict[str, Any], partition_key: str | None, row_key: str | None) -> dict[str, Any]:
    entity: dict[str, Any] = {}
    for key, value in raw.items():
        name = _KEYS.get(str(key).lower(), str(key))
        entity[name] = (
            value
            if value is None or isinstance(value, (str, int, float, bool))
            else json.dumps(value, indent=2)
        )
    entity.setdefault("PartitionKey", partition_key)
    entity.setdefault("RowKey", row_key)
    for key in ("PartitionKey", "RowKey"):
        if entity.get(key) is None:
            raise TableBindingError(f"a table entity needs a {key}")
        entity[key] = str(entity[key])
    return entity


def write(
    table_client: Any,
    raw_entities: list[dict[str, Any]],
    *,
    partition_key: str | None,
    row_key: str | None,
) -> None:
    from azure.data.tables import UpdateMode

    for raw in raw_entities:
        entity = _entity(raw, partition_key, row_key)
        etag = entity.pop("ETag", None)

        def put(entity: dict[str, Any] = entity, etag: Any = etag) -> None:
            if etag is None:
                table_client.create_entity(entity)
            elif etag == "*":
                table_client.upsert_entity(entity, mode=UpdateMode.REPLACE)
            else:
                table_client.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=str(etag),
                    match_condition=MatchConditions.IfNotModified,
                )

        try:
            put()
        except ResourceNotFoundError:
            with contextlib.suppress(ResourceExistsError):
                table_client.create_table()
            put()
