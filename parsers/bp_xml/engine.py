"""One engine for all ten BP message kinds (bp-xml.md §6-§7, §10).

A file is cut into pieces of whole records (:mod:`parsers.bp_xml.pieces`); each piece is parsed into a
tree, validated against the kind's XSD and turned into Arrow columns by one XSLT pass
(:mod:`parsers.bp_xml.extract`), all in C and on as many threads as asked. Memory stays bounded by the
size of a piece. A file that cannot be cut safely, or whose pieces show any problem at all, is parsed
again in one streaming pass (libxml2 fed in chunks, the XSD validating in the same pass, finished records
taken in batches and deleted from the tree); that pass is authoritative and makes every report.

Errors reject the whole file: the engine reports them all (file, line, element path) and the caller
discards whatever the sink received. Warnings are recorded and the file loads.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from core.areas import tso_company_code
from core.kinds import MESSAGE_KINDS, MessageKind
from parsers.bp_xml.extract import QUANTITY, Level, RowSpec, arrow_type, extract_rows, whole_rows
from parsers.bp_xml.filename import BPFileName
from parsers.bp_xml.locate import locate_schema_errors
from parsers.bp_xml.pieces import NotSplittable, Pieces
from parsers.bp_xml.problems import Problem, RejectedFile, Rule
from parsers.bp_xml.schema import compiled_schema, element_columns
from parsers.bp_xml.sink import Sink
from parsers.bp_xml.source import DEFAULT_LIMITS, Limits, XmlStream, open_xml

W4_ROW = RowSpec((Level(".", ("supply_point_id", "availability_code", "kwh")),))
W5_ROW = RowSpec(
    (
        Level(".", ("supply_point_id", "split_code", "availability_code")),
        Level("JPM00013/JPMR00013", ("usage_date",)),
        Level("JPM00014/JPMR00014", ("slot", "kwh", "kwh_split")),
    )
)
W4_DAILY_ROW = RowSpec(  # a per-day file's slot records, each with its point records
    (Level(".", ("slot",)), Level("JPM00011/JPMR00011", ("supply_point_id", "availability_code", "kwh")))
)
MAX_SLOT_RECORDS = 48  # slot records of a per-day file: each piece is valid alone, the file must be too
W4_BATCH = 20_000  # point records per batch (per-day and current-day files)
W5_BATCH = 50  # point records per batch (each holds about a month of slots)
MAX_REPORTED = 200
FLUSH_BYTES = 4 << 20  # look for a full batch of finished records after this much input

# Point-record columns of W5 files (monthly_usage, meter_exchanges, adhoc_readings), in output order.
POINT_COLUMNS = (
    "supply_point_id", "split_code", "availability_code", "meter_kind_code", "monthly_kwh", "monthly_kwh_split",
    "power_factor", "max_demand_kw", "next_meter_reading_date", "customer_id", "customer_name",
    "supply_address", "voltage_name", "reading_date", "reason_code", "old_meter_id", "new_meter_id",
    "old_meter_reading", "new_meter_reading",
)  # fmt: skip
POINT_SCHEMA = pa.schema(
    [pa.field(c, arrow_type(c)) for c in POINT_COLUMNS] + [pa.field("unmapped_elements", pa.string())]
)
_DAYS = "JPM00013"


@dataclass
class FileFacts:
    """What the file says about itself (JPTRM header, JPMGH items), for ``ingested_files``."""

    info_kind_code: str | None = None
    sender_code: str | None = None
    receiver_code: str | None = None
    target_date: date | None = None  # JP06116 (W4)
    target_month: date | None = None  # JP06401 (W5), first day
    slot: int | None = None  # JP06219 of current-day files
    jpc: dict[str, str] = field(default_factory=dict)
    xml_encoding: str | None = None
    xml_namespace: str | None = None


@dataclass
class ParseOutcome:
    """The result of parsing one file: problems, facts and counts."""

    name: BPFileName
    facts: FileFacts = field(default_factory=FileFacts)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    interval_rows: int = 0
    point_rows: int = 0
    unmapped: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def parse_date8(text: str) -> date:
    return datetime.strptime(text.strip(), "%Y%m%d").date()


class _Parse:
    """State of one streaming parse; use :func:`parse_bp_file`."""

    def __init__(self, path: Path, name: BPFileName, area_code: str | None, sink: Sink, ns: str | None) -> None:
        self.path, self.name, self.kind, self.area = path, name, name.kind, area_code
        self.sink, self.ns = sink, ns
        self.outcome = ParseOutcome(name)
        self.jptrm: etree._Element | None = None
        self.extracting = True
        self.columns = element_columns()
        self.prefix_mismatch = 0
        self.records = 0  # top-level records taken from pieces
        self.bad_availability = 0
        self.negative = 0

    def q(self, local: str) -> str:
        return f"{{{self.ns}}}{local}" if self.ns else local

    # ----- problems -----
    def error(self, rule: Rule, message: str, line: int | None = None, path: str | None = None) -> None:
        if len(self.outcome.errors) < MAX_REPORTED:
            self.outcome.errors.append(Problem(rule, message, line, path))
        self.extracting = False

    def warn(self, rule: Rule, message: str) -> None:
        self.outcome.warnings.append(Problem(rule, message, severity="warning"))

    # ----- header -----
    def header_text(self, local: str) -> str | None:
        if self.jptrm is None:
            return None
        text = self.jptrm.findtext(self.q(local))
        return text.strip() if text is not None else None

    def on_info_kind(self, el: etree._Element) -> None:
        code = (el.text or "").strip()
        self.outcome.facts.info_kind_code = code
        if code != self.kind.info_kind_code:
            body = MESSAGE_KINDS.get(code)
            said = f"{code} ({body.name})" if body else repr(code)
            raise RejectedFile(
                Problem(
                    Rule.KIND_MISMATCH,
                    f"JP00002 says {said} but the file name says {self.kind.info_kind_code} ({self.kind.name})",
                    el.sourceline,
                    "SBD-MSG/JPMGRP/JPTRM/JP00002",
                )
            )

    def read_header(self) -> None:
        """(Re-)read the JPTRM values the rows need; the children of JPTRM may come in any order."""
        facts = self.outcome.facts
        facts.sender_code = self.header_text("JP06110")
        facts.receiver_code = self.header_text("JP06112")
        if self.kind.bp_id == "W4":
            raw = self.header_text("JP06116")
            try:
                facts.target_date = parse_date8(raw) if raw else None
            except ValueError:
                facts.target_date = None
            slot = self.header_text("JP06219")
            facts.slot = int(slot) if slot and slot.isdigit() else None
        else:
            raw = self.header_text("JP06401")
            if raw and len(raw) >= 6 and raw[:6].isdigit() and 1 <= int(raw[4:6]) <= 12:
                facts.target_month = date(int(raw[:4]), int(raw[4:6]), 1)

    def finish_header(self) -> None:
        """At the end of JPTRM: final values and the cross-checks of R7 and R10."""
        self.read_header()
        facts = self.outcome.facts
        raw = self.header_text("JP06116")
        if self.kind.bp_id == "W4" and raw and facts.target_date is None:
            self.error(Rule.BAD_DATE, f"JP06116 target date {raw!r} is not a calendar date", None, "JPTRM/JP06116")
        if facts.target_date and facts.target_date != self.name.target_date:
            self.warn(
                Rule.TARGET_DATE_DIFFERS,
                f"JP06116 {facts.target_date} differs from the file-name date {self.name.target_date}",
            )
        if self.area and facts.sender_code and facts.sender_code != tso_company_code(self.area):
            self.warn(
                Rule.SENDER_DIFFERS,
                f"sender code {facts.sender_code} differs from the assumed TSO code {tso_company_code(self.area)} "
                f"of area {self.area}",
            )

    # ----- batches -----
    def context_ready(self) -> bool:
        facts = self.outcome.facts
        if self.kind.bp_id == "W4":
            return facts.target_date is not None and (self.kind.family == "energy_daily" or facts.slot is not None)
        return True

    def flush(self, container: etree._Element, final: bool, slot_record: etree._Element | None = None) -> None:
        total = len(container)
        done = total if final else total - 1
        batch = W5_BATCH if self.kind.bp_id == "W5" else W4_BATCH
        if done <= 0 or (not final and done < batch):
            return
        if self.extracting and not self.context_ready():
            self.read_header()
            if not self.context_ready():
                if not final:
                    return
                # the records end before the header says their date or slot: refuse rather than load NULLs
                self.error(
                    Rule.RECORDS_BEFORE_HEADER,
                    "the records come before JP06116 (target date) or JP06219 (slot) in JPTRM",
                )
        if self.extracting:
            try:
                self._extract(container, done, slot_record)
            except (pa.ArrowInvalid, ValueError, InvalidOperation) as exc:
                if "date32" in str(exc):  # Arrow refuses an impossible date such as 2024-04-31 (R7)
                    self.error(Rule.BAD_DATE, f"a date is not a calendar date: {exc}")
                else:
                    self.error(Rule.BAD_NUMBER, f"a value could not be converted: {exc}")
        del container[:done]

    def _extract(self, container: etree._Element, count: int, slot_record: etree._Element | None) -> None:
        facts = self.outcome.facts
        if self.kind.bp_id == "W4":
            table = extract_rows(container, count, W4_ROW, self.kind, self.ns)
            slot = facts.slot
            if slot_record is not None:
                text = slot_record.findtext(self.q("JP06219"))
                slot = int(text.strip()) if text and text.strip().isdigit() else None
            table = w4_rows(table, slot, facts.target_date)
        else:
            points, unmapped, problems = point_rows(container[:count], self.kind, self.columns)
            self.take_points(points, unmapped)
            for problem in problems:
                self.error(problem.rule, problem.message, problem.line)
            table = extract_rows(container, count, W5_ROW, self.kind, self.ns)
        self.take_interval(table)

    def take_points(self, table: pa.Table, unmapped: dict[str, int]) -> None:
        for name, n in unmapped.items():
            self.outcome.unmapped[name] = self.outcome.unmapped.get(name, 0) + n
        self.outcome.point_rows += table.num_rows
        self.sink.points(table)

    def take_interval(self, table: pa.Table) -> None:
        self._observe(table)
        self.outcome.interval_rows += table.num_rows
        if table.num_rows:
            self.sink.interval(table)

    def _observe(self, table: pa.Table) -> None:
        """Warnings that need no rejection: prefix vs area (R8), odd availability codes (R6), negatives (R5)."""
        if not table.num_rows:
            return
        if self.area:
            matching = pc.sum(pc.starts_with(table["supply_point_id"], self.area)).as_py() or 0  # None: all ids null
            self.prefix_mismatch += table.num_rows - matching
        avail = table["availability_code"]
        self.bad_availability += pc.sum(pc.invert(pc.is_in(avail, pa.array(["0", "1"])))).as_py() or 0
        self.negative += pc.sum(pc.less(table["kwh"], pa.scalar(Decimal(0), QUANTITY))).as_py() or 0

    def record_stream(self, xml: XmlStream) -> None:
        facts = self.outcome.facts
        facts.xml_encoding, facts.xml_namespace = xml.declared_encoding, xml.namespace

    def take_piece(self, rows: _PieceRows) -> None:
        self.records += rows.records
        if self.kind.family == "energy_daily" and self.records > MAX_SLOT_RECORDS:
            raise NotSplittable(f"more than {MAX_SLOT_RECORDS} slot records (the XSD allows that many per file)")
        if rows.points is not None:
            self.take_points(rows.points, rows.unmapped)
        self.take_interval(rows.interval)

    def read_envelope(self, root: etree._Element) -> None:
        """The header of a file cut into pieces, read once from its envelope (as the streaming pass reads it)."""
        trm = root.find(f"{self.q('JPMGRP')}/{self.q('JPTRM')}")
        info = trm.find(self.q("JP00002")) if trm is not None else None
        if info is None:
            raise NotSplittable("no JPTRM/JP00002 before the records")
        self.jptrm = trm
        self.on_info_kind(info)
        mgh = root.find(f"{self.q('JPMGRP')}/{self.q('JPMGH')}")
        if mgh is not None:
            self.outcome.facts.jpc = {_local(c.tag).lower(): (c.text or "") for c in mgh}
        self.finish_header()
        if self.outcome.errors or not self.context_ready():
            raise NotSplittable("the header has a problem or lacks the date or slot of the records")

    def finish_warnings(self) -> None:
        if self.prefix_mismatch:
            self.warn(
                Rule.AREA_PREFIX_DIFFERS,
                f"{self.prefix_mismatch} rows have a supply point prefix other than area {self.area}",
            )
        if self.bad_availability:
            self.warn(
                Rule.AVAILABILITY_CODE, f"{self.bad_availability} rows carry an availability code other than '0'/'1'"
            )
        if self.negative:
            self.warn(Rule.NEGATIVE, f"{self.negative} negative quantities (sign conventions are unknown)")
        if self.outcome.unmapped:
            listed = ", ".join(f"{k}×{v}" for k, v in sorted(self.outcome.unmapped.items()))
            self.warn(Rule.UNMAPPED_ELEMENTS, f"elements kept in unmapped_elements: {listed}")
        for w in self.name.warnings:
            self.warn(Rule.SECTION_LENGTH, w)


def w4_rows(table: pa.Table, slot: int | pa.ChunkedArray | None, day: date | None) -> pa.Table:
    """30-minute rows of a W4 file in output order: the slot (one for all rows, or a column), the day,
    and ``kwh`` NULL where the availability code is not '0' (R6)."""
    n = table.num_rows
    slots = slot if isinstance(slot, pa.ChunkedArray) else pa.repeat(pa.scalar(slot, pa.int8()), n)
    table = table.select(["supply_point_id", "availability_code", "kwh"])
    table = table.append_column("slot", slots).append_column("usage_date", pa.repeat(pa.scalar(day, pa.date32()), n))
    avail = table["availability_code"]
    usable = pc.or_kleene(pc.equal(avail, "0"), pc.is_null(avail))
    return table.set_column(2, "kwh", pc.if_else(usable, table["kwh"], pa.scalar(None, QUANTITY)))


def point_rows(
    records: Iterable[etree._Element], kind: MessageKind, columns: dict
) -> tuple[pa.Table, dict[str, int], list[Problem]]:
    """The point records of a W5 file as rows; elements not in the mapping are kept as JSON (§7.2)."""
    rows: dict[str, list] = {c: [] for c in POINT_COLUMNS}
    unmapped_col: list[str | None] = []
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    assumed = kind.family in ("meter_exchange", "adhoc_reading")
    for rec in records:
        values: dict[str, str] = {}
        unmapped: dict[str, str] = {}
        for child in rec:
            name = _local(child.tag)
            if name == _DAYS:
                continue
            col = columns.get(name)
            if col is None:
                unmapped[name] = child.text or ""
                counts[name] = counts.get(name, 0) + 1
            else:
                values[col.column] = child.text or ""
        if assumed and ("supply_point_id" not in values or "split_code" not in values):
            problems.append(
                Problem(
                    Rule.ASSUMED_LAYOUT_NOT_MET,
                    "layout assumption for W5 kind 13/14 not met: a point record lacks JP06400 or JP06404",
                    rec.sourceline,
                )
            )
        for c in POINT_COLUMNS:
            rows[c].append(_convert(c, values.get(c), rec.sourceline, problems))
        unmapped_col.append(json.dumps(unmapped, ensure_ascii=False) if unmapped else None)
    arrays = [pa.array(rows[c], POINT_SCHEMA.field(c).type) for c in POINT_COLUMNS]
    table = pa.Table.from_arrays([*arrays, pa.array(unmapped_col, pa.string())], schema=POINT_SCHEMA)
    return table, counts, problems


def _convert(column: str, text: str | None, line: int | None, problems: list[Problem]) -> object:
    if text is None:
        return None
    typ = POINT_SCHEMA.field(column).type
    if typ == pa.string():
        return text.strip() if column != "customer_name" and column != "supply_address" else text
    value = text.strip()
    if not value:
        return None
    if typ == QUANTITY:
        return Decimal(value)
    try:
        return parse_date8(value)
    except ValueError:
        problems.append(Problem(Rule.BAD_DATE, f"{column} {value!r} is not a calendar date", line))
        return None


def _events_for(kind: MessageKind) -> tuple[str, ...]:
    tags = ["SBD-MSG", "JPMGH", "JPTRM", "JP00002"]
    if kind.family == "energy_daily":
        tags += ["JPM00011", "JPMR00010"]
    else:
        tags += ["JPM00010"]
    return tuple(tags)


def parse_bp_file(
    path: Path,
    name: BPFileName,
    *,
    area_code: str | None = None,
    sink: Sink | None = None,
    limits: Limits = DEFAULT_LIMITS,
    force_encoding: str | None = None,
    threads: int = 1,
    in_pieces: bool = True,
) -> ParseOutcome:
    """Validate and parse one BP file (ZIP or XML): in pieces on ``threads`` threads when the file can be
    cut safely and has no problem, else (or with ``in_pieces=False``) in one streaming pass.

    ``name`` is the parsed file name (it decides the kind and the XSD). Rows go to ``sink``; when the
    outcome has errors, the caller must discard them (a rejected file loads nothing).
    """
    sink = sink or Sink()
    if in_pieces and (type(sink) is Sink or type(sink).discard is not Sink.discard):
        outcome = _parse_in_pieces(path, name, area_code, sink, limits, force_encoding, threads)
        if outcome is not None:
            return outcome
        sink.discard()
    try:
        with open_xml(path, limits, force_encoding) as xml:
            state = _Parse(path, name, area_code, sink, xml.namespace)
            state.record_stream(xml)
            _run(state, xml.chunks)
    except RejectedFile as exc:
        outcome = locals().get("state")
        result = outcome.outcome if outcome is not None else ParseOutcome(name)
        result.errors.insert(0, exc.problem)
        return result
    if any(p.rule == Rule.NOT_VALID for p in state.outcome.errors):
        # a value the XSD refused also fails its conversion; the XSD's message is the one to show
        state.outcome.errors = [p for p in state.outcome.errors if p.rule != Rule.BAD_NUMBER]
        locate_schema_errors(path, state.outcome.errors, limits, force_encoding)
    state.finish_warnings()
    return state.outcome


# ------------------------------------------------------------------------------------------------ pieces


class _ThreadTools(threading.local):
    """libxml2 objects are not shared between threads: each thread compiles its own, once per kind."""

    def __init__(self) -> None:
        self.parser = etree.XMLParser(
            no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False
        )
        self.schemas: dict[tuple[str, str | None], etree.XMLSchema] = {}

    def schema(self, kind: MessageKind, ns: str | None) -> etree.XMLSchema:
        key = (kind.name, ns)
        if key not in self.schemas:
            self.schemas[key] = compiled_schema(kind, ns)
        return self.schemas[key]


_TOOLS = _ThreadTools()
_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    """One pool of ``threads`` threads per process, shared by every file parsed at the same time."""
    with _POOLS_LOCK:
        if threads not in _POOLS:
            _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="bp-piece")
        return _POOLS[threads]


@dataclass
class _PieceRows:
    records: int  # top-level records (JPMR00010) in the piece
    interval: pa.Table
    points: pa.Table | None = None
    unmapped: dict[str, int] = field(default_factory=dict)


def _piece_rows(piece: bytes, kind: MessageKind, ns: str | None, slot: int | None, day: date | None) -> _PieceRows:
    """Parse, validate and extract one piece (runs on a pool thread; libxml2 works without the GIL)."""
    root = _valid_tree(piece, kind, ns)
    q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
    container = root.find(f"{q('JPMGRP')}/{q('JPTRM')}/{q('JPM00010')}")
    count = len(container) if container is not None else 0
    try:
        if kind.bp_id == "W5":
            records = container[:count] if container is not None else []
            points, unmapped, problems = point_rows(records, kind, element_columns())
            if problems:
                raise NotSplittable("a point record has a problem")
            return _PieceRows(count, _w5_table(container, count, kind, ns), points, unmapped)
        if kind.family == "energy_daily":
            table = _daily_table(container, count, kind, ns)
            return _PieceRows(count, w4_rows(table, table["slot"], day))
        table = whole_rows(container, W4_ROW, kind, ns) if count else _empty(W4_ROW)
        return _PieceRows(count, w4_rows(table, slot, day))
    except (pa.ArrowInvalid, ValueError, InvalidOperation) as exc:
        raise NotSplittable(f"a value could not be converted: {exc}") from None


def _valid_tree(piece: bytes, kind: MessageKind, ns: str | None) -> etree._Element:
    try:
        root = etree.fromstring(piece, _TOOLS.parser)
        schema = _TOOLS.schema(kind, ns)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:  # the streaming pass says which rule
        raise NotSplittable(f"a piece is not well-formed, or its namespace is not a valid URI: {exc}") from None
    if not schema.validate(root):
        raise NotSplittable("a piece does not validate")
    return root


def _empty(spec: RowSpec) -> pa.Table:
    return pa.table({c: pa.array([], arrow_type(c)) for c in spec.columns})


def _daily_table(container: etree._Element | None, count: int, kind: MessageKind, ns: str | None) -> pa.Table:
    return whole_rows(container, W4_DAILY_ROW, kind, ns) if count else _empty(W4_DAILY_ROW)


def _w5_table(container: etree._Element | None, count: int, kind: MessageKind, ns: str | None) -> pa.Table:
    return whole_rows(container, W5_ROW, kind, ns) if count else _empty(W5_ROW)


def _parse_in_pieces(
    path: Path,
    name: BPFileName,
    area_code: str | None,
    sink: Sink,
    limits: Limits,
    force_encoding: str | None,
    threads: int,
) -> ParseOutcome | None:
    """The outcome of a file cut into pieces; None when it cannot be cut or any piece has a problem."""
    kind = name.kind
    inflight: deque[Future] = deque()
    try:
        with open_xml(path, limits, force_encoding) as xml:
            state = _Parse(path, name, area_code, sink, xml.namespace)
            state.record_stream(xml)
            pieces = Pieces(xml.chunks)
            facts = state.outcome.facts
            for piece in pieces:
                if state.jptrm is None:
                    state.read_envelope(pieces.head_root)
                job = (piece, kind, state.ns, facts.slot, facts.target_date)
                if threads <= 1:
                    state.take_piece(_piece_rows(*job))
                    continue
                inflight.append(_pool(threads).submit(_piece_rows, *job))
                if len(inflight) > threads:
                    state.take_piece(inflight.popleft().result())
            while inflight:
                state.take_piece(inflight.popleft().result())
    except (NotSplittable, RejectedFile):
        for fut in inflight:
            fut.cancel()
        return None
    state.finish_warnings()
    return state.outcome


def _run(state: _Parse, chunks: Iterable[bytes]) -> None:
    kind = state.kind
    q = state.q
    etree.clear_error_log()
    try:
        schema = compiled_schema(kind, state.ns)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:  # the namespace goes into the XSD wrapper
        raise RejectedFile(
            Problem(
                Rule.NOT_WELL_FORMED,
                f"the root element's namespace {state.ns!r} is not a valid URI: {exc}",
                1,
                "SBD-MSG",
            )
        ) from None
    parser = etree.XMLPullParser(
        events=("start", "end"),
        tag=[q(t) for t in _events_for(kind)],
        schema=schema,
        # A DOCTYPE never reaches libxml2 (source.py refuses it), so no entity can be declared. Not
        # ``resolve_entities=False``: with lxml 6 it makes a feed parser lose well-formedness errors.
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    container_tag = q("JPM00011" if kind.family == "energy_daily" else "JPM00010")
    slot_tag, trm_tag, mgh_tag, kind_tag = q("JPMR00010"), q("JPTRM"), q("JPMGH"), q("JP00002")
    root_tag = q("SBD-MSG")
    root_closed = False
    container: etree._Element | None = None
    failed: etree.XMLSyntaxError | None = None
    closing = False  # truncation shows only at close(); an error raised while feeding is not one
    unflushed = 0  # bytes fed since the last look at the container (len() of an element walks its children)
    try:
        for chunk in chunks:
            unflushed += len(chunk)
            parser.feed(chunk)
            for event, el in parser.read_events():
                tag = el.tag
                if event == "start":
                    if tag == container_tag:
                        container = el
                    elif tag == trm_tag:
                        state.jptrm = el
                    continue
                if tag == kind_tag:
                    state.on_info_kind(el)
                elif tag == container_tag:
                    if kind.family != "energy_daily":
                        state.flush(el, final=True)
                        container = None
                elif tag == slot_tag and kind.family == "energy_daily":
                    if container is not None:
                        state.flush(container, final=True, slot_record=el)
                        container = None
                    parent = el.getparent()
                    if parent is not None:
                        parent.remove(el)
                elif tag == trm_tag:
                    state.finish_header()
                elif tag == root_tag:
                    root_closed = True
                elif tag == mgh_tag:
                    state.outcome.facts.jpc = {_local(c.tag).lower(): (c.text or "") for c in el}
            if container is not None and unflushed >= FLUSH_BYTES:
                unflushed = 0
                slot_record = container.getparent() if kind.family == "energy_daily" else None
                state.flush(container, final=False, slot_record=slot_record)
        closing = True
        parser.close()
    except etree.XMLSyntaxError as exc:
        failed = exc
    if failed is not None:
        if closing and not root_closed and str(failed).startswith("Element '"):
            state.error(Rule.NOT_WELL_FORMED, "the document ends before </SBD-MSG>: the file is truncated")
            return
        _collect_syntax_errors(state, failed)


def _collect_syntax_errors(state: _Parse, exc: etree.XMLSyntaxError) -> None:
    """Well-formedness errors (BP003) win: a broken or truncated document's schema errors are noise."""
    entries = list(exc.error_log)
    broken = [e for e in entries if e.domain_name != "SCHEMASV"]
    text = str(exc)
    if broken:
        for entry in broken:
            rule, what = _wf_rule(entry.message)
            state.error(rule, f"{what}: {entry.message}", entry.line or None)
    elif not text.startswith("Element '"):
        message = _WF_MESSAGE.sub(r"\1", text)
        rule, what = _wf_rule(message)
        state.error(rule, f"{what}: {message}", exc.lineno or None)
    else:
        for entry in entries:
            state.error(Rule.NOT_VALID, entry.message)


def _wf_rule(message: str) -> tuple[Rule, str]:
    """Rule of a libxml2 parse error: bytes that do not decode are R1 (BP006), resource limits BP008."""
    if "Invalid bytes in character encoding" in message or "not proper UTF-8" in message:
        return Rule.UNDECODABLE, "bytes that do not decode in the declared encoding (R1)"
    if "Resource limit exceeded" in message or "huge text node" in message.lower():
        return Rule.TOO_LARGE, "a value or the nesting is larger than the parser allows"
    return Rule.NOT_WELL_FORMED, "not well-formed XML (or truncated)"


_WF_MESSAGE = re.compile(r"^line \d+: b?['\"](.*)['\"]$", re.S)
