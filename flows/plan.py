"""What one nightly run works on: the configuration, the warehouse, the inbox, the date, the task runner."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.config import Config, ConfigError, load_config, pick_warehouse
from core.paths import WarehouseLayout
from flows.scale import DASK_ADDRESS_ENV, task_runner_name
from flows.steps import inbox_folder, today_in


@dataclass(frozen=True)
class RunPlan:
    config: Config
    layout: WarehouseLayout
    inbox: Path
    run_date: date
    task_runner: str = "local"  # 'local' | 'dask'
    dask_address: str | None = None
    dask_workers: int | None = None
    dask_processes: bool = True


def plan_run(
    *,
    config: Config | None = None,
    config_path: str | Path | None = None,
    warehouse: str | Path | None = None,
    inbox: str | Path | None = None,
    run_date: str | date | None = None,
    task_runner: str | None = None,
    dask_address: str | None = None,
    dask_workers: int | None = None,
    dask_processes: bool = True,
) -> RunPlan:
    """Load the configuration (unless given) and resolve every folder; :class:`ConfigError` on a bad one.

    The warehouse is ``warehouse``, else ``$TAKUSO_WAREHOUSE``, else the configuration's ``warehouse``,
    else ``./warehouse``; the inbox is ``inbox``, else the configuration's, else ``WAREHOUSE/inbox``.
    """
    cfg = config if config is not None else load_config(Path(config_path) if config_path else None)
    root = pick_warehouse(Path(warehouse) if warehouse else None, cfg)
    layout = WarehouseLayout(root)
    if isinstance(run_date, str):
        try:
            run_date = date.fromisoformat(run_date)
        except ValueError:
            raise ConfigError(f"--date {run_date!r}: expected YYYY-MM-DD") from None
    return RunPlan(
        config=cfg,
        layout=layout,
        inbox=inbox_folder(cfg, layout, Path(inbox) if inbox else None),
        run_date=run_date or today_in(cfg.schedule.timezone),
        task_runner=task_runner_name(task_runner, cfg.flow.task_runner),
        dask_address=dask_address or os.environ.get(DASK_ADDRESS_ENV) or cfg.flow.dask_address,
        dask_workers=dask_workers,
        dask_processes=dask_processes,
    )
