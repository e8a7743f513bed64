"""Pull (取得): list each TSO's files, download the new ones into the raw landing zone.

One call per TSO returns a :class:`TsoResult`; :func:`pull_all` runs the selected TSOs side by side and
one TSO failing never stops the others. Transient errors (5xx, timeouts, connection resets, truncated
bodies, size mismatches, an answer that is not the file, a download past its deadline) are retried with
exponential back-off, at most ``retries`` times; everything else (4xx, TLS, a bad listing) is reported
at once. At most ``max_connections`` downloads run at the same time per TSO.

Deadlines (:mod:`tso.deadline`): each attempt at the listing or a file is abandoned after
``file_deadline_s``, however slowly the portal trickles; the whole pull of a TSO stops after
``tso_deadline_s`` (retries included), and the files not fetched by then are reported as one failure.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

from core.certs import CertificateError, ClientIdentity, private_pem_files
from core.config import PullSettings, TsoConfig
from tso.adapters import PortalAdapter, make_adapter
from tso.deadline import DeadlineExceeded, Watch, within
from tso.landing import (
    LandedFile,
    Presence,
    SizeMismatch,
    UnexpectedContent,
    land_stream,
    presence,
    raw_folder,
    remove_stale_parts,
)
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
    """Worth another try: 5xx, timeouts, resets, truncated bodies, size mismatches, error pages, file deadlines."""
    if isinstance(exc, DeadlineExceeded):
        return exc.transient
    if isinstance(exc, LoopbackViolation | requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.HTTPError):
        return exc.response is not None and exc.response.status_code >= 500
    return isinstance(
        exc,
        SizeMismatch
        | UnexpectedContent
        | requests.exceptions.Timeout
        | requests.exceptions.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | ConnectionResetError,
    )


_ALERT = re.compile(r"alert ([a-z][a-z ]*[a-z])", re.IGNORECASE)
_REFUSAL_ALERTS: tuple[str, ...] = (
    "unknown ca",
    "bad certificate",
    "certificate required",
    "certificate unknown",
    "access denied",
)
_REFUSAL_ALERTS += ("certificate revoked", "certificate expired", "unsupported certificate")
_OLD_PROTOCOL: tuple[str, ...] = (
    "unsupported protocol",
    "protocol version",
    "no protocols available",
    "wrong version number",
)
_OLD_PROTOCOL += ("alert handshake failure",)  # what a TLS 1.0 portal answers when offered 1.0 at a high security level


def describe(exc: BaseException, identity: ClientIdentity | None = None) -> str:
    """A one-line, operator-readable reason (TLS failures spelled out).

    ``identity`` is the client certificate that was sent: a server that refuses it is told which one.
    """
    text = str(exc)
    alert = _ALERT.search(text)
    if alert and alert.group(1).lower() in _REFUSAL_ALERTS:
        return refused_certificate(f"with TLS alert '{alert.group(1).lower()}'", identity)
    if any(words in text for words in _OLD_PROTOCOL):
        return (
            f"the server and takuso agree on no TLS version or cipher ({_short(text)}); the portal probably speaks "
            'only TLS 1.0 or 1.1. min_tls = "1.0" in this TSO\'s table lets takuso offer those versions, but it cannot '
            "make this machine's OpenSSL accept them: current OpenSSL builds refuse TLS 1.0/1.1 at their default "
            "security level whatever min_tls says. Ask the TSO for TLS 1.2"
        )
    if isinstance(exc, DeadlineExceeded):
        return text
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
        if "EOF occurred" in text or "CERTIFICATE_REQUIRED" in text:
            return refused_certificate("by closing the connection during the TLS handshake", identity)
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


def refused_certificate(how: str, identity: ClientIdentity | None) -> str:
    """The message for a server that refused takuso's client certificate (``how``: "with TLS alert '…'")."""
    if identity is None:
        sent = "the configured client certificate"
    else:
        cert = identity.cert
        sent = (
            f"subject {identity.subject!r}, issuer {cert.issuer.rfc4514_string()!r}, "
            f"valid until {identity.not_after.date().isoformat()} (from {identity.source})"
        )
    return (
        f"the server refused takuso's client certificate {how}. Sent: {sent}. Check that this is "
        "the certificate registered for your OCCTO account at this TSO, that the portal trusts its issuer (a "
        "renewed or re-issued certificate may need registering again), that it has not expired, and that "
        "pkcs12 (or cert_pem + key_pem) in this TSO's table points to the current file"
    )


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def with_retries(
    op: Callable[[], T],
    *,
    retries: int,
    backoff_s: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    ends_at: float | None = None,
) -> T:
    """Run ``op``; on a transient error wait ``backoff_s * 2**attempt`` and try again, ``retries`` times.

    No retry starts when its wait would reach ``ends_at`` (a ``time.monotonic()`` value, the TSO's
    deadline): a transient error then ends as a :class:`DeadlineExceeded` that is not retried.
    """
    attempt = 0
    while True:
        try:
            return op()
        except Exception as exc:
            delay = backoff_s * (2**attempt)
            late = ends_at is not None and time.monotonic() + delay >= ends_at
            if is_transient(exc) and attempt < retries and late:
                raise DeadlineExceeded(
                    f"{describe(exc)}; no time left for another try before the TSO's deadline", transient=False
                ) from exc
            if not is_transient(exc) or attempt >= retries:
                if attempt:
                    raise RetriesExhausted(f"{describe(exc)} (gave up after {attempt + 1} attempts)") from exc
                raise
            log.info("%s: %s; retry %d/%d in %.2fs", what, describe(exc), attempt + 1, retries, delay)
            sleep(delay)
            attempt += 1


