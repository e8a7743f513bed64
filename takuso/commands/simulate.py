"""``takuso simulate``: run the loopback TSO simulators alone, for trying a client against them.

Prints the base URL per area and the client certificate paths, then serves until Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.areas import AREAS
from tso.adapters import KANSAI
from tso.simulator import Simulator

DEFAULT_ROOT = Path("sample_data/small/bp")  # under the current folder, else under the source checkout
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2] / DEFAULT_ROOT
DEFAULT_CERTS = Path.home() / ".cache" / "takuso" / "simulator-certs"


def run_simulate(
    areas: list[str] | None = None,
    port: int = 0,
    root: Path | None = None,
    certs_dir: Path | None = None,
    *,
    stop: threading.Event | None = None,
    console: Console | None = None,
) -> int:
    """Serve ``root/<area>/*.zip`` over mutual TLS on 127.0.0.1 until Ctrl-C (or ``stop`` is set).

    Exit 0 after a clean stop; 2 for a usage error (unknown area, port in use).
    """
    console = console or Console()
    codes = areas or list(AREAS)
    unknown = [a for a in codes if a not in AREAS]
    if unknown:
        console.print(f"[red]unknown area code(s):[/red] {escape(', '.join(unknown))}; expected {', '.join(AREAS)}")
        return 2
    if root is None:
        root = next((p for p in (DEFAULT_ROOT, _CHECKOUT_ROOT) if p.is_dir()), None)
    if root is None:
        console.print("[yellow]no --root and no sample_data/small/bp: serving empty listings[/yellow]")
    try:
        sim = Simulator(root, certs_dir or DEFAULT_CERTS, areas=codes, port=port).start()
    except OSError as exc:
        console.print(f"[red]cannot start the simulator on 127.0.0.1:{port}:[/red] {escape(str(exc))}")
        return 2
    try:
        _print_banner(console, sim, root)
        event = stop or threading.Event()
        _stop_on_sigterm(event)
        try:
            while not event.wait(0.5):
                pass
        except KeyboardInterrupt:
            console.print("stopping")
    finally:
        sim.stop()
    return 0


def _stop_on_sigterm(event: threading.Event) -> None:
    """Let ``kill PID`` stop the simulator as cleanly as Ctrl-C (only possible from the main thread)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: event.set())


def _print_banner(console: Console, sim: Simulator, root: Path | None) -> None:
    table = Table(title=escape(f"TSO simulators on {sim.base_url} (client certificate required)"))
    table.add_column("area")
    table.add_column("TSO")
    table.add_column("adapter")
    table.add_column("listing URL", overflow="fold")
    for code in sim.areas:
        area = AREAS[code]
        if area.adapter == "html_list":
            listing = f"POST {sim.area_url(code)}/Menu1.action, then POST …/30min/FileListReceiver.action"
        elif area.adapter == "kansai":
            listing = f"POST {sim.area_url(code)}/{KANSAI.session_page}, then POST …/{KANSAI.list_page}"
        else:
            listing = f"GET {sim.area_url(code)}/FileListReceiver"
        table.add_row(code, area.tso_ja, area.adapter, escape(listing))
    console.print(table)
    pki = sim.pki
    ca, crt, key, p12 = (p.resolve() for p in (pki.ca_cert, pki.client_cert, pki.client_key, pki.client_p12))
    console.print(escape(f"files served from: {root or '(none)'}/<area>/"))
    console.print(escape(f"CA bundle (ca_bundle): {ca}"))
    console.print(escape(f"client certificate (cert_pem): {crt}"))
    console.print(escape(f"client key (key_pem): {key}"))
    console.print(escape(f"client PKCS#12 (pkcs12): {p12}"))
    console.print(escape(f"  throwaway test PKI; its test passphrase is {pki.client_p12_password!r}"))
    console.print(
        escape(f"try: curl --cacert {ca} --cert {crt} --key {key} {sim.area_url(sim.areas[0])}/FileListReceiver")
    )
    console.print("Ctrl-C to stop.")
