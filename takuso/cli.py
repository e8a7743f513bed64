"""The ``takuso`` command line: one verb per job (warehouse-contract.md, "Command line").

Each command is a thin shell over a plain function that returns the exit status; the work itself lives
in the step modules (parsers, warehouse, tso, flows), so it can be tested without the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="takuso",
    help=(
        "Fetch, validate and load Japanese wheeling data (託送): BP XML (30分電力量, 確定使用量) and the "
        "three CSV forms from the 10 TSOs into Parquet and DuckDB."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help is plain text: "[reconcile] tolerance_kwh" is shown, not read as markup
)

WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="Warehouse folder; default $TAKUSO_WAREHOUSE, else warehouse_dir in takuso.toml, else ./takuso-warehouse.",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="takuso.toml; default ./takuso.toml if present.", show_default=False),
]
PathsArg = Annotated[list[Path], typer.Argument(help="Files or folders (.zip, .xml, .csv).", show_default=False)]


@app.command()
def validate(
    paths: PathsArg,
    area: Annotated[
        str | None, typer.Option(help="Area code 01..10 the files came from; default: their folder, name or content.")
    ] = None,
    detail: Annotated[bool, typer.Option(help="Enrich messages with xmlschema (slower).")] = True,
    config: ConfigOpt = None,
) -> None:
    """Validate files against the XSDs and the parser rules; write nothing.

    Exit 0 when every file is valid, 1 when any is not.
    """
    from takuso.commands.validate import run_validate

    raise typer.Exit(run_validate(paths, area=area, detail=detail, config=config))


@app.command()
def ingest(
    paths: PathsArg,
    warehouse: WarehouseOpt = None,
    area: Annotated[
        str | None,
        typer.Option(
            help="Area code 01..10; default: a folder 01..10 on the path, a CSV named *_<area>_<YYYYMM>, else what "
            "the file says (a BP header's sender code, the supply point ids). Sources that disagree reject the file."
        ),
    ] = None,
    account: Annotated[str, typer.Option(help="Download account (retailer certificate) of the files.")] = "default",
    workers: Annotated[int, typer.Option(help="Files prepared side by side, threads (default: number of cores).")] = 0,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="If another run is writing: wait for it, or exit 2 at once.")
    ] = True,
    config: ConfigOpt = None,
) -> None:
    """Validate and load local files into the warehouse.

    Already loaded files (same sha256) are skipped. Exit 0 all loaded or skipped; 1 some rejected
    (quarantined with a reason); 2 usage error, or another run is writing and --no-wait was given.
    """
    from takuso.commands.ingest import run_ingest

    raise typer.Exit(
        run_ingest(paths, warehouse=warehouse, area=area, account=account, workers=workers, wait=wait, config=config)
    )


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run on the warehouse views.")],
    warehouse: WarehouseOpt = None,
    limit: Annotated[int, typer.Option(help="Rows to print at most (table format).")] = 50,
    fmt: Annotated[str, typer.Option("--format", "-f", help="What to print: table, csv or json.")] = "table",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write every row to FILE.csv, FILE.json or FILE.parquet.", show_default=False),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Answer from the warehouse as it was then: YYYY-MM-DDTHH:MM, JST unless an offset is given.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run SQL on the warehouse (read-only): a table, CSV or JSON, or a file (exit 1 SQL error, 2 no warehouse)."""
    from takuso.commands.query import parse_as_of, run_query

    try:
        moment = parse_as_of(as_of) if as_of else None
    except ValueError as exc:
        typer.echo(f"--as-of: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(run_query(sql, warehouse=warehouse, limit=limit, fmt=fmt, out=out, as_of=moment))


@app.command()
def reconcile(
    month: Annotated[str, typer.Option("--month", "-m", help="Billing month YYYY-MM.", show_default=False)],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Report file: .html, .csv or .parquet.", show_default=False)
    ] = None,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
    tariff: Annotated[
        Path | None,
        typer.Option(help="Your tariff CSV or folder, merged over the shipped tables.", show_default=False),
    ] = None,
    store: Annotated[bool, typer.Option(help="Keep the charges in the warehouse (view wheeling_charges).")] = True,
) -> None:
    """Reconcile a month: TSO data against itself, and the wheeling charge of every supply point.

    Exit 0; 1 when discrepancies exceed the tolerance ([reconcile] tolerance_kwh); 2 on a usage error.
    """
    from takuso.commands.reconcile_cli import reconcile_command

    raise typer.Exit(reconcile_command(month, out, warehouse, config, tariff, store))


tariffs_app = typer.Typer(
    help="Tariff tables (料金表): what they cover, check a file of your own, write blank templates.",
    no_args_is_help=False,
)
app.add_typer(tariffs_app, name="tariffs")
TariffOpt = Annotated[
    Path | None,
    typer.Option("--tariff", help="Your tariff CSV or folder, merged over the shipped tables.", show_default=False),
]


@tariffs_app.callback(invoke_without_command=True)
def tariffs(
    ctx: typer.Context,
    tariff: TariffOpt = None,
    area: Annotated[str | None, typer.Option(help="Only this area, 01..10.", show_default=False)] = None,
) -> None:
    """Show the rate sets: area × voltage × menu × validity period, with status (confirmed, secondary, user).

    Exit 0; 1 when the tariff files have problems; 2 on a usage error.
    """
    if ctx.invoked_subcommand is None:
        from takuso.commands.tariffs import run_tariffs

        raise typer.Exit(run_tariffs(tariff, area))


