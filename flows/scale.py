"""Scale-out: where the per-file ingest preparation runs ("local" processes or a Dask cluster).

``warehouse.ingest.ingest`` prepares files (hash, validate, parse into staged Parquet) in a process pool,
then commits them as the single writer. Preparing is pure per-file work, so it can run anywhere that
sees the same files; committing (publish, ledger, catalog) always stays in the flow's process.

:func:`ingest_with` hands ``ingest`` a *mapper* for the preparation. ``ingest`` takes one as its
``mapper`` argument once it has it; until then the module-level ``_pool_map`` it calls is swapped for
the duration of the call (serialised by a lock).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from takuso.paths import WarehouseLayout
from warehouse import ingest as ingest_module
from warehouse.ingest import FileReport, IngestReport, Source

TASK_RUNNERS = ("local", "dask")
DASK_ADDRESS_ENV = "TAKUSO_DASK_ADDRESS"
TASK_RUNNER_ENV = "TAKUSO_TASK_RUNNER"

Mapper = Callable[[Callable, list[tuple]], Iterable]
_SWAP_LOCK = threading.Lock()


def ingest_with(
    sources: list[Source],
    layout: WarehouseLayout,
    *,
    mapper: Mapper | None = None,
    workers: int = 0,
    on_file: Callable[[FileReport], None] | None = None,
) -> IngestReport:
    """``ingest(sources, layout)`` with the preparation done by ``mapper`` (default: ingest's own pool)."""
    ingest = ingest_module.ingest
    if mapper is None:
        return ingest(sources, layout, workers=workers, on_file=on_file)
    if "mapper" in inspect.signature(ingest).parameters:
        return ingest(sources, layout, workers=workers, on_file=on_file, mapper=mapper)
    with _SWAP_LOCK, _pool_map_swapped(mapper):
        return ingest(sources, layout, workers=workers, on_file=on_file)


@contextlib.contextmanager
def _pool_map_swapped(mapper: Mapper) -> Iterator[None]:
    original = ingest_module._pool_map

    def pool_map(fn: Callable, jobs: list[tuple], workers: int) -> Iterable:
        return mapper(fn, jobs)

    ingest_module._pool_map = pool_map
    try:
        yield
    finally:
        ingest_module._pool_map = original


def task_runner_name(option: str | None) -> str:
    """``--task-runner``, else ``$TAKUSO_TASK_RUNNER``, else ``local``; unknown names are a ValueError."""
    name = (option or os.environ.get(TASK_RUNNER_ENV) or "local").strip().lower()
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
