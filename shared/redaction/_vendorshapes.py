"""What the secrets of the common non-Azure services look like, from their published formats.

A key pasted into an app setting is as likely to be GitHub's or Stripe's as Azure's, so the
shapes :mod:`shared.redaction.shapes` knows (Azure's keys, SAS, client secrets, JWTs, PEM private
keys) are joined by these. Each follows the format its issuer publishes:

==========================  =====================================================================
``github-token``            ``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` and 36 or more of
                            ``[A-Za-z0-9_]`` (up to 255 in all); fine-grained ``github_pat_``:
                            https://github.blog/changelog/2021-03-31-authentication-token-format-updates-are-generally-available
                            and https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats
``stripe-key``              secret and restricted keys ``sk_`` / ``rk_`` then ``live_`` or
                            ``test_`` and the key; webhook signing secrets ``whsec_``:
                            https://docs.stripe.com/keys, https://docs.stripe.com/webhooks
``slack-token``             ``xoxb-``, ``xoxp-``, ``xoxa-``, ``xoxr-``, ``xoxs-``, ``xoxe-`` (and
                            ``xoxe.xoxp-`` refresh forms), app-level ``xapp-``, incoming webhooks
                            ``https://hooks.slack.com/services/T…/B…/…``:
                            https://api.slack.com/authentication/token-types,
                            https://api.slack.com/messaging/webhooks
``sendgrid-key``            ``SG.``, 22 characters, ``.``, 43 characters (69 in all):
                            https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys
``aws-access-key``          access key ids ``AKIA`` / ``ASIA`` (temporary) / ``ABIA`` / ``ACCA`` and
                            16 of ``[A-Z0-9]``, and a 40-character secret access key after
                            ``aws_secret_access_key``:
                            https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
                            and https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
``google-api-key``          ``AIza`` and 35 of ``[0-9A-Za-z_-]`` (39 in all):
                            https://cloud.google.com/docs/authentication/api-keys and the format
                            Microsoft Purview documents, https://learn.microsoft.com/purview/sit-defn-google-api-key
==========================  =====================================================================

A Google service-account key file holds a PEM private key (``"private_key": "-----BEGIN
PRIVATE KEY-----\\n…"``), which the PEM rule finds JSON-escaped as well; JWTs of any issuer
are found by their shape (``eyJ…``). Each rule here is a :data:`VENDOR_RULES` row the
secret-shape scanner runs like its own: kind, priority, a literal the text must contain,
whether that literal is searched lower-cased, and a regex whose group 1 is the value. Like
the scanner's, the regexes start only where a run of key characters starts and take
possessive runs, so hostile input stays linear.
"""

from __future__ import annotations

from typing import Final

from shared.redaction._lazyregex import LazyPattern

__all__ = [
    "KIND_AWS_ACCESS_KEY",
    "KIND_GITHUB_TOKEN",
    "KIND_GOOGLE_API_KEY",
    "KIND_SENDGRID_KEY",
    "KIND_SLACK_TOKEN",
    "KIND_STRIPE_KEY",
    "VENDOR_KINDS",
    "VENDOR_RULES",
]

KIND_GITHUB_TOKEN: Final = "github-token"  # noqa: S105 (a kind name)
KIND_STRIPE_KEY: Final = "stripe-key"
KIND_SLACK_TOKEN: Final = "slack-token"  # noqa: S105 (a kind name)
KIND_SENDGRID_KEY: Final = "sendgrid-key"
KIND_AWS_ACCESS_KEY: Final = "aws-access-key"
KIND_GOOGLE_API_KEY: Final = "google-api-key"
VENDOR_KINDS: Final = frozenset(
    {
        KIND_GITHUB_TOKEN,
        KIND_STRIPE_KEY,
        KIND_SLACK_TOKEN,
        KIND_SENDGRID_KEY,
        KIND_AWS_ACCESS_KEY,
        KIND_GOOGLE_API_KEY,
    }
)

_WORD_START = r"(?<![A-Za-z0-9_])"  # not inside a longer word or key
_WORD_END = r"(?![A-Za-z0-9_])"
_PRIORITY: Final = 2  # as Azure's identifiable keys: a prefix and a fixed shape


def _rule(
    kind: str, hint: str, body: str, *, folded: bool = False, as_word: bool = True
) -> tuple[str, int, str, bool, LazyPattern]:
    """One row: ``body`` is the value, matched as a whole word; with ``as_word`` false it is
    the whole regex, which reads the value (its group 1) from what surrounds it."""
    pattern = f"{_WORD_START}({body}){_WORD_END}" if as_word else body
    return kind, _PRIORITY, hint, folded, LazyPattern(pattern)


#: (kind, priority, hint, hint is lower-cased, regex with the value as group 1)
VENDOR_RULES: Final = (
    _rule(KIND_GITHUB_TOKEN, "gh", r"gh[pousr]_[A-Za-z0-9_]{36,251}+"),
    _rule(KIND_GITHUB_TOKEN, "github_pat_", r"github_pat_[A-Za-z0-9_]{82,244}+"),
    _rule(KIND_STRIPE_KEY, "k_", r"[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}+"),
    _rule(KIND_STRIPE_KEY, "whsec_", r"whsec_[A-Za-z0-9+/=]{24,128}+"),
    _rule(KIND_SLACK_TOKEN, "xox", r"(?:xoxe\.)?xox[abposre]-[A-Za-z0-9-]{10,250}+"),
    _rule(KIND_SLACK_TOKEN, "xapp-", r"xapp-[0-9]-[A-Za-z0-9-]{10,250}+"),
    _rule(
        KIND_SLACK_TOKEN,
        "hooks.slack.com",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/"
        r"(T[A-Z0-9]{6,12}+/[A-Za-z0-9]{6,16}+/[A-Za-z0-9/]{16,64}+)",
        as_word=False,
    ),
    _rule(KIND_SENDGRID_KEY, "SG.", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    _rule(KIND_AWS_ACCESS_KEY, "A", r"A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}"),
    _rule(
        KIND_AWS_ACCESS_KEY,
        "secret_access_key",
        r"(?i:aws_?secret_?access_?key)[\"']?\s*[=:]\s*[\"']?"
        r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        folded=True,
        as_word=False,
    ),
    _rule(KIND_GOOGLE_API_KEY, "AIza", r"AIza[0-9A-Za-z_-]{35}"),
)
