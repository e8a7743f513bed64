"""The C allocator's settings for a loading run (glibc's ``mallopt``; elsewhere nothing changes).

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
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # <malloc.h>
MMAP_THRESHOLD = 32 << 20
"""Blocks from this size up are mapped on their own (and unmapped when freed); smaller ones, a piece's
buffers and tree nodes included, come from the heap and are reused."""
TRIM_THRESHOLD = 16 << 20
"""Free memory at the top of a heap kept for reuse rather than handed back to the kernel."""

_tuned = False


def keep_freed_memory() -> bool:
    """Tell glibc's allocator to keep freed memory for reuse (see the module); True when it took the
    settings, False on another C library (musl, macOS), where nothing changes. Idempotent."""
    global _tuned
    if _tuned:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: libc's, without asking ldconfig
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _tuned = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _tuned