class RetriesExhausted(Exception):
    """A transient error persisted through every retry."""


# ------------------------------------------------------------------------------------------ pulling


def _session_for(tso: TsoConfig, loopback_only: bool) -> tuple[requests.Session, ClientIdentity]:
    """A session with the TSO's client certificate, and that certificate (named when a server refuses it)."""
    identity = tso.client_cert.load()
    cert = tso.client_cert
    options: dict[str, Any] = {
        "ca_bundle": tso.ca_bundle,
        "min_tls": tso.min_tls,
        "loopback_only": loopback_only,
        "pool_size": tso.max_connections,
    }
    if cert.pkcs12 is None:
        assert cert.cert_pem is not None and cert.key_pem is not None  # load() checked it
        return make_session(client_cert=cert.cert_pem, client_key=cert.key_pem, **options), identity
    # The PEM files exist only while the ssl context reads them; the context keeps the key in memory.
    with private_pem_files(identity) as (cert_path, key_path):
        return make_session(client_cert=cert_path, client_key=key_path, **options), identity


class _Deadlines:
    """The TSO's deadline and the per-attempt deadline under it."""

    def __init__(self, tso: TsoConfig) -> None:
        self.tso = tso
        self.ends_at = time.monotonic() + tso.tso_deadline_s

    def attempt_seconds(self) -> tuple[float, bool]:
        """Seconds this attempt may take, and whether the TSO's deadline (not the file's) is the limit."""
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise self.tso_passed()
        return min(self.tso.file_deadline_s, left), left < self.tso.file_deadline_s

    def tso_passed(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"the pull of this TSO passed its deadline (tso_deadline_s = {self.tso.tso_deadline_s:g} s)",
            transient=False,
        )

    def exceeded(self, what: str, tso_limit: bool) -> DeadlineExceeded:
        if tso_limit:
            return self.tso_passed()
        return DeadlineExceeded(
            f"{what} did not arrive within file_deadline_s = {self.tso.file_deadline_s:g} s "
            "(the portal answers too slowly); abandoned",
            transient=True,
        )

    def run(self, what: str, op: Callable[[Watch], T]) -> T:
        """Run one attempt under its deadline; a request cut off by it raises :class:`DeadlineExceeded`."""
        seconds, tso_limit = self.attempt_seconds()
        with within(seconds) as watch:
            try:
                result = op(watch)
            except Exception as exc:
                if watch.fired:
                    raise self.exceeded(what, tso_limit) from exc
                raise
        if watch.fired:
            raise self.exceeded(what, tso_limit)
        return result


def _until_deadline(chunks: Iterable[bytes], watch: Watch) -> Iterator[bytes]:
    """The body's chunks; a body cut short by the deadline must not look complete."""
    for chunk in chunks:
        if watch.fired:
            break
        yield chunk
    if watch.fired:
        raise DeadlineExceeded("cut off by its deadline", transient=True)


