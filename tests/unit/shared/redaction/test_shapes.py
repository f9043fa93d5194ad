"""Secret-pattern detection: recall on generated shapes, silence on ordinary values.

Every secret-shaped value is generated at run time from a seeded RNG
(tests/support/secret_shapes.py); a failing assertion names the seed so the exact
input can be rebuilt.
"""

from __future__ import annotations

import itertools
import random
import string
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from shared.redaction import shapes as d
from tests.support import secret_shapes as ss

SEED = 20251121
SAMPLES_PER_SHAPE = 300
SEPARATORS = (" ", "\n", "\t", " | ", ", ")


def _rng(*parts: object) -> random.Random:
    return random.Random("-".join(map(str, (SEED, *parts))))


def _secret_findings(text: str) -> list[d.Finding]:
    return [f for f in d.scan(text) if f.kind in d.SECRET_KINDS]


def _spans(findings: list[d.Finding]) -> list[tuple[str, int, int]]:
    return [(f.kind, f.start, f.end) for f in findings]


def test_kind_sets_are_disjoint_and_generators_cover_every_secret_kind() -> None:
    assert not d.SECRET_KINDS & d.INFO_KINDS
    generated = {gen(_rng("cover", name)).kind for name, gen in ss.POSITIVE_GENERATORS.items()}
    assert generated == d.SECRET_KINDS


@pytest.mark.parametrize("shape", sorted(ss.POSITIVE_GENERATORS))
def test_every_generated_positive_is_found_with_its_kind_and_exact_span(shape: str) -> None:
    generate = ss.POSITIVE_GENERATORS[shape]
    for i in range(SAMPLES_PER_SHAPE):
        rng = _rng(shape, i)
        planted = generate(rng)
        if i % 2:  # half of them inside ordinary text
            sep = rng.choice(SEPARATORS)
            before, after = ss.ordinary_values(rng, 2)
            planted = planted.within(before + sep, sep + after)
        found = _secret_findings(planted.text)
        expected = [(planted.kind, planted.start, planted.end)]
        assert _spans(found) == expected, f"seed={SEED} shape={shape} sample={i}"
        assert d.contains_secret(planted.text), f"seed={SEED} shape={shape} sample={i}"


def test_ordinary_values_give_no_secret_finding() -> None:
    values = ss.ordinary_values(_rng("ordinary"), 6000)
    flagged = [(v, _spans(d.scan(v))) for v in values if d.contains_secret(v)]
    assert flagged == [], f"seed={SEED}: {len(flagged)} false positives"


def test_ordinary_values_joined_into_one_text_give_no_secret_finding() -> None:
    values = ss.ordinary_values(_rng("ordinary-joined"), 3000)
    assert _secret_findings("\n".join(values)) == [], f"seed={SEED}"


def test_instrumentation_key_is_info_not_secret() -> None:
    text = ss.app_insights_connection_string(_rng("ai"))
    findings = d.scan(text)
    assert [f.kind for f in findings] == [d.KIND_INSTRUMENTATION_KEY]
    guid = text.split("=", 1)[1].split(";", 1)[0]
    assert text[findings[0].start : findings[0].end] == guid
    assert not findings[0].is_secret
    assert not d.contains_secret(text)


def test_info_finding_does_not_hide_a_secret_next_to_it() -> None:
    rng = _rng("ai-and-key")
    planted = ss.storage_connection_string_planted(rng)
    text = ss.app_insights_connection_string(rng) + "\n" + planted.text
    kinds = [f.kind for f in d.scan(text)]
    assert kinds == [d.KIND_INSTRUMENTATION_KEY, d.KIND_STORAGE_ACCOUNT_KEY]
    assert d.contains_secret(text)


def test_many_secrets_in_one_text_are_sorted_and_non_overlapping() -> None:
    rng = _rng("many")
    text, expected = "", []
    for i in range(200):
        name = rng.choice(sorted(ss.POSITIVE_GENERATORS))
        planted = ss.POSITIVE_GENERATORS[name](_rng("many", i)).within(text + "\n", "")
        text = planted.text
        expected.append((planted.kind, planted.start, planted.end))
    found = d.scan(text)
    assert _spans(found) == expected, f"seed={SEED}"
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_sas_inside_a_connection_string_is_one_finding_covering_the_whole_field() -> None:
    planted = ss.sas_connection_string_planted(_rng("sas-in-conn"))
    assert _spans(d.scan(planted.text)) == [
        (d.KIND_CONNECTION_STRING_KEY, planted.start, planted.end)
    ]
    # classify_sas still sees the SAS behind the connection-string finding.
    assert len(d.classify_sas(planted.text)) == 1


