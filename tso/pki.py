"""Throwaway PKI for tests and demos (tso-download.md §11.5): a local CA, server and client certificates.

Never a real OCCTO certificate. Keys are EC P-256 (fast to generate) and written with mode 0600.
Generated on first use into a folder and reused afterwards.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.certs import write_private_file

# Test-only passphrase of the generated client PKCS#12. Not a secret: it protects a throwaway key.
TEST_P12_PASSWORD = "takuso-test-only"


@dataclass(frozen=True)
class LocalPKI:
    """Paths of the generated test certificates (all under ``folder``)."""

    folder: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    expired_server_cert: Path
    expired_server_key: Path
    rogue_ca_cert: Path  # a CA the client does not trust
    untrusted_server_cert: Path  # signed by the rogue CA
    untrusted_server_key: Path
    client_cert: Path
    client_key: Path
    client_p12: Path
    client_p12_password: str = TEST_P12_PASSWORD


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "takuso test PKI (not real)"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_pair(folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    (folder / f"{stem}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = folder / f"{stem}.key"
    key_path.unlink(missing_ok=True)
    write_private_file(key_path, _key_pem(key))


def _make_ca(cn: str, now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def issue_certificate(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    cn: str,
    *,
    server: bool,
    not_before: datetime,
    not_after: datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Issue a leaf certificate: a server one (SAN localhost, 127.0.0.1, ::1) or a client one."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256()), key


def _load_ca(pki: LocalPKI) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return cert, key


def _paths(folder: Path) -> LocalPKI:
    return LocalPKI(
        folder=folder,
        ca_cert=folder / "ca.crt",
        ca_key=folder / "ca.key",
        server_cert=folder / "server.crt",
        server_key=folder / "server.key",
        expired_server_cert=folder / "server-expired.crt",
        expired_server_key=folder / "server-expired.key",
        rogue_ca_cert=folder / "rogue-ca.crt",
        untrusted_server_cert=folder / "server-untrusted.crt",
        untrusted_server_key=folder / "server-untrusted.key",
        client_cert=folder / "client.crt",
        client_key=folder / "client.key",
        client_p12=folder / "client.p12",
    )


def ensure_test_pki(folder: Path) -> LocalPKI:
    """Create the test CA, server, expired/untrusted server and client certificates once; reuse them after."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    pki = _paths(folder)
    wanted = [p for p in vars(pki).values() if isinstance(p, Path) and p != folder]
    if all(p.exists() for p in wanted):
        return pki
    now = datetime.now(UTC)
    ca_cert, ca_key = _make_ca("takuso test CA", now)
    _write_pair(folder, "ca", ca_cert, ca_key)
    srv, srv_key = issue_certificate(
        ca_cert,
        ca_key,
        "localhost",
        server=True,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=825),
    )
    _write_pair(folder, "server", srv, srv_key)
    old, old_key = issue_certificate(
        ca_cert,
        ca_key,
        "localhost",
        server=True,
        not_before=now - timedelta(days=60),
        not_after=now - timedelta(days=1),
    )
    _write_pair(folder, "server-expired", old, old_key)
    rogue_cert, rogue_key = _make_ca("rogue CA (untrusted)", now)
    (folder / "rogue-ca.crt").write_bytes(rogue_cert.public_bytes(serialization.Encoding.PEM))
    bad, bad_key = issue_certificate(
        rogue_cert,
        rogue_key,
        "localhost",
        server=True,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=825),
    )
    _write_pair(folder, "server-untrusted", bad, bad_key)
    issue_client_files(pki, "client", not_after=now + timedelta(days=825))
    return pki


def issue_client_files(
    pki: LocalPKI,
    stem: str,
    *,
    not_after: datetime,
    not_before: datetime | None = None,
    folder: Path | None = None,
    p12_password: str = TEST_P12_PASSWORD,
) -> tuple[Path, Path, Path]:
    """Issue a client certificate from the test CA; write ``stem.crt``, ``stem.key`` and ``stem.p12``.

    Tests use it for expired and soon-expiring certificates. Returns ``(crt, key, p12)``.
    """
    folder = folder or pki.folder
    ca_cert, ca_key = _load_ca(pki)
    before = not_before or min(datetime.now(UTC), not_after) - timedelta(days=30)
    cert, key = issue_certificate(
        ca_cert, ca_key, "takuso test retailer 99991", server=False, not_before=before, not_after=not_after
    )
    _write_pair(folder, stem, cert, key)
    p12 = folder / f"{stem}.p12"
    p12.unlink(missing_ok=True)
    blob = pkcs12.serialize_key_and_certificates(
        b"takuso-test-client",
        key,
        cert,
        [ca_cert],
        serialization.BestAvailableEncryption(p12_password.encode()),
    )
    write_private_file(p12, blob)
    return folder / f"{stem}.crt", folder / f"{stem}.key", p12
