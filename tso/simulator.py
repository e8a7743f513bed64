"""Loopback simulator of the TSO portals (託送ポータルの模擬サーバ), for tests and ``takuso demo``.

A real HTTPS server on 127.0.0.1 that REQUIRES a client certificate signed by the local test CA
(tso-download.md §11). One server, one path per area:

* generic (§4): ``GET /{area}/FileListReceiver`` and ``GET /{area}/FileReceiver?file=<name>``
* Shikoku (§5), area 08 only: ``POST /08/Menu1.action`` (sets a session cookie), ``POST
  /08/30min/FileListReceiver.action`` (HTML in cp932 with ``<a href>`` links) and ``GET
  /08/30min/FileReceiver.action?file=<name>``; the last two need the cookie.
* Kansai (§6), area 06 only: the pages of :data:`tso.adapters.KANSAI`: ``POST /06/H24DF700A04.do``
  (sets a session cookie), ``POST /06/H24DF710A02.do`` with the list form (HTML in cp932, one anchor
  ``xmlDL('i','list','kbn')`` per file, its text the ZIP name) and ``GET /06/H24DF720A02.do?…``
  with the anchor's arguments; the last two need the cookie.

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
from parsers.bp_xml.filename import FileNameError, parse_bp_filename
from tso.adapters import KANSAI
from tso.listing import unsafe_name_reason
from tso.pki import LocalPKI, ensure_test_pki

log = logging.getLogger(__name__)

SHIKOKU = "08"
KANSAI_AREA = "06"
SERVER_CERTS = ("valid", "expired", "untrusted")
TLS_VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
TRICKLE_MAX_S = 120.0  # a trickling answer stops after this long, whether or not the client is still there
ERROR_PAGE = "<!DOCTYPE html><html><head><title>エラー</title></head><body>セッションが切れました</body></html>"


@dataclass(frozen=True)
class Faults:
    """Fault switches for one area. ``*_first`` counters make tests deterministic; rates are random.

    * ``error_rate`` / ``error_first``: answer file requests with HTTP 503
    * ``truncate_rate`` / ``truncate_first``: announce the full Content-Length, send half, close
    * ``delay_s``: sleep before answering listings and files
    * ``wrong_size``: list every file with its size + 1
    * ``listing_error_first``: answer the listing with 503 this many times
    * ``trickle_first`` / ``trickle_rate``: send a file one byte every ``trickle_interval_s`` seconds
      (at most :data:`TRICKLE_MAX_S`; the server stops when the client goes away)
    * ``error_page_first`` / ``error_page_rate``: answer a file request with ``200 OK`` and an HTML error page
    * ``listing_trickle_first``: send the generic listing one byte every ``trickle_interval_s`` this many times
    """

    error_rate: float = 0.0
    error_first: int = 0
    truncate_rate: float = 0.0
    truncate_first: int = 0
    delay_s: float = 0.0
    wrong_size: bool = False
    listing_error_first: int = 0
    trickle_first: int = 0
    trickle_rate: float = 0.0
    trickle_interval_s: float = 0.5
    error_page_first: int = 0
    error_page_rate: float = 0.0
    listing_trickle_first: int = 0


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
        """Decide whether fault ``switch`` ('error', 'truncate', 'listing_error', …) hits this request."""
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
        is_file = rest in ("FileReceiver", "30min/FileReceiver.action", KANSAI.download_page)
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
            self._file(area, _one(query, "file"))
        elif area == SHIKOKU and rest == "30min/FileReceiver.action":
            if not self._cookie_ok():
                self._send(403, b"session expired: open Menu1.action first")
                return
            self._file(area, _one(query, "file"))
        elif area == KANSAI_AREA and rest == KANSAI.download_page:
            if not self._cookie_ok():
                self._send(200, ERROR_PAGE.encode("cp932"))  # a portal's way: an error page, status 200
                return
            key = (_one(query, "selectedList"), _one(query, "koatsuTeatsuKbn"), _one(query, "selectedIndex"))
            fixed = all(_one(query, k) == v for k, v in KANSAI.download_fixed)
            name = _kansai_index(self.server.state.files(area)).get(key) if fixed else None
            self._file(area, name or "")
        else:
            self._send(404, b"not found")

    def do_POST(self) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append(("POST", self.path))
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(min(length, 65536)) if length else b""
        route = self._route()
        if route is None:
            return
        area, rest, _ = route
        if area == KANSAI_AREA:
            self._kansai_post(area, rest, parse_qs(form.decode("ascii", errors="replace")))
            return
        if area != SHIKOKU:
            self._send(404, b"not found")
            return
        faults = self._faults(area)
        if faults.delay_s:
            time.sleep(faults.delay_s)
        if rest == "Menu1.action":
            body = (
                "<html><body><h1>託送業務メニュー</h1><a href='30min/FileListReceiver.action'>30分値</a></body></html>"
            )
            self._send(200, body.encode("cp932"), headers=self._new_session())
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

    def _new_session(self) -> dict[str, str]:
        token = secrets.token_hex(16)
        with self.server.state.lock:
            self.server.state.sessions.add(token)
        return {"Set-Cookie": f"JSESSIONID={token}; Path=/; Secure; HttpOnly"}

    def _kansai_post(self, area: str, rest: str, form: dict[str, list[str]]) -> None:
        state = self.server.state
        faults = self._faults(area)
        if faults.delay_s:
            time.sleep(faults.delay_s)
        if rest == KANSAI.session_page:
            menu = f"<form method='post' action='{KANSAI.list_page}'></form>"
            body = f"<html><body><h1>NSC提供情報メニュー</h1>{menu}</body></html>"
            self._send(200, body.encode(KANSAI.encoding), headers=self._new_session())
        elif rest == KANSAI.list_page:
            if not self._cookie_ok():
                self._send(200, ERROR_PAGE.encode(KANSAI.encoding))
                return
            if any(_one(form, k) != v for k, v in KANSAI.list_form):
                self._send(400, "不正な要求です".encode(KANSAI.encoding))
                return
            if state.fire(area, "listing_error"):
                self._send(503, b"busy")
                return
            rows = "".join(
                f"<tr><td><a href=\"#\" onclick=\"xmlDL('{index}','{list_no}','{kbn}');return false;\">"
                f"{html.escape(name)}</a></td></tr>"
                for (list_no, kbn, index), name in _kansai_index(state.files(area)).items()
            )
            page = (
                f"<html><head><meta charset='Shift_JIS'><title>同時同量支援</title></head><body>"
                f"<a href='#' onclick=\"menu();\">メニューへ戻る</a><table>{rows}</table></body></html>"
            )
            self._send(200, page.encode(KANSAI.encoding))
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
        if state.fire(area, "listing_trickle"):
            self._trickle(body.encode("ascii"), faults.trickle_interval_s, "text/html")
            return
        self._send(200, body.encode("ascii"))

    def _file(self, area: str, name: str) -> None:
        state = self.server.state
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
        if state.fire(area, "error_page"):
            self._send(200, ERROR_PAGE.encode("cp932"))
            return
        if state.fire(area, "trickle"):
            self._trickle(data, self._faults(area).trickle_interval_s)
            return
        self._send(200, data, ctype="application/zip")

    def _trickle(self, data: bytes, interval_s: float, ctype: str = "application/zip") -> None:
        """Send ``data`` one byte at a time: slower than any deadline, never slow enough for a read timeout."""
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        stop_at = time.monotonic() + TRICKLE_MAX_S
        try:
            for i in range(len(data)):
                if time.monotonic() > stop_at:
                    return
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
                time.sleep(interval_s)
        except OSError:  # the client gave up
            return


def _one(query: dict[str, list[str]], key: str) -> str:
    return (query.get(key) or [""])[0]


def _kansai_index(files: dict[str, bytes]) -> dict[tuple[str, str, str], str]:
    """The Kansai list page's arguments per file: (list, voltage selector, index within that list) → name."""
    kinds, kbns = dict(KANSAI.list_kinds), dict(KANSAI.voltage_kbn)
    index: dict[tuple[str, str, str], str] = {}
    counters: dict[tuple[str, str], int] = {}
    for name in files:
        try:
            kind = parse_bp_filename(name).kind
        except FileNameError:
            continue  # the list page shows BP files only
        group = (kinds[kind.bp_id], kbns[kind.voltage])
        n = counters.get(group, 0)
        counters[group] = n + 1
        index[(*group, str(n))] = name
    return index


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: _State
    ssl_context: ssl.SSLContext

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS handshake in the handler thread, so a slow or failing client never blocks accept().
        request.settimeout(10)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        except (ssl.SSLError, OSError) as exc:
            log.debug("simulator: TLS setup with %s failed: %s", client_address, exc)
            return
        try:
            tls.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            log.debug("simulator: TLS handshake with %s failed: %s", client_address, exc)
            _linger(tls)
            with contextlib.suppress(OSError):
                tls.close()
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("simulator: error while serving %s", client_address, exc_info=True)