def test_identifiable_key_wins_over_the_generic_connection_string_kind() -> None:
    rng = _rng("sb-kind")
    key = ss.service_bus_identifiable_key(rng)
    plain = ss.messaging_key(rng)
    field = ss.SHARED_ACCESS_KEY
    assert [f.kind for f in d.scan(field + key)] == [d.KIND_SERVICE_BUS_KEY]
    assert [f.kind for f in d.scan(field + plain)] == [d.KIND_CONNECTION_STRING_KEY]


def test_truncated_private_key_block_is_still_found() -> None:
    pem = ss.private_key_pem(_rng("pem-cut"))
    cut = pem[: pem.index("-----END")]
    text = f"log line: {cut}"
    assert _spans(d.scan(text)) == [(d.KIND_PRIVATE_KEY, len("log line: "), len(text))]


def test_a_full_stop_after_a_client_secret_never_hides_it() -> None:
    prefix = "new client secret: "
    for i in range(200):
        secret = ss.entra_client_secret(_rng("full-stop", i))
        (finding,) = d.scan(f"{prefix}{secret}. Rotate the old one.")
        # A shorter secret may end in "." itself, so the full stop is taken in.
        full_stop_taken = len(secret) - 6 < 34
        assert finding.start == len(prefix), f"seed={SEED} sample={i}"
        assert finding.end == len(prefix) + len(secret) + full_stop_taken, f"seed={SEED} {i}"


def _near_misses(rng: random.Random) -> dict[str, str]:
    secret = ss.entra_client_secret(rng)
    head = secret[:6]
    tail_chars = ss.ENTRA_TAIL_CHARS
    jwt_parts = ss.jwt_like(rng).split(".")
    sb_key = ss.service_bus_identifiable_key(rng)
    storage_key = ss.identifiable_storage_key(rng)
    query, sig = ss.sas_query(rng, expiry=datetime(2030, 1, 1, tzinfo=UTC), permissions="r")
    return {
        "entra tail too short": head + "".join(rng.choices(tail_chars, k=30)),
        "entra tail too long": head + "".join(rng.choices(tail_chars, k=34)) + "x",
        "entra without digit": "abcdQ~" + "".join(rng.choices(tail_chars, k=32)),
        "marker one place late": rng.choice(ss.B64_CHARS) + sb_key,
        "marker then wrong letter": sb_key[:37] + "z" + sb_key[38:],
        "88 chars, marker elsewhere": storage_key[4:80] + storage_key[:4] + storage_key[80:],
        "sig without sv/se/sp": f"https://example.org/img.png?sig={sig}&w=200",
        "sig too short": "?sv=2022-11-02&sig=" + sig[:20] + "%3D",
        "two-part token": ".".join(jwt_parts[:2]),
        "token without eyJ": ".".join(["x" + jwt_parts[0][3:], *jwt_parts[1:]]),
        "bare legacy key": ss.storage_account_key(rng),  # no keyword, no marker: no evidence
        "sas query only": query.replace("sig=", "sog="),
    }


def test_near_misses_are_not_reported() -> None:
    for i in range(100):
        for label, text in _near_misses(_rng("near", i)).items():
            assert _secret_findings(text) == [], f"seed={SEED} sample={i}: {label}"


def test_fingerprint_is_stable_distinct_and_not_the_value() -> None:
    seen: dict[str, str] = {}
    for shape, generate in sorted(ss.POSITIVE_GENERATORS.items()):
        for i in range(50):
            planted = generate(_rng("fp", shape, i))
            (finding,) = d.scan(planted.text)
            value = planted.value
            (again,) = d.scan(planted.within("elsewhere: ", " end").text)
            assert finding.fingerprint == again.fingerprint == d.fingerprint(value)
            assert len(finding.fingerprint) == 12
            assert set(finding.fingerprint) <= set(string.hexdigits.lower())
            shown = repr(finding) + str(finding)
            pieces = {value[j : j + 10] for j in range(len(value) - 9)}
            assert not any(p in shown for p in pieces), f"seed={SEED} {shape} {i}"
            assert seen.setdefault(finding.fingerprint, value) == value, "fingerprint collision"
    assert len(seen) == len(ss.POSITIVE_GENERATORS) * 50