def _download_one(
    session: requests.Session,
    adapter: PortalAdapter,
    tso: TsoConfig,
    folder: Path,
    item: ListedFile,
    deadlines: _Deadlines,
) -> LandedFile:
    url = adapter.file_url(item.name)

    def attempt(watch: Watch) -> LandedFile:
        with session.get(url, stream=True, timeout=tso.timeout_s) as response:
            response.raise_for_status()
            expected = item.size
            length = response.headers.get("Content-Length", "")
            if expected is None and length.isascii() and length.isdigit():
                expected = int(length)
            return land_stream(
                _until_deadline(response.iter_content(CHUNK), watch),
                folder=folder,
                name=item.name,
                expected_size=expected,
                url=url,
                area_code=tso.area_code,
                account=tso.account,
            )

    return with_retries(
        lambda: deadlines.run(item.name, attempt),
        retries=tso.retries,
        backoff_s=tso.backoff_s,
        what=f"{tso.area_code} {item.name}",
        ends_at=deadlines.ends_at,
    )


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
    deadlines = _Deadlines(tso)
    try:
        session, identity = _session_for(tso, loopback_only)
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
                lambda: deadlines.run("the listing", lambda _watch: adapter.list_files(session, tso.timeout_s)),
                retries=tso.retries,
                backoff_s=tso.backoff_s,
                what=f"{tso.area_code} listing",
                ends_at=deadlines.ends_at,
            )
        except ListingError as exc:
            result.failures.append(Failure(f"unusable listing from {tso.endpoint}: {exc}"))
            return result
        except Exception as exc:
            transient = isinstance(exc, RetriesExhausted)
            message = f"listing {tso.endpoint} failed: {describe(exc, identity)}"
            result.failures.append(Failure(message, transient=transient))
            return result
        result.listed = len(listing.files)
        for name, reason in listing.skipped:
            log.warning("%s: skipped listed name %r: %s", tso.area_code, name, reason)
        result.skipped.extend(listing.skipped)
        folder = raw_folder(warehouse, tso.area_code, tso.account)
        for name in remove_stale_parts(folder, idle_s=tso.file_deadline_s):
            log.info("%s: removed %s, left behind by a pull that was stopped", tso.area_code, name)
        todo = _select(listing.files, tso, folder, result)
        report(tso.area_code, 0, len(todo), "downloading")
        done = 0
        late: list[str] = []
        with ThreadPoolExecutor(max_workers=tso.max_connections, thread_name_prefix=f"pull-{tso.area_code}") as pool:
            futures = {
                item.name: pool.submit(_download_one, session, adapter, tso, folder, item, deadlines) for item in todo
            }
            for name, future in futures.items():
                try:
                    result.new_files.append(future.result())
                except FileExistsError:
                    result.already_present += 1  # landed by a concurrent run meanwhile
                except DeadlineExceeded as exc:
                    if exc.transient:
                        result.failures.append(Failure(str(exc), name, transient=True))
                    else:
                        late.append(name)
                except Exception as exc:
                    message = describe(exc, identity)
                    log.error("%s: %s: %s", tso.area_code, name, message)
                    result.failures.append(Failure(message, name, transient=isinstance(exc, RetriesExhausted)))
                done += 1
                report(tso.area_code, done, len(todo), name)
        if late:
            message = f"{deadlines.tso_passed()}: {len(late)} file(s) not downloaded, first {late[0]}"
            log.error("%s: %s", tso.area_code, message)
            result.failures.append(Failure(message))
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


def pull_all(settings: PullSettings, warehouse: Path, *, progress: ProgressFn | None = None) -> list[TsoResult]:
    """Pull the TSOs of ``settings`` side by side; results in their order (area order)."""
    tsos = settings.tsos
    if not tsos:
        return []

    def one(tso: TsoConfig) -> TsoResult:
        try:
            return pull_tso(tso, warehouse, loopback_only=settings.loopback_only, progress=progress)
        except Exception as exc:  # a bug must not stop the other TSOs either
            log.exception("%s: unexpected error", tso.area_code)
            return TsoResult(tso.area_code, tso.account, failures=[Failure(f"unexpected error: {exc!r}")])

    with ThreadPoolExecutor(max_workers=min(len(tsos), 10), thread_name_prefix="pull") as pool:
        return list(pool.map(one, tsos))
