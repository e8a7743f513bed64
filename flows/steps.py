"""The nightly run's steps as plain functions: no Prefect here, so tests and other tools call them directly.

pull (one TSO) → find what to ingest (landed files not yet in the ledger, plus the inbox) → ingest them
as one run under the writer lock → move the inbox files into the raw landing zone → the months touched
→ reconcile them. ``flows.nightly`` only orchestrates these; the business rules live in ``tso``,
``warehouse`` and ``reconcile``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from core.areas import AREAS
from core.config import Config, TsoConfig
from core.files import copy_atomic
from core.inputs import area_of, expand_paths, path_claims
from core.paths import SAME_NAME_DIR, WarehouseLayout
from reconcile.checks import catalog_views
from tso.client import Failure, TsoResult, pull_tso
from tso.landing import META_SUFFIX
from warehouse.lock import writer_lock
from warehouse.runs import FileReport, IngestReport, Source, sha256_of
from warehouse.store import read_committed_ledger

log = logging.getLogger(__name__)

Mapper = Callable[[Callable, list[tuple]], Iterable]
"""``mapper(prepare_file, jobs)`` yields one ``Prepared`` per job, in order (see :mod:`flows.scale`)."""

CONFLICTS_DIR = SAME_NAME_DIR  # hidden: never picked up by the nightly scan


# ------------------------------------------------------------------------------------------------ pull


def pull_one(tso: TsoConfig, warehouse: Path, *, loopback_only: bool) -> TsoResult:
    """Pull one TSO; never raises for network or certificate problems (they are ``failures``)."""
    try:
        return pull_tso(tso, warehouse, loopback_only=loopback_only)
    except Exception as exc:  # a bug in one TSO's pull must not stop the others
        log.exception("%s: unexpected error while pulling", tso.area_code)
        return TsoResult(tso.area_code, tso.account, failures=[Failure(f"unexpected error: {exc!r}")])


def transient_failures(result: TsoResult) -> list[Failure]:
    """Failures worth pulling the TSO again for: transient errors that outlasted the client's own retries.

    The client retries transient errors (5xx, timeouts, resets, truncated bodies) itself and marks those it
    gave up on; everything else (TLS, certificates, 4xx, a bad listing) is permanent.
    """
    return [f for f in result.failures if f.transient]


# ---------------------------------------------------------------------------------------- what to ingest


def inbox_folder(config: Config, layout: WarehouseLayout, option: Path | None = None) -> Path:
    """``--inbox``, else the configuration's ``inbox``, else ``WAREHOUSE/inbox``."""
    return Path(option) if option is not None else (config.inbox or layout.inbox)


def _account(config: Config, area: str | None) -> str:
    tso = config.tsos.get(area or "")
    return tso.account if tso is not None else "default"


def inbox_sources(inbox: Path, config: Config) -> list[Source]:
    """Every ``.zip``/``.xml``/``.csv`` under the inbox (hidden files skipped), with its area.

    The area comes from the path *inside* the inbox (a folder named ``01``..``10``, or a CSV name ending
    ``_<area>_<YYYYMM>``), so the inbox's own location never decides it; where that says nothing, the file
    itself does when it is ingested (a BP header's sender code, the supply point ids).
    """
    if not inbox.is_dir():
        return []
    files, _ = expand_paths([inbox])
    sources = []
    for path in files:
        claims = tuple(path_claims(path.relative_to(inbox)))
        area = area_of(path.relative_to(inbox))
        sources.append(Source(path, area, _account(config, area), claims=claims))
    return sources


