"""Raw landing zone (生データ置き場): ``WAREHOUSE/raw/<area_code>/<account>/<name>``, immutable once stored.

tso-download.md §8: a body is streamed to a hidden temporary file in the same folder
(``.<name>.<random>.part``) while its SHA-256 is computed; its size is checked against the listing;
it is fsynced and then linked into place atomically (never overwriting an existing file). A sidecar
``<name>.meta.json`` records sha256, bytes, downloaded_at, url, area_code and account. A truncated or
wrong-size body, or one whose first bytes are not what its name promises (``tso.content``: an HTML
error page answered with 200), is never landed: the temporary file is removed. Temporary files that a
killed pull left behind are removed by the next pull (:func:`remove_stale_parts`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from core.files import fsync_dir
from core.paths import WarehouseLayout
from tso.content import HEAD_BYTES, content_problem
from tso.listing import unsafe_name_reason

META_SUFFIX = ".meta.json"
PART_SUFFIX = ".part"
FILE_MODE = 0o640


class SizeMismatch(IOError):
    """The body's size differs from the size the listing announced (retried, then reported)."""


class UnexpectedContent(IOError):
    """The body is not what the file name promises (an error page, say); retried, then reported."""


class Presence(Enum):
    """Is a listed file already in the landing zone?"""

    NEW = "new"
    PRESENT = "present"  # same name, same size (or size unknown): not downloaded again
    CONFLICT = "conflict"  # same name, different size: the stored file is immutable; reported


@dataclass(frozen=True)
class LandedFile:
    """A file newly stored in the landing zone, and what its sidecar says."""

    name: str
    path: Path
    bytes: int
    sha256: str
    url: str
    area_code: str
    account: str
    downloaded_at: str  # ISO 8601, UTC


def raw_folder(warehouse: Path, area_code: str, account: str) -> Path:
    """``WAREHOUSE/raw/<area_code>/<account>`` (see :class:`core.paths.WarehouseLayout`); the warehouse's
    private folders are made first, so a download is never readable by others (raw/ is 0700)."""
    layout = WarehouseLayout(Path(warehouse))
    layout.make_private_folders()
    return layout.raw_dir(area_code, account)


def presence(folder: Path, name: str, size: int | None) -> Presence:
    """Whether ``name`` is already landed in ``folder`` with the listed ``size``."""
    path = folder / name
    try:
        stored = path.stat().st_size
    except FileNotFoundError:
        return Presence.NEW
    if size is None or stored == size:
        return Presence.PRESENT
    return Presence.CONFLICT


def _write_sidecar(landed: LandedFile) -> None:
    meta = asdict(landed)
    meta["path"] = landed.path.name
    meta_path = landed.path.with_name(landed.name + META_SUFFIX)
    fd, tmp = tempfile.mkstemp(dir=landed.path.parent, prefix=f".{meta_path.name}.", suffix=PART_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(meta, fh, ensure_ascii=False, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, meta_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def land_stream(
    chunks: Iterable[bytes],
    *,
    folder: Path,
    name: str,
    expected_size: int | None,
    url: str,
    area_code: str,
    account: str,
) -> LandedFile:
    """Stream ``chunks`` into ``folder/name`` atomically, or land nothing.

    Raises :class:`SizeMismatch` when the body is longer or shorter than ``expected_size``,
    :class:`UnexpectedContent` when its first bytes are not what ``name`` promises, and
    :class:`FileExistsError` if another process landed the same name meanwhile. Any error (including a
    broken connection while ``chunks`` is iterated) removes the temporary file.
    """
    reason = unsafe_name_reason(name)
    if reason:
        raise ValueError(f"refusing to land {name!r}: {reason}")
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=PART_SUFFIX)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                if not chunk:
                    continue
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                    if len(head) == HEAD_BYTES:
                        _check_content(name, head)
                size += len(chunk)
                if expected_size is not None and size > expected_size:
                    raise SizeMismatch(f"{name}: body longer than the {expected_size} bytes listed")
                digest.update(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        if expected_size is not None and size != expected_size:
            raise SizeMismatch(f"{name}: received {size} bytes, the listing says {expected_size}")
        if len(head) < HEAD_BYTES:
            _check_content(name, head)
        os.chmod(tmp, FILE_MODE)
        os.link(tmp, final)  # atomic and never overwrites an existing file
        tmp.unlink()
        fsync_dir(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    landed = LandedFile(
        name=name,
        path=final,
        bytes=size,
        sha256=digest.hexdigest(),
        url=url,
        area_code=area_code,
        account=account,
        downloaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    _write_sidecar(landed)
    return landed


def _check_content(name: str, head: bytes) -> None:
    problem = content_problem(name, head)
    if problem:
        raise UnexpectedContent(f"{name}: the portal's answer is {problem}; nothing was stored")


def _is_part(name: str) -> bool:
    return name.startswith(".") and name.endswith(PART_SUFFIX)


def remove_stale_parts(folder: Path, idle_s: float, now: float | None = None) -> list[str]:
    """Remove temporary ``.part`` files not written to for ``idle_s`` seconds; return their names.

    A running download writes its temporary file at least every read timeout and is abandoned at its
    deadline, so a file idle for longer than the file deadline belongs to a pull that was killed.
    """
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for path in folder.iterdir():
        if not _is_part(path.name):
            continue
        try:
            if now - path.lstat().st_mtime > idle_s:
                path.unlink()
                removed.append(path.name)
        except FileNotFoundError:  # finished or removed meanwhile
            continue
    return sorted(removed)
