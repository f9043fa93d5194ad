"""A development certificate authority for the local stack.

Bearer tokens are refused over plain HTTP by azure-core, the Storage and the
Key Vault clients, so every local service that receives one speaks HTTPS. The
CA is generated at each start, kept under the state directory and handed to
child processes through ``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE``; it is never
installed system-wide. The bundle handed out is certifi's public roots plus the
dev CA, so a local run can still reach a real third-party API over HTTPS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import certifi
import trustme

from devstack.files import write_private

LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class DevCertificates:
    """Paths of the generated PEM files."""

    ca_cert: Path
    ca_bundle: Path
    server_cert: Path
    server_key: Path


def create_dev_certificates(directory: Path) -> DevCertificates:
    """Generate a fresh CA and one leaf certificate for the loopback names."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="secretless-functions devstack")
    now = dt.datetime.now(dt.UTC)
    leaf = ca.issue_cert(
        *LOCAL_NAMES,
        common_name="devstack",
        not_before=now - dt.timedelta(minutes=5),
        not_after=now + dt.timedelta(days=30),
    )
    paths = DevCertificates(
        ca_cert=directory / "ca.pem",
        ca_bundle=directory / "ca-bundle.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server-key.pem",
    )
    ca_pem = ca.cert_pem.bytes()
    paths.ca_cert.write_bytes(ca_pem)
    public_roots = Path(certifi.where()).read_bytes()
    paths.ca_bundle.write_bytes(public_roots.rstrip(b"\n") + b"\n" + ca_pem)
    paths.server_cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    write_private(paths.server_key, leaf.private_key_pem.bytes())
    return paths
