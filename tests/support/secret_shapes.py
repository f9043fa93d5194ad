"""Secret-shaped values built at run time, for tests.

No file in this repository holds a literal key, SAS, token or private key: a
secret scanner run over the tree must stay quiet, and a literal that looks real
is indistinguishable from a leak. Every value here is assembled from a seeded
``random.Random`` when a test runs, following the documented shapes that
shared/redaction/shapes.py recognises.

Each ``*_planted`` generator returns a :class:`Planted`: a realistic carrier text
(connection string, URL, header, JSON) plus the kind and the exact span a
detector is expected to report.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import textwrap
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from shared.redaction import shapes as d
from tests.support.vendor_secret_shapes import VENDOR_GENERATORS

B64_CHARS = string.ascii_letters + string.digits + "+/"
URLSAFE_CHARS = string.ascii_letters + string.digits + "-_"
ENTRA_HEAD_CHARS = string.ascii_letters + string.digits + "_~."
ENTRA_TAIL_CHARS = ENTRA_HEAD_CHARS + "-"
# Markers of identifiable keys; plain (legacy) keys are resampled until they carry
# none, so a generated key is of exactly one kind.
MARKERS = ("+ASt", "ACDb", "+ASb", "+AEh", "AzCa", "+ACR", "AzFu")


@dataclass(frozen=True)
class Planted:
    """A carrier text holding one secret-shaped value at ``[start, end)``."""

    text: str
    kind: str
    start: int
    end: int

    @property
    def value(self) -> str:
        return self.text[self.start : self.end]

    def within(self, before: str, after: str) -> Planted:
        """The same secret with more text around it."""
        return replace(
            self,
            text=before + self.text + after,
            start=self.start + len(before),
            end=self.end + len(before),
        )


def plant(kind: str, before: str, value: str, after: str = "") -> Planted:
    return Planted(before + value + after, kind, len(before), len(before) + len(value))


def _name(rng: random.Random, lo: int = 3, hi: int = 12) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(lo, hi)))


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _b64(rng: random.Random, nbytes: int, *, urlsafe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(rng.randbytes(nbytes)).decode("ascii")


def _plain_b64(rng: random.Random, nbytes: int) -> str:
    while True:
        key = _b64(rng, nbytes)
        if not any(m in key for m in MARKERS):
            return key


def _with_marker(rng: random.Random, nbytes: int, offset: int, marker: str, **kw: bool) -> str:
    """A real base64 encoding of random bytes with ``marker`` written at ``offset``."""
    key = _b64(rng, nbytes, **kw)
    return key[:offset] + marker + key[offset + len(marker) :]


# --- bare values -------------------------------------------------------------------


def storage_account_key(rng: random.Random) -> str:
    """Legacy storage account key: 64 random bytes, 86 base64 characters and "=="."""
    return _plain_b64(rng, 64)


def identifiable_storage_key(rng: random.Random) -> str:
    return _with_marker(rng, 64, 76, "+ASt")


def messaging_key(rng: random.Random) -> str:
    """Legacy Service Bus / Event Hubs key: 32 random bytes, 43 characters and "="."""
    return _plain_b64(rng, 32)


def _key32(rng: random.Random, marker: str) -> str:
    key = _with_marker(rng, 32, 33, marker)
    return key[:37] + rng.choice("ABCDEFGHIJKLMNOP") + key[38:]


def service_bus_identifiable_key(rng: random.Random) -> str:
    return _key32(rng, "+ASb")


def event_hubs_identifiable_key(rng: random.Random) -> str:
    return _key32(rng, "+AEh")


def redis_identifiable_key(rng: random.Random) -> str:
    return _key32(rng, "AzCa")


def cosmos_identifiable_key(rng: random.Random) -> str:
    return _with_marker(rng, 64, 76, "ACDb")


def functions_key(rng: random.Random) -> str:
    return _with_marker(rng, 40, 44, "AzFu", urlsafe=True)


def container_registry_key(rng: random.Random) -> str:
    key = _with_marker(rng, 39, 42, "+ACR")
    return key[:46] + rng.choice("ABCD") + key[47:]


def entra_client_secret(rng: random.Random, *, tail: int | None = None) -> str:
    head = "".join(rng.choices(ENTRA_HEAD_CHARS, k=3)) + str(rng.randint(0, 9)) + "Q~"
    length = rng.randint(31, 34) if tail is None else tail
    return head + "".join(rng.choices(ENTRA_TAIL_CHARS, k=length))


def _b64url_json(obj: object) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt_like(rng: random.Random) -> str:
    header = {"alg": rng.choice(["RS256", "HS256", "ES256"]), "typ": "JWT", "kid": _name(rng)}
    now = 1_700_000_000 + rng.randint(0, 10**8)
    claims = {"aud": f"api://{_guid(rng)}", "oid": _guid(rng), "iat": now, "exp": now + 3600}
    signature = _b64(rng, rng.choice([32, 64, 256]), urlsafe=True).rstrip("=")
    return f"{_b64url_json(header)}.{_b64url_json(claims)}.{signature}"


def private_key_pem(rng: random.Random) -> str:
    label = rng.choice(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "]) + "PRIVATE" + " KEY"
    body = "\n".join(textwrap.wrap(_b64(rng, rng.randint(120, 1200)), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


def sas_query(
    rng: random.Random,
    *,
    expiry: datetime,
    permissions: str,
    user_delegation: bool = False,
    encode_sig: bool = True,
) -> tuple[str, str]:
    """A SAS query string in a random parameter order and its ``sig`` value."""
    sig = _b64(rng, 32)
    if encode_sig:
        sig = sig.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    params = [
        f"sv={rng.choice(['2021-08-06', '2022-11-02', '2025-05-05'])}",
        f"sp={permissions}",
        f"se={expiry.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"sr={rng.choice('bcs')}",
        "spr=https",
    ]
    if user_delegation:
        params += [f"skoid={_guid(rng)}", f"sktid={_guid(rng)}", "skv=2022-11-02", "sks=b"]
    rng.shuffle(params)
    params.insert(rng.randint(0, len(params)), f"sig={sig}")
    return "&".join(params), sig


# --- planted in realistic carriers ---------------------------------------------------


def field(*words: str) -> str:
    """A connection-string field name and its ``=``, assembled at run time.

    The carriers below put generated secrets after these names; spelling the
    names whole would commit text shaped like the start of a secret.
    """
    return "".join(words) + "="


ACCOUNT_KEY = field("Account", "Key")
SHARED_ACCESS_KEY = field("SharedAccess", "Key")
SHARED_ACCESS_SIGNATURE = field("SharedAccess", "Signature")


def storage_connection_string_planted(rng: random.Random) -> Planted:
    keyword = rng.choice([ACCOUNT_KEY, ACCOUNT_KEY.lower(), ACCOUNT_KEY.upper()])
    before = f"DefaultEndpointsProtocol=https;AccountName={_name(rng)};{keyword}"
    return plant(
        d.KIND_STORAGE_ACCOUNT_KEY,
        before,
        storage_account_key(rng),
        rng.choice(["", ";EndpointSuffix=core.windows.net"]),
    )


def identifiable_storage_key_planted(rng: random.Random) -> Planted:
    before = rng.choice(["STORAGE_KEY=", '{"key": "', ACCOUNT_KEY, "key: "])
    return plant(d.KIND_STORAGE_ACCOUNT_KEY, before, identifiable_storage_key(rng), '"')


def messaging_connection_string_planted(rng: random.Random) -> Planted:
    host = rng.choice(["servicebus.windows.net", "servicebus.windows.net:5671"])
    before = (
        f"Endpoint=sb://{_name(rng)}.{host}/;"
        f"SharedAccessKeyName=RootManageSharedAccessKey;{SHARED_ACCESS_KEY}"
    )
    after = rng.choice(["", f";EntityPath={_name(rng)}"])
    return plant(d.KIND_CONNECTION_STRING_KEY, before, messaging_key(rng), after)


def sas_connection_string_planted(rng: random.Random) -> Planted:
    query, _ = sas_query(rng, expiry=datetime.now(UTC), permissions="rl")
    before = f"BlobEndpoint=https://{_name(rng)}.blob.core.windows.net/;{SHARED_ACCESS_SIGNATURE}"
    return plant(d.KIND_CONNECTION_STRING_KEY, before, query, rng.choice(["", ";"]))


def sas_url_planted(rng: random.Random) -> Planted:
    expiry = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 10**6))
    query, sig = sas_query(
        rng,
        expiry=expiry,
        permissions=rng.choice(["r", "rl", "racwdl"]),
        user_delegation=rng.random() < 0.5,
        encode_sig=rng.random() < 0.7,
    )
    url = f"https://{_name(rng)}.blob.core.windows.net/{_name(rng)}/{_name(rng)}.json?{query}"
    start = url.index("sig=") + 4
    return Planted(url, d.KIND_SAS_SIGNATURE, start, start + len(sig))


def entra_client_secret_planted(rng: random.Random) -> Planted:
    before, after = rng.choice(
        [
            ("AZURE_CLIENT_SECRET=", ""),
            ('{"clientSecret": "', '"}'),
            ("client_secret=", "&grant_type=client_credentials"),
            ("rotated the client secret, it is now ", "."),
        ]
    )
    # A full stop after a shorter secret could be its last character; the detector
    # then takes it in (redacting one character more). Only the full-length secret
    # makes the sentence's full stop unambiguous.
    secret = entra_client_secret(rng, tail=34 if after == "." else None)
    return plant(d.KIND_ENTRA_CLIENT_SECRET, before, secret, after)


def functions_key_planted(rng: random.Random) -> Planted:
    key = functions_key(rng)
    if rng.random() < 0.5:
        key = key[:-2] + "%3D%3D"
    before = f"https://{_name(rng)}.azurewebsites.net/api/{_name(rng)}?code="
    return plant(d.KIND_FUNCTIONS_KEY, before, key, rng.choice(["", "&clientId=default"]))


def cosmos_key_planted(rng: random.Random) -> Planted:
    before = f"AccountEndpoint=https://{_name(rng)}.documents.azure.com:443/;{ACCOUNT_KEY}"
    return plant(d.KIND_COSMOS_DB_KEY, before, cosmos_identifiable_key(rng), ";")


def service_bus_key_planted(rng: random.Random) -> Planted:
    before = f"Endpoint=sb://{_name(rng)}.servicebus.windows.net/;{SHARED_ACCESS_KEY}"
    return plant(d.KIND_SERVICE_BUS_KEY, before, service_bus_identifiable_key(rng))


def event_hubs_key_planted(rng: random.Random) -> Planted:
    before = "EVENTHUB_KEY='"
    return plant(d.KIND_EVENT_HUBS_KEY, before, event_hubs_identifiable_key(rng), "'")


def redis_key_planted(rng: random.Random) -> Planted:
    before = f"{_name(rng)}.redis.cache.windows.net:6380,password="
    return plant(d.KIND_REDIS_KEY, before, redis_identifiable_key(rng), ",ssl=True")


def container_registry_key_planted(rng: random.Random) -> Planted:
    before = f"docker login {_name(rng)}.azurecr.io -u {_name(rng)} -p "
    return plant(d.KIND_CONTAINER_REGISTRY_KEY, before, container_registry_key(rng))


def jwt_planted(rng: random.Random) -> Planted:
    before = rng.choice(["Authorization: Bearer ", "token=", '{"access_token":"'])
    return plant(d.KIND_JWT, before, jwt_like(rng), rng.choice(["", '"', " next"]))


def private_key_planted(rng: random.Random) -> Planted:
    pem = private_key_pem(rng)
    if rng.random() < 0.5:  # as it sits in a JSON document
        return plant(d.KIND_PRIVATE_KEY, '{"key": "', pem.replace("\n", "\\n"), '"}')
    return plant(d.KIND_PRIVATE_KEY, "key file:\n", pem, "\n")


POSITIVE_GENERATORS: dict[str, Callable[[random.Random], Planted]] = {
    "storage-connection-string": storage_connection_string_planted,
    "identifiable-storage-key": identifiable_storage_key_planted,
    "messaging-connection-string": messaging_connection_string_planted,
    "sas-connection-string": sas_connection_string_planted,
    "sas-url": sas_url_planted,
    "entra-client-secret": entra_client_secret_planted,
    "functions-key": functions_key_planted,
    "cosmos-key": cosmos_key_planted,
    "service-bus-key": service_bus_key_planted,
    "event-hubs-key": event_hubs_key_planted,
    "redis-key": redis_key_planted,
    "container-registry-key": container_registry_key_planted,
    "jwt": jwt_planted,
    "private-key": private_key_planted,
    **VENDOR_GENERATORS,
}


# --- ordinary values: what settings and logs hold when nothing is wrong ----------------


def app_insights_connection_string(rng: random.Random) -> str:
    region = rng.choice(["westeurope-5", "eastus-8", "northeurope-2"])
    return (
        f"InstrumentationKey={_guid(rng)};IngestionEndpoint=https://{region}.in."
        f"applicationinsights.azure.com/;ApplicationId={_guid(rng)}"
    )


def _ordinary_one(rng: random.Random) -> str:
    account, service = _name(rng), rng.choice(["blob", "queue", "table"])
    makers: list[Callable[[], str]] = [
        lambda: f"https://{account}.{service}.core.windows.net/",
        lambda: f"https://{account}.blob.core.windows.net/c/{_name(rng)}?comp=list&restype=x",
        lambda: (
            f"https://{_name(rng)}.vault.azure.net/secrets/{_name(rng)}/{rng.getrandbits(128):032x}"
        ),
        lambda: f"@Microsoft.KeyVault(SecretUri=https://{_name(rng)}.vault.azure.net/secrets/x/)",
        lambda: _guid(rng),
        lambda: base64.b64encode(
            json.dumps({_name(rng): _name(rng), "n": rng.random(), "id": _guid(rng)}).encode()
        ).decode(),
        lambda: _b64(rng, rng.choice([16, 24, 32, 48, 64])),
        lambda: f"{rng.getrandbits(160):040x}",
        lambda: f"{rng.getrandbits(256):064x}",
        lambda: f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}",
        lambda: rng.choice(["2022-11-02", "2025-05-05", "v1.0", "3.11.7", "~4"]),
        lambda: f"{rng.randint(0, 59)} */{rng.randint(1, 30)} * * * *",
        lambda: rng.choice(["0 0 3 * * *", "*/30 * * * * *", "0 0 */6 * * 1-5"]),
        lambda: f"/home/site/wwwroot/{_name(rng)}/{_name(rng)}.py",
        lambda: f"C:\\Users\\{_name(rng)}\\AppData\\Local\\{_name(rng)}.json",
        lambda: f"~/.azure/{_name(rng)}.json",
        lambda: app_insights_connection_string(rng),
        lambda: f"Authorization=AAD;ClientId={_guid(rng)}",
        lambda: rng.choice(["managedidentity", "python", "true", "false", "Development"]),
        lambda: f"{_name(rng)}@{_name(rng)}.onmicrosoft.com",
        lambda: datetime(2025, 1, 1, tzinfo=UTC).isoformat(),
        lambda: f"sig-{_name(rng)}=on&sv=1",
        lambda: json.dumps({"queue": _name(rng), "retries": rng.randint(1, 9)}),
    ]
    return rng.choice(makers)()


def ordinary_values(rng: random.Random, count: int = 1000) -> list[str]:
    """Values that must never be reported as secrets (info kinds are allowed)."""
    return [_ordinary_one(rng) for _ in range(count)]


def azurite_account_key() -> str:
    """Azurite's well-known development account key, read from the installed Azurite.

    The key is public (Azurite's documentation prints it) but shaped like any account key,
    so no file here holds it: it is read from Azurite's own constants when a test runs.
    """
    from pathlib import Path

    constants = (
        Path(__file__).resolve().parents[2]
        / "node_modules/azurite/dist/src/blob/utils/constants.js"
    )
    found = re.search(r'EMULATOR_ACCOUNT_KEY_STR = "([^"]+)"', constants.read_text())
    if found is None:
        raise RuntimeError(f"Azurite's development key is not in {constants}")
    return found.group(1)
