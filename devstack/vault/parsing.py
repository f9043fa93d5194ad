"""What a Key Vault secrets request says: its JSON body, its properties, its paging.

Answers Key Vault's ``400 BadParameter`` for what it cannot read (REST reference, Set
Secret, Update Secret and Get Secrets: ``maxresults`` 1-25, ``$skiptoken`` opaque); the
message texts are this vault's own.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request

from devstack.vault.errors import ServiceError

MAX_PAGE_SIZE = 25


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ServiceError(400, "BadParameter", "The request body must be a JSON object.")
    return body


def properties(body: dict[str, Any], *, allow_value: bool) -> dict[str, Any]:
    """Translate Key Vault's JSON properties into store keywords; present keys only."""
    props: dict[str, Any] = {}
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise ServiceError(400, "BadParameter", "attributes must be a JSON object.")
    if "enabled" in attributes:
        if not isinstance(attributes["enabled"], bool):
            raise ServiceError(400, "BadParameter", "attributes.enabled must be a boolean.")
        props["enabled"] = attributes["enabled"]
    for wire, keyword in (("nbf", "not_before"), ("exp", "expires_on")):
        if wire in attributes:
            stamp = attributes[wire]
            if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, int)):
                raise ServiceError(400, "BadParameter", f"attributes.{wire} must be epoch seconds.")
            props[keyword] = stamp
    if "contentType" in body:
        props["content_type"] = body["contentType"]
    if "tags" in body:
        props["tags"] = body["tags"]
    if not allow_value and "value" in body:
        raise ServiceError(400, "BadParameter", "A secret's value cannot be changed by an update.")
    return props


def max_results(raw: str | None) -> int:
    if raw is None:
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ServiceError(
            400, "BadParameter", f"maxresults must be an integer from 1 to {MAX_PAGE_SIZE}."
        )
    return size


def encode_skiptoken(offset: int) -> str:
    """The opaque ``$skiptoken`` of the page that starts at ``offset`` (base64url, unpadded)."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def decode_skiptoken(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        offset = decoded["offset"]
        if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            return offset
    except (ValueError, binascii.Error, KeyError, TypeError):
        pass
    raise ServiceError(400, "BadParameter", "The $skiptoken is not valid.")
