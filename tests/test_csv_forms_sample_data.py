"""The sample generator for the CSV forms: deterministic, varied, internally consistent, readable."""

from __future__ import annotations

import codecs
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from parsers.csv_forms import read_form
from sample_data.csv_forms import (
    DISCOUNT_RATE_PER_DAY,
    generate_curtailments,
    generate_demand_breakdown,
    write_csv_forms,
)
from sample_data.ids import receiving_point_id, supply_point_id

MONTH = date(2024, 4, 1)
AREAS = ["03", "06", "04", "09"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_csv_forms(tmp_path_factory.mktemp("forms"), areas=AREAS, billing_month=MONTH, seed=7)


def test_ids_start_with_the_area_and_receiving_points_differ() -> None:
    assert supply_point_id("03", 7) == "03" + "0" * 19 + "7"
    assert len(receiving_point_id("03", 7)) == 22
    assert receiving_point_id("03", 7) != supply_point_id("03", 7)
    assert receiving_point_id("10", 1).startswith("10")
    with pytest.raises(ValueError):
        supply_point_id("11", 1)


def test_three_files_per_area_with_clear_names(files: list[Path]) -> None:
    assert [p.name for p in files[:3]] == [
        "generator_allocated_energy_03_202404.csv",
        "contract_demand_breakdown_03_202404.csv",
        "curtailment_discounts_03_202404.csv",
    ]
    assert len(files) == 3 * len(AREAS)


def test_generation_is_deterministic(tmp_path: Path, files: list[Path]) -> None:
    again = write_csv_forms(tmp_path, areas=AREAS, billing_month=MONTH, seed=7)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in files]
    other = write_csv_forms(tmp_path / "other", areas=AREAS, billing_month=MONTH, seed=8)
    assert other[0].read_bytes() != files[0].read_bytes()


def test_encodings_line_endings_and_layouts_alternate(files: list[Path]) -> None:
    by_area: dict[str, list[Path]] = {p.name.rsplit("_", 2)[1]: [] for p in files}
    for p in files:
        by_area[p.name.rsplit("_", 2)[1]].append(p)
    layouts, encodings = set(), set()
    for area, paths in by_area.items():
        for path in paths:
            data = path.read_bytes()
            if data.startswith(codecs.BOM_UTF8):
                assert b"\r\n" not in data
                encodings.add("utf-8-sig")
            else:
                assert b"\r\n" in data
                data.decode("cp932")
                encodings.add("cp932")
            result = read_form(path, area)
            assert result.errors == [], (path.name, result.errors)
            if result.form_id == "generator_allocated_energy":
                layouts.add(result.layout)
    assert encodings == {"cp932", "utf-8-sig"}
    assert layouts == {"wide", "long"}


def test_some_files_have_a_title_and_some_use_header_variants(files: list[Path]) -> None:
    preambles = [read_form(p, p.name.rsplit("_", 2)[1]).preamble for p in files]
    assert any("契約電力算定結果内訳" in p for p in preambles)
    assert any(p == "" for p in preambles)
    texts = [
        p.read_bytes().decode("cp932" if not p.read_bytes().startswith(codecs.BOM_UTF8) else "utf-8-sig") for p in files
    ]
    assert any("決定契約電力" in t for t in texts) and any("契約電力," in t and "決定契約電力" not in t for t in texts)


def test_one_area_has_an_empty_form3(files: list[Path]) -> None:
    tables = {p.name: read_form(p, p.name[22:24]).table for p in files if p.name.startswith("curtailment")}
    empty = [name for name, table in tables.items() if table is not None and table.num_rows == 0]
    assert empty == ["curtailment_discounts_04_202404.csv"]


def test_form2_contract_kw_is_the_max_of_the_lookback_months_for_actual_points() -> None:
    rows = generate_demand_breakdown("03", MONTH, seed=11, points=10)
    by_point: dict[str, list] = defaultdict(list)
    for r in rows:
        by_point[r.supply_point_id].append(r)
    kinds = set()
    for group in by_point.values():
        kinds.add(group[0].determination_ja)
        assert len({r.contract_kw for r in group}) == 1
        months = [r.lookback_month for r in group]
        assert months == sorted(months, reverse=True) and months[0] == MONTH and len(months) <= 12
        effective = max(r.corrected_max_demand_kw or r.max_demand_kw for r in group)
        if group[0].determination_ja in ("実量", "新設"):
            assert group[0].contract_kw == effective
        else:
            assert group[0].contract_kw >= Decimal(500)
    assert kinds == {"実量", "協議", "新設"}


def test_form3_days_and_rate_follow_the_hours() -> None:
    breakdown = generate_demand_breakdown("03", MONTH, seed=4)
    rows = generate_curtailments("03", MONTH, seed=4, breakdown=breakdown)
    assert rows
    for r in rows:
        assert 0 <= r.discount_days <= 3
        assert r.discount_hours >= r.discount_days  # every counted day had at least 1 h
        assert r.discount_rate == DISCOUNT_RATE_PER_DAY * r.discount_days
        assert r.discount_amount_yen <= 0
        assert r.period_start <= r.event_start.date() <= r.event_end.date() <= r.period_end
