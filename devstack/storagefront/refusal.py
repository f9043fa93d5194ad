"""What Azure answers a key-based request when ``allowSharedKeyAccess`` is false.

Key-based means signed with the account key: an ``Authorization: SharedKey`` or
``SharedKeyLite`` header, or a SAS (a ``sig`` query parameter) that is not a user
delegation SAS (those carry ``skoid`` and are signed with a key obtained with a bearer
token: Azure permits them). Bearer and anonymous requests are not key-based.

The query is read as Azurite reads it (:mod:`.azuritequery`: ``%73ig``, ``sig[]`` and
``[sig]`` are all ``sig``), and a SAS passes only as a genuine user delegation SAS: on Blob
(Azure has no delegation SAS for Queue or Table), with no account-SAS parameter (``ss``,
``srt``: Azurite tries the account key on those first, whatever else the SAS carries), and
naming a delegation key Azurite issued to a bearer caller (:mod:`.delegation`), whose
signature Azurite then checks.

Azure refuses with status 403, reason phrase and message "Key based authentication is
not permitted on this storage account.", error code ``KeyBasedAuthenticationNotPermitted``
in ``x-ms-error-code`` and in the body ("Prevent Shared Key authorization for an Azure
Storage account", Microsoft Learn: service and account SAS are "denied for all Azure
Storage services", user delegation SAS permitted; the status, header and XML body as
Azure sent them are quoted in Azure/AI-Landing-Zones#64 and
microsoft/azure-maven-plugins#2519, the latter for an account-key SAS). Blob and Queue
answer Storage's XML error document, which Azure starts with a UTF-8 byte order mark
(its Content-Length counts three bytes more than the text); Table answers OData JSON
``{"odata.error": ...}`` when the request accepts JSON, as the Tables SDK does, else
XML (Azurite's table error serializer makes the same choice).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from email.utils import formatdate

from devstack.storagefront.azuritequery import parameters
from devstack.storagefront.delegation import IssuedKeys, delegated_key
from devstack.storagefront.framing import Head

CODE = "KeyBasedAuthenticationNotPermitted"
MESSAGE = "Key based authentication is not permitted on this storage account."
KEY_SCHEMES = ("sharedkey", "sharedkeylite")
#: Parameters only an account SAS carries (Azurite's AccountSASAuthenticator needs both).
ACCOUNT_SAS_PARAMETERS = ("ss", "srt")
SERVERS = {
    "blob": "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0",
    "queue": "Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0",
    "table": "Windows-Azure-Table/1.0 Microsoft-HTTPAPI/2.0",
}
_BOM = b"\xef\xbb\xbf"
_ODATA_LEVELS = ("nometadata", "minimalmetadata", "fullmetadata")


def key_based(head: Head, *, service: str = "blob", issued: IssuedKeys | None = None) -> str | None:
    """``"Shared Key"`` or ``"SAS"`` when the request is signed with the account key, or
    may be: every SAS but a user delegation SAS naming a key in ``issued``."""
    scheme = head.headers.get("authorization", "").split(" ", 1)[0].lower()
    if scheme in KEY_SCHEMES:
        return "Shared Key"
    _, _, query = head.target.partition("?")
    params = parameters(query)
    names = {name.lower() for name in params}  # stricter than Azurite, which reads "sig" only
    if "sig" not in names:
        return None
    if service != "blob" or any(name in names for name in ACCOUNT_SAS_PARAMETERS):
        return "SAS"
    key = delegated_key(params)
    if key is None or issued is None or not issued.holds(key):
        return "SAS"
    return None


def refusal(head: Head, service: str, *, close: bool = False) -> bytes:
    """The whole 403 response, head and body, as Azure's ``service`` endpoint sends it."""
    request_id = str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC)
    detail = f"{MESSAGE}\nRequestId:{request_id}\nTime:{now:%Y-%m-%dT%H:%M:%S.%f}0Z"
    content_type, body = _body(head, service, detail)
    headers = [
        ("Content-Length", str(len(body))),
        ("Content-Type", content_type),
        ("Server", SERVERS[service]),
        ("x-ms-request-id", request_id),
    ]
    for echoed in ("x-ms-client-request-id", "x-ms-version"):
        if echoed in head.headers:
            headers.append((echoed, head.headers[echoed]))
    headers.append(("x-ms-error-code", CODE))
    headers.append(("Date", formatdate(usegmt=True)))
    if close:
        headers.append(("Connection", "close"))
    lines = [f"HTTP/1.1 403 {MESSAGE}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _body(head: Head, service: str, detail: str) -> tuple[str, bytes]:
    if service == "table":
        accept = head.headers.get("accept", "").lower()
        if accept.startswith("application/json"):
            level = next((lvl for lvl in _ODATA_LEVELS if lvl in accept), "minimalmetadata")
            error = {"code": CODE, "message": {"lang": "en-US", "value": detail}}
            body = json.dumps({"odata.error": error}, separators=(",", ":")).encode()
            return f"application/json;odata={level};streaming=true;charset=utf-8", body
        xml = (
            '<?xml version="1.0" encoding="utf-8"?><error xmlns="http://schemas.microsoft.com/'
            f'ado/2007/08/dataservices/metadata"><code>{CODE}</code>'
            f'<message xml:lang="en-US">{detail}</message></error>'
        )
        return "application/xml", _BOM + xml.encode()
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{CODE}</Code>'
        f"<Message>{detail}</Message></Error>"
    )
    return "application/xml", _BOM + xml.encode()
