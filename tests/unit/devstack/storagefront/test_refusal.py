"""What is key-based and what Azure answers it, when ``allowSharedKeyAccess`` is false.

Sources: "Prevent Shared Key authorization for an Azure Storage account" (Microsoft Learn:
Shared Key requests fail with 403; service and account SAS are denied for every service,
user delegation SAS permitted; anonymous requests are not authorized with a key); the
refusal as Azure sends it, quoted in Azure/AI-Landing-Zones#64 (status
"403 (Key based authentication is not permitted on this storage account.)",
``x-ms-error-code: KeyBasedAuthenticationNotPermitted``, ``Content-Type: application/xml``,
``Content-Length: 269`` for a 266-character XML text: a UTF-8 byte order mark leads) and
microsoft/azure-maven-plugins#2519 (the same XML for a SAS signed with the account key);
Table's OData JSON error shape as Azurite writes it (``table/errors/StorageError.js``).
"""

from __future__ import annotations

import json

import pytest

from devstack.storagefront.framing import parse_head
from devstack.storagefront.refusal import CODE, MESSAGE, key_based, refusal


def head(target: str = "/devstoreaccount1/jobs", **headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (head(Authorization="SharedKey devstoreaccount1:c2ln"), "Shared Key"),
        (head(Authorization="SharedKeyLite devstoreaccount1:c2ln"), "Shared Key"),
        (head("/devstoreaccount1/jobs?sv=2024-08-04&sr=c&sp=rl&sig=c2ln"), "SAS"),
        (head("/devstoreaccount1?comp=list&SIG=c2ln&sv=1"), "SAS"),
        (head("/devstoreaccount1/jobs/a?sv=1&skoid=o&sktid=t&sig=c2ln"), None),  # user delegation
        (head(Authorization="Bearer eyJ0eXAi"), None),
        (head(), None),  # anonymous: Azure answers it on its own terms
        (head("/devstoreaccount1/jobs?restype=container&signature=x"), None),
    ],
)
def test_what_is_key_based(raw: bytes, kind: str | None) -> None:
    assert key_based(parse_head(raw)) == kind


def _split(response: bytes) -> tuple[str, dict[str, str], bytes]:
    head_bytes, _, body = response.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], headers, body


def test_blob_and_queue_answer_storage_xml_with_a_byte_order_mark() -> None:
    raw = head(
        Authorization="SharedKey a:b", x_ms_client_request_id="abc", x_ms_version="2025-01-05"
    )
    status, headers, body = _split(refusal(parse_head(raw), "queue"))
    assert status == f"HTTP/1.1 403 {MESSAGE}"
    assert headers["x-ms-error-code"] == CODE
    assert headers["Content-Type"] == "application/xml"
    assert headers["Content-Length"] == str(len(body))
    assert headers["x-ms-client-request-id"] == "abc"
    assert headers["x-ms-version"] == "2025-01-05"
    assert headers["Server"].startswith("Windows-Azure-Queue/1.0")
    assert "Connection" not in headers  # the connection stays open, as Azure keeps it
    assert body.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><Error>')
    text = body[3:].decode()
    request_id = headers["x-ms-request-id"]
    assert f"<Code>{CODE}</Code><Message>{MESSAGE}\nRequestId:{request_id}\nTime:" in text
    assert len(text.split("Time:")[1].split("<")[0]) == len("2025-11-14T08:41:01.5009594Z")


def test_table_answers_odata_json_to_a_json_client_and_xml_otherwise() -> None:
    accept = "application/json;odata=minimalmetadata"
    status, headers, body = _split(refusal(parse_head(head(Accept=accept)), "table"))
    assert status == f"HTTP/1.1 403 {MESSAGE}"
    assert headers["Content-Type"] == f"{accept};streaming=true;charset=utf-8"
    error = json.loads(body)["odata.error"]
    assert error["code"] == CODE
    assert error["message"]["lang"] == "en-US"
    assert error["message"]["value"].startswith(f"{MESSAGE}\nRequestId:")
    _, headers, body = _split(refusal(parse_head(head(Accept="application/xml")), "table"))
    assert headers["Content-Type"] == "application/xml"
    assert f"<code>{CODE}</code>".encode() in body


def test_a_refusal_that_closes_says_so() -> None:
    _, headers, _ = _split(refusal(parse_head(head()), "blob", close=True))
    assert headers["Connection"] == "close"
