"""Scale-out: where the per-file ingest preparation runs ("local" processes or a Dask cluster).

``warehouse.ingest.ingest`` prepares files (hash, validate, parse into staged Parquet) in a process pool,
then commits them as the single writer. Preparing is pure per-file work, so it can run anywhere that
sees the same files; committing (publish, ledger, catalog) always stays in the flow's process.

:func:`ingest_with` hands ``ingest`` a *mapper* for the preparation (its ``mapper`` argument).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from core.paths import WarehouseLayout
from warehouse import ingest as ingest_module
from warehouse.catalog import ViewBuilder
from warehouse.ingest import FileReport, IngestReport, Source

TASK_RUNNERS = ("local", "dask")
DASK_ADDRESS_ENV = "TAKUSO_DASK_ADDRESS"
TASK_RUNNER_ENV = "TAKUSO_TASK_RUNNER"

Mapper = Callable[[Callable, list[tuple]], Iterable]


def ingest_with(
    sources: list[Source],
    layout: WarehouseLayout,
    *,
    mapper: Mapper | None = None,
    workers: int = 0,
    on_file: Callable[[FileReport], None] | None = None,
    extra_views: Sequence[ViewBuilder] = (),
    csv_aliases: Path | None = None,
) -> IngestReport:
    """``ingest(sources, layout)`` with the preparation done by ``mapper`` (default: ingest's own pool)."""
    return ingest_module.ingest(
        sources,
        layout,
        workers=workers,
        on_file=on_file,
        mapper=mapper,
        extra_views=extra_views,
        csv_aliases=csv_aliases,
    )


def task_runner_name(option: str | None, configured: str | None = None) -> str:
    """``--task-runner``, else ``$TAKUSO_TASK_RUNNER``, else ``[flow] task_runner``, else ``local``.

    Unknown names are a ValueError.
    """
    name = (option or os.environ.get(TASK_RUNNER_ENV) or configured or "local").strip().lower()
    if name not in TASK_RUNNERS:
        raise ValueError(f"unknown task runner {name!r}; expected one of {', '.join(TASK_RUNNERS)}")
    return name


def dask_task_runner(address: str | None = None, *, n_workers: int | None = None, processes: bool = True) -> Any:
    """A Prefect ``DaskTaskRunner``: the cluster at ``address`` (or ``$TAKUSO_DASK_ADDRESS``), else a
    ``LocalCluster`` of ``n_workers`` single-threaded workers (default: one per core).

    Parsing holds the GIL, so local workers are processes unless ``processes=False`` (tests).
    """
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ValueError("the Dask task runner needs the 'dask' extra: pip install 'takuso[dask]'") from exc
    address = address or os.environ.get(DASK_ADDRESS_ENV) or None
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": n_workers or os.cpu_count() or 1,
            "threads_per_worker": 1,
            "processes": processes,
            "dashboard_address": None,
        },
    )
