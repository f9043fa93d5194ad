"""Redaction: Secret masks itself; scrub removes known and secret-shaped values (logs: see
test_redaction_logging.py).

Secret values are generated at run time from a seeded RNG; assertion messages
carry the seed.
"""

from __future__ import annotations

import base64
import copy
import hmac
import io
import json
import logging
import math
import operator
import pickle
import random
import re
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from shared.redaction import Secret, _secret, register, scrub
from shared.redaction._registry import pattern_count
from tests.support import secret_shapes as ss
from tests.support.redaction_values import SEED, key_value, leaks, seeded_rng

# --- Secret ----------------------------------------------------------------------------

FORMAT_SPECS = ["", "s", ">60", "<5", "^30", "*^70", ".3", "x", "d", "10.2f", "%", "#"]


@pytest.fixture
def secret() -> Secret:
    return Secret(key_value(seeded_rng("secret")), name="partner-api-key")


def test_mask_names_the_secret_and_nothing_else(secret: Secret) -> None:
    assert repr(secret) == "Secret('partner-api-key', ****)"
    assert str(secret) == repr(secret)
    assert secret.name == "partner-api-key"
    assert not isinstance(secret, str)


@pytest.mark.parametrize("spec", FORMAT_SPECS)
def test_every_format_spec_gives_the_mask(secret: Secret, spec: str) -> None:
    assert format(secret, spec) == repr(secret)
    assert f"{secret:{spec}}" == repr(secret)
    assert "{:{}}".format(secret, spec) == repr(secret)


def test_every_formatting_path_masks(secret: Secret) -> None:
    @dataclass
    class Config:
        key: Secret

    percent = ["%s", "%r", "%a", "%-50s|", "%.80s"]
    braces = ["{}", "{0!r}", "{0!s}", "{0!a}", "{0:>70}", "{k}"]
    outputs = [
        repr(secret), str(secret), ascii(secret), f"{secret}", f"{secret!r}", f"{secret!s}",
        f"{secret!a}", f"{secret=}", f"{secret:>70}", str([secret]), repr({"k": secret}),
        repr((secret,)), str({secret}), repr(Config(secret)), str(ValueError(f"bad {secret}")),
        str(KeyError(secret)), "".join(traceback.format_exception(RuntimeError(secret))),
        operator.mod("%(k)s", {"k": secret}),
        *(operator.mod(template, (secret,)) for template in percent),
        *(str.format(template, secret, k=secret) for template in braces),
    ]  # fmt: skip
    for output in outputs:
        assert "partner-api-key" in output
        assert not leaks(secret.reveal(), output), f"seed={SEED}: {output!r}"


def test_logging_arguments_are_masked_without_any_filter(secret: Secret) -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.redaction.plain")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("key=%s repr=%r", secret, secret)
        logger.warning(secret)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().count("Secret('partner-api-key', ****)") == 3
    assert not leaks(secret.reveal(), stream.getvalue())


@pytest.mark.parametrize(
    "escape",
    [
        pickle.dumps,
        lambda s: pickle.dumps([s], protocol=0),
        lambda s: pickle.dumps({"k": s}, protocol=pickle.HIGHEST_PROTOCOL),
        copy.copy,
        copy.deepcopy,
        lambda s: copy.deepcopy({"nested": [s]}),
        json.dumps,
        lambda s: json.dumps({"k": s}),
        lambda s: s.__reduce__(),
        lambda s: s.__reduce_ex__(2),
        lambda s: s.__getstate__(),
    ],
)
def test_pickling_copying_and_json_are_refused(secret: Secret, escape) -> None:
    with pytest.raises(TypeError) as raised:
        escape(secret)
    assert not leaks(secret.reveal(), str(raised.value))


def test_secret_is_immutable_and_has_no_dict(secret: Secret) -> None:
    with pytest.raises(AttributeError):
        secret._value = "replaced value"
    with pytest.raises(AttributeError):
        del secret._name
    with pytest.raises(TypeError):
        vars(secret)


FORMAT_CHAINS = [
    "{0._value}",
    "{0._name}",
    "{0._Secret__value}",
    "{0.__slots__}",
    "{0.__class__._value}",
    "{0.reveal.__self__._value}",
    "{0.__class__.__init__.__globals__[_REGISTRY]}",
    "{0.__class__.__init__.__globals__[_REGISTRY]._known}",
    "{0.__class__.__init__.__globals__[_REGISTRY]._levels}",
    "{0.__class__.__init__.__globals__[_REGISTRY].add.__self__._patterns}",
    "{0.reveal.__func__.__globals__[Registry].add.__globals__[re]._cache}",
    "{0.reveal.__func__.__globals__[Registry]._known}",
]


@pytest.mark.parametrize("template", FORMAT_CHAINS)
def test_no_attribute_chain_of_a_format_template_reaches_the_value(template: str) -> None:
    """``str.format`` resolves ``.name`` with getattr and ``[key]`` with getitem, so a
    template can walk from the Secret to its slots, its class and its module's globals
    (Python docs, Format String Syntax, "field_name"). Each walk either stops with an
    error or prints something that is not the value."""
    value = key_value(seeded_rng("format-chain", template))
    secret = Secret(value)
    scrub("compile the registered forms")
    try:
        output = template.format(secret)
    except (AttributeError, KeyError, TypeError):
        return
    assert not leaks(value, output), f"{template} -> {output[:200]}"


