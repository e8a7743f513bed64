"""A run's sources and report, and what the committed runs loaded: nothing here imports Arrow, DuckDB or
the parsers, so that a run that finds every file loaded costs a hash per file and little else.

A run commits by writing its marker, ``runs/<run_id>.json``, atomically (:func:`warehouse.store.commit_run`);
the marker lists the files the run loaded (``loaded_files``: id, sha256, download account). Committed runs
are never removed, so a file one of them loaded stays loaded. A marker written before the list was kept
makes the answer unknown here, and the ledger decides (:func:`warehouse.ingest.ingest`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.inputs import AreaClaim, area_of, path_claims
from core.paths import WarehouseLayout

LOADED_FILES = "loaded_files"  # the marker's list of [file_id, sha256, download account, kind]
ALREADY_LOADED = "already loaded (same sha256)"


@dataclass(frozen=True)
class Source:
    """One file to ingest and where it came from."""

    path: Path
    area_code: str | None
    account: str = "default"
    downloaded_at: datetime | None = None
    claims: tuple[AreaClaim, ...] | None = None  # who says the area (default: ``area_code`` itself)


def sources_for(paths: Iterable[Path], area: str | None, account: str) -> list[Source]:
    """Local files given to ``takuso ingest``: ``--area`` (``area``), the path and a CSV name say the area
    (where they say nothing, the file itself is asked when it is prepared)."""
    return [Source(p, area_of(p, area), account, claims=tuple(path_claims(p, area))) for p in paths]


@dataclass
class FileReport:
    file_name: str
    area_code: str | None
    kind: str | None
    status: str  # loaded | skipped | rejected
    rows: int
    message: str = ""


@dataclass
class IngestReport:
    run_id: str
    files: list[FileReport] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds of each phase of a run that loaded something: ``files`` (hashed, parsed, validated and
    staged, side by side), ``current state``, ``catalog``; a phase the run skipped is absent."""

    def timings(self) -> str:
        """``files 5.21 s · current state 1.03 s · catalog 0.45 s`` (empty when nothing was timed)."""
        return " · ".join(f"{phase} {seconds:.2f} s" for phase, seconds in self.seconds.items())

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files if f.status == "loaded")

    @property
    def exit_code(self) -> int:
        return 1 if self.count("rejected") else 0


def new_run_id() -> str:
    """A run's id: its start (UTC, so ids sort by time) and a random part."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:8]


def sha256_of(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def file_id_of(sha256_hex: str, area_code: str | None = None, account: str = "default") -> int:
    """A stable 63-bit id of a file: its content, from one area and download account.

    The same bytes always get the same id (re-running a crashed run rewrites the same files); the same
    bytes from another TSO (an empty form 3, say) are another file.
    """
    key = f"{sha256_hex}:{area_code or ''}:{account}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class Loaded:
    """The files the committed runs loaded: their kinds by file id, and by (sha256, download account)."""

    ids: Mapping[int, str | None]
    contents: Mapping[tuple[str, str], str | None]

    @classmethod
    def of(cls, rows: Iterable[tuple[int, str, str, str | None]]) -> Loaded:
        """From (file id, sha256, download account, kind) of every loaded file (kind None: not recorded)."""
        listed = list(rows)
        return cls({fid: kind for fid, _, _, kind in listed}, {(sha, acc): kind for _, sha, acc, kind in listed})

    def holds(self, sha256_hex: str, src: Source) -> bool:
        """Whether ``src``, of these bytes, is loaded. Without ``--area``, an area folder or a CSV name,
        the area is what the bytes say: the same bytes, loaded before, said it then (or said none and were
        given one), so they are loaded, under that area."""
        return file_id_of(sha256_hex, src.area_code, src.account) in self.ids or (
            src.area_code is None and (sha256_hex, src.account) in self.contents
        )

    def skipped(self, sha256_hex: str, src: Source) -> FileReport:
        """The report of ``src``, which :meth:`holds`: skipped, with the kind it was loaded as."""
        kind = self.ids.get(file_id_of(sha256_hex, src.area_code, src.account))
        if kind is None and src.area_code is None:
            kind = self.contents.get((sha256_hex, src.account))
        return FileReport(src.path.name, src.area_code, kind, "skipped", 0, ALREADY_LOADED)


def marker_entry(rows: Iterable[Mapping[str, object]]) -> dict[str, list]:
    """The marker's ``loaded_files`` of a run's ledger rows."""
    return {
        LOADED_FILES: [
            [r["file_id"], r["sha256"], r["download_account"], r["kind"]] for r in rows if r["status"] == "loaded"
        ]
    }


def loaded_by_markers(layout: WarehouseLayout) -> Loaded | None:
    """What the committed runs loaded, from their markers; None when a marker does not say."""
    runs = layout.datasets / "runs"
    listed: list[tuple[int, str, str, str | None]] = []
    for marker in runs.glob("*.json") if runs.exists() else ():
        try:
            entry = json.loads(marker.read_bytes())[LOADED_FILES]
            # [file id, sha256, account, kind]; markers of the first version listed no kind
            listed.extend((int(e[0]), str(e[1]), str(e[2]), str(e[3]) if len(e) > 3 and e[3] else None) for e in entry)
        except (KeyError, ValueError, TypeError, IndexError, OSError):
            return None
    return Loaded.of(listed)


def catalog_stale(layout: WarehouseLayout) -> bool:
    """No catalog yet, or a run was committed after it was built (the last run was killed between its
    commit and the rebuild)."""
    if not layout.duckdb_file.exists():
        return True
    runs = layout.datasets / "runs"
    if not runs.exists():
        return False
    built = layout.duckdb_file.stat().st_mtime_ns
    return any(marker.stat().st_mtime_ns > built for marker in runs.glob("*.json"))


def current_state_versioned(layout: WarehouseLayout) -> bool:
    """Nothing committed yet, or a stored current state that says its layout version. Whether that version
    is the right one is :func:`warehouse.current.current_is_stale`'s to say, in a run that goes on; without
    the file (a state from before the versions, or none) the run always goes on and rebuilds it."""
    return not (layout.datasets / "runs").exists() or (layout.datasets / "current" / "VERSION").exists()


def all_loaded(sources: Iterable[Source], layout: WarehouseLayout) -> IngestReport | None:
    """The report of a run that finds every file loaded, with the catalog and a versioned current state in
    place: such a run changes nothing. None when the run must go on (a file not loaded yet, stops the
    hashing there) or the markers cannot tell; :func:`warehouse.ingest.ingest` then decides from the ledger.
    """
    if not layout.exists or catalog_stale(layout) or not current_state_versioned(layout):
        return None
    loaded = loaded_by_markers(layout)
    if loaded is None:
        return None
    report = IngestReport(new_run_id())
    for src in sources:
        sha = sha256_of(src.path)[0]
        if not loaded.holds(sha, src):
            return None
        report.files.append(loaded.skipped(sha, src))
    return report
