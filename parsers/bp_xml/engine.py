"""One streaming engine for all ten BP message kinds (bp-xml.md §6-§7, §10).

The file is fed to libxml2 in chunks with the kind's XSD validating in the same pass. Finished records
are taken in batches from their container, turned into Arrow tables (:mod:`parsers.bp_xml.extract`),
handed to a sink and deleted from the tree, so memory stays bounded whatever the file size.

Errors reject the whole file: the engine reports them all (file, line, element path) and the caller
discards whatever the sink received. Warnings are recorded and the file loads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from core.areas import tso_company_code
from core.kinds import MESSAGE_KINDS, MessageKind
from parsers.bp_xml.extract import QUANTITY, Level, RowSpec, arrow_type, extract_rows
from parsers.bp_xml.filename import BPFileName
from parsers.bp_xml.locate import locate_schema_errors
from parsers.bp_xml.problems import Problem, RejectedFile
from parsers.bp_xml.schema import compiled_schema, element_columns
from parsers.bp_xml.source import DEFAULT_LIMITS, Limits, Part, open_xml

W4_ROW = RowSpec((Level(".", ("supply_point_id", "availability_code", "kwh")),))
W5_ROW = RowSpec(
    (
        Level(".", ("supply_point_id", "split_code", "availability_code")),
        Level("JPM00013/JPMR00013", ("usage_date",)),
        Level("JPM00014/JPMR00014", ("slot", "kwh", "kwh_split")),
    )
)
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
    target_month_raw: str | None = None
    slot: int | None = None  # JP06219 of current-day files
    jpc: dict[str, str] = field(default_factory=dict)
    xml_encoding: str | None = None
    xml_namespace: str | None = None
    entry_name: str | None = None


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


class Sink:
    """Receives Arrow tables as they are parsed. The default keeps nothing (validation only)."""

    def interval(self, table: pa.Table) -> None:  # 30-minute rows
        pass

    def points(self, table: pa.Table) -> None:  # W5 point records
        pass


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
        self.bad_availability = 0
        self.negative = 0

    def q(self, local: str) -> str:
        return f"{{{self.ns}}}{local}" if self.ns else local

    # ----- problems -----
    def error(self, rule: str, message: str, line: int | None = None, path: str | None = None) -> None:
        if len(self.outcome.errors) < MAX_REPORTED:
            self.outcome.errors.append(Problem(rule, message, line, path))
        self.extracting = False

    def warn(self, rule: str, message: str) -> None:
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
                    "BP002",
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
            facts.target_month_raw = raw
            if raw and len(raw) >= 6 and raw[:6].isdigit() and 1 <= int(raw[4:6]) <= 12:
                facts.target_month = date(int(raw[:4]), int(raw[4:6]), 1)

    def finish_header(self) -> None:
        """At the end of JPTRM: final values and the cross-checks of R7 and R10."""
        self.read_header()
        facts = self.outcome.facts
        raw = self.header_text("JP06116")
        if self.kind.bp_id == "W4" and raw and facts.target_date is None:
            self.error("BP009", f"JP06116 target date {raw!r} is not a calendar date", None, "JPTRM/JP06116")
        if facts.target_date and facts.target_date != self.name.target_date:
            self.warn("BP020", f"JP06116 {facts.target_date} differs from the file-name date {self.name.target_date}")
        if self.area and facts.sender_code and facts.sender_code != tso_company_code(self.area):
            self.warn(
                "BP025",
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
                self.error("BP014", "the records come before JP06116 (target date) or JP06219 (slot) in JPTRM")
        if self.extracting:
            try:
                self._extract(container, done, slot_record)
            except (pa.ArrowInvalid, ValueError, InvalidOperation) as exc:
                if "date32" in str(exc):  # Arrow refuses an impossible date such as 2024-04-31 (R7)
                    self.error("BP009", f"a date is not a calendar date: {exc}")
                else:
                    self.error("BP012", f"a value could not be converted: {exc}")
        del container[:done]

    def _extract(self, container: etree._Element, count: int, slot_record: etree._Element | None) -> None:
        if self.kind.bp_id == "W4":
            table = extract_rows(container, count, W4_ROW, self.kind, self.ns)
            facts = self.outcome.facts
            slot = facts.slot
            if slot_record is not None:
                text = slot_record.findtext(self.q("JP06219"))
                slot = int(text.strip()) if text and text.strip().isdigit() else None
            n = table.num_rows
            table = table.append_column("slot", pa.array([slot] * n, pa.int8()) if n else pa.array([], pa.int8()))
            table = table.append_column("usage_date", pa.array([facts.target_date] * n, pa.date32()))
            avail = table["availability_code"]
            usable = pc.or_kleene(pc.equal(avail, "0"), pc.is_null(avail))
            table = table.set_column(2, "kwh", pc.if_else(usable, table["kwh"], pa.scalar(None, QUANTITY)))
        else:
            self._points(container, count)
            table = extract_rows(container, count, W5_ROW, self.kind, self.ns)
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

    def _points(self, container: etree._Element, count: int) -> None:
        rows: dict[str, list] = {c: [] for c in POINT_COLUMNS}
        unmapped_col: list[str | None] = []
        assumed = self.kind.family in ("meter_exchange", "adhoc_reading")
        for rec in container[:count]:
            values: dict[str, str] = {}
            unmapped: dict[str, str] = {}
            for child in rec:
                name = _local(child.tag)
                if name == _DAYS:
                    continue
                col = self.columns.get(name)
                if col is None:
                    unmapped[name] = child.text or ""
                    self.outcome.unmapped[name] = self.outcome.unmapped.get(name, 0) + 1
                else:
                    values[col.column] = child.text or ""
            if assumed and ("supply_point_id" not in values or "split_code" not in values):
                self.error(
                    "BP011",
                    "layout assumption for W5 kind 13/14 not met: a point record lacks JP06400 or JP06404",
                    rec.sourceline,
                )
            for c in POINT_COLUMNS:
                rows[c].append(self._convert(c, values.get(c), rec.sourceline))
            unmapped_col.append(json.dumps(unmapped, ensure_ascii=False) if unmapped else None)
        arrays = [pa.array(rows[c], POINT_SCHEMA.field(c).type) for c in POINT_COLUMNS]
        table = pa.Table.from_arrays([*arrays, pa.array(unmapped_col, pa.string())], schema=POINT_SCHEMA)
        self.outcome.point_rows += table.num_rows
        self.sink.points(table)

    def _convert(self, column: str, text: str | None, line: int | None) -> object:
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
            self.error("BP009", f"{column} {value!r} is not a calendar date", line)
            return None

    def finish_warnings(self) -> None:
        if self.prefix_mismatch:
            self.warn("BP021", f"{self.prefix_mismatch} rows have a supply point prefix other than area {self.area}")
        if self.bad_availability:
            self.warn("BP024", f"{self.bad_availability} rows carry an availability code other than '0'/'1'")
        if self.negative:
            self.warn("BP022", f"{self.negative} negative quantities (sign conventions are unknown)")
        if self.outcome.unmapped:
            listed = ", ".join(f"{k}×{v}" for k, v in sorted(self.outcome.unmapped.items()))
            self.warn("BP026", f"elements kept in unmapped_elements: {listed}")
        for w in self.name.warnings:
            self.warn("BP023", w)


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
    on_bytes: Callable[[int], None] | None = None,
    part: Part | None = None,
) -> ParseOutcome:
    """Validate and parse one BP file (ZIP or XML) in one streaming pass.

    With ``part``, only that part of the file's top-level records is parsed (a file split over cores);
    the caller combines the parts and, if any part fails, validates the whole file in one piece.

    ``name`` is the parsed file name (it decides the kind and the XSD). Rows go to ``sink``; when the
    outcome has errors, the caller must discard them (a rejected file loads nothing).
    """
    sink = sink or Sink()
    try:
        with open_xml(path, limits, force_encoding, part) as xml:
            state = _Parse(path, name, area_code, sink, xml.namespace)
            facts = state.outcome.facts
            facts.xml_encoding, facts.xml_namespace, facts.entry_name = (
                xml.declared_encoding,
                xml.namespace,
                xml.entry_name,
            )
            _run(state, xml.chunks, on_bytes)
    except RejectedFile as exc:
        outcome = locals().get("state")
        result = outcome.outcome if outcome is not None else ParseOutcome(name)
        result.errors.insert(0, exc.problem)
        return result
    if any(p.rule == "BP004" for p in state.outcome.errors):
        # a value the XSD refused also fails its conversion; the XSD's message is the one to show
        state.outcome.errors = [p for p in state.outcome.errors if p.rule != "BP012"]
        locate_schema_errors(path, state.outcome.errors, limits, force_encoding)
    state.finish_warnings()
    return state.outcome


def _run(state: _Parse, chunks, on_bytes: Callable[[int], None] | None) -> None:
    kind = state.kind
    q = state.q
    etree.clear_error_log()
    try:
        schema = compiled_schema(kind, state.ns)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:  # the namespace goes into the XSD wrapper
        raise RejectedFile(
            Problem("BP003", f"the root element's namespace {state.ns!r} is not a valid URI: {exc}", 1, "SBD-MSG")
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
            if on_bytes:
                on_bytes(len(chunk))
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
            state.error("BP003", "the document ends before </SBD-MSG>: the file is truncated")
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
            state.error("BP004", entry.message)


def _wf_rule(message: str) -> tuple[str, str]:
    """Rule of a libxml2 parse error: bytes that do not decode are R1 (BP006), resource limits BP008."""
    if "Invalid bytes in character encoding" in message or "not proper UTF-8" in message:
        return "BP006", "bytes that do not decode in the declared encoding (R1)"
    if "Resource limit exceeded" in message or "huge text node" in message.lower():
        return "BP008", "a value or the nesting is larger than the parser allows"
    return "BP003", "not well-formed XML (or truncated)"


_WF_MESSAGE = re.compile(r"^line \d+: b?['\"](.*)['\"]$", re.S)
