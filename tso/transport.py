"""HTTPS transport: a requests session with our own ``ssl`` context and the loopback guard.

* The server certificate is always verified (``CERT_REQUIRED`` and host-name check); the trusted CAs
  are the configured ``ca_bundle`` or the system's. There is no switch to turn verification off.
* Minimum TLS version 1.2 unless configured lower, in which case every connection logs a warning
  (tso-download.md §3 rule 4).
* Every HTTPS connection puts itself under the current download deadline (:mod:`tso.deadline`).
* Loopback guard (§11.2): in test/demo mode (a flag, or ``TAKUSO_LOOPBACK_ONLY=1``) every request,
  redirects included, is refused unless its host resolves only to 127.0.0.0/8 or ::1.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import connectionpool
from urllib3.connection import HTTPSConnection

from tso.deadline import watch

log = logging.getLogger(__name__)

LOOPBACK_ENV = "TAKUSO_LOOPBACK_ONLY"
_TLS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


class LoopbackViolation(ConnectionError):
    """A request in loopback-only mode aimed at a host that is not 127.0.0.0/8 or ::1."""


def loopback_only_from_env() -> bool:
    return os.environ.get(LOOPBACK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def check_loopback(url: str) -> None:
    """Raise :class:`LoopbackViolation` unless every address of the URL's host is a loopback address."""
    host = urlsplit(url).hostname
    if not host:
        raise LoopbackViolation(f"loopback-only mode: no host in {url!r}")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise LoopbackViolation(f"loopback-only mode: cannot resolve {host!r} ({exc})") from None
    addresses = {str(info[4][0]) for info in infos}
    bad = sorted(a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback)
    if not addresses or bad:
        raise LoopbackViolation(
            f"loopback-only mode (tests and demos): refusing {host!r}, which resolves to {', '.join(bad) or 'nothing'}"
        )


def make_ssl_context(
    *, ca_bundle: Path | None, client_cert: Path, client_key: Path, min_tls: str = "1.2"
) -> ssl.SSLContext:
    """A client context: verification on, host names checked, minimum TLS version, client certificate."""
    ctx = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = _TLS[min_tls]
    ctx.load_cert_chain(str(client_cert), str(client_key))
    return ctx


class _WatchedConnection(HTTPSConnection):
    """An HTTPS connection that puts itself under the current download deadline (:mod:`tso.deadline`)."""

    def connect(self) -> None:
        super().connect()
        watch(self)

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        watch(self)  # a connection kept alive from an earlier request
        super().request(*args, **kwargs)


class HTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
    """urllib3's pool (same name, as it appears in messages) with :class:`_WatchedConnection`."""

    ConnectionCls = _WatchedConnection


class TlsAdapter(HTTPAdapter):
    """HTTPAdapter that always uses our ``ssl`` context (CAs, client certificate, minimum version)."""

    def __init__(self, ctx: ssl.SSLContext, *, loopback_only: bool, pool_size: int, min_tls: str) -> None:
        self._ctx = ctx
        self._loopback_only = loopback_only
        self._min_tls = min_tls
        super().__init__(pool_connections=1, pool_maxsize=max(pool_size, 1), max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ctx
        super().init_poolmanager(*args, **kwargs)
        pools = self.poolmanager.pool_classes_by_scheme
        self.poolmanager.pool_classes_by_scheme = {**pools, "https": HTTPSConnectionPool}

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        # Ignore per-request verify/cert: the context decides, and it always verifies.
        host_params, _ = super().build_connection_pool_key_attributes(request, True, None)
        return host_params, {"ssl_context": self._ctx, "cert_reqs": "CERT_REQUIRED"}

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        conn.cert_reqs = "CERT_REQUIRED"  # CAs come from the context only
        conn.ca_certs = None
        conn.ca_cert_dir = None

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        assert request.url is not None
        if not request.url.lower().startswith("https://"):
            raise requests.exceptions.InvalidURL(f"refusing a non-HTTPS URL: {request.url}")
        if self._loopback_only:
            check_loopback(request.url)
        if self._min_tls in ("1.0", "1.1"):
            log.warning("TLS %s allowed for %s (below the 1.2 default)", self._min_tls, urlsplit(request.url).netloc)
        return super().send(request, *args, **kwargs)


def make_session(
    *,
    ca_bundle: Path | None,
    client_cert: Path,
    client_key: Path,
    min_tls: str = "1.2",
    loopback_only: bool = False,
    pool_size: int = 2,
) -> requests.Session:
    """A session for one TSO: cookies kept (Shikoku flow), HTTPS only, our TLS adapter mounted."""
    ctx = make_ssl_context(ca_bundle=ca_bundle, client_cert=client_cert, client_key=client_key, min_tls=min_tls)
    session = requests.Session()
    session.trust_env = False  # no proxies or CA overrides from the environment
    adapter = TlsAdapter(
        ctx, loopback_only=loopback_only or loopback_only_from_env(), pool_size=pool_size, min_tls=min_tls
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)  # so plain HTTP is refused by send(), not silently used
    session.headers["User-Agent"] = "takuso-pull/0.1"
    return session