def test_attribute_access_is_refused_but_the_public_api_answers(secret: Secret) -> None:
    with pytest.raises(AttributeError, match="no readable attribute '_value'"):
        secret._value  # noqa: B018
    with pytest.raises(AttributeError):
        getattr(secret, "_name")  # noqa: B009
    assert secret.name == "partner-api-key"
    assert len(secret.reveal()) > 8
    assert isinstance(secret, Secret)
    assert type(secret).__name__ == "Secret"


def test_the_format_chain_check_catches_an_attribute_that_holds_the_value() -> None:
    """A positive: the same check, on an object that keeps its value in an attribute as
    Secret once did, finds the leak."""

    class Careless:
        def __init__(self, value: str) -> None:
            self._value = value

    value = key_value(seeded_rng("careless"))
    assert leaks(value, f"{Careless(value)._value}")


def test_equality_is_constant_time_and_hash_reveals_nothing(monkeypatch) -> None:
    rng = seeded_rng("eq")
    value, other = key_value(rng), key_value(rng)
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert Secret(value) == Secret(value, name="another name")
    assert Secret(value) != Secret(other)
    assert len(calls) == 2
    assert Secret(value) != value  # a Secret never equals the bare string
    assert hash(Secret(value)) == hash(Secret(value))
    assert hash(Secret(value)) != hash(value)
    assert len({Secret(value), Secret(value), Secret(other)}) == 2


def test_truthiness_follows_the_value() -> None:
    assert Secret(key_value(seeded_rng("bool")))
    assert not Secret("")


def test_constructing_a_secret_registers_it_for_scrubbing() -> None:
    value = key_value(seeded_rng("registers"))
    assert scrub(f"echo {value}") == f"echo {value}"
    Secret(value)
    assert scrub(f"echo {value}") == "echo [REDACTED]"


def test_short_secret_is_masked_but_not_registered() -> None:
    short = "Zq7-" + str(seeded_rng("short").randint(100, 999))
    secret = Secret(short)
    assert repr(secret) == "Secret('secret', ****)"
    assert scrub(f"id {short}") == f"id {short}"


def test_secret_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        Secret(b"bytes are not accepted")  # type: ignore[arg-type]


# --- register / scrub ------------------------------------------------------------------


def test_register_refuses_short_values_and_non_text() -> None:
    with pytest.raises(ValueError, match="shorter than 8"):
        register("abc1234")
    with pytest.raises(TypeError):
        register(12345678)  # type: ignore[arg-type]


def _encoded_forms(value: str) -> dict[str, str]:
    raw = value.encode()
    b64, url64 = base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()
    return {
        "raw": value,
        "base64": b64,
        "base64 unpadded": b64.rstrip("="),
        "urlsafe base64": url64,
        "urlsafe base64 unpadded": url64.rstrip("="),
        "url-encoded": quote(value, safe=""),
        "url-encoded lower hex": re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), quote(value, "")),
        "form-encoded": quote_plus(value),
        "json-escaped": json.dumps(value)[1:-1],
        "json-escaped, non-ascii kept": json.dumps(value, ensure_ascii=False)[1:-1],
    }


@pytest.mark.slow
def test_registered_values_are_scrubbed_in_every_encoding() -> None:
    for i in range(50):
        value = key_value(seeded_rng("encodings", i))
        register(value)
        for label, form in _encoded_forms(value).items():
            text = f"before {form} after"
            assert scrub(text) == "before [REDACTED] after", f"seed={SEED} sample={i} {label}"


def test_value_inside_a_json_document_is_scrubbed() -> None:
    value = key_value(seeded_rng("json-doc"))
    register(value)
    document = json.dumps({"headers": {"x-api-key": value}, "n": 1})
    cleaned = scrub(document)
    assert "[REDACTED]" in cleaned
    assert not leaks(value, cleaned)


def test_longest_registered_value_wins() -> None:
    rng = seeded_rng("prefix")
    long_value = key_value(rng, 40)
    register(long_value[:12])
    register(long_value)
    assert scrub(f"<{long_value}>") == "<[REDACTED]>"
    assert scrub(f"<{long_value[:12]}>") == "<[REDACTED]>"


def test_overlapping_values_registered_at_different_times_leave_no_tail() -> None:
    value = key_value(seeded_rng("overlap"), 40)
    for piece in (value[:12], value[5:20], value[18:], value):
        register(piece)
        scrub("compile what is pending")  # each registration lands in its own regex
    assert scrub(f"<{value}>") == "<[REDACTED]>"
    assert scrub(f"<{value[:20]}>") == "<[REDACTED]>"
    inner = key_value(seeded_rng("overlap-inner"), 40)
    for piece in (inner, inner[5:20]):  # a value registered inside another one
        register(piece)
        scrub("compile what is pending")
    assert scrub(f"<{inner}>") == "<[REDACTED]>"


