"""Pull (取得): list each TSO's files, download the new ones into the raw landing zone.

One call per TSO returns a :class:`TsoResult`; :func:`pull_all` runs the selected TSOs side by side and
one TSO failing never stops the others. Transient errors (5xx, timeouts, connection resets, truncated
bodies, size mismatches) are retried with exponential back-off, at most ``retries`` times; everything
else (4xx, TLS verification, a bad listing) is reported at once. At most ``max_connections`` downloads
run at the same time per TSO.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import requests

from core.certs import CertificateError, load_pkcs12, private_pem_files
from core.config import ClientCertConfig, Config, TsoConfig
from tso.adapters import PortalAdapter, make_adapter
from tso.landing import LandedFile, Presence, SizeMismatch, land_stream, presence, raw_folder
from tso.listing import ListedFile, ListingError
from tso.transport import LoopbackViolation, make_session

log = logging.getLogger(__name__)

T = TypeVar("T")
ProgressFn = Callable[[str, int, int, str], None]
"""``progress(area_code, done, total, message)``; called from worker threads."""

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Failure:
    """One thing that went wrong at a TSO: a file (``name``) or the TSO as a whole (``name`` None)."""

    message: str
    name: str | None = None
    transient: bool = False  # a transient error (5xx, timeout, reset, short body) outlasted the retries


@dataclass
class TsoResult:
    """What one pull of one TSO did."""

    area_code: str
    account: str
    listed: int = 0
    new_files: list[LandedFile] = field(default_factory=list)
    already_present: int = 0
    filtered: int = 0  # kinds not configured for this TSO
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason): not BP names, unsafe
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.new_files)


# ----------------------------------------------------------------------------------------- errors

_VERIFY_REASON = re.compile(r"certificate verify failed: ([^(]+?)\s*\(_ssl")


def is_transient(exc: BaseException) -> bool:
    """Worth another try: 5xx, timeouts, connection resets, truncated bodies, size mismatches."""
    if isinstance(exc, LoopbackViolation | requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.HTTPError):
        return exc.response is not None and exc.response.status_code >= 500
    return isinstance(
        exc,
        SizeMismatch
        | requests.exceptions.Timeout
        | requests.exceptions.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | ConnectionResetError,
    )


def describe(exc: BaseException) -> str:
    """A one-line, operator-readable reason (TLS failures spelled out)."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        reason = _VERIFY_REASON.search(text)
        if "certificate has expired" in text:
            return (
                "the server's TLS certificate has expired "
                "(certificate verify failed: certificate has expired); "
                "the connection was refused"
            )
        if reason and ("mismatch" in reason.group(1) or "not valid for" in reason.group(1)):
            return (
                f"the server's TLS certificate does not match the host ({reason.group(1).rstrip('.')}); "
                "the connection was refused"
            )
        if reason or "CERTIFICATE_VERIFY_FAILED" in text:
            why = reason.group(1) if reason else "certificate verify failed"
            return (
                f"the server's TLS certificate is not trusted ({why}); the connection was refused. "
                "If the portal's CA is legitimate, set ca_bundle for this TSO"
            )
        if any(w in text for w in ("certificate required", "CERTIFICATE_REQUIRED", "bad certificate", "EOF occurred")):
            return f"the server rejected our client certificate during the TLS handshake ({_short(text)})"
        return f"TLS error: {_short(text)}"
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason} from {exc.response.url}"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"timed out: {_short(text)}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"the connection broke off mid-body (truncated download): {_short(text)}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"connection failed: {_short(text)}"
    return text or type(exc).__name__


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def with_retries(
    op: Callable[[], T],
    *,
    retries: int,
    backoff_s: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``op``; on a transient error wait ``backoff_s * 2**attempt`` and try again, ``retries`` times."""
    attempt = 0
    while True:
        try:
            return op()
        except Exception as exc:
            if not is_transient(exc) or attempt >= retries:
                if attempt:
                    raise RetriesExhausted(f"{describe(exc)} (gave up after {attempt + 1} attempts)") from exc
                raise
            delay = backoff_s * (2**attempt)
            log.info("%s: %s; retry %d/%d in %.2fs", what, describe(exc), attempt + 1, retries, delay)
            sleep(delay)
            attempt += 1


class RetriesExhausted(Exception):
    """A transient error persisted through every retry."""


# ------------------------------------------------------------------------------------------ pulling


@contextlib.contextmanager
def client_pem_paths(cert: ClientCertConfig) -> Iterator[tuple[Path, Path]]:
    """PEM paths for ``ssl``: the configured pair as is, or a PKCS#12 converted into a private temp dir."""
    if cert.pkcs12 is not None:
        identity = load_pkcs12(cert.pkcs12, cert.password())
        with private_pem_files(identity) as paths:
            yield paths
    elif cert.cert_pem is not None and cert.key_pem is not None:
        yield cert.cert_pem, cert.key_pem
    else:
        raise CertificateError("no client certificate configured (pkcs12, or cert_pem + key_pem)")


def _session_for(tso: TsoConfig, loopback_only: bool) -> requests.Session:
    # The PEM files exist only while the ssl context reads them; the context keeps the key in memory.
    with client_pem_paths(tso.client_cert) as (cert_path, key_path):
        return make_session(
            ca_bundle=tso.ca_bundle,
            client_cert=cert_path,
            client_key=key_path,
            min_tls=tso.min_tls,
            loopback_only=loopback_only,
            pool_size=tso.max_connections,
        )


def _download_one(
    session: requests.Session, adapter: PortalAdapter, tso: TsoConfig, folder: Path, item: ListedFile
) -> LandedFile:
    url = adapter.file_url(item.name)

    def attempt() -> LandedFile:
        with session.get(url, stream=True, timeout=tso.timeout_s) as response:
            response.raise_for_status()
            expected = item.size
            length = response.headers.get("Content-Length", "")
            if expected is None and length.isascii() and length.isdigit():
                expected = int(length)
            return land_stream(
                response.iter_content(CHUNK),
                folder=folder,
                name=item.name,
                expected_size=expected,
                url=url,
                area_code=tso.area_code,
                account=tso.account,
            )

    return with_retries(attempt, retries=tso.retries, backoff_s=tso.backoff_s, what=f"{tso.area_code} {item.name}")


def pull_tso(
    tso: TsoConfig,
    warehouse: Path,
    *,
    loopback_only: bool = False,
    progress: ProgressFn | None = None,
) -> TsoResult:
    """List one TSO and download the files not yet landed; never raises for network or file problems."""
    result = TsoResult(area_code=tso.area_code, account=tso.account)
    report = progress or (lambda *_: None)
    try:
        session = _session_for(tso, loopback_only)
    except CertificateError as exc:
        result.failures.append(Failure(f"client certificate: {exc}"))
        return result
    except (OSError, ValueError) as exc:  # ssl.SSLError (bad PEM), missing ca_bundle
        result.failures.append(Failure(f"cannot set up TLS: {exc}"))
        return result
    with session:
        adapter = make_adapter(tso.adapter, tso.endpoint)
        report(tso.area_code, 0, 0, "listing")
        try:
            listing = with_retries(
                lambda: adapter.list_files(session, tso.timeout_s),
                retries=tso.retries,
                backoff_s=tso.backoff_s,
                what=f"{tso.area_code} listing",
            )
        except ListingError as exc:
            result.failures.append(Failure(f"unusable listing from {tso.endpoint}: {exc}"))
            return result
        except Exception as exc:
            transient = isinstance(exc, RetriesExhausted)
            result.failures.append(Failure(f"listing {tso.endpoint} failed: {describe(exc)}", transient=transient))
            return result
        result.listed = len(listing.files)
        for name, reason in listing.skipped:
            log.warning("%s: skipped listed name %r: %s", tso.area_code, name, reason)
        result.skipped.extend(listing.skipped)
        folder = raw_folder(warehouse, tso.area_code, tso.account)
        todo = _select(listing.files, tso, folder, result)
        report(tso.area_code, 0, len(todo), "downloading")
        done = 0
        with ThreadPoolExecutor(max_workers=tso.max_connections, thread_name_prefix=f"pull-{tso.area_code}") as pool:
            futures = {item.name: pool.submit(_download_one, session, adapter, tso, folder, item) for item in todo}
            for name, future in futures.items():
                try:
                    result.new_files.append(future.result())
                except FileExistsError:
                    result.already_present += 1  # landed by a concurrent run meanwhile
                except Exception as exc:
                    message = describe(exc)
                    log.error("%s: %s: %s", tso.area_code, name, message)
                    result.failures.append(Failure(message, name, transient=isinstance(exc, RetriesExhausted)))
                done += 1
                report(tso.area_code, done, len(todo), name)
    return result


def _select(files: Iterable[ListedFile], tso: TsoConfig, folder: Path, result: TsoResult) -> list[ListedFile]:
    todo: list[ListedFile] = []
    for item in files:
        if item.kind not in tso.kinds:
            result.filtered += 1
            continue
        state = presence(folder, item.name, item.size)
        if state is Presence.PRESENT:
            result.already_present += 1
        elif state is Presence.CONFLICT:
            stored = (folder / item.name).stat().st_size
            result.failures.append(
                Failure(
                    f"already stored with {stored} bytes but now listed with {item.size}; the stored file is "
                    "immutable and was kept (check with the TSO; revisions normally get new names)",
                    item.name,
                )
            )
        else:
            todo.append(item)
    return todo


def pull_all(
    config: Config,
    warehouse: Path,
    areas: Iterable[str] | None = None,
    *,
    progress: ProgressFn | None = None,
) -> list[TsoResult]:
    """Pull every enabled (or every given) TSO side by side; results in area order."""
    tsos = config.selected_tsos(areas)
    if not tsos:
        return []

    def one(tso: TsoConfig) -> TsoResult:
        try:
            return pull_tso(tso, warehouse, loopback_only=config.loopback_only, progress=progress)
        except Exception as exc:  # a bug must not stop the other TSOs either
            log.exception("%s: unexpected error", tso.area_code)
            return TsoResult(tso.area_code, tso.account, failures=[Failure(f"unexpected error: {exc!r}")])

    with ThreadPoolExecutor(max_workers=min(len(tsos), 10), thread_name_prefix="pull") as pool:
        return list(pool.map(one, tsos))
