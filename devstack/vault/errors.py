"""The errors the emulated Key Vault answers with: HTTP status, Key Vault's code, a message.

Named apart from :class:`shared.vault.errors.VaultError` (the app's "a secret could not be
obtained"): this one is the service's side of the wire, raised by the store and the
routes and written as Key Vault's JSON error body. A message never names a value.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

_NOT_FOUND_HELP = (
    "If you recently deleted this secret you may be able to recover it using the correct "
    "recovery command. For help resolving this issue, please see "
    "https://go.microsoft.com/fwlink/?linkid=2125182"
)


class ServiceError(Exception):
    """A Key Vault error answer: HTTP status, Key Vault's code, a message naming no value."""

    def __init__(self, status: int, code: str, message: str, *, inner: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.inner = status, code, message, inner

    @classmethod
    def not_found(cls, name: str, version: str | None = None) -> ServiceError:
        ident = f"{name}/{version}" if version else name
        return cls(
            404,
            "SecretNotFound",
            f"A secret with (name/id) {ident} was not found in this key vault. {_NOT_FOUND_HELP}",
        )

    @classmethod
    def deleted_not_found(cls, name: str) -> ServiceError:
        return cls(404, "SecretNotFound", f"Deleted Secret not found: {name}")


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    inner: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner is not None:
        error["innererror"] = {"code": inner}
    return JSONResponse({"error": error}, status_code=status, headers=headers)
