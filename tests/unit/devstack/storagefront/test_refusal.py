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

import datetime as dt
import json

import pytest

from devstack.storagefront.delegation import DelegationKey, IssuedKeys, issued_key
from devstack.storagefront.framing import parse_head
from devstack.storagefront.refusal import CODE, MESSAGE, key_based, refusal


def head(target: str = "/devstoreaccount1/jobs", **headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


ISSUED = DelegationKey(
    "33333333-3333-4333-8333-333333333333",
    "00000000-0000-4000-8000-0000000de7e0",
    "2026-06-01T00:00:00Z",
    "2099-06-01T00:00:00Z",
    "b",
    "2025-01-05",
)
UDK = (
    f"skoid={ISSUED.oid}&sktid={ISSUED.tid}&skt={ISSUED.start.replace(':', '%3A')}"
    f"&ske={ISSUED.expiry.replace(':', '%3A')}&sks=b&skv={ISSUED.version}"
)
SERVICE_SAS = "sv=2025-01-05&sr=b&sp=r&se=2099-01-01T00%3A00%3A00Z"
ACCOUNT_SAS = "sv=2025-01-05&ss=bqt&srt=sco&sp=rl&se=2099-01-01T00%3A00%3A00Z"
BLOB = "/devstoreaccount1/jobs/a.json"


def issued() -> IssuedKeys:
    keys = IssuedKeys()
    keys.add(ISSUED)
    return keys


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (head(Authorization="SharedKey devstoreaccount1:c2ln"), "Shared Key"),
        (head(Authorization="SharedKeyLite devstoreaccount1:c2ln"), "Shared Key"),
        (head("/devstoreaccount1/jobs?sv=2024-08-04&sr=c&sp=rl&sig=c2ln"), "SAS"),
        (head("/devstoreaccount1?comp=list&SIG=c2ln&sv=1"), "SAS"),  # any case, to be safe
        (head(f"{BLOB}?{SERVICE_SAS}&%73ig=c2ln"), "SAS"),  # every spelling Azurite reads
        (head(f"{BLOB}?{SERVICE_SAS}&s%69g=c2ln"), "SAS"),
        (head(f"{BLOB}?{SERVICE_SAS}&sig[]=c2ln"), "SAS"),
        (head(f"{BLOB}?{SERVICE_SAS}&sig%5B%5D=c2ln"), "SAS"),
        (head(f"{BLOB}?{SERVICE_SAS}&[sig]=c2ln"), "SAS"),
        (head(f"{BLOB}?{SERVICE_SAS}&skoid=o&sktid=t&sig=c2ln"), "SAS"),  # a fake skoid
        (head(f"/devstoreaccount1?comp=list&{ACCOUNT_SAS}&{UDK}&sig=c2ln"), "SAS"),  # account SAS
        (head(f"{BLOB}?{SERVICE_SAS}&{UDK}&sig=c2ln"), None),  # names an issued key
        (head(f"{BLOB}?{SERVICE_SAS}&{UDK.replace('sks=b', 'sks=q')}&sig=c2ln"), "SAS"),
        (head(f"{BLOB}?{SERVICE_SAS}&{UDK}&skoid=again&sig=c2ln"), "SAS"),  # two skoid
        (head(Authorization="Bearer eyJ0eXAi"), None),
        (head(), None),  # anonymous: Azure answers it on its own terms
        (head("/devstoreaccount1/jobs?restype=container&signature=x"), None),
    ],
)
def test_what_is_key_based(raw: bytes, kind: str | None) -> None:
    assert key_based(parse_head(raw), service="blob", issued=issued()) == kind


def test_queue_and_table_have_no_delegation_sas_and_blob_keys_expire() -> None:
    genuine = head(f"{BLOB}?{SERVICE_SAS}&{UDK}&sig=c2ln")
    for service in ("queue", "table"):
        assert key_based(parse_head(genuine), service=service, issued=issued()) == "SAS"
    assert key_based(parse_head(genuine), service="blob", issued=IssuedKeys()) == "SAS"
    keys = issued()
    assert not keys.holds(ISSUED, now=dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
    assert not keys.holds(ISSUED), "an expired key is forgotten"


def test_the_issued_key_is_read_from_azurite_s_answer() -> None:
    """The shape Azurite's ServiceHandler.getUserDelegationKey answers (serialized XML)."""
    answer = (
        '<?xml version="1.0" encoding="utf-8"?><UserDelegationKey>'
        f"<SignedOid>{ISSUED.oid}</SignedOid><SignedTid>{ISSUED.tid}</SignedTid>"
        f"<SignedStart>{ISSUED.start}</SignedStart><SignedExpiry>{ISSUED.expiry}</SignedExpiry>"
        f"<SignedService>b</SignedService><SignedVersion>{ISSUED.version}</SignedVersion>"
        "<Value>dmFsdWU=</Value></UserDelegationKey>"
    ).encode()
    assert issued_key(answer) == ISSUED
    assert issued_key(b"<Error><Code>AuthenticationFailed</Code></Error>") is None


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
