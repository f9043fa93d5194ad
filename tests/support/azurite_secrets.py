"""Azurite's own public constants that sign things, read from the installed Azurite at run time.

Like its well-known account key (:func:`tests.support.secret_shapes.azurite_account_key`),
Azurite derives every user delegation key from one constant in its source
(``dist/src/blob/utils/utils.js``, ``getUserDelegationKeyValue``): public, but no file here
holds it. Tests use it to forge what the local Storage front must refuse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from pathlib import Path

from devstack.storagefront.delegation import DelegationKey

CONSTANTS = (
    Path(__file__).resolve().parents[2] / "node_modules/azurite/dist/src/blob/utils/constants.js"
)


def azurite_delegation_root() -> str:
    """The constant Azurite derives user delegation keys from."""
    found = re.search(r'USERDELEGATIONKEY_BASIC_KEY = "([^"]+)"', CONSTANTS.read_text())
    if found is None:
        raise RuntimeError(f"Azurite's delegation key constant is not in {CONSTANTS}")
    return found.group(1)


def derived_delegation_value(key: DelegationKey) -> str:
    """The value Azurite gives (and checks) for ``key``: anyone can compute it, hence the front."""
    text = "\n".join([key.oid, key.tid, key.start, key.expiry, "b", key.version])
    digest = hmac.new(azurite_delegation_root().encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