@pytest.mark.volume
@pytest.mark.slow  # hundreds of registered values, each compiled in: seconds of CPU
def test_one_by_one_registration_keeps_few_regexes() -> None:
    rng = seeded_rng("levels")
    for _ in range(128):
        register(key_value(rng))
        scrub("compile what is pending")
    known = len(_secret._REGISTRY)
    assert pattern_count(_secret._REGISTRY) <= 2 * math.log2(known) + 1


@pytest.mark.volume
@pytest.mark.slow  # hundreds of registered values, each compiled in: seconds of CPU
def test_many_registered_values_are_all_scrubbed(record_property) -> None:
    rng = seeded_rng("many")
    values = [key_value(rng, rng.randint(12, 60)) for _ in range(400)]
    for value in values:
        register(value)
    chosen = rng.sample(values, 50)
    text = " | ".join(f"call {i} with {v}" for i, v in enumerate(chosen))
    started = time.perf_counter()
    cleaned = scrub(text)
    record_property("scrub_seconds", round(time.perf_counter() - started, 4))
    assert cleaned.count("[REDACTED]") == 50, f"seed={SEED}"
    assert not any(v in cleaned for v in chosen)


@pytest.mark.volume
@pytest.mark.slow  # hundreds of registered values, each compiled in: seconds of CPU
def test_concurrent_registration_loses_nothing() -> None:
    values = [[key_value(seeded_rng("threads", t, i)) for i in range(25)] for t in range(8)]

    def register_all(batch: list[str]) -> None:
        for value in batch:
            register(value)

    threads = [threading.Thread(target=register_all, args=(batch,)) for batch in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [v for vs in values for v in vs]
    assert scrub("\n".join(flat)) == "\n".join(["[REDACTED]"] * len(flat))


@pytest.mark.parametrize("shape", sorted(ss.POSITIVE_GENERATORS))
def test_pattern_secrets_are_scrubbed_with_their_kind(shape: str) -> None:
    for i in range(100):
        planted = ss.POSITIVE_GENERATORS[shape](seeded_rng("scrub-shape", shape, i))
        expected = (
            planted.text[: planted.start]
            + f"[REDACTED:{planted.kind}]"
            + planted.text[planted.end :]
        )
        assert scrub(planted.text) == expected, f"seed={SEED} shape={shape} sample={i}"


def test_ordinary_text_and_info_kinds_pass_unchanged() -> None:
    values = ss.ordinary_values(seeded_rng("ordinary"), 2000)
    assert [v for v in values if scrub(v) != v] == [], f"seed={SEED}"
    connection = ss.app_insights_connection_string(seeded_rng("ai"))
    assert scrub(connection) == connection


@pytest.mark.volume
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_scrub_of_a_megabyte_completes(record_property) -> None:
    rng = seeded_rng("megabyte")
    pieces = [p.text for p in (ss.sas_url_planted(rng) for _ in range(200))]
    text = ("A" * 45_000 + "\n" + "\n".join(ss.ordinary_values(rng, 200))) * 20 + "\n".join(pieces)
    started = time.perf_counter()
    cleaned = scrub(text)
    record_property("scrub_seconds", round(time.perf_counter() - started, 3))
    assert len(text) > 1_000_000
    assert cleaned.count("[REDACTED:sas-signature]") == 200


def _token(rng: random.Random, header: dict[str, str], claims: dict[str, object]) -> str:
    def part(document: dict[str, Any]) -> str:
        text = json.dumps(document, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    signature = base64.urlsafe_b64encode(rng.randbytes(256)).decode().rstrip("=")
    return f"{part(header)}.{part(claims)}.{signature}"


def test_a_token_that_shares_runs_with_a_registered_one_goes_whole() -> None:
    """Two tokens of one issuer start alike (same header, same ``iss``); the app registers
    its own, whose 12-character runs are registered forms. Another token in a text must
    still go whole, with its kind: masking only the shared runs left the rest of it (its
    claims and signature) in clear, and no longer shaped like a token."""
    rng = seeded_rng("shared-runs")
    header = {"kid": f"k{rng.getrandbits(64):016x}", "alg": "RS256", "typ": "JWT"}
    issuer = f"https://login.example/{rng.getrandbits(64):016x}/v2.0"
    registered = _token(rng, header, {"iss": issuer, "sub": "app", "n": rng.random()})
    register(registered)
    other = _token(rng, header, {"iss": issuer, "sub": "caller", "n": rng.random()})
    assert other[:40] == registered[:40]  # the shared runs the registry matches
    assert scrub(f"Authorization: Bearer {other}") == "Authorization: Bearer [REDACTED:jwt]"
    assert scrub(f"a {registered} b") == "a [REDACTED] b"  # itself: a registered value
    # A registered value that runs past the token's end takes both, as registered.
    key = key_value(rng)
    register(key)
    joined = scrub(f"x {other}{key} y")
    assert joined == "x [REDACTED] y"
