"""shared.callers._token: the app's own verification of a caller's token.

Tokens are minted by the devstack's issuer (real RS256 JWTs with Entra's claims) and its
key set is served over loopback HTTP, counted. What is checked follows the Microsoft
identity platform's guidance for resource servers ("Access tokens", validating tokens:
signature against the issuer's published keys, issuer, audience, lifetime), and the
claims follow Entra's (``oid``, ``roles``; v1 ``iss`` ``https://sts.windows.net/<tenant>/``,
v2 ``https://login.microsoftonline.com/<tenant>/v2.0``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import jwt
import pytest
from jwt.utils import base64url_encode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.tokens import TokenIssuer
from shared.callers import (
    LEEWAY,
    CallerTokenError,
    IssuerKeysUnavailableError,
    TokenVerifier,
    bearer_token,
    tenant_of,
)
from shared.callers import _token as token_module
from tests.support.servers import serve

AUDIENCE = "api://callertoken-tests"
CALLER = str(uuid.uuid4())


@dataclass
class KeySet:
    issuer: TokenIssuer
    url: str
    fetches: int = 0
    up: bool = True


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture
def keys(issuer: TokenIssuer) -> Iterator[KeySet]:
    state = KeySet(issuer, "")

    async def jwks(_: Request) -> Response:
        state.fetches += 1
        if not state.up:
            return Response(status_code=503)
        return JSONResponse(issuer.jwks())

    with serve(Starlette(routes=[Route("/keys", jwks)])) as (base, _):
        state.url = f"{base}/keys"
        yield state


@pytest.fixture
def verifier(keys: KeySet) -> TokenVerifier:
    return TokenVerifier(issuers=[keys.issuer.issuer], audiences=[AUDIENCE], jwks_url=keys.url)


def mint(
    issuer: TokenIssuer,
    *roles: str,
    audience: str = AUDIENCE,
    lifetime: int = 600,
    not_before: int | None = None,
) -> str:
    minted = issuer.mint(
        audience,
        object_id=CALLER,
        app_id="caller",
        roles=list(roles),
        lifetime=lifetime,
        not_before=not_before,
    )
    return minted.token


def test_a_valid_token_gives_the_caller_and_only_its_roles(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    principal = verifier.verify(mint(issuer, "Jobs.Submit"))
    assert principal.object_id == CALLER
    assert principal.roles == frozenset({"Jobs.Submit"})
    assert not principal.has_role("Jobs.Admin")


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("another audience", "another audience"),
        ("expired", "expired"),
        ("not yet valid", "not valid yet"),
        ("another issuer's key", "not signed by a key of its issuer"),
        ("signature tampered", "signature does not verify"),
        ("another issuer", "another issuer"),
        ("no oid", "'oid'"),
        ("unsigned", "malformed"),
        ("garbage", "malformed"),
        ("a key id that is not a string", "malformed"),
        ("a header that is not JSON", "malformed"),
        # The key is looked up from the header alone; the rest is parsed strictly after.
        ("junk in the payload", "malformed"),
    ],
)
def test_a_token_that_fails_any_check_is_refused_saying_which(
    issuer: TokenIssuer, verifier: TokenVerifier, case: str, reason: str
) -> None:
    stranger = TokenIssuer.generate()
    now = int(time.time())
    tokens = {
        "another audience": lambda: mint(issuer, audience="api://someone-else"),
        "expired": lambda: mint(issuer, lifetime=-(LEEWAY + 600)),
        "not yet valid": lambda: mint(issuer, not_before=now + LEEWAY + 600),
        # Same kid as the trusted key, signed by another: the JWKS lookup passes, the
        # signature does not.
        "signature tampered": lambda: jwt.encode(
            jwt.decode(mint(issuer), options={"verify_signature": False}),
            stranger._key,
            algorithm="RS256",
            headers={"kid": issuer.key_id},
        ),
        "another issuer's key": lambda: mint(stranger),
        "another issuer": lambda: jwt.encode(
            {
                **jwt.decode(mint(issuer), options={"verify_signature": False}),
                "iss": "https://evil.example/",
            },
            issuer._key,
            algorithm="RS256",
            headers={"kid": issuer.key_id},
        ),
        "no oid": lambda: jwt.encode(
            {
                k: v
                for k, v in jwt.decode(mint(issuer), options={"verify_signature": False}).items()
                if k != "oid"
            },
            issuer._key,
            algorithm="RS256",
            headers={"kid": issuer.key_id},
        ),
        "unsigned": lambda: jwt.encode(
            jwt.decode(mint(issuer), options={"verify_signature": False}),
            "",
            algorithm="none",
            headers={"kid": issuer.key_id},
        ),
        "garbage": lambda: "not.a.token",
        "a key id that is not a string": lambda: (
            base64url_encode(b'{"alg":"RS256","kid":7}').decode()
            + "."
            + mint(issuer).split(".", 1)[1]
        ),
        "a header that is not JSON": lambda: "bm90IGpzb24." + mint(issuer).split(".", 1)[1],
        "junk in the payload": lambda: ".!!!!.".join(mint(issuer).split(".")[::2]),
    }
    token = tokens[case]()
    with pytest.raises(CallerTokenError, match=reason) as caught:
        verifier.verify(token)
    assert token not in str(caught.value)


def test_several_issuers_and_audiences_may_be_accepted(keys: KeySet, issuer: TokenIssuer) -> None:
    both = TokenVerifier(
        issuers=["https://login.example/v2.0", issuer.issuer],
        audiences=["00000000-0000-4000-8000-00000000a11d", AUDIENCE],
        jwks_url=keys.url,
    )
    assert both.verify(mint(issuer)).object_id == CALLER


def test_the_key_set_is_fetched_once_and_forged_key_ids_do_not_refetch_it(
    keys: KeySet, issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    for _ in range(5):
        verifier.verify(mint(issuer))
    assert keys.fetches == 1
    stranger = TokenIssuer.generate()
    for _ in range(5):
        with pytest.raises(CallerTokenError):
            verifier.verify(mint(stranger))
    assert keys.fetches <= 2, "an unknown kid refetches at most once per cooldown"


def test_an_unreachable_key_set_is_not_a_verdict_on_the_caller(
    keys: KeySet, issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    keys.up = False
    with pytest.raises(IssuerKeysUnavailableError):
        verifier.verify(mint(issuer))


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcg==", "Bearer", "Bearer   "])
def test_anything_but_a_bearer_token_is_no_token(header: str | None) -> None:
    with pytest.raises(CallerTokenError):
        bearer_token(header)


def test_a_bearer_token_is_read_whatever_the_scheme_case() -> None:
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def resigned(issuer: TokenIssuer, **changes: object) -> str:
    """A token of the trusted issuer, its claims changed (``None`` drops one), signed again
    with the issuer's own key: only the claim checks stand between it and the app."""
    claims = jwt.decode(mint(issuer, "Jobs.Admin"), options={"verify_signature": False})
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, issuer._key, algorithm="RS256", headers={"kid": issuer.key_id})


