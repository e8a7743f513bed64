"""Loopback simulator of the TSO portals (託送ポータルの模擬サーバ), for tests and ``takuso demo``.

A real HTTPS server on 127.0.0.1 that REQUIRES a client certificate signed by the local test CA
(tso-download.md §11). One server, one path per area:

* generic (§4): ``GET /{area}/FileListReceiver`` and ``GET /{area}/FileReceiver?file=<name>``
* Shikoku (§5), area 08 only: ``POST /08/Menu1.action`` (sets a session cookie), ``POST
  /08/30min/FileListReceiver.action`` (HTML in cp932 with ``<a href>`` links) and ``GET
  /08/30min/FileReceiver.action?file=<name>``; the last two need the cookie.

Files are served from ``ROOT/<area_code>/*.zip`` (re-read on every listing) plus any added with
:meth:`Simulator.add_file`. Faults are switched per area with :meth:`Simulator.set_faults`; the
server certificate (valid, expired, untrusted) is chosen at start.

    with Simulator(root, certs_dir, areas=["03", "08"]) as sim:
        print(sim.base_url, sim.pki.client_cert)
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import logging
import random
import secrets
import shutil
import socket
import ssl
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from core.areas import AREAS
from tso.listing import unsafe_name_reason
from tso.pki import LocalPKI, ensure_test_pki

log = logging.getLogger(__name__)

SHIKOKU = "08"
SERVER_CERTS = ("valid", "expired", "untrusted")


@dataclass(frozen=True)
class Faults:
    """Fault switches for one area. ``*_first`` counters make tests deterministic; rates are random.

    * ``error_rate`` / ``error_first``: answer file requests with HTTP 503
    * ``truncate_rate`` / ``truncate_first``: announce the full Content-Length, send half, close
    * ``delay_s``: sleep before answering listings and files
    * ``wrong_size``: list every file with its size + 1
    * ``listing_error_first``: answer the listing with 503 this many times
    """

    error_rate: float = 0.0
    error_first: int = 0
    truncate_rate: float = 0.0
    truncate_first: int = 0
    delay_s: float = 0.0
    wrong_size: bool = False
    listing_error_first: int = 0


class _State:
    """Mutable simulator state shared by the handler threads (guarded by one lock)."""

    def __init__(self, root: Path | None, areas: list[str], seed: int | None) -> None:
        self.root = root
        self.areas = areas
        self.lock = threading.Lock()
        self.faults: dict[str, Faults] = {}
        self.counters: dict[tuple[str, str], int] = {}
        self.extra: dict[str, dict[str, bytes]] = {a: {} for a in areas}
        self.sessions: set[str] = set()
        self.requests: list[tuple[str, str]] = []  # (method, path) log for tests
        self.in_flight = 0  # file downloads being answered right now
        self.max_in_flight = 0
        self.random = random.Random(seed)

    def files(self, area: str) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        if self.root is not None:
            folder = self.root / area
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    if path.is_file() and not path.name.startswith("."):
                        found[path.name] = path.read_bytes()
        with self.lock:
            found.update(self.extra.get(area, {}))
        return found

    def fire(self, area: str, switch: str) -> bool:
        """Decide whether fault ``switch`` ('error', 'truncate', 'listing_error') hits this request."""
        with self.lock:
            faults = self.faults.get(area, Faults())
            key = (area, switch)
            first = getattr(faults, f"{switch}_first", 0)
            if self.counters.get(key, 0) < first:
                self.counters[key] = self.counters.get(key, 0) + 1
                return True
            rate = getattr(faults, f"{switch}_rate", 0.0)
            return rate > 0 and self.random.random() < rate


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("simulator: " + format, *args)

    # -- plumbing ------------------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=Shift_JIS",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self) -> tuple[str, str, dict[str, list[str]]] | None:
        parts = urlsplit(self.path)
        segments = parts.path.strip("/").split("/", 1)
        if len(segments) != 2 or segments[0] not in self.server.state.areas:
            self._send(404, b"unknown area or path")
            return None
        return segments[0], segments[1], parse_qs(parts.query)

    def _cookie_ok(self) -> bool:
        cookie = self.headers.get("Cookie", "")
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "JSESSIONID" and value in self.server.state.sessions:
                return True
        return False

    def _faults(self, area: str) -> Faults:
        with self.server.state.lock:
            return self.server.state.faults.get(area, Faults())

    # -- verbs ---------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append(("GET", self.path))
        route = self._route()
        if route is None:
            return
        area, rest, query = route
        is_file = rest in ("FileReceiver", "30min/FileReceiver.action")
        if is_file:
            with state.lock:
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            self._get(area, rest, query)
        finally:
            if is_file:
                with state.lock:
                    state.in_flight -= 1

    def _get(self, area: str, rest: str, query: dict[str, list[str]]) -> None:
        faults = self._faults(area)
        if faults.delay_s:
            time.sleep(faults.delay_s)
        if rest == "FileListReceiver":
            self._listing(area, faults)
        elif rest == "FileReceiver":
            self._file(area, query)
        elif area == SHIKOKU and rest == "30min/FileReceiver.action":
            if not self._cookie_ok():
                self._send(403, b"session expired: open Menu1.action first")
                return
            self._file(area, query)
        else:
            self._send(404, b"not found")

    def do_POST(self) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append(("POST", self.path))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        route = self._route()
        if route is None:
            return
        area, rest, _ = route
        if area != SHIKOKU:
            self._send(404, b"not found")
            return
        faults = self._faults(area)
        if faults.delay_s:
            time.sleep(faults.delay_s)
        if rest == "Menu1.action":
            token = secrets.token_hex(16)
            with state.lock:
                state.sessions.add(token)
            body = (
                "<html><body><h1>託送業務メニュー</h1><a href='30min/FileListReceiver.action'>30分値</a></body></html>"
            )
            self._send(
                200,
                body.encode("cp932"),
                headers={"Set-Cookie": f"JSESSIONID={token}; Path=/; Secure; HttpOnly"},
            )
        elif rest == "30min/FileListReceiver.action":
            if not self._cookie_ok():
                self._send(403, "セッションがありません".encode("cp932"))
                return
            if state.fire(area, "listing_error"):
                self._send(503, b"busy")
                return
            links = "".join(
                f'<tr><td><a href="FileReceiver.action?file={quote(name)}">{html.escape(name)}</a></td>'
                f"<td>{len(data)}バイト</td></tr>"
                for name, data in state.files(area).items()
            )
            page = (
                "<html><head><meta charset='Shift_JIS'><title>ファイル一覧</title></head><body>"
                f"<a href='../Menu1.action'>メニューへ戻る</a><table>{links}</table></body></html>"
            )
            self._send(200, page.encode("cp932"))
        else:
            self._send(404, b"not found")

    def _listing(self, area: str, faults: Faults) -> None:
        state = self.server.state
        if state.fire(area, "listing_error"):
            self._send(503, b"busy")
            return
        items = []
        for n, (name, data) in enumerate(state.files(area).items(), start=1):
            size = len(data) + (1 if faults.wrong_size else 0)
            items.append(f'rfilename{n}:"{name}",rfilesize{n}:"{size}"')
        body = f"<html><body><comment>{','.join(items)}</comment></body></html>"
        self._send(200, body.encode("ascii"))

    def _file(self, area: str, query: dict[str, list[str]]) -> None:
        state = self.server.state
        name = (query.get("file") or [""])[0]
        if unsafe_name_reason(name):
            self._send(400, b"bad file name")
            return
        data = state.files(area).get(name)
        if data is None:
            self._send(404, b"no such file")
            return
        if state.fire(area, "error"):
            self._send(503, b"service temporarily unavailable")
            return
        if state.fire(area, "truncate"):
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(200, data, ctype="application/zip")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: _State
    ssl_context: ssl.SSLContext

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS handshake in the handler thread, so a slow or failing client never blocks accept().
        request.settimeout(10)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("simulator: TLS handshake with %s failed: %s", client_address, exc)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("simulator: error while serving %s", client_address, exc_info=True)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Simulator:
    """Start/stop a loopback HTTPS TSO simulator; also a context manager.

    ``server_cert``: ``"valid"`` (signed by the test CA), ``"expired"`` or ``"untrusted"`` (signed by a
    CA the client does not know). ``port`` 0 picks an ephemeral port. ``host`` must be loopback.
    """

    def __init__(
        self,
        root: Path | None,
        certs_dir: Path,
        *,
        areas: list[str] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        server_cert: str = "valid",
        seed: int | None = 0,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the simulator listens on loopback only, not {host!r}")
        if server_cert not in SERVER_CERTS:
            raise ValueError(f"server_cert must be one of {', '.join(SERVER_CERTS)}")
        unknown = [a for a in areas or [] if a not in AREAS]
        if unknown:
            raise ValueError(f"unknown area code(s) {', '.join(unknown)}")
        self.root = Path(root) if root is not None else None
        self.certs_dir = Path(certs_dir)
        self.areas = list(areas) if areas else list(AREAS)
        self.host, self.port, self.server_cert = host, port, server_cert
        self.pki: LocalPKI = ensure_test_pki(self.certs_dir)
        self._state = _State(self.root, self.areas, seed)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    def _server_context(self) -> ssl.SSLContext:
        cert, key = {
            "valid": (self.pki.server_cert, self.pki.server_key),
            "expired": (self.pki.expired_server_cert, self.pki.expired_server_key),
            "untrusted": (self.pki.untrusted_server_cert, self.pki.untrusted_server_key),
        }[self.server_cert]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(cert), str(key))
        ctx.load_verify_locations(cafile=str(self.pki.ca_cert))
        ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no connection
        return ctx

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_cls = type("_LoopbackServer", (_Server,), {"address_family": family})
        server = server_cls((self.host, self.port), _Handler)
        server.state = self._state
        server.ssl_context = self._server_context()
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="tso-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what clients need ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def area_url(self, area_code: str) -> str:
        return f"{self.base_url}/{area_code}"

    @property
    def client_cert_paths(self) -> tuple[Path, Path, Path]:
        """``(cert_pem, key_pem, ca_bundle)`` for a client of this simulator."""
        return self.pki.client_cert, self.pki.client_key, self.pki.ca_cert

    # -- files and faults ----------------------------------------------------------------------------
    def add_file(self, area_code: str, path: Path, name: str | None = None) -> None:
        """Serve ``path``'s bytes in ``area_code`` (under ``name``, default its file name) from now on."""
        data = Path(path).read_bytes()
        with self._state.lock:
            self._state.extra.setdefault(area_code, {})[name or Path(path).name] = data

    def add_bytes(self, area_code: str, name: str, data: bytes) -> None:
        with self._state.lock:
            self._state.extra.setdefault(area_code, {})[name] = data

    def copy_into_root(self, area_code: str, path: Path) -> Path:
        """Drop a file into ``ROOT/<area>/`` (the next listing sees it)."""
        if self.root is None:
            raise ValueError("this simulator has no root folder")
        target = self.root / area_code / Path(path).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return target

    def set_faults(self, area_code: str, faults: Faults | None = None, **switches: Any) -> None:
        """Set the fault switches of an area (resets its ``*_first`` counters)."""
        with self._state.lock:
            base = faults or Faults()
            self._state.faults[area_code] = replace(base, **switches) if switches else base
            for key in [k for k in self._state.counters if k[0] == area_code]:
                del self._state.counters[key]

    @property
    def max_concurrent_downloads(self) -> int:
        """The most file requests answered at the same time so far."""
        with self._state.lock:
            return self._state.max_in_flight

    @property
    def request_log(self) -> list[tuple[str, str]]:
        with self._state.lock:
            return list(self._state.requests)
