"""Blob input, output and trigger paths, as the Storage Blobs extension handles them.

A path is ``container/blob``. Input: a missing blob is ``None``; ``dataType: string``
sends text, anything else bytes. Output: the container is created if it does not
exist and the blob overwritten. Trigger: ``container/{name}.txt``-style patterns bind
their ``{...}`` parts (``{name}`` spans sub-folders) and the function gets the blob with
``BlobTrigger`` (``container/blob``), ``Uri``, ``Properties`` and ``Metadata`` as
trigger metadata.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions.meta import Datum

_PARAM = re.compile(r"\{([^{}]+)\}")


class BlobPathError(ValueError):
    """A blob path the host would refuse."""


def split_path(path: str) -> tuple[str, str]:
    container, sep, name = path.strip("/").partition("/")
    if not container or not sep or not name:
        raise BlobPathError(f"blob path {path!r} must be 'container/blob'")
    return container, name


@dataclass(frozen=True, slots=True)
class BlobPattern:
    """A blob trigger's ``container/pattern``; the container part is literal."""

    container: str
    pattern: str
    regex: re.Pattern[str]
    names: tuple[str, ...]

    @classmethod
    def parse(cls, path: str) -> BlobPattern:
        container, sep, pattern = path.strip("/").partition("/")
        if not container or "{" in container:
            raise BlobPathError(f"blob trigger path {path!r} must start with a container name")
        names: list[str] = []
        regex = ""
        position = 0
        for match in _PARAM.finditer(pattern):
            regex += re.escape(pattern[position : match.start()])
            name = match.group(1)
            group = f"p{len(names)}"
            names.append(name)
            regex += f"(?P<{group}>.*)"
            position = match.end()
        regex += re.escape(pattern[position:])
        if not sep:
            regex = ".*"
        return cls(container, pattern, re.compile(regex, re.DOTALL), tuple(names))

    def match(self, blob_name: str) -> dict[str, str] | None:
        found = self.regex.fullmatch(blob_name)
        if found is None:
            return None
        return {name: found.group(f"p{index}") for index, name in enumerate(self.names)}


def input_datum(blob_service: Any, path: str, data_type: str | None) -> Datum | None:
    container, name = split_path(path)
    try:
        content: bytes = blob_service.get_blob_client(container, name).download_blob().readall()
    except ResourceNotFoundError:
        return None
    if data_type == "string":
        return Datum(content.decode("utf-8"), "string")
    return Datum(content, "bytes")


def output_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (dict, list)):
        return json.dumps(value).encode("utf-8")
    return str(value).encode("utf-8")


def write(blob_service: Any, path: str, content: bytes) -> tuple[str, str]:
    """Upload (overwrite); create the container first if it is missing."""
    container, name = split_path(path)
    client = blob_service.get_blob_client(container, name)
    try:
        client.upload_blob(content, overwrite=True)
    except ResourceNotFoundError:
        with contextlib.suppress(ResourceExistsError):
            blob_service.get_container_client(container).create_container()
        client.upload_blob(content, overwrite=True)
    return container, name


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def properties_json(properties: Any) -> dict[str, Any]:
    """The blob's properties as the trigger metadata's ``Properties`` carries them."""
    settings = properties.content_settings
    return {
        "ContentLength": properties.size,
        "ContentType": settings.content_type,
        "ContentEncoding": settings.content_encoding,
        "ContentLanguage": settings.content_language,
        "ETag": str(properties.etag or ""),
        "LastModified": _iso(properties.last_modified),
        "CreatedOn": _iso(properties.creation_time),
        "BlobType": str(getattr(properties.blob_type, "value", properties.blob_type) or ""),
    }


def trigger_metadata(
    *, container: str, name: str, url: str, properties: Any, params: Mapping[str, str]
) -> dict[str, Datum]:
    metadata = {
        "BlobTrigger": Datum(f"{container}/{name}", "string"),
        "Uri": Datum(url, "string"),
        "Properties": Datum(json.dumps(properties_json(properties)), "json"),
        "Metadata": Datum(json.dumps(dict(properties.metadata or {})), "json"),
    }
    for key, value in params.items():
        metadata[key] = Datum(value, "string")
    return metadata
