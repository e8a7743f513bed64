"""File helpers that make writes durable and atomic: nothing is ever seen half written.

Ground layer: imports nothing of the project.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (where the file system lets a directory be fsynced)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def atomic_target(path: Path) -> Iterator[BinaryIO]:
    """A file handle whose content appears at ``path`` only when the block ends without error.

    Written to a temporary name in the same folder, fsynced, then renamed: a crash never leaves a
    partial file under the real name.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_target(path) as fh:
        fh.write(data)


def copy_atomic(src: Path, dst: Path) -> None:
    """Copy a file byte for byte to ``dst``, never leaving a partial file."""
    with atomic_target(dst) as out, open(src, "rb") as inp:
        shutil.copyfileobj(inp, out, 1 << 20)
