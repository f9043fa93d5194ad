"""The leak canary: search everything a stack produced for a secret.

Logs, state files, HTTP responses, queue messages and blobs are searched for every
version of the partner key the vault ever held (on a stack run with ``--partner-auth entra``:
for every token the partner's tenant issued and every assertion the identity endpoint issued
for the exchange, over a vault that must hold nothing), and for a marker planted in every
caller token of the session. A value counts as found in any of the encodings a careless log
line or URL would give it: raw, base64 (standard and URL-safe, unpadded), URL-encoded and hex,
or inside the decoded claims of a token written somewhere. A *part* of a value counts too:
every run of :data:`WINDOW` characters of it, raw, reversed, and as hex, base32 and base64
(both alphabets) of its bytes, looked for in any letter case (:func:`fragments`). Twelve
characters of a random key do not occur in ordinary text (tests/unit/support/test_canary.py
holds that against the repository's own files), so a hit is a leak.

The session's stack runs it when it stops (:func:`assert_nothing_leaked`, called from the
``stack`` fixture's teardown in ``tests/conftest.py``), so it sees what every test left
behind, whatever order they ran in. The app's spans are among the state files
(``traces/spans.otlp``, the export requests as the OTLP exporter sent them, whose strings
protobuf keeps verbatim), and are searched decoded besides: the canary waits for the last
batch to land, and holds that both were searched.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import requests
from azure.keyvault.secrets import SecretClient

from devstack.runner import RunningStack
from devstack.tokens import IssuerCredential
from devstack.traces.store import store_at
from tests.support.waiting import eventually

#: Fresh for every session, in the audience of every caller token the session's stack
#: accepts (tests/conftest.py): the host hands the token's claims to the app, and the leak
#: canary proves that neither tokens nor claims are written anywhere.
AUDIENCE_MARKER = f"canary-{secrets.token_hex(12)}"

#: The app setting that names the audiences the app accepts (it holds the marker, rightly).
AUDIENCES_SETTING = "CALLER_TOKEN_AUDIENCES"

#: The name under which the app's spans, decoded, are searched.
DECODED_SPANS = "spans (decoded)"

#: Every API response the session's tests received, searched by the canary.
RESPONSES: list[str] = []


def record(status: int, headers: Iterable[tuple[str, str]], body: str) -> None:
    """Keep one API response for the canary to search."""
    lines = "\n".join(f"{name}: {value}" for name, value in headers)
    RESPONSES.append(f"{status}\n{lines}\n{body}")


def encodings(value: str) -> set[str]:
    raw = value.encode()
    return {
        value,
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(value, safe=""),
        quote_plus(value),
        raw.hex(),
        raw.hex().upper(),
    }


def partner_keys(stack: RunningStack) -> set[str]:
    """Every version of the partner key the stack's vault ever held, and every key the
    partner issued (a rotation may be issued a key it never stores: it revokes it)."""
    name = stack.endpoints["partner_secret_name"]
    with stack.as_app():
        vault = SecretClient(stack.endpoints["vault"], IssuerCredential(stack.issuer()))
        versions = [p.version for p in vault.list_properties_of_secret_versions(name)]
        values = {vault.get_secret(name, version).value or "" for version in versions}
    assert values, "the vault holds no partner key"
    issued = requests.get(
        f"{stack.endpoints['partner']}/devstack/issued-keys", verify=stack.ca_bundle, timeout=10
    ).json()["keys"]
    assert issued, "the partner issued no key (the stack seeds the vault with one)"
    return values | set(issued)


def entra_credentials(stack: RunningStack) -> set[str]:
    """Every partner token the local tenant issued and every assertion the identity endpoint
    issued for the exchange; the vault, with ``PARTNER_AUTH=entra``, holds nothing."""
    with stack.as_app():
        vault = SecretClient(stack.endpoints["vault"], IssuerCredential(stack.issuer()))
        held = [p.name for p in vault.list_properties_of_secrets()]
    assert held == [], f"the vault of an entra stack holds {held}"
    tokens = requests.get(
        f"{stack.endpoints['tenant']['url']}/devstack/issued-tokens",
        verify=stack.ca_bundle,
        timeout=10,
    ).json()["tokens"]
    identity = stack.endpoints["identity"].rsplit("/msi/", 1)[0]
    assertions = requests.get(f"{identity}/devstack/issued-assertions", timeout=10).json()
    return set(tokens) | set(assertions["assertions"])


def partner_credentials(stack: RunningStack) -> set[str]:
    """What the app authenticates to the partner with on ``stack``, every value it had."""
    return entra_credentials(stack) if stack.partner_auth == "entra" else partner_keys(stack)


def outputs(stack: RunningStack, responses: Iterable[str] = ()) -> dict[str, str]:
    """Every output of the stack, by name: logs, state files but the vault's own store,
    the app's spans decoded, the given HTTP responses, queue messages and blobs."""
    found = {"stack log": stack.log_text()}
    for path in Path(stack.state_dir).rglob("*"):
        relative = path.relative_to(stack.state_dir).parts
        if path.is_file() and "vault" not in relative:
            found[str(path)] = path.read_text(errors="replace")
    found[DECODED_SPANS] = json.dumps(store_at(stack.state_dir).spans())
    for index, response in enumerate(responses):
        found[f"HTTP response {index}"] = response
    queues = stack.queue_service()
    for queue in queues.list_queues():
        client = queues.get_queue_client(queue.name)
        for message in client.peek_messages(max_messages=32):
            found[f"queue {queue.name}/{message.id}"] = str(message.content)
    blobs = stack.blob_service()
    for container in blobs.list_containers():
        container_client = blobs.get_container_client(container.name)
        for blob in container_client.list_blobs():
            data = container_client.download_blob(blob.name).readall()
            found[f"blob {container.name}/{blob.name}"] = data.decode(errors="replace")
    return found


JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.(eyJ[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*")


def token_claims(text: str) -> list[str]:
    """The decoded claim sets of every JWT-shaped string in ``text``."""
    found = []
    for match in JWT.finditer(text):
        payload = match.group(1)
        try:
            found.append(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode())
        except (binascii.Error, UnicodeDecodeError):
            continue
    return found


#: The length of the runs of a value the canary looks for (:func:`fragments`).
WINDOW = 12


def fragments(value: str) -> set[str]:
    """Every :data:`WINDOW`-character run of ``value``: raw, reversed, and hex, base32 and
    base64 (standard and URL-safe) of its UTF-8 bytes, lower-cased (the search folds case).
    Twelve bytes are sixteen base64 characters with no padding; of base32, the sixteen
    characters that ten bytes make are the ones no neighbour changes."""
    found: set[str] = set()
    for start in range(len(value) - WINDOW + 1):
        run = value[start : start + WINDOW]
        raw = run.encode("utf-8", "surrogatepass")
        found |= {
            run,
            run[::-1],
            raw.hex(),
            base64.b32encode(raw).decode()[:16],
            base64.b64encode(raw).decode(),
            base64.urlsafe_b64encode(raw).decode(),
        }
    return {form.lower() for form in found}


@functools.lru_cache(maxsize=64)
def _trie(words: frozenset[str]) -> re.Pattern[str]:
    """One regex for many literal words, as a trie: the engine follows one branch per
    character, so thousands of words cost about what one does."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        literal = ""
        while len(node) == 1 and "" not in node:  # a chain of one child: a literal
            ((char, node),) = node.items()
            literal += re.escape(char)
        branches = [re.escape(char) + render(child) for char, child in node.items() if char]
        if not branches:
            return literal
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return literal + (f"(?:{group})?" if "" in node else group)

    return re.compile(render(root) if words else "(?!)")


def leaks(values: Iterable[str], searched: dict[str, str]) -> list[str]:
    """Names of the outputs that contain any of ``values`` in any encoding, or inside the
    claims of a token written there, or a :func:`fragments` of one, in any letter case."""
    values = list(values)
    needles = set().union(*(encodings(v) for v in values))
    parts = _trie(frozenset().union(*(fragments(v) for v in values)))

    def holds(text: str) -> bool:
        return (
            any(n in text for n in needles)
            or any(n in claims for claims in token_claims(text) for n in needles)
            or parts.search(text.lower()) is not None
        )

    return sorted(name for name, text in searched.items() if holds(text))


def spans_file(stack: RunningStack) -> Path:
    return store_at(stack.state_dir).path


def settled_spans(stack: RunningStack) -> int:
    """The spans file's size once the app's exporter has sent its last batch (batches leave
    every half second: the size is read until two reads a second apart agree)."""
    path = spans_file(stack)
    sizes: list[int] = []

    def steady() -> bool:
        sizes.append(path.stat().st_size if path.exists() else 0)
        return len(sizes) > 1 and sizes[-1] == sizes[-2]

    eventually(steady, timeout=30, interval=1.0)
    return sizes[-1]


def assert_nothing_leaked(stack: RunningStack, *, pipeline_ran: bool) -> None:
    """The partner key (or, with entra, the partner's tokens and the exchange assertions)
    appears nowhere but where it belongs; no caller token, nor its claims, appears anywhere.
    ``pipeline_ran``: the jobs pipeline's tests ran in this session, so their responses,
    result blobs and spans must be among what was searched."""
    traced = settled_spans(stack)
    searched = outputs(stack, RESPONSES)
    if pipeline_ran:
        assert RESPONSES, "the pipeline tests recorded no HTTP response to search"
        assert any(name.startswith("blob results/") for name in searched), "no result searched"
        assert traced > 0, "the app exported no span to search"
        assert str(spans_file(stack)) in searched, "the spans were not searched"
        assert '"span_id"' in searched[DECODED_SPANS], "the spans were not searched decoded"
    credentials = partner_credentials(stack)
    if pipeline_ran:
        assert credentials, f"no partner credential of the {stack.partner_auth} stack to search"
    if credentials:  # planted: one of them in a log line is found
        planted = {"a log line": f"Authorization: Bearer {min(credentials)}", "nothing": "x"}
        assert leaks(credentials, planted) == ["a log line"]
    found = leaks(credentials, searched)
    assert found == [], f"a partner credential ({stack.partner_auth}) was written to: {found}"

    # Planted: every caller token of the session names the marker in its audience, and a
    # token written anywhere would be caught (raw, or by its decoded claims).
    assert AUDIENCE_MARKER in stack.endpoints["audience"]
    token = stack.caller_token("Jobs.Submit")
    assert leaks([AUDIENCE_MARKER], {"a token": token, "nothing": "x"}) == ["a token"]
    # The stack's own statement of the audience it accepts is where the marker belongs, and
    # so is the app's (the setting it verifies tokens with): nothing else in those files.
    del searched[str(Path(stack.state_dir, "endpoints.json"))]
    app_env_file = str(Path(stack.state_dir, "app-env.json"))
    app_env = json.loads(searched[app_env_file])
    assert AUDIENCE_MARKER in app_env.pop(AUDIENCES_SETTING)
    searched[app_env_file] = json.dumps(app_env)
    found = leaks([AUDIENCE_MARKER], searched)
    assert found == [], f"a caller token or its claims was written to: {found}"
