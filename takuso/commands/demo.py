"""``takuso demo``: the whole product on embedded defaults, in one command, on loopback only.

1. a throwaway test PKI and one TSO simulator for all 10 areas (HTTPS on 127.0.0.1, client certificate
   required), serving the sample BP files;
2. the sample CSV forms dropped into the inbox (they are downloaded by hand in real life);
3. the nightly flow (Prefect's local API server, started first and given the time it needs, its home
   inside the warehouse) pulls, ingests, reconciles and prints its summary;
4. where the warehouse is, how to open it, and an example query with its result;
5. the month close: charges by rate status, the invoice lines that differ, and the HTML report of the
   month (``WAREHOUSE/report-2025-10.html``, priced with the sample's example rates).

Everything the demo makes lives in the warehouse folder (``_demo/`` holds the certificates and the
Prefect home). Running it again downloads and loads nothing new.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from core.paths import WarehouseLayout, resolve_warehouse
from sample_data.billing import EXAMPLE_RATES

EXIT_PREFECT = 2  # Prefect's local API server did not start
SAMPLE = Path("sample_data/small")  # under the current folder, else under the source checkout
_CHECKOUT_SAMPLE = Path(__file__).resolve().parents[2] / SAMPLE

KINDS_SQL = """\
SELECT kind, count(DISTINCT area_code) AS areas, count(*) FILTER (WHERE status = 'loaded') AS loaded,
       count(*) FILTER (WHERE status = 'rejected') AS rejected, sum(rows) AS rows
FROM ingested_files GROUP BY kind ORDER BY kind"""

EXAMPLE_SQL = """\
SELECT area_code, usage_date, count(DISTINCT supply_point_id) AS points, sum(billable_kwh) AS kwh
FROM interval_usage
WHERE data_class = 'confirmed' AND usage_date = (SELECT min(usage_date) FROM interval_usage)
GROUP BY ALL ORDER BY area_code"""

CHARGES_SQL = """\
SELECT status, rate_status, count(*) AS lines, sum(total_yen) AS total_yen
FROM wheeling_charges GROUP BY ALL ORDER BY ALL"""

DIFFERENCES_SQL = """\
SELECT supply_point_id, status, difference_yen, cause
FROM charge_differences WHERE status <> 'match'
ORDER BY abs(difference_yen) DESC NULLS LAST, supply_point_id"""


def find_sample(demo_dir: Path, console: Console) -> Path:
    """``sample_data/small`` (here or in the checkout), else a freshly generated set under ``demo_dir``."""
    for candidate in (SAMPLE, _CHECKOUT_SAMPLE):
        if (candidate / "bp").is_dir():
            return candidate
    generated = demo_dir / "sample"
    if not (generated / "bp").is_dir():
        from sample_data.__main__ import main as generate

        console.print(escape(f"generating the sample data set into {generated} …"))
        generate(["--out", str(generated)])
    return generated


def copy_csv_forms(sample: Path, inbox: Path) -> int:
    """Drop the sample CSV forms, contract registers and invoice details into the inbox, as an operator
    saving them from the portals and the retailer's own systems would."""
    inbox.mkdir(parents=True, exist_ok=True)
    n = 0
    files = [*(sample / "csv").rglob("*.csv"), *(sample / "billing").rglob("*.*")]
    for path in sorted(files):
        shutil.copyfile(path, inbox / path.name)  # the names end in _<area>_<YYYYMM>.csv (or .parquet)
        n += 1
    return n