def _downloaded_at(path: Path) -> datetime | None:
    meta = path.with_name(path.name + META_SUFFIX)
    try:
        stamp = json.loads(meta.read_text(encoding="utf-8"))["downloaded_at"]
        return datetime.fromisoformat(stamp).astimezone(UTC).replace(tzinfo=None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pending_raw_sources(layout: WarehouseLayout) -> list[Source]:
    """Files in ``raw/<area>/<account>/`` that no committed run has recorded yet.

    These are tonight's downloads, and also files landed by an earlier run that never got to ingest them
    (a crash, a manual ``takuso pull``): the nightly run catches them up.
    """
    if not layout.raw.is_dir():
        return []
    ledger = read_committed_ledger(layout, ["area_code", "download_account", "file_name"])
    recorded = set(
        zip(
            ledger["area_code"].to_pylist(),
            ledger["download_account"].to_pylist(),
            ledger["file_name"].to_pylist(),
            strict=True,
        )
    )
    sources = []
    for area_dir in sorted(p for p in layout.raw.iterdir() if p.is_dir() and p.name in AREAS):
        for account_dir in sorted(p for p in area_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for path in sorted(account_dir.iterdir()):
                name = path.name
                if not path.is_file() or name.startswith(".") or name.endswith(META_SUFFIX):
                    continue
                if (area_dir.name, account_dir.name, name) in recorded:
                    continue
                sources.append(Source(path, area_dir.name, account_dir.name, _downloaded_at(path)))
    return sources


# ------------------------------------------------------------------------------------------------ ingest


@dataclass
class IngestOutcome:
    """What the ingest step did: the warehouse report, where each file came from, the months touched."""

    report: IngestReport
    origins: dict[str, str] = field(default_factory=dict)  # file name -> 'raw' | 'inbox'
    months: list[date] = field(default_factory=list)


def ingest_night(
    layout: WarehouseLayout,
    config: Config,
    inbox: Path,
    *,
    mapper: Mapper | None = None,
    workers: int = 0,
    on_file: Callable[[FileReport], None] | None = None,
    say: Callable[[str], None] = log.warning,
) -> IngestOutcome:
    """As the single writer: ingest landed-but-unrecorded files and the inbox, then file the inbox away."""
    from flows.scale import ingest_with

    with writer_lock(layout.lock_file, wait=True, say=say):
        raw = pending_raw_sources(layout)
        inbox_files = inbox_sources(inbox, config)
        sources = raw + inbox_files
        report = ingest_with(
            sources,
            layout,
            mapper=mapper,
            workers=workers,
            on_file=on_file,
            extra_views=[catalog_views()],
            csv_aliases=config.csv_aliases,
        )
        outcome = IngestOutcome(report)
        outcome.origins = {s.path.name: "raw" for s in raw} | {s.path.name: "inbox" for s in inbox_files}
        said = {f.file_name: f.area_code for f in report.files if f.area_code}  # the file may have said it
        for src in inbox_files:
            file_inbox_source(layout, replace(src, area_code=said.get(src.path.name, src.area_code)))
        outcome.months = months_touched(layout, report.run_id)
    return outcome


def file_inbox_source(layout: WarehouseLayout, src: Source) -> Path:
    """Move an ingested (or quarantined, or skipped) inbox file into ``raw/<area>/<account>/``.

    ``ingest`` already copied loaded and rejected files there; the inbox copy is then removed. A file
    that raw already holds under the same name with other bytes (raw is immutable) goes to
    ``raw/<area>/<account>/.same-name/<name>.<sha8>`` instead (where ``ingest`` already landed it);
    rejected ones are also in quarantine.
    """
    target = layout.raw_dir(src.area_code or "unknown", src.account) / src.path.name
    if not src.path.exists():
        return target
    sha, _ = sha256_of(src.path)
    if target.exists():
        if sha256_of(target)[0] != sha:
            target = layout.raw_same_name(src.area_code or "unknown", src.account, src.path.name, sha)
            if not target.exists():
                copy_atomic(src.path, target)
    else:
        copy_atomic(src.path, target)
    src.path.unlink()
    return target


def months_touched(layout: WarehouseLayout, run_id: str) -> list[date]:
    """First days of the months whose data the committed run ``run_id`` loaded."""
    ledger = read_committed_ledger(layout, ["run_id", "status", "target_month", "target_date"])
    months: set[date] = set()
    for rid, status, month, day in zip(
        ledger["run_id"].to_pylist(),
        ledger["status"].to_pylist(),
        ledger["target_month"].to_pylist(),
        ledger["target_date"].to_pylist(),
        strict=True,
    ):
        if rid != run_id or status != "loaded":
            continue
        when = month or day
        if when is not None:
            months.add(when.replace(day=1))
    return sorted(months)


# --------------------------------------------------------------------------------------------- reconcile


@dataclass
class MonthCheck:
    """Reconciliation of one month: supply points, those over tolerance (RC01/RC02), charges computed."""

    month: date
    points: int = 0
    over_tolerance: int = 0
    charges: int = 0  # wheeling charges computed
    charge_rows: int = 0  # rows in wheeling_charges (computed or with the reason they were not)
    total_yen: Decimal = Decimal(0)
    invoice_lines: int = 0  # TSO invoice lines of the month (tso_invoice_lines)
    lines_to_check: int = 0  # charge_differences rows that are not a match


@dataclass
class ReconcileOutcome:
    status: str  # 'done' | 'unavailable' | 'nothing to do'
    months: list[MonthCheck] = field(default_factory=list)
    message: str = ""


def reconcile_months(
    layout: WarehouseLayout, months: list[date], tolerance_kwh: str, tariff_path: Path | None = None
) -> ReconcileOutcome:
    """Reconcile ``months`` (``reconcile.result.build_reconciliation``) and keep their wheeling charges.

    The checks read a read-only connection; storing the charges (view ``wheeling_charges``) and the catalog
    rebuild happen under the writer lock. Discrepancies are reported, not fatal: ``takuso reconcile
    --month`` writes the full report and exits 1 on them. If reconciliation cannot run (for example a bad
    tariff file), the outcome says why and the night's loaded data stays committed.
    """
    if not months:
        return ReconcileOutcome("nothing to do", message="no month had new data")
    try:
        from reconcile.result import build_reconciliation
        from warehouse.catalog import build_catalog, connect
        from warehouse.charges import store_charges

        tolerance = Decimal(tolerance_kwh)
        results = []
        for month in months:
            with connect(layout, read_only=True) as con:
                results.append(build_reconciliation(con, month, tolerance, tariff_path))
        with writer_lock(layout.lock_file, wait=True, say=log.warning):
            for result in results:
                store_charges(layout, result.month, result.charges)
            build_catalog(layout, [catalog_views(tolerance)])
        checks = [
            MonthCheck(
                r.month,
                points=r.monthly.num_rows,
                over_tolerance=sum(a["over_tolerance"] for a in r.by_area()),
                charges=sum(a["charges_computed"] for a in r.by_area()),
                charge_rows=r.charges.num_rows,
                total_yen=sum((Decimal(a["total_yen"]) for a in r.by_area()), Decimal(0)),
                invoice_lines=sum(a["invoice_lines"] for a in r.by_area()),
                lines_to_check=len(r.differing_lines()),
            )
            for r in results
        ]
    except Exception as exc:  # reconciliation must not undo or fail the night's load
        log.warning("reconciliation skipped: %s", exc)
        return ReconcileOutcome("unavailable", message=f"{type(exc).__name__}: {exc}")
    return ReconcileOutcome("done", checks)


# -------------------------------------------------------------------------------------------- summarize


@dataclass
class AreaSummary:
    """One row of the night's summary table."""

    area_code: str
    downloaded: int = 0
    files: int = 0  # files ingested tonight from this area (downloads, catch-up and inbox)
    loaded: int = 0
    skipped: int = 0
    rejected: int = 0
    rows: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class NightlyResult:
    """What a nightly run did, and its exit status (warehouse-contract.md: 0, 1 or 2)."""

    run_date: date
    warehouse: Path
    areas: list[AreaSummary] = field(default_factory=list)
    inbox_files: int = 0
    run_id: str | None = None
    months: list[date] = field(default_factory=list)
    reconcile: ReconcileOutcome | None = None
    error: str | None = None  # configuration or usage error: exit 2
    rejected_messages: list[str] = field(default_factory=list)
    ingest_timings: str = ""  # wall time of the ingest's phases (IngestReport.timings)

    @property
    def exit_code(self) -> int:
        if self.error:
            return 2
        bad = any(a.rejected or a.failures for a in self.areas)
        return 1 if bad else 0

    @property
    def verdict(self) -> str:
        """Why the night is not all good, in one line ("" when it is): the error, failed TSOs, rejections."""
        if self.error:
            return f"configuration error: {self.error}"
        parts = []
        failed = [a.area_code for a in self.areas if a.failures]
        rejected = sum(a.rejected for a in self.areas)
        if failed:
            parts.append(f"{len(failed)} TSO(s) failed ({', '.join(failed)})")
        if rejected:
            parts.append(f"{rejected} file(s) rejected")
        return "; ".join(parts)

    @property
    def totals(self) -> AreaSummary:
        total = AreaSummary("total")
        for a in self.areas:
            total.downloaded += a.downloaded
            total.files += a.files
            total.loaded += a.loaded
            total.skipped += a.skipped
            total.rejected += a.rejected
            total.rows += a.rows
            total.failures += a.failures
        return total


def summarize(
    run_date: date, layout: WarehouseLayout, pulls: list[TsoResult], outcome: IngestOutcome | None
) -> NightlyResult:
    """Per area: downloads and pull failures, then files, rows and rejections from the ingest report."""
    result = NightlyResult(run_date, layout.root)
    by_area: dict[str, AreaSummary] = {}
    for pull in pulls:
        row = by_area.setdefault(pull.area_code, AreaSummary(pull.area_code))
        row.downloaded += len(pull.new_files)
        row.failures += [f"{f.name}: {f.message}" if f.name else f.message for f in pull.failures]
    if outcome is not None:
        result.run_id = outcome.report.run_id
        result.ingest_timings = outcome.report.timings()
        result.months = outcome.months
        result.inbox_files = sum(1 for origin in outcome.origins.values() if origin == "inbox")
        for fr in outcome.report.files:
            row = by_area.setdefault(fr.area_code or "??", AreaSummary(fr.area_code or "??"))
            row.files += 1
            row.rows += fr.rows if fr.status == "loaded" else 0
            setattr(row, fr.status, getattr(row, fr.status) + 1)
            if fr.status == "rejected":
                result.rejected_messages.append(f"{fr.file_name}: {fr.message}")
    result.areas = [by_area[k] for k in sorted(by_area)]
    return result


def today_in(timezone: str) -> date:
    """Today's date in the schedule's time zone (the run's default ``--date``)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()
