"""The HTTP settings the process's environment gives a client, read once when it is built.

A ``requests`` session that trusts the environment (the default, and azure-core's) reads
them again on every request (``Session.merge_environment_settings``): the proxies for the
URL (``HTTPS_PROXY``, ``NO_PROXY`` and the rest, found by decoding and scanning every
variable of the environment four times) and the CA bundle (``REQUESTS_CA_BUNDLE``,
``CURL_CA_BUNDLE``). The scan grows with the environment: about 7 microseconds per
variable per request, so 1.3 ms with 185 variables, and a submission makes three
requests. A Functions worker's environment is its app settings and the platform's, and
neither changes while the worker runs (a changed app setting restarts it), so each client
of the app reads them once, for the one endpoint it talks to, with ``requests``' own rules
(:func:`settings_for`), and its session no longer trusts the environment per request.

Standard library and ``requests`` (imported on first use) only: the outbound client and
the SDK clients use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # imported on first use: the app's modules load at indexing without it
    import requests

__all__ = ["EnvironmentSettings", "azure_client_keywords", "settings_for"]


class EnvironmentSettings(NamedTuple):
    """What ``requests`` would take from the environment for requests to one endpoint.

    Its repr names the proxies' schemes only: a proxy URL may carry a user and password.
    A named tuple, not a dataclass: the app imports this module at start-up, where a frozen
    dataclass costs about a millisecond to build and a named tuple a tenth of that (P1).
    """

    proxies: dict[str, str]
    verify: bool | str
    cert: Any

    def __repr__(self) -> str:
        schemes = ", ".join(sorted(self.proxies))
        return f"EnvironmentSettings(proxies for [{schemes}], verify={self.verify!r})"

    def as_send_keywords(self) -> dict[str, Any]:
        """Keywords for ``HTTPAdapter.send``, the proxies a copy no call can change."""
        return {"verify": self.verify, "cert": self.cert, "proxies": dict(self.proxies)}


def settings_for(url: str, *, session: requests.Session | None = None) -> EnvironmentSettings:
    """The proxies, CA bundle and client certificate ``requests`` would use for ``url``,
    from the environment as it is now (and ``session``'s own settings, when given).

    ``requests`` itself resolves them, so ``NO_PROXY``, ``ALL_PROXY``, a proxy per scheme
    or per host and the bundle variables keep exactly its meaning.
    """
    import requests

    probe = session if session is not None else requests.Session()
    merged = probe.merge_environment_settings(url, {}, None, None, None)
    if session is None:
        probe.close()
    verify = merged["verify"]
    return EnvironmentSettings(
        proxies=dict(merged["proxies"] or {}),
        verify=True if verify is None else verify,
        cert=merged["cert"],
    )


def azure_client_keywords(url: str) -> dict[str, Any]:
    """Keywords for an azure-core client (Storage, Key Vault) that talks to ``url``: the
    environment's proxies and CA bundle for it, read now, and a transport that does not
    read the environment again on every request (``use_env_settings=False``)."""
    found = settings_for(url)
    return {
        "use_env_settings": False,
        "proxies": found.proxies or None,
        "connection_verify": found.verify,
    }
