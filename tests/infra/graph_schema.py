"""The Microsoft Graph resources Bicep's Graph extension deploys, property by property.

The azure-mgmt packages tests/infra/arm_schema.py reads cover Resource Manager only; Graph
resources are typed by the extension itself, whose types are published in
microsoftgraph/msgraph-bicep-types (``generated/microsoftgraph/microsoft.graph/v1.0/1.0.0/
types.md``, the version infra/bicepconfig.json pins: ``microsoftgraph/v1.0:1.0.0``). The
property names, which of them are read-only and which required, are recorded here from that
file for the two types the template uses; :func:`check` holds a resource body to them as
the extension's type check would at ``azd provision``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

#: The extension version whose types these are (infra/bicepconfig.json must pin it).
EXTENSION_VERSION: Final = "1.0.0"
EXTENSION_REF: Final = (
    f"br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:{EXTENSION_VERSION}"
)


@dataclass(frozen=True)
class GraphType:
    writable: frozenset[str]
    read_only: frozenset[str]
    required: frozenset[str]


_APPLICATION_WRITABLE = """
addIns api appRoles authenticationBehaviors defaultRedirectUri description
disabledByMicrosoftStatus displayName groupMembershipClaims identifierUris info
isDeviceOnlyAuthSupported isFallbackPublicClient keyCredentials logo
nativeAuthenticationApisEnabled notes optionalClaims owners parentalControlSettings
passwordCredentials publicClient requestSignatureVerification requiredResourceAccess
samlMetadataUrl serviceManagementReference servicePrincipalLockConfiguration signInAudience
spa tags tokenEncryptionKeyId uniqueName verifiedPublisher web
"""
_APPLICATION_READ_ONLY = """
apiVersion appId applicationTemplateId certification createdDateTime deletedDateTime id
publisherDomain type
"""

TYPES: Final[dict[str, GraphType]] = {
    "Microsoft.Graph/applications": GraphType(
        writable=frozenset(_APPLICATION_WRITABLE.split()),
        read_only=frozenset(_APPLICATION_READ_ONLY.split()),
        required=frozenset({"displayName", "uniqueName"}),
    ),
    "Microsoft.Graph/applications/federatedIdentityCredentials": GraphType(
        writable=frozenset({"audiences", "description", "issuer", "name", "subject"}),
        read_only=frozenset({"apiVersion", "id", "type"}),
        required=frozenset({"audiences", "issuer", "name", "subject"}),
    ),
}
#: MicrosoftGraphRelationship (``owners``): the object ids, and append or replace.
RELATIONSHIP: Final = GraphType(
    writable=frozenset({"relationships", "relationshipSemantics"}),
    read_only=frozenset(),
    required=frozenset({"relationships"}),
)
API_VERSION: Final = "v1.0"
#: What pycep puts in a resource's body that is Bicep's, not the type's.
_BICEP_KEYS: Final = frozenset({"depends_on", "__child_resource__", "scope", "parent"})


def graph_type(type_: str) -> str:
    """The type without the ``@version`` pycep leaves on a nested child's type."""
    return type_.split("@", 1)[0]


def problems(type_: str, api_version: str, body: dict[str, Any]) -> list[str]:
    """What the extension would refuse in ``body``: an unknown type or version, an unknown
    or read-only property, a required one missing, a malformed ``owners``."""
    name = graph_type(type_)
    known = TYPES.get(name)
    if known is None:
        return [f"{name} is not a Graph type the table knows (record it from msgraph-bicep-types)"]
    if api_version != API_VERSION:
        return [f"{name}@{api_version}: the extension's types are {API_VERSION}"]
    found = _fields(name, known, {k: v for k, v in body.items() if k not in _BICEP_KEYS})
    owners = body.get("owners")
    if isinstance(owners, dict):
        found += _fields(f"{name} owners", RELATIONSHIP, owners)
    return found


def _fields(label: str, known: GraphType, body: dict[str, Any]) -> list[str]:
    found = []
    for key in body:
        if key in known.read_only:
            found.append(f"{label}: '{key}' is read-only")
        elif key not in known.writable:
            found.append(f"{label}: unknown property '{key}'")
    found += [f"{label}: required '{key}' missing" for key in sorted(known.required - set(body))]
    return found
