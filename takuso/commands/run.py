"""``takuso run``: the nightly flow, once (pull every enabled TSO, ingest with the inbox, reconcile).

The configuration is read and checked first, before Prefect starts, so a missing or broken
``takuso.toml`` is reported at once. Then Prefect's API (``$PREFECT_API_URL``, else a local server
started here) runs the ``takuso-nightly`` flow; a night that is not all good ends in Prefect's
``Failed`` state with the same exit status.

Exit status (warehouse-contract.md): 0 all good; 1 some files rejected or some TSO failed (the rest
still loaded); 2 configuration or usage error (Prefect's local server not starting included).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

EXIT_CONFIG = 2


def run_run(
    config: Path | None = None,
    run_date: str | None = None,
    warehouse: Path | None = None,
    *,
    inbox: Path | None = None,
    task_runner: str | None = None,
    dask_address: str | None = None,
    console: Console | None = None,
) -> int:
    """Run the ``takuso-nightly`` flow once and return its exit status."""
    from core.config import ConfigError
    from flows.plan import plan_run
    from flows.prefect_home import PrefectStartError, prefect_defaults

    console = console or Console(highlight=False)
    try:
        plan = plan_run(
            config_path=config,
            warehouse=warehouse,
            inbox=inbox,
            run_date=run_date,
            task_runner=task_runner,
            dask_address=dask_address,
        )
    except (ConfigError, ValueError) as exc:
        console.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        return EXIT_CONFIG
    prefect_defaults()
    from flows.nightly import run_nightly
    from flows.prefect_home import start_local_api

    try:
        start_local_api(lambda text: console.print(escape(text)))
    except PrefectStartError as exc:
        console.print(f"[red]cannot start Prefect:[/red] {escape(str(exc))}")
        return EXIT_CONFIG
    result, _state = run_nightly(
        config=plan.config,
        config_path=str(config) if config else None,
        warehouse=str(plan.layout.root),
        inbox=str(plan.inbox),
        run_date=plan.run_date.isoformat(),
        task_runner=plan.task_runner,
        dask_address=plan.dask_address,
    )
    return result.exit_code
