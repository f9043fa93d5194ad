"""Secret-shaped values of the common non-Azure services, built at run time from their formats.

Each generator follows the format its issuer publishes (the pages are cited in
``shared/redaction/_vendorshapes.py``) and returns ``(kind, text before, value, text after)``;
``tests/support/secret_shapes.py`` plants them with the Azure shapes, so every test that
draws from its positive generators draws these too. No prefix is written whole next to a
body here: each value is assembled when a test runs.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.redaction import shapes as v

if TYPE_CHECKING:
    from tests.support.secret_shapes import Planted

BASE62 = string.ascii_letters + string.digits
URLSAFE = BASE62 + "-_"
UPPER = string.ascii_uppercase + string.digits
Parts = tuple[str, str, str, str]


def _pick(rng: random.Random, alphabet: str, count: int) -> str:
    return "".join(rng.choices(alphabet, k=count))


def github_token(rng: random.Random) -> Parts:
    if rng.random() < 0.5:  # classic: a five-character prefix and 36 characters
        value = "gh" + rng.choice("pousr") + "_" + _pick(rng, BASE62, 36)
    else:  # fine-grained: github_pat_, 22 characters, _, 59 characters
        value = "github" + "_pat_" + _pick(rng, BASE62, 22) + "_" + _pick(rng, BASE62, 59)
    return v.KIND_GITHUB_TOKEN, rng.choice(["token=", "Authorization: token "]), value, ""


def stripe_key(rng: random.Random) -> Parts:
    if rng.random() < 0.8:
        kind = rng.choice("sr") + "k_" + rng.choice(["live", "test"]) + "_"
        value = kind + _pick(rng, BASE62, rng.randint(24, 99))
    else:  # a webhook endpoint's signing secret
        value = "wh" + "sec_" + _pick(rng, BASE62, 32)
    return v.KIND_STRIPE_KEY, "stripe.api_key = '", value, "'"


def slack_token(rng: random.Random) -> Parts:
    digits = string.digits
    shape = rng.randrange(3)
    if shape == 0:  # bot, user or legacy tokens
        value = (
            "xox" + rng.choice("bpa") + "-" + _pick(rng, digits, 12) + "-"
            + _pick(rng, digits, 13) + "-" + _pick(rng, BASE62, 24)
        )  # fmt: skip
    elif shape == 1:  # app-level token
        value = (
            "xapp-1-A" + _pick(rng, UPPER, 10) + "-" + _pick(rng, digits, 13) + "-"
            + _pick(rng, "0123456789abcdef", 64)
        )  # fmt: skip
    else:  # the secret path of an incoming webhook
        team, channel = _pick(rng, UPPER, 8), _pick(rng, UPPER, 8)
        value = f"T{team}/B{channel}/{_pick(rng, BASE62, 24)}"
        return v.KIND_SLACK_TOKEN, "POST https://hooks.slack.com/services/", value, ""
    return v.KIND_SLACK_TOKEN, "SLACK=", value, ""


def sendgrid_key(rng: random.Random) -> Parts:
    value = "SG" + "." + _pick(rng, URLSAFE, 22) + "." + _pick(rng, URLSAFE, 43)
    return v.KIND_SENDGRID_KEY, "Authorization: Bearer ", value, ""


def aws_key(rng: random.Random) -> Parts:
    if rng.random() < 0.5:
        value = rng.choice(["AK", "AS"]) + "IA" + _pick(rng, UPPER, 16)
        return v.KIND_AWS_ACCESS_KEY, "aws_access_key_id = ", value, ""
    secret = _pick(rng, BASE62 + "/+", 40)
    return v.KIND_AWS_ACCESS_KEY, "aws_secret_access_key = ", secret, "\n"


def google_api_key(rng: random.Random) -> Parts:
    return v.KIND_GOOGLE_API_KEY, "key=", "AI" + "za" + _pick(rng, URLSAFE, 35), "&q=maps"


def google_service_account(rng: random.Random) -> Parts:
    """A service-account key file: its private key is a PEM block, JSON-escaped."""
    label = "PRIVATE" + " KEY"
    body = base64.b64encode(rng.randbytes(rng.randint(600, 1200))).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem = f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"
    key_id = uuid.UUID(int=rng.getrandbits(128)).hex
    head = {"type": "service_account", "project_id": f"p-{rng.randint(1, 999)}"}
    before = json.dumps(head)[:-1] + f', "private_key_id": "{key_id}", "private_key": "'
    return "private-key", before, pem.replace("\n", "\\n"), '\\n", "client_id": "1"}'


VENDOR_PARTS: dict[str, Callable[[random.Random], Parts]] = {
    "github-token": github_token,
    "stripe-key": stripe_key,
    "slack-token": slack_token,
    "sendgrid-key": sendgrid_key,
    "aws-key": aws_key,
    "google-api-key": google_api_key,
    "google-service-account": google_service_account,
}


def _planted(parts: Callable[[random.Random], Parts]) -> Callable[[random.Random], Planted]:
    def generate(rng: random.Random) -> Planted:
        from tests.support.secret_shapes import plant  # it imports this module

        return plant(*parts(rng))

    return generate


#: The generators as ``secret_shapes.POSITIVE_GENERATORS`` holds them: carrier texts.
VENDOR_GENERATORS: dict[str, Callable[[random.Random], Planted]] = {
    name: _planted(parts) for name, parts in VENDOR_PARTS.items()
}
