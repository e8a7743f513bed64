"""Client certificates (クライアント証明書) for mutual TLS: load, check expiry, write private PEM files.

tso-download.md §3: the retailer's PKCS#12 (issued under OCCTO's scheme) and its passphrase come from
the deployment's secret store or environment, never from the repository, and are never logged. Python's
``ssl`` loads client certificates from PEM files only, so the PKCS#12 is converted into a key and a
certificate file in a private temporary directory (0700, files 0600) that is deleted after use.

Nothing in this module ever puts a passphrase into a log record or an exception message.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography is imported where a certificate is read or written, not by every command
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

EXPIRY_WARNING_DAYS = 30


class CertificateError(ValueError):
    """A client certificate cannot be used; the message names the file and never the passphrase."""


@dataclass(frozen=True)
class ClientIdentity:
    """A loaded key and certificate (鍵と証明書) in memory."""

    key: PrivateKeyTypes
    cert: x509.Certificate
    source: str  # file name(s) it came from, for messages

    @property
    def not_after(self) -> datetime:
        return self.cert.not_valid_after_utc

    @property
    def subject(self) -> str:
        return self.cert.subject.rfc4514_string()

    def days_left(self, now: datetime | None = None) -> float:
        now = now or datetime.now(UTC)
        return (self.not_after - now).total_seconds() / 86400


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CertificateError(f"{what} {path} does not exist") from None
    except PermissionError:
        raise CertificateError(f"{what} {path} is not readable (permission denied)") from None
    except IsADirectoryError:
        raise CertificateError(f"{what} {path} is a directory, not a file") from None


def password_from_env(var: str) -> bytes:
    """The PKCS#12 passphrase from environment variable ``var`` (its value is never echoed)."""
    value = os.environ.get(var)
    if value is None:
        raise CertificateError(f"environment variable {var} (the PKCS#12 passphrase) is not set")
    return value.encode("utf-8")


def password_from_file(path: Path) -> bytes:
    """The passphrase from a file that only its owner may read (mode 0600 or 0400).

    One trailing newline is stripped. A file readable by group or others is refused.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CertificateError(f"passphrase file {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CertificateError(
            f"passphrase file {path} has mode {stat.S_IMODE(mode):04o}; it must not be accessible by group "
            f"or others (chmod 600 {path})"
        )
    data = _read_bytes(path, "passphrase file")
    return data[:-1] if data.endswith(b"\n") else data


def load_pkcs12(path: Path, password: bytes | None) -> ClientIdentity:
    """Load a PKCS#12 (.p12/.pfx) file; a wrong passphrase gives a clear error without the passphrase."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    data = _read_bytes(path, "PKCS#12 file")
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        raise CertificateError(f"cannot open PKCS#12 file {path}: wrong passphrase, or not a PKCS#12 file") from None
    if key is None or cert is None:
        raise CertificateError(f"PKCS#12 file {path} does not contain both a private key and a certificate")
    return ClientIdentity(key=key, cert=cert, source=str(path))


def load_pem_pair(cert_path: Path, key_path: Path) -> ClientIdentity:
    """Load an unencrypted PEM certificate and key and check that they belong together."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert_data = _read_bytes(cert_path, "certificate file (cert_pem)")
    key_data = _read_bytes(key_path, "key file (key_pem)")
    try:
        cert = x509.load_pem_x509_certificate(cert_data)
    except ValueError:
        raise CertificateError(f"certificate file {cert_path} is not a PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(key_data, password=None)
    except TypeError:
        raise CertificateError(
            f"key file {key_path} is encrypted; use an unencrypted key file with mode 0600, or a PKCS#12"
        ) from None
    except ValueError:
        raise CertificateError(f"key file {key_path} is not a PEM private key") from None
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise CertificateError(f"key file {key_path} does not match certificate {cert_path}")
    return ClientIdentity(key=key, cert=cert, source=f"{cert_path} + {key_path}")


def _public_der(public_key: object) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_private_file(path: Path, data: bytes) -> Path:
    """Create ``path`` with mode 0600 from the start (never world-readable, not even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)  # in case the umask was odd
    return path


@contextlib.contextmanager
def private_pem_files(identity: ClientIdentity) -> Iterator[tuple[Path, Path]]:
    """Write the identity as ``client.crt`` / ``client.key`` into a fresh 0700 temp dir; delete on exit.

    Yields ``(cert_path, key_path)`` for :meth:`ssl.SSLContext.load_cert_chain`.
    """
    from cryptography.hazmat.primitives import serialization

    folder = Path(tempfile.mkdtemp(prefix="takuso-cert-"))  # mkdtemp creates it with mode 0700
    try:
        os.chmod(folder, 0o700)
        cert_path = write_private_file(folder / "client.crt", identity.cert.public_bytes(serialization.Encoding.PEM))
        key_path = write_private_file(
            folder / "client.key",
            identity.key.private_bytes(  # type: ignore[union-attr]
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        yield cert_path, key_path
    finally:
        shutil.rmtree(folder, ignore_errors=True)