LATER = int(time.time()) + 3600
STRICT = [
    ("oid", "", "'oid' claim is not a GUID"),
    ("oid", {"id": CALLER}, "'oid' claim is not a GUID"),
    ("oid", [CALLER], "'oid' claim is not a GUID"),
    ("oid", 7, "'oid' claim is not a GUID"),
    ("oid", "not-an-object-id", "'oid' claim is not a GUID"),
    ("oid", "{" + CALLER + "}", "'oid' claim is not a GUID"),
    ("exp", str(LATER), "'exp' claim is not a number"),
    ("exp", True, "'exp' claim is not a number"),
    ("iat", str(int(time.time())), "'iat' claim is not a number"),
    ("nbf", str(int(time.time())), "'nbf' claim is not a number"),
    ("exp", float("inf"), "'exp' claim is not a number"),
    ("aud", [AUDIENCE], "'aud' claim is not a string"),
    ("tid", None, "'tid'"),
    ("tid", "", "'tid' claim is not a GUID"),
    ("tid", ["00000000-0000-4000-8000-0000000de7e0"], "'tid' claim is not a GUID"),
    ("tid", str(uuid.UUID(int=7)), "another tenant"),
]


@pytest.mark.parametrize(
    ("claim", "value", "reason"),
    STRICT,
    # Named without the values: some are random or the time, and every xdist worker must
    # collect the same names.
    ids=[f"{c}-{type(v).__name__}-{i}" for i, (c, v, _) in enumerate(STRICT)],
)
def test_each_claim_the_app_reads_must_have_entra_s_type(
    issuer: TokenIssuer, verifier: TokenVerifier, claim: str, value: object, reason: str
) -> None:
    """Before, an ``oid`` that was empty, a dict or a list passed, and ``exp`` as a numeric
    string; ``tid`` was not looked at."""
    token = resigned(issuer, **{claim: value})
    with pytest.raises(CallerTokenError, match=reason):
        verifier.verify(token)


def test_the_positive_control_passes_and_numbers_may_be_floats(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    assert verifier.verify(resigned(issuer)).object_id == CALLER
    assert verifier.verify(resigned(issuer, exp=LATER + 0.5)).roles == {"Jobs.Admin"}


def test_the_tenant_is_the_one_the_issuer_names(issuer: TokenIssuer) -> None:
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert tenant_of(f"https://sts.windows.net/{tenant}/") == tenant
    assert tenant_of(f"https://login.microsoftonline.com/{tenant.upper()}/v2.0") == tenant
    assert tenant_of("https://login.example/v2.0") is None
    assert tenant_of(issuer.issuer) == issuer.tenant_id


def test_the_verifier_checks_a_repeated_token_once(
    issuer: TokenIssuer, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    decode = token_module._decode

    def counting(token: str, *args: object) -> dict[str, object]:
        checked.append(token)
        return decode(token, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(token_module, "_decode", counting)
    token, other = mint(issuer, "Jobs.Submit"), mint(issuer, "Jobs.Admin")
    first = verifier.verify(token)
    assert verifier.verify(token) is first
    assert verifier.verify(other).roles == frozenset({"Jobs.Admin"})
    assert checked == [token, other]


def test_a_refused_token_is_verified_at_every_try(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    expired = mint(issuer, lifetime=-(LEEWAY + 600))
    for _ in range(2):
        with pytest.raises(CallerTokenError, match="expired"):
            verifier.verify(expired)
