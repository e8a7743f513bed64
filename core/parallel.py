"""Work side by side on threads, results in order: the one way the project maps a function over a thread pool.

Ground layer: imports nothing of the project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

Map = Callable[[Callable, Iterable], Iterator]  # map(fn, items): fn's results in the items' order


@contextmanager
def side_by_side(jobs: int, workers: int, name: str) -> Iterator[Map]:
    """A ``map`` that runs ``jobs`` calls on up to ``workers`` threads (named ``name``), every call submitted at
    once and the results yielded in order; plain ``map`` in the caller's thread when there is one job or one
    worker. Leaving the block waits for the calls still running."""
    if jobs <= 1 or workers <= 1:
        yield map
        return
    with ThreadPoolExecutor(min(workers, jobs), thread_name_prefix=name) as pool:
        yield pool.map
