"""Validation of BP files: every generated sample is valid; each kind of damage is refused with its message."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from core.kinds import KINDS_BY_NAME, MESSAGE_KINDS
from parsers.bp_xml.engine import parse_bp_file
from parsers.bp_xml.filename import FileNameError, bp_filename, parse_bp_filename
from parsers.bp_xml.problems import Problem, Rule
from parsers.bp_xml.source import Limits
from parsers.bp_xml.validate import AscendingKeys, ascending_order, validate_bp_file
from takuso.commands.validate import run_validate
from tests.conftest import write_xml, xml_of

DAILY_LOW = "W41120202404030000000000.zip"  # a per-day low-voltage file of the sample set
README = Path(__file__).resolve().parents[1] / "README.md"


def errors_of(path: Path, area: str | None = "01") -> list[Problem]:
    outcome = validate_bp_file(path, area)
    assert not isinstance(outcome, Problem), outcome
    return outcome.errors


def mutate(sample_bp: Path, tmp_path: Path, old: bytes | re.Pattern, new: bytes, name: str = DAILY_LOW) -> Path:
    data = xml_of(sample_bp / "01" / name)
    changed = old.sub(new, data, count=1) if isinstance(old, re.Pattern) else data.replace(old, new, 1)
    assert changed != data, "the mutation did not apply"
    return write_xml(tmp_path, name, changed)


@pytest.mark.slow
def test_every_generated_sample_file_validates(sample_bp: Path) -> None:
    files = sorted(sample_bp.rglob("*.zip"))
    kinds = {parse_bp_filename(f.name).kind.info_kind_code for f in files}
    assert kinds == set(MESSAGE_KINDS), "the sample set covers all ten message kinds"
    for f in files:
        outcome = validate_bp_file(f, f.parent.name)
        assert not isinstance(outcome, Problem)
        assert outcome.errors == [], (f, outcome.errors)
        assert outcome.interval_rows + outcome.point_rows > 0


def test_namespace_and_shift_jis_variants_are_in_the_sample_and_valid(sample_bp: Path) -> None:
    ns_file = sample_bp / "03" / DAILY_LOW
    sjis_file = sample_bp / "06" / "W51220202405010000000.zip"
    assert b'xmlns="' in xml_of(ns_file)[:200]
    head = xml_of(sjis_file)
    assert b'encoding="Shift_JIS"' in head[:60]
    assert "髙".encode("cp932") in head or "①".encode("cp932") in head
    outcome = validate_bp_file(sjis_file, "06")
    assert not isinstance(outcome, Problem)
    assert outcome.errors == [] and outcome.facts.xml_encoding == "Shift_JIS"
    outcome = validate_bp_file(ns_file, "03")
    assert not isinstance(outcome, Problem)
    assert outcome.errors == [] and outcome.facts.xml_namespace == "urn:takuso:sample:bp"


def test_missing_required_element_is_reported_with_line_and_path(sample_bp: Path, tmp_path: Path) -> None:
    path = mutate(sample_bp, tmp_path, re.compile(rb"<JP06400>[0-9]+</JP06400>"), b"")
    [err] = errors_of(path)
    assert err.rule == "BP004"
    assert "JPMR00011 lacks the required element JP06400 (supply_point_id)" in err.message
    assert err.line is not None and err.line > 1
    assert err.path is not None and err.path.endswith("JPM00011/JPMR00011")


def test_slot_49_is_out_of_range(sample_bp: Path, tmp_path: Path) -> None:
    path = mutate(sample_bp, tmp_path, b"<JP06219>48</JP06219>", b"<JP06219>49</JP06219>")
    [err] = errors_of(path)
    assert err.rule == "BP004"
    assert "slot (JP06219) value '49' is not valid" in err.message and "1..48" in err.message
    assert err.path is not None and err.path.endswith("JPMR00010[48]/JP06219")


def test_21_digit_supply_point_id_is_refused(sample_bp: Path, tmp_path: Path) -> None:
    path = mutate(
        sample_bp,
        tmp_path,
        re.compile(rb"<JP06400>01([0-9]{20})</JP06400>"),
        b"<JP06400>010000000000000000001</JP06400>",
    )
    [err] = errors_of(path)
    assert "supply_point_id (JP06400) value '010000000000000000001' is not valid" in err.message
    assert "22 ASCII digits" in err.message
    assert err.line is not None


def test_non_numeric_quantity_is_refused(sample_bp: Path, tmp_path: Path) -> None:
    path = mutate(sample_bp, tmp_path, re.compile(rb"<JP06125>[0-9.]+</JP06125>"), b"<JP06125>1,5</JP06125>")
    errs = errors_of(path)
    assert errs[0].rule == "BP004"
    assert "kwh (JP06125) value '1,5' is not valid: expected kWh, kW or %" in errs[0].message


def test_quantity_that_would_lose_digits_in_decimal_18_6_is_refused(sample_bp: Path, tmp_path: Path) -> None:
    path = mutate(sample_bp, tmp_path, re.compile(rb"<JP06125>[0-9.]+</JP06125>"), b"<JP06125>0.1234567</JP06125>")
    assert "kwh (JP06125) value '0.1234567'" in errors_of(path)[0].message


def test_wrong_info_kind_for_the_file_name(sample_bp: Path, tmp_path: Path) -> None:
    path = mutate(sample_bp, tmp_path, b"<JP00002>1120</JP00002>", b"<JP00002>1220</JP00002>")
    [err] = errors_of(path)
    assert err.rule == "BP002"
    assert "JP00002 says 1220 (low_monthly_usage) but the file name says 1120 (low_energy_daily)" in err.message


def test_malformed_xml_is_refused(sample_bp: Path, tmp_path: Path) -> None:
    path = mutate(sample_bp, tmp_path, b"</JPMR00011>", b"</JPMR00012>")
    errs = errors_of(path)
    assert errs[0].rule == "BP003" and errs[0].line is not None


def test_truncated_file_is_refused(sample_bp: Path, tmp_path: Path) -> None:
    data = xml_of(sample_bp / "01" / DAILY_LOW)
    path = write_xml(tmp_path, DAILY_LOW, data[: len(data) // 2])
    assert errors_of(path)[0].rule == "BP003"


def test_dtd_with_external_entity_is_refused_before_parsing(sample_bp: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    doctype = f'<!DOCTYPE SBD-MSG [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'.encode()
    data = xml_of(sample_bp / "01" / DAILY_LOW).replace(b"<SBD-MSG>", doctype + b"<SBD-MSG>", 1)
    data = data.replace(b"<JP06111>", b"<JP06111>&xxe;", 1)
    [err] = errors_of(write_xml(tmp_path, DAILY_LOW, data))
    assert err.rule == "BP005" and "DOCTYPE is not allowed" in err.message


def test_duplicate_point_and_slot_in_one_file_is_refused(sample_bp: Path, tmp_path: Path) -> None:
    data = xml_of(sample_bp / "01" / DAILY_LOW)
    record = re.search(rb"<JPMR00011>.*?</JPMR00011>", data, re.S).group(0)  # type: ignore[union-attr]
    path = write_xml(tmp_path, DAILY_LOW, data.replace(record, record + record, 1))
    [err] = errors_of(path)
    assert err.rule == "BP010" and "duplicate keys" in err.message


def test_unknown_element_fails_validation(sample_bp: Path, tmp_path: Path) -> None:
    path = mutate(sample_bp, tmp_path, b"<JP06122>", b"<JP06999>x</JP06999><JP06122>")
    [err] = errors_of(path)
    assert "element JP06999 is not allowed here" in err.message


def test_file_name_that_is_not_a_bp_name(tmp_path: Path) -> None:
    path = tmp_path / "usage.zip"
    path.write_bytes(b"PK")
    outcome = validate_bp_file(path)
    assert isinstance(outcome, Problem) and outcome.rule == "BP001"


@pytest.mark.parametrize(
    ("name", "kind", "revision", "section"),
    [
        ("W401102024040110300000.zip", "high_energy_current", 0, 0),
        ("W401202024040100000100.zip", "high_energy_daily", 1, 0),
        ("W41120202404010000000003.zip", "low_energy_daily", 0, 3),
        ("W51220202405010100002.zip", "low_monthly_usage", 1, 2),
        ("W51310202404150000000.zip", "high_meter_exchange", 0, 0),
    ],
)
def test_file_names_parse_positionally(name: str, kind: str, revision: int, section: int) -> None:
    parsed = parse_bp_filename(name)
    assert (parsed.kind.name, parsed.revision, parsed.section) == (kind, revision, section)
    assert bp_filename(parsed.kind, parsed.target_date, revision, section, parsed.file_time or "0000") == name


@pytest.mark.parametrize(
    "name",
    [
        "W4012020240401000000.zip",
        "W40120202404310000000000.zip",
        "W59920202405010000000.zip",
        "X401202024040100000000.zip",
    ],
)
def test_bad_file_names_are_refused(name: str) -> None:
    with pytest.raises(FileNameError, match=re.escape(name)):
        parse_bp_filename(name)


def test_section_length_that_does_not_fit_the_voltage_is_a_warning() -> None:
    parsed = parse_bp_filename("W40120202404010000000000.zip")  # high voltage with 4 section digits
    assert parsed.kind is KINDS_BY_NAME["high_energy_daily"] and parsed.warnings


def test_zip_with_two_entries_and_with_a_path_are_refused(tmp_path: Path, sample_bp: Path) -> None:
    xml = xml_of(sample_bp / "01" / DAILY_LOW)
    two = tmp_path / "two" / DAILY_LOW
    two.parent.mkdir()
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a.xml", xml)
        zf.writestr("b.xml", xml)
    assert errors_of(two)[0].rule == "BP007"
    trav = tmp_path / "trav" / DAILY_LOW
    trav.parent.mkdir()
    with zipfile.ZipFile(trav, "w") as zf:
        zf.writestr("../../etc/evil.xml", xml)
    err = errors_of(trav)[0]
    assert err.rule == "BP007" and "path component" in err.message


@pytest.mark.slow
def test_validate_command_exit_status(sample_bp: Path, tmp_path: Path) -> None:
    assert run_validate([sample_bp / "01"]) == 0
    bad = mutate(sample_bp, tmp_path, b"<JP06219>48</JP06219>", b"<JP06219>49</JP06219>")
    assert run_validate([sample_bp / "01" / DAILY_LOW, bad]) == 1


def test_records_before_the_target_date_are_refused_not_loaded_with_null_dates(sample_bp: Path, tmp_path: Path) -> None:
    name = "W41110202404300000000000.zip"  # current-day: the records are one group, the date is in JPTRM
    data = xml_of(sample_bp / "01" / name)
    date_el = re.search(rb"<JP06116>\d{8}</JP06116>", data).group(0)  # type: ignore[union-attr]
    padding = b"<JP06114>" + b"x" * 250 + b"</JP06114><JP06115>" + b"y" * 250 + b"</JP06115>"
    moved = data.replace(date_el, b"", 1).replace(b"</JPM00010>", b"</JPM00010>" + padding + date_el, 1)
    path = write_xml(tmp_path, name, moved)
    # small chunks, as in a big file: the records end before the parser has seen the date
    outcome = parse_bp_file(path, parse_bp_filename(name), area_code="01", limits=Limits(chunk_size=128))
    assert [e.rule for e in outcome.errors] == ["BP014"]


def _keys(rows: list[tuple[str, int]]) -> pa.Table:
    ids, slots = zip(*rows, strict=True)
    n = len(rows)
    return pa.table(
        {"supply_point_id": list(ids), "slot": pa.array(slots, pa.int8()), "usage_date": [date(2024, 4, 1)] * n}
    )


@pytest.mark.parametrize(
    ("tables", "ascending"),
    [
        ([[("01", 1), ("02", 1), ("01", 2)], [("02", 2), ("01", 3)]], True),  # slot records in order, points too
        ([[("01", 1), ("02", 1)], [("02", 1), ("03", 1)]], False),  # the same key across two batches
        ([[("01", 1), ("01", 1)]], False),  # the same key twice in a row
        ([[("02", 1), ("01", 1)]], False),  # out of order: no proof, the duplicate check decides
        ([[("01", 2)], [("01", 1)]], False),
    ],
)
def test_keys_in_ascending_order_prove_that_none_repeats(tables: list, ascending: bool) -> None:
    keys = AscendingKeys(ascending_order("W4"))
    for rows in tables:
        keys.add(_keys(rows))
    assert keys.ascending is ascending


def test_every_rule_id_is_listed_in_the_readme_with_its_meaning() -> None:
    rows = dict(re.findall(r"^\| (BP\d{3}) \| (.+) \|$", README.read_text(encoding="utf-8"), re.MULTILINE))
    assert rows == {rule.code: rule.meaning for rule in Rule}


def test_a_rule_is_its_id_in_messages() -> None:
    problem = Problem(Rule.NOT_VALID, "slot 49 out of range", 290, "JPMR00010/JP06219")
    assert problem.rule == "BP004" and Rule.NOT_VALID.code == "BP004"
    assert problem.render("f.xml") == "f.xml:290 (JPMR00010/JP06219): error BP004: slot 49 out of range"
