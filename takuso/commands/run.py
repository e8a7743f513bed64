"""``takuso run``: the nightly flow, once (pull every enabled TSO, ingest with the inbox, reconcile).

Exit status (warehouse-contract.md): 0 all good; 1 some files rejected or some TSO failed (the rest
still loaded); 2 configuration or usage error.
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
    from flows.prefect_home import no_telemetry
    from flows.scale import task_runner_name

    console = console or Console(highlight=False)
    try:
        task_runner_name(task_runner)  # a bad --task-runner is a usage error now; the flow applies [flow] too
    except ValueError as exc:
        console.print(f"[red]usage error:[/red] --task-runner: {escape(str(exc))}")
        return EXIT_CONFIG
    no_telemetry()
    from flows.nightly import nightly

    result = nightly(
        config_path=str(config) if config else None,
        warehouse=str(warehouse) if warehouse else None,
        inbox=str(inbox) if inbox else None,
        run_date=run_date,
        task_runner=task_runner,
        dask_address=dask_address,
    )
    return result.exit_code
