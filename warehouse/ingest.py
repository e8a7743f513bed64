"""Load files into the warehouse: land raw, validate and parse, publish, record, commit.

:func:`prepare_file` does the per-file work that needs no lock and can run anywhere that sees the file and
the staging folder: hash, validate and parse into staged Parquet. :func:`ingest` runs it for many files
side by side (threads: parsing, validation and Parquet work in C, without Python's lock), then, as the
single writer, publishes the accepted files, quarantines the rejected ones with a reason file, writes the
run's ledger and commit marker and rebuilds the catalog. A rejected file publishes nothing; the other
files of the batch still load.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from core.files import atomic_write_bytes, copy_atomic
from core.inputs import AreaClaim, decide_area, is_csv, said_by
from core.memory import keep_freed_memory
from core.parallel import side_by_side
from core.paths import PERSONAL, PRIVATE_FILE, WarehouseLayout
from parsers.bp_xml.filename import FileNameError, parse_bp_filename
from parsers.bp_xml.problems import Rule
from parsers.bp_xml.sink import Sink
from warehouse.runs import (
    ALREADY_LOADED,
    FileReport,
    IngestReport,
    Loaded,
    Source,
    catalog_stale,
    current_state_versioned,
    file_id_of,
    marker_entry,
    new_run_id,
    sha256_of,
)
from warehouse.store import (
    LEDGER_SCHEMA,
    RunLedger,
    StagedParquet,
    commit_run,
    month_dir,
    publish,
    read_committed_ledger,
    write_ledger,
)

if TYPE_CHECKING:
    from parsers.bp_xml.engine import ParseOutcome
    from warehouse.catalog import ViewBuilder

# The parsers, DuckDB and the catalog's views are imported where a file is prepared or the warehouse
# changes: a run that finds every file already loaded needs none of them (pyarrow, to read the ledger, is
# the one big library it loads; ``takuso ingest`` asks :func:`warehouse.runs.all_loaded` first, which
# needs not even that).


@dataclass
class Prepared:
    """The outcome of preparing one file: what it is, whether it is accepted, and its staged Parquet."""

    path: str
    file_name: str
    area_code: str | None
    account: str
    sha256: str
    bytes: int
    file_id: int
    kind: str | None = None
    bp_id: str | None = None
    voltage: str | None = None
    target_date: date | None = None
    target_month: date | None = None
    file_time: str | None = None
    revision: int | None = None
    section: int | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    staged: list[tuple[str, str]] = field(default_factory=list)  # (dataset folder with partitions, staged file)
    facts: dict = field(default_factory=dict)
    created_at: datetime | None = None  # when the TSO made the file, UTC (a CSV form's 作成日時), if it says

    @property
    def ok(self) -> bool:
        return not self.errors


class _StagingSink(Sink):
    """Parsed rows straight into staged Parquet files; keys in ascending order need no duplicate check,
    other files are checked once written.

    Point records are split: the personal columns (個人情報: customer id, name, address) go, with the
    point's key, to a file of their own that is published under the private ``personal/`` folder.
    """

    def __init__(self, staging: Path, file_id: int, order: tuple[str, ...]) -> None:
        from parsers.bp_xml.validate import AscendingKeys

        self.staging, self.file_id = staging, pa.scalar(file_id, pa.int64())
        self.interval_file = StagedParquet(staging / "interval.parquet")
        self.points_file = StagedParquet(staging / "points.parquet")
        self.personal_file = StagedParquet(staging / "personal_points.parquet")
        self.keys = AscendingKeys(order)

    def _with_lineage(self, table: pa.Table) -> pa.Table:
        return table.append_column("file_id", pa.repeat(self.file_id, table.num_rows))

    def interval(self, table: pa.Table) -> None:
        self.interval_file.add(self._with_lineage(table))
        self.keys.add(table)

    def points(self, table: pa.Table) -> None:
        from warehouse.views import PERSONAL_COLUMNS

        personal = [c for c in PERSONAL_COLUMNS if c in table.column_names]
        self.points_file.add(self._with_lineage(table.drop_columns(personal)))
        if personal:
            self.personal_file.add(self._with_lineage(table.select([*_PERSONAL_KEY, *personal])))

    def discard(self) -> None:
        for staged in (self.interval_file, self.points_file, self.personal_file):
            written = staged.close()
            if written is not None:
                written.unlink(missing_ok=True)
        self.__init__(self.staging, self.file_id.as_py(), self.keys.order)  # type: ignore[misc]


_PERSONAL_KEY = ("supply_point_id", "split_code")  # how a personal record joins its point record


def _bp_targets(prep: Prepared, outcome: ParseOutcome) -> tuple[str | None, str | None]:
    """Dataset partitions (interval rows, point rows) of a parsed BP file."""
    area = f"area_code={prep.area_code}"
    facts = outcome.facts
    family = outcome.name.kind.family
    if outcome.name.kind.bp_id == "W4":
        day = facts.target_date or outcome.name.target_date
        return f"interval_preliminary/{area}/usage_month={month_dir(day)}", None
    month = month_dir(facts.target_month or outcome.name.target_date.replace(day=1))
    points = f"points/kind={family}/{area}/target_month={month}"
    if family == "monthly_usage":
        return f"interval_confirmed/{area}/target_month={month}", points
    return f"interval_cut/kind={family}/{area}/target_month={month}", points


def prepare_file(
    path: str,
    area_code: str | None,
    account: str,
    staging_root: str,
    sha: str | None = None,
    size: int = 0,
    csv_aliases: str | None = None,
    claims: tuple[AreaClaim, ...] | None = None,
    *,
    threads: int = 0,
) -> Prepared:
    """Validate and parse one file into staged Parquet, its pieces on ``threads`` threads (0: one per core).

    ``claims`` say the file's area (``--area``, its folder, a CSV name; default: ``area_code``); when
    they say nothing the file itself is asked (:func:`parsers.bp_xml.area.claims_in_file`, or the point
    ids of a CSV form). ``csv_aliases`` is the user's alias map for the CSV forms (``takuso.toml``).

    An unexpected error (a bug) rejects this file with the error as its reason instead of stopping the
    whole batch.
    """
    p = Path(path)
    if sha is None:
        sha, size = sha256_of(p)
    prep = Prepared(str(p), p.name, area_code, account, sha, size, file_id_of(sha, area_code, account))
    if claims is None:
        claims = (AreaClaim(area_code, "the area it was filed under"),) if area_code else ()
    try:
        if is_csv(p):
            return _prepare_csv(prep, p, staging_root, Path(csv_aliases) if csv_aliases else None, claims)
        return _prepare(prep, p, staging_root, threads or os.cpu_count() or 1, claims)
    except Exception as exc:  # one bad file must never take the batch down
        prep.errors.append(
            f"{Rule.INTERNAL_ERROR} internal error reading the file ({type(exc).__name__}: {exc}); please report it"
        )
        prep.staged.clear()
        shutil.rmtree(Path(staging_root) / str(prep.file_id), ignore_errors=True)
        return prep
    finally:
        pa.default_memory_pool().release_unused()  # a worker runs many files: give freed memory back


def _settle_area(prep: Prepared, area: str | None) -> None:
    """The file's area is known (or known to be unknown): it decides the file's id."""
    prep.area_code = area
    prep.file_id = file_id_of(prep.sha256, area, prep.account)


def _staging(staging_root: str, prep: Prepared) -> Path:
    staging = Path(staging_root) / str(prep.file_id)
    shutil.rmtree(staging, ignore_errors=True)
    return staging


def _prepare(prep: Prepared, p: Path, staging_root: str, threads: int, claims: tuple[AreaClaim, ...]) -> Prepared:
    from parsers.bp_xml.area import reject_disagreements, resolve_area
    from parsers.bp_xml.engine import parse_bp_file
    from parsers.bp_xml.validate import ascending_order, duplicate_problem, find_duplicates, interval_key

    try:
        name = parse_bp_filename(p.name)
    except FileNameError as exc:
        prep.errors.append(f"{Rule.NOT_BP_NAME} {exc}")
        return prep
    prep.kind, prep.bp_id, prep.voltage = name.kind.name, name.kind.bp_id, name.kind.voltage
    prep.target_date, prep.file_time = name.target_date, name.file_time
    prep.revision, prep.section = name.revision, name.section
    area, claims, area_problem = resolve_area(p, claims)  # neither --area nor the path: the file itself
    _settle_area(prep, area)
    staging = _staging(staging_root, prep)
    sink = _StagingSink(staging, prep.file_id, ascending_order(name.kind.bp_id))
    outcome = parse_bp_file(p, name, area_code=area, sink=sink, threads=threads)
    interval = sink.interval_file.close()
    points = sink.points_file.close()
    personal = sink.personal_file.close()
    if area is not None:
        reject_disagreements(outcome, area, said_by(claims))
    if outcome.ok and not sink.keys.ascending:
        dups = find_duplicates(interval, interval_key(name.kind.bp_id))
        if dups:
            outcome.errors.append(duplicate_problem(dups))
    facts = outcome.facts
    prep.target_month = facts.target_month
    prep.facts = {
        "info_kind_code": facts.info_kind_code,
        "sender_code": facts.sender_code,
        "receiver_code": facts.receiver_code,
        "xml_encoding": facts.xml_encoding,
        "xml_namespace": facts.xml_namespace,
        "header_items": json.dumps(facts.jpc, ensure_ascii=False) if facts.jpc else None,
    }
    prep.errors = [p.render(prep.file_name) for p in outcome.errors]
    prep.warnings = [p.render(prep.file_name) for p in outcome.warnings]
    if area_problem:  # after the file's own errors, never instead of them
        prep.errors.append(area_problem.render(prep.file_name))
    prep.rows = outcome.interval_rows + outcome.point_rows
    if prep.ok:
        interval_target, points_target = _bp_targets(prep, outcome)
        if interval and interval_target:
            prep.staged.append((interval_target, str(interval)))
        if points and points_target:
            prep.staged.append((points_target, str(points)))
        if personal and points_target:
            prep.staged.append((f"{PERSONAL}/{points_target}", str(personal)))
    else:
        shutil.rmtree(staging, ignore_errors=True)
    return prep


def _prepare_csv(
    prep: Prepared, path: Path, staging_root: str, csv_aliases: Path | None, claims: tuple[AreaClaim, ...]
) -> Prepared:
    from parsers.csv_forms import read_form, unknown_area

    area, conflict = decide_area(claims)
    result = read_form(path, area, aliases_file=csv_aliases)  # no area: the point ids' prefix says it
    if area is None and conflict is None:
        area = result.area_code
    _settle_area(prep, area)
    prep.kind = result.form_id
    prep.target_month = result.target_month
    prep.facts = {"xml_encoding": result.encoding}
    if result.created_at is not None:  # written in JST (UTC+9, no daylight saving time)
        prep.created_at = result.created_at - timedelta(hours=9)
    prep.errors = [e.render(prep.file_name, "error") for e in result.errors]
    prep.warnings = [w.render(prep.file_name, "warning") for w in result.warnings]
    if area is None:
        prep.errors.append(unknown_area(conflict).render(prep.file_name, "error"))
    if prep.ok and result.table is not None and result.form_id and result.table.num_rows:
        # a header-only form publishes nothing: it is recorded, and replaces no month's rows
        table = result.table.drop_columns(["area_code"]) if "area_code" in result.table.column_names else result.table
        prep.rows = table.num_rows
        month = month_dir(result.target_month) if result.target_month else "none"
        staged = StagedParquet(
            _staging(staging_root, prep) / "form.parquet", {"file_id": pa.scalar(prep.file_id, pa.int64())}
        )
        staged.add(table)
        target = f"forms/{result.form_id}/area_code={prep.area_code}/month={month}"
        prep.staged.append((target, str(staged.close())))
    return prep


def _remove_leftovers(layout: WarehouseLayout, file_id: int, targets: set[str]) -> None:
    """Files of this file id that a killed, uncommitted run published (a committed one would have been
    skipped as loaded). Removed first, so a re-run cannot show rows twice."""
    for target in targets:
        folder = layout.dataset_dir(target)
        leftovers = (f"{file_id}.parquet", f"{file_id}-*.parquet", f".{file_id}.parquet.*.part")  # .part: half written
        for old in (p for pattern in leftovers for p in folder.glob(pattern)):
            old.unlink(missing_ok=True)


def _discard(parts: list[Prepared]) -> None:
    for p in parts:
        for _, f in p.staged:
            Path(f).unlink(missing_ok=True)
        p.staged.clear()


def _published_names(prep: Prepared) -> list[tuple[str, tuple[str, str]]]:
    """(dataset folder, (file name, staged file)): ``<file_id>.parquet``, or ``<file_id>-<n>.parquet`` if several."""
    per_target: dict[str, list[str]] = {}
    for target, staged in prep.staged:
        per_target.setdefault(target, []).append(staged)
    out = []
    for target, files in per_target.items():
        for n, staged in enumerate(files):
            name = f"{prep.file_id}.parquet" if len(files) == 1 else f"{prep.file_id}-{n}.parquet"
            out.append((target, (name, staged)))
    return out


# ----------------------------------------------------------------------------------------------- the run


def _thread_map(fn: Callable, jobs: list[tuple], workers: int) -> Iterator[Prepared]:
    """``fn(*job)`` for every job, ``workers`` at a time (each file's pieces share one pool of threads)."""
    with side_by_side(len(jobs), workers, "ingest-file") as run:
        yield from run(lambda job: fn(*job), jobs)


def _land_raw(layout: WarehouseLayout, src: Source, prep: Prepared) -> Path:
    """Keep the input byte for byte in the raw landing zone (already there when pulled)."""
    area = prep.area_code or "unknown"
    target = layout.raw_dir(area, src.account) / prep.file_name
    try:
        if src.path.resolve() == target.resolve():
            return target
    except OSError:
        pass
    if target.exists() and sha256_of(target)[0] != prep.sha256:  # raw is immutable: keep both downloads
        target = layout.raw_same_name(area, src.account, prep.file_name, prep.sha256)
    if not target.exists():
        copy_atomic(src.path, target)
    return target


def _quarantine(layout: WarehouseLayout, src: Source, prep: Prepared, reason: str) -> Path:
    folder = layout.quarantine / (prep.area_code or "unknown")
    target = folder / prep.file_name
    copy_atomic(src.path, target)
    text = f"file: {src.path}\nsha256: {prep.sha256}\nrejected_at: {datetime.now(UTC).isoformat()}\n\n{reason}\n"
    atomic_write_bytes(folder / f"{prep.file_name}.reason.txt", text.encode("utf-8"))
    return target


def _same_content_as_earlier(
    layout: WarehouseLayout,
    src: Source,
    sha: str,
    size: int,
    first_outcome: dict[int, tuple[str, str, str]],
    report: IngestReport,
    ledger: RunLedger,
    run_id: str,
    on_file: Callable[[FileReport], None] | None,
) -> None:
    """A file with the same bytes as an earlier file of the run: skipped if that one loaded, else rejected too.

    A rejected file must never be reported as "already loaded" and must be quarantined like the first.
    """
    fid = file_id_of(sha, src.area_code, src.account)
    status, message, first = first_outcome[fid]
    if status == "loaded":
        fr = FileReport(src.path.name, src.area_code, None, "skipped", 0, ALREADY_LOADED)
    else:
        prep = Prepared(str(src.path), src.path.name, src.area_code, src.account, sha, size, fid)
        reason = f"same content (sha256) as {first}, rejected in this run:\n{message}"
        raw_path = _land_raw(layout, src, prep)
        _quarantine(layout, src, prep, reason)
        ledger.rows.append(
            {
                "file_id": fid, "file_name": prep.file_name, "area_code": prep.area_code,
                "download_account": prep.account, "sha256": sha, "bytes": size, "status": "rejected", "rows": 0,
                "error": reason, "raw_path": str(raw_path), "downloaded_at": src.downloaded_at,
                "ingested_at": datetime.now(UTC).replace(tzinfo=None), "run_id": run_id,
            }
        )  # fmt: skip
        fr = FileReport(prep.file_name, prep.area_code, None, "rejected", 0, reason)
    report.files.append(fr)
    if on_file:
        on_file(fr)


def ingest(
    sources: list[Source],
    layout: WarehouseLayout,
    *,
    workers: int = 0,
    on_file: Callable[[FileReport], None] | None = None,
    rebuild: bool = True,
    mapper: Callable[[Callable, list[tuple]], Iterable[Prepared]] | None = None,
    extra_views: Sequence[ViewBuilder] = (),
    csv_aliases: Path | None = None,
    threads: int = 0,
    on_phase: Callable[[str], None] | None = None,
) -> IngestReport:
    """Ingest ``sources`` as one run (the caller holds the warehouse lock).

    ``csv_aliases`` is the user's alias map for the CSV forms, merged over the built-in one.

    ``extra_views`` are passed to :func:`warehouse.catalog.build_catalog` when the catalog is rebuilt.

    ``on_file`` hears of every file as it is decided, ``on_phase`` of the phases after the files (``current
    state``, ``catalog``) as they begin; ``report.seconds`` says how long each phase took.

    ``mapper(prepare_file, jobs)`` runs the per-file preparation elsewhere (e.g. a Dask cluster) and yields
    the results in job order; by default ``workers`` threads on this machine (0: one per core). A file's
    pieces are parsed on ``threads`` threads (0: one per core); a mapper decides that itself.

    A run that finds every file already loaded, with the catalog and a versioned current state in place,
    changes nothing: it returns after hashing the files and reading the ledger, before anything imports
    the parsers or DuckDB. What a killed run left in the stored current state is removed, and a current
    state whose version file names another layout is rebuilt, by the next run that goes on (one that loads
    a file or rebuilds the catalog); until then the catalog keeps reading the state it was built over.
    """
    run_id = new_run_id()
    report = IngestReport(run_id)
    started = time.perf_counter()
    ledger = RunLedger(run_id)
    layout.make_private_folders()  # original files and personal data: the operator's only
    staging_root = layout.staging / run_id
    done = read_committed_ledger(
        layout,
        ["file_id", "status", "area_code", "download_account", "file_name", "sha256", "kind", "target_month", "rows"],
    )
    published: list[Path] = []
    loaded = Loaded.of(
        (fid, sha, acc, kind)
        for fid, sha, acc, kind, st in zip(
            done["file_id"].to_pylist(), done["sha256"].to_pylist(), done["download_account"].to_pylist(),
            done["kind"].to_pylist(), done["status"].to_pylist(), strict=True,
        )
        if st == "loaded"
    )  # fmt: skip
    by_name = {
        (a, acc, n): s
        for a, acc, n, s, st in zip(
            done["area_code"].to_pylist(), done["download_account"].to_pylist(), done["file_name"].to_pylist(),
            done["sha256"].to_pylist(), done["status"].to_pylist(), strict=True,
        )
        if st == "loaded"
    }  # fmt: skip
    filled = {  # (area, CSV form, month) with rows loaded: a header-only download must not look like news
        (a, k, m)
        for a, k, m, n, st in zip(
            done["area_code"].to_pylist(), done["kind"].to_pylist(), done["target_month"].to_pylist(),
            done["rows"].to_pylist(), done["status"].to_pylist(), strict=True,
        )
        if st == "loaded" and n and m is not None
    }  # fmt: skip
    workers = workers or os.cpu_count() or 1
    todo: list[tuple[Source, str, int]] = []
    seen_this_run: set[int] = set()
    same_content: list[tuple[Source, str, int]] = []  # same bytes as an earlier file of this run
    first_outcome: dict[int, tuple[str, str, str]] = {}  # file_id -> (status, message, file name)
    for src in sources:
        sha, size = sha256_of(src.path)
        fid = file_id_of(sha, src.area_code, src.account)
        if fid in seen_this_run:  # decided once the first of them is: skipped if it loaded, else rejected
            same_content.append((src, sha, size))
            continue
        if loaded.holds(sha, src):
            fr = loaded.skipped(sha, src)
            report.files.append(fr)
            if on_file:
                on_file(fr)
            continue
        seen_this_run.add(fid)
        todo.append((src, sha, size))
    if not todo and not (rebuild and catalog_stale(layout)) and current_state_versioned(layout):
        return report  # every file already loaded: nothing changes, and nothing more is imported
    keep_freed_memory()  # every piece builds and frees a tree: reuse its pages rather than fault fresh ones in
    from parsers.bp_xml import area, validate  # noqa: F401  (once, here: not by the file threads side by side)
    from warehouse.catalog import CatalogBuild, build_catalog
    from warehouse.current import current_is_stale, prune_current, rebuild_current, touched_partitions, update_current

    prune_current(layout)  # what a killed run left
    if current_is_stale(layout):
        rebuild_current(layout)  # a warehouse from before the current state was stored, or of another layout
    aliases = str(csv_aliases) if csv_aliases else None
    jobs = [
        (str(s.path), s.area_code, s.account, str(staging_root), sha, size, aliases, s.claims) for s, sha, size in todo
    ]
    local = partial(prepare_file, threads=threads)
    prepared = iter(mapper(prepare_file, jobs) if mapper else _thread_map(local, jobs, workers))
    for src, sha, _ in todo:
        prep = next(prepared)
        asked = file_id_of(sha, src.area_code, src.account)
        if prep.file_id != asked and prep.file_id in loaded.ids:  # the file said its area: loaded before
            _discard([prep])
            fr = FileReport(src.path.name, prep.area_code, prep.kind, "skipped", 0, ALREADY_LOADED)
            report.files.append(fr)
            first_outcome[asked] = ("loaded", "", prep.file_name)
            if on_file:
                on_file(fr)
            continue
        now = datetime.now(UTC).replace(tzinfo=None)
        key = (prep.area_code, prep.account, prep.file_name)
        if prep.bp_id and key in by_name and by_name[key] != prep.sha256:  # CSV forms: a newer download
            prep.errors.insert(
                0, f"{prep.file_name} was already loaded with other content; a TSO must issue a new revision"
            )
            _discard([prep])
        if prep.ok and not prep.bp_id and prep.rows == 0 and (prep.area_code, prep.kind, prep.target_month) in filled:
            prep.warnings.append(
                f"{prep.file_name}: warning CSV035: the form has no rows for {prep.target_month:%Y-%m}, which an "
                "earlier download filled: recorded, but the earlier rows stay current (download it again if "
                "the TSO's portal was not ready)"
            )
        raw_path = _land_raw(layout, src, prep)
        if prep.ok:
            names = _published_names(prep)
            _remove_leftovers(layout, prep.file_id, {target for target, _ in names})
            for target, (name, staged) in names:
                target_file = layout.dataset_dir(target) / name
                publish(Path(staged), target_file)
                if target.startswith(f"{PERSONAL}/"):
                    target_file.chmod(PRIVATE_FILE)
                published.append(target_file)
            status, message = "loaded", ""
        else:
            message = "\n".join(prep.errors)
            _quarantine(
                layout, src, prep, message + ("\n\nwarnings:\n" + "\n".join(prep.warnings) if prep.warnings else "")
            )
            status = "rejected"
        ledger.rows.append(
            {
                "file_id": prep.file_id, "file_name": prep.file_name, "area_code": prep.area_code,
                "download_account": prep.account, "kind": prep.kind, "bp_id": prep.bp_id, "voltage": prep.voltage,
                "target_date": prep.target_date, "target_month": prep.target_month, "file_time": prep.file_time,
                "revision": prep.revision, "section": prep.section, "sha256": prep.sha256, "bytes": prep.bytes,
                "status": status, "rows": prep.rows if status == "loaded" else 0, "error": message or None,
                "warnings": "\n".join(prep.warnings) or None,
                "file_info_kind_code": prep.file_name[2:6] if prep.bp_id else None,
                "raw_path": str(raw_path), "downloaded_at": src.downloaded_at or prep.created_at, "ingested_at": now,
                "run_id": run_id,
                **{k: prep.facts.get(k) for k in ("info_kind_code", "sender_code", "receiver_code", "xml_encoding",
                                                 "xml_namespace", "header_items")},
            }
        )  # fmt: skip
        fr = FileReport(
            prep.file_name, prep.area_code, prep.kind, status, prep.rows if status == "loaded" else 0, message
        )
        report.files.append(fr)
        first_outcome[prep.file_id] = first_outcome[asked] = (status, message, prep.file_name)
        if on_file:
            on_file(fr)
    for src, sha, size in same_content:
        _same_content_as_earlier(layout, src, sha, size, first_outcome, report, ledger, run_id, on_file)
    shutil.rmtree(staging_root, ignore_errors=True)
    if not ledger.rows:  # everything was skipped: nothing changes, not even the catalog
        if rebuild and catalog_stale(layout):
            build_catalog(layout, extra_views)
        return report
    report.seconds["files"] = time.perf_counter() - started
    # the catalog holds every earlier run: what the views above the store stored in it stays valid but for
    # the partitions this run rewrites
    up_to_date = not catalog_stale(layout)
    written: list[Path] = []
    if published:  # the current state of every partition the run touched, before the run counts
        began = time.perf_counter()
        if on_phase:
            on_phase("current state")
        written = update_current(layout, run_id, pa.Table.from_pylist(ledger.rows, schema=LEDGER_SCHEMA), published)
        report.seconds["current state"] = time.perf_counter() - began
    write_ledger(layout, ledger)
    summary = {"files": len(report.files), "loaded": report.count("loaded"), "rows": report.rows}
    commit_run(layout, run_id, summary | marker_entry(ledger.rows))
    if rebuild:
        began = time.perf_counter()
        if on_phase:
            on_phase("catalog")
        reuse = CatalogBuild(layout.duckdb_file, *touched_partitions(written)) if up_to_date else CatalogBuild()
        build_catalog(layout, extra_views, reuse)
        report.seconds["catalog"] = time.perf_counter() - began
    prune_current(layout)
    return report
