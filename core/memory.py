"""The allocators' settings for a loading run: glibc's ``mallopt`` and Arrow's pool (on Linux only).

Ground layer: imports nothing of the project.

A loading run builds and frees a tree of tens of MB for every piece of every file (libxml2), and buffers
of a few MB for every piece and Parquet page. glibc's defaults hand memory of such sizes back to the kernel
as soon as it is free (blocks above an ``mmap`` threshold that grows only slowly, and the top of a heap
above 128 KB), so the next piece touches fresh pages again. On the current-day bench shape (48 files of
10,000 points) a run took 167,000-170,000 page faults; with the settings below 54,000-55,000, and its
system time fell from 0.5-1.4 s to 0.3-0.9 s (side by side, several runs; either setting alone left the
faults at 200,000). Memory stays bounded: each heap keeps at most :data:`TRIM_THRESHOLD` of free memory
at its top. A trim threshold of 32 MB saved no more faults and raised the per-day shape's peak resident
size by 20-40 MB; with 16 MB it stayed within the runs' noise (503-533 MB without, 511-535 MB with).

Arrow's buffers come from jemalloc (:func:`prefer_jemalloc`), not from mimalloc, pyarrow's default on
Linux: mimalloc reserves a 1 GiB arena with ``MADV_HUGEPAGE`` and purges freed memory in 64 KB steps
(``MADV_DONTNEED``, about 2,000 calls a run), and the next touch of a purged page makes the kernel clear a
whole 2 MB huge page. On the current-day shape that clearing was 21 % of the CPU samples (perf,
``clear_page_erms``), 0.06 % with jemalloc. ``takuso ingest`` of each bench shape, the two pools
alternated three times (sums; 2026-12-02): per-day wall 23.6 → 19.9 s, system time 7.5 → 1.8 s; current-day
10.3 → 8.9 s, 2.3 → 1.4 s; high-voltage 12.8 → 11.7 s, 4.3 → 1.3 s; monthly 13.5 → 14.0 s, 2.1 → 1.8 s
(within the noise). Peak resident size 25-85 MB lower, the monthly shape's the same.
"""

from __future__ import annotations

import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # <malloc.h>
MMAP_THRESHOLD = 32 << 20
"""Blocks from this size up are mapped on their own (and unmapped when freed); smaller ones, a piece's
buffers and tree nodes included, come from the heap and are reused."""
TRIM_THRESHOLD = 16 << 20
"""Free memory at the top of a heap kept for reuse rather than handed back to the kernel."""

ARROW_POOL = "jemalloc"
"""Arrow's allocator in a process of takuso. pyarrow's Linux wheels carry it; a build without it keeps its
own default and says so once on stderr (Arrow's warning about an unsupported backend)."""
ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"  # Arrow's own setting, read once, when pyarrow is imported

_tuned = False


def prefer_jemalloc() -> bool:
    """Let Arrow allocate from :data:`ARROW_POOL` (see the module): on Linux, before pyarrow is imported,
    unless the environment names a pool already. Called by the packages that load data
    (``takuso``, ``warehouse``) as they are imported, so a Dask worker's process takes it too; the
    setting passes on to child processes. True when this call set it."""
    if not sys.platform.startswith("linux") or "pyarrow" in sys.modules or os.environ.get(ARROW_POOL_ENV):
        return False
    os.environ[ARROW_POOL_ENV] = ARROW_POOL
    return True


def keep_freed_memory() -> bool:
    """Tell glibc's allocator to keep freed memory for reuse (see the module); True when it took the
    settings, False on another C library (musl, macOS), where nothing changes. Idempotent."""
    global _tuned
    if _tuned:
        return True
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # here, not at import: every command imports this module (prefer_jemalloc), few load files

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: libc's, without asking ldconfig
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _tuned = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _tuned