def run_demo(warehouse: Path | None = None, *, console: Console | None = None) -> int:
    """Run the demo; 0 on success, else the nightly run's exit status."""
    console = console or Console(highlight=False)
    started = time.monotonic()
    layout = WarehouseLayout(resolve_warehouse(warehouse).resolve())
    demo_dir = layout.root / "_demo"
    from flows.prefect_home import PrefectStartError, start_local_api, use_private_prefect_home

    use_private_prefect_home(demo_dir / "prefect")
    sample = find_sample(demo_dir, console)
    try:
        start_local_api(lambda text: console.print(escape(text)))
    except PrefectStartError as exc:
        console.print(f"[red]cannot start Prefect:[/red] {escape(str(exc))}")
        return EXIT_PREFECT
    from core.config import demo_config
    from tso.simulator import Simulator

    with Simulator(sample / "bp", demo_dir / "certs") as sim:
        console.rule("[b]takuso demo")
        console.print(
            escape(f"TSO simulators for all 10 areas on {sim.base_url} (mutual TLS, test CA: {demo_dir / 'certs'})")
        )
        n_csv = copy_csv_forms(sample, layout.inbox)
        console.print(
            escape(f"{n_csv} CSV forms, contract registers and invoice details dropped into the inbox {layout.inbox}")
        )
        console.print("running the nightly flow (Prefect, its local API server on 127.0.0.1) …")
        crt, key, ca = sim.client_cert_paths
        config = demo_config(
            sim.base_url, client_cert=crt, client_key=key, ca_bundle=ca, warehouse=layout.root, tariffs=EXAMPLE_RATES
        )
        from flows.nightly import run_nightly

        result, _state = run_nightly(config=config, warehouse=str(layout.root), retry_delay_s=1.0)
    _print_how_to_connect(console, layout)
    report = write_month_report(layout, EXAMPLE_RATES)
    console.print(f"the billing desk's report of the month: {report}")
    seconds = time.monotonic() - started
    console.print(escape(f"demo finished in {seconds:.0f} s with exit status {result.exit_code}"))
    return result.exit_code


def write_month_report(layout: WarehouseLayout, tariffs: Path) -> Path:
    """The HTML report of the sample month, priced like the demo's nightly run (its example rates)."""
    from datetime import date

    from reconcile.checks import DEFAULT_TOLERANCE_KWH
    from reconcile.report import write_report
    from reconcile.result import build_reconciliation
    from sample_data.__main__ import SAMPLE_MONTH
    from warehouse.catalog import connect

    con = connect(layout)
    try:
        result = build_reconciliation(con, date.fromisoformat(SAMPLE_MONTH + "-01"), DEFAULT_TOLERANCE_KWH, tariffs)
    finally:
        con.close()
    return write_report(result, layout.root / f"report-{SAMPLE_MONTH}.html")


def _print_how_to_connect(console: Console, layout: WarehouseLayout) -> None:
    from takuso.commands.query import run_query

    console.rule("[b]what was loaded, per message kind and CSV form")
    run_query(KINDS_SQL, warehouse=layout.root, console=console)
    console.rule("[b]your warehouse")
    console.print(escape(f"warehouse:  {layout.root}"))
    console.print(
        escape(f"  catalog   {layout.duckdb_file}  (views: interval_usage, monthly_usage, ingested_files, …)")
    )
    console.print(escape(f"  Parquet   {layout.datasets}  (the store of record)"))
    console.print(escape(f"  raw files {layout.raw}  (every input byte for byte)"))
    console.print("open it (read-only, safe while a nightly run loads):")
    console.print(escape(f"  {Path(sys.executable).parent / 'duckdb'} -readonly {layout.duckdb_file}"))
    console.print(escape(f'  .venv/bin/takuso query --warehouse {layout.root} "SELECT * FROM ingested_files LIMIT 5"'))
    console.rule("[b]the month close: recomputed charges and the TSOs' invoices")
    run_query(CHARGES_SQL, warehouse=layout.root, console=console)
    console.print("invoice lines that differ from the recomputed charge (docs/billing.md):")
    console.print(escape(DIFFERENCES_SQL), style="cyan")
    run_query(DIFFERENCES_SQL, warehouse=layout.root, console=console)
    console.print("example: confirmed kWh per area on the first day (exact decimals):")
    console.print(escape(EXAMPLE_SQL), style="cyan")
    run_query(EXAMPLE_SQL, warehouse=layout.root, console=console)