def _linger(sock: socket.socket, seconds: float = 1.0) -> None:
    """Read what the client still sends before closing, as web servers do ("lingering close").

    Under TLS 1.3 a client sends its first request before it reads the server's verdict on its
    certificate; closing at once would answer that request with a reset, and the alert (``unknown ca``)
    would be lost on the way.
    """
    with contextlib.suppress(OSError):
        # The plain socket's calls: the TLS layer is broken after a failed handshake.
        socket.socket.shutdown(sock, socket.SHUT_WR)
        sock.settimeout(seconds)
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at and socket.socket.recv(sock, 4096):
            pass


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
    ``tls``: the lowest and highest TLS version the server speaks (``"1.0"``, ``"1.2"``, ``"1.3"``).
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
        tls: tuple[str, str] = ("1.2", "1.3"),
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the simulator listens on loopback only, not {host!r}")
        if server_cert not in SERVER_CERTS:
            raise ValueError(f"server_cert must be one of {', '.join(SERVER_CERTS)}")
        if not set(tls) <= set(TLS_VERSIONS):
            raise ValueError(f"tls versions must be among {', '.join(TLS_VERSIONS)}")
        self.tls = tls
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
        if self.tls[0] == "1.0":
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this OpenSSL speak TLS 1.0 at all, for tests only
        ctx.minimum_version, ctx.maximum_version = TLS_VERSIONS[self.tls[0]], TLS_VERSIONS[self.tls[1]]
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
