"""One writer at a time: an advisory lock on ``WAREHOUSE/.takuso.lock`` (concurrent runs).

A second ``run``/``ingest``/``pull`` waits for the first with a message, or, with ``wait=False``, gives up
with :class:`WarehouseBusy` (exit status 2). The lock dies with its process, so a killed run never
leaves the warehouse locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another takuso process is writing to this warehouse."""


@contextmanager
def writer_lock(
    lock_file: Path, *, wait: bool = True, timeout: float | None = None, say: Callable[[str], None] = print
) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            if not wait:
                raise WarehouseBusy(f"another takuso process (pid {holder}) is writing to {lock_file.parent}") from None
            say(f"another takuso process (pid {holder}) is writing to {lock_file.parent}; waiting for it to finish…")
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() > deadline:
                        raise WarehouseBusy(f"gave up waiting for pid {holder} after {timeout:.0f} s") from None
                    time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