def test_classify_sas_parses_expiry_permissions_and_signer() -> None:
    for i in range(200):
        rng = _rng("classify", i)
        expiry = datetime.fromtimestamp(1_767_225_600 + rng.randint(0, 10**8), tz=UTC)
        permissions = "".join(sorted(rng.sample("racwdxltmeop", rng.randint(1, 6))))
        delegation = rng.random() < 0.5
        query, sig = ss.sas_query(
            rng,
            expiry=expiry,
            permissions=permissions,
            user_delegation=delegation,
            encode_sig=rng.random() < 0.5,
        )
        text = f"GET https://acct.blob.core.windows.net/c/b.txt?{query} HTTP/1.1"
        (info,) = d.classify_sas(text)
        context = f"seed={SEED} sample={i}"
        assert info.expiry == expiry, context
        assert info.permissions == permissions, context
        assert info.signed_with_account_key is (not delegation), context
        assert info.version is not None, context
        assert text[info.finding.start : info.finding.end] == sig, context
        assert info.finding.kind == d.KIND_SAS_SIGNATURE, context


def test_classify_sas_reads_encoded_dates_epoch_expiry_and_several_tokens() -> None:
    rng = _rng("classify-forms")
    _, sig1 = ss.sas_query(rng, expiry=datetime(2030, 1, 1, tzinfo=UTC), permissions="r")
    _, sig2 = ss.sas_query(rng, expiry=datetime(2030, 1, 1, tzinfo=UTC), permissions="r")
    storage = (
        "https://a.blob.core.windows.net/c?sv=2022-11-02&se=2027-03-04T05%3A06%3A07Z&sp=rw"
        f"&sig={sig1}"
    )
    bus = (
        "SharedAccessSignature sr=sb%3a%2f%2fns.servicebus.windows.net%2fq"
        f"&sig={sig2}&se=1900000000&skn=send"
    )
    infos = d.classify_sas(f"{storage}\n{bus}")
    assert [i.expiry for i in infos] == [
        datetime(2027, 3, 4, 5, 6, 7, tzinfo=UTC),
        datetime.fromtimestamp(1900000000, tz=UTC),
    ]
    assert [i.permissions for i in infos] == ["rw", None]
    assert all(i.signed_with_account_key for i in infos)
    assert d.classify_sas("no shared access signature here: sig=short") == []


def test_classify_sas_tolerates_an_unparseable_expiry() -> None:
    _, sig = ss.sas_query(_rng("bad-se"), expiry=datetime(2030, 1, 1, tzinfo=UTC), permissions="r")
    (info,) = d.classify_sas(f"?sv=2022-11-02&se=soon&sp=r&sig={sig}")
    assert info.expiry is None
    assert info.permissions == "r"


MEGABYTE = 1_000_000


def _adversarial() -> dict[str, Callable[[], str]]:
    """Inputs built to make a careless regex backtrack: long runs, endless prefixes."""

    def noise() -> str:
        return "".join(_rng("adversarial").choices("Aa0+/=_-~.Q%3D&?;:sigevpeyJ \n", k=MEGABYTE))

    return {
        "one base64 run": lambda: "A" * MEGABYTE,
        "markers everywhere": lambda: ("A" * 33 + "+ASb" + "ACDb" + "AzFu") * (MEGABYTE // 45),
        "keywords with long values": lambda: (ss.ACCOUNT_KEY + "A" * 600) * (MEGABYTE // 611),
        "keywords only": lambda: (ss.SHARED_ACCESS_KEY + ss.ACCOUNT_KEY) * (MEGABYTE // 27),
        "sig without end": lambda: ("sig=" + "A%3" * 60) * (MEGABYTE // 184),
        "sas tokens without separators": lambda: (
            ("sv=1&se=2&sp=r&sig=" + "A" * 43 + "=&") * (MEGABYTE // 65)
        ),
        "token starts": lambda: "eyJ" * (MEGABYTE // 3),
        "dotted token starts": lambda: "eyJaaaaaaaaaa." * (MEGABYTE // 14),
        "entra starts": lambda: "aaa1Q~" * (MEGABYTE // 6),
        "pem begins without end": lambda: (
            ("-----BEGIN RSA PRIVATE" + " KEY-----\n") * (MEGABYTE // 33)
        ),
        "pem begins then one end": lambda: (
            ("-----BEGIN PRIVATE" + " KEY-----\nAAAA\n") * (MEGABYTE // 33)
            + "-----END PRIVATE"
            + " KEY-----"
        ),
        "pem label run": lambda: "-----BEGIN " + "A " * (MEGABYTE // 2),
        "random noise": noise,
    }


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(_adversarial()))
def test_adversarial_megabyte_completes(name: str, record_property: Callable[..., None]) -> None:
    text = _adversarial()[name]()
    assert len(text) >= MEGABYTE * 0.9
    started = time.perf_counter()
    findings = d.scan(text)
    infos = d.classify_sas(text)
    elapsed = time.perf_counter() - started
    record_property("seconds", round(elapsed, 3))  # measured, not asserted
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
    assert len(infos) <= len(text) // 43
