"""Scale-out: where the per-file ingest preparation runs ("local" threads or a Dask cluster).

``warehouse.ingest.ingest`` prepares files (hash, validate, parse into staged Parquet) on this machine's
cores, then commits them as the single writer. Preparing is pure per-file work, so it can run anywhere
that sees the same files and staging folder; committing (publish, ledger, catalog) always stays in the
flow's process.

:func:`ingest_with` hands ``ingest`` a *mapper* for the preparation (its ``mapper`` argument).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.paths import WarehouseLayout
from warehouse import ingest as ingest_module
from warehouse.catalog import ViewBuilder
from warehouse.runs import FileReport, IngestReport, Source

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


@contextmanager
def dask_mapper(
    address: str | None = None, *, n_workers: int | None = None, processes: bool = True
) -> Iterator[Mapper]:
    """A mapper that runs ``prepare_file`` on the Dask cluster at ``address`` (or ``$TAKUSO_DASK_ADDRESS``),
    else on a ``LocalCluster`` of ``n_workers`` single-threaded workers (default: one per core).

    The functions go to the workers as plain Dask tasks, not as Prefect task runs: a worker then needs
    neither a Prefect API nor a Prefect home, and a file costs one round trip to the scheduler. A worker
    parses a file's pieces on its share of its machine's cores. Results come back in job order.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ValueError("the Dask task runner needs the 'dask' extra: pip install 'takuso[dask]'") from exc
    address = address or os.environ.get(DASK_ADDRESS_ENV) or None
    if address:
        cluster, client = None, Client(address, set_as_default=False)
    else:
        cluster = LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )
        client = Client(cluster, set_as_default=False)

    threads = _threads_per_worker(client)

    def mapper(fn: Callable, jobs: list[tuple]) -> Iterator:
        if not jobs:
            return iter(())
        # pure=False: the same file twice in a run is two tasks (each outcome is recorded)
        futures = client.map(fn, *(list(column) for column in zip(*jobs, strict=True)), threads=threads, pure=False)
        return (future.result() for future in futures)

    try:
        yield mapper
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _threads_per_worker(client: Any) -> int:
    """Threads for a file's pieces on a worker: its machine's cores shared by the workers on that machine."""
    cores = client.run(os.cpu_count)  # worker address -> cores of its machine
    hosts: dict[str, int] = {}
    for address in cores:
        host = address.rsplit(":", 1)[0]
        hosts[host] = hosts.get(host, 0) + 1
    return max(1, min((cores[a] or 1) // hosts[a.rsplit(":", 1)[0]] for a in cores)) if cores else 1


@contextmanager
def loopback_cluster(workers: int = 2, timeout_s: float = 60.0) -> Iterator[str]:
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` as separate processes on 127.0.0.1
    (for tests and the benchmark); yields the scheduler address, stops both (and their children) after."""
    import signal
    import socket
    import subprocess
    import sys
    from pathlib import Path

    from distributed import Client

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))
    started = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    try:
        started.append(
            subprocess.Popen(
                [dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1", "--host", "127.0.0.1",
                 "--no-dashboard"],
                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        with Client(address, timeout=timeout_s, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=timeout_s)
        yield address
    finally:
        for proc in reversed(started):  # each in its own session: the group is the process and its children
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=timeout_s)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