@tariffs_app.command("check")
def tariffs_check(
    path: Annotated[Path, typer.Argument(help="Your tariff CSV, or a folder of them (with calendars.csv).")],
) -> None:
    """Validate your tariff file: every problem with its line and rule id (TF01..TF14). Exit 0 valid, 1 not."""
    from takuso.commands.tariffs import run_tariffs_check

    raise typer.Exit(run_tariffs_check(path))


@tariffs_app.command("template")
def tariffs_template(
    area: Annotated[
        list[str] | None, typer.Option("--area", "-a", help="Area 01..10; repeat for several. Default: all.")
    ] = None,
    voltage: Annotated[str | None, typer.Option(help="low or high. Default: both.", show_default=False)] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File (one area and voltage) or folder.", show_default=False)
    ] = None,
) -> None:
    """Write blank rate files (menus known, prices and dates empty) to fill from your TSO's 料金表."""
    from takuso.commands.tariffs import run_tariffs_template

    raise typer.Exit(run_tariffs_template(area, voltage, out))


@app.command()
def catalog(warehouse: WarehouseOpt = None) -> None:
    """Rebuild the current state and takuso.duckdb from the history (after moving a warehouse, or if lost)."""
    from takuso.commands.catalog import run_catalog

    raise typer.Exit(run_catalog(warehouse))


@app.command()
def demo(
    warehouse: WarehouseOpt = None,
) -> None:
    """The whole product on embedded defaults: simulators for all 10 areas, the nightly flow, a query."""
    from takuso.commands.demo import run_demo

    raise typer.Exit(run_demo(warehouse=warehouse))


@app.command()
def pull(
    config: ConfigOpt = None,
    area: Annotated[
        list[str] | None,
        typer.Option("--area", "-a", help="Area code 01..10; repeat for several. Default: all."),
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Download new files from the TSOs (mutual TLS) into the raw landing zone.

    Exit 0 all good; 1 some TSO failed (the others still landed); 2 configuration or usage error.
    """
    from takuso.commands.pull import run_pull

    raise typer.Exit(run_pull(config, areas=area or None, warehouse=warehouse))


@app.command()
def simulate(
    areas: Annotated[str | None, typer.Option(help="Comma-separated area codes, e.g. 01,03. Default: all.")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1; 0 picks a free one.")] = 0,
    root: Annotated[
        Path | None,
        typer.Option(help="Files to serve, <area>/*.zip; default sample_data/small/bp", show_default=False),
    ] = None,
    certs_dir: Annotated[
        Path | None,
        typer.Option(help="Test CA and certificates folder; default ~/.cache/takuso.", show_default=False),
    ] = None,
) -> None:
    """Run the TSO simulators alone (HTTPS on loopback, client certificate required) until Ctrl-C."""
    from takuso.commands.simulate import run_simulate

    codes = [a.strip() for a in areas.split(",") if a.strip()] if areas else None
    raise typer.Exit(run_simulate(codes, port=port, root=root, certs_dir=certs_dir))


TaskRunnerOpt = Annotated[
    str | None,
    typer.Option(
        "--task-runner",
        help="Where per-file ingest work runs: local (process pool) or dask; default $TAKUSO_TASK_RUNNER, else local.",
        show_default=False,
    ),
]
DaskAddressOpt = Annotated[
    str | None,
    typer.Option(
        "--dask-address",
        help="Dask scheduler tcp://HOST:8786 for --task-runner dask; default $TAKUSO_DASK_ADDRESS, else local.",
        show_default=False,
    ),
]


@app.command()
def run(
    config: ConfigOpt = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="The night this run is for, YYYY-MM-DD (default: today, schedule time zone)."),
    ] = None,
    warehouse: WarehouseOpt = None,
    inbox: Annotated[
        Path | None,
        typer.Option(help="Folder of files saved by hand; default the config's inbox, else WAREHOUSE/inbox."),
    ] = None,
    task_runner: TaskRunnerOpt = None,
    dask_address: DaskAddressOpt = None,
) -> None:
    """Run the nightly flow once: pull every enabled TSO, ingest (with the inbox), reconcile.

    Exit 0 all good; 1 some files rejected or some TSO failed (the rest still loaded); 2 configuration
    or usage error.
    """
    from takuso.commands.run import run_run

    raise typer.Exit(
        run_run(
            config,
            run_date=date,
            warehouse=warehouse,
            inbox=inbox,
            task_runner=task_runner,
            dask_address=dask_address,
        )
    )


@app.command()
def serve(
    config: ConfigOpt = None,
    warehouse: WarehouseOpt = None,
    task_runner: TaskRunnerOpt = None,
    dask_address: DaskAddressOpt = None,
) -> None:
    """Serve the nightly deployment on its cron schedule (default 03:00 Asia/Tokyo) until stopped.

    Uses the Prefect API in $PREFECT_API_URL, else starts a local Prefect server on 127.0.0.1.
    """
    from takuso.commands.serve import run_serve

    raise typer.Exit(run_serve(config, warehouse=warehouse, task_runner=task_runner, dask_address=dask_address))


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="takuso")
