"""The retailer's contract register and the TSO's invoice detail: loaded header-driven, rejected whole when bad."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.paths import WarehouseLayout
from parsers.csv_forms import read_form
from reconcile.checks import catalog_views
from warehouse.ingest import ingest
from warehouse.runs import sources_for

REGISTER_OCT = """供給地点特定番号,適用開始日,適用終了日,接続送電サービスメニュー,契約種別,契約電力,定額品目,供給開始日
0100000000000000000001,2025-10-01,,電灯標準接続送電サービス,実量契約,5,,2020-01-01
0100000000000000000003,2025-10-01,,電灯定額接続送電サービス,lamp,,10W以下=2;50VA以下=1,
"""
REGISTER_NOV = """供給地点特定番号,適用開始日,適用終了日,接続送電サービスメニュー,契約種別,契約電力
0100000000000000000001,2025-11-10,2025-11-20,電灯標準接続送電サービス,kW,6
"""
INVOICE = """請求年月,供給地点特定番号,算定期間開始日,算定期間終了日,契約電力,使用電力量,基本料金,電力量料金,その他,\
請求金額
2025/10,01-0000-0000-0000-0000-0001,2025/10/01,2025/10/31,5,300,"1,479.50","2,472.00",0,"3,951"
"""


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def load(layout: WarehouseLayout, *paths: Path):
    return ingest(sources_for(list(paths), None, "default"), layout, workers=1, extra_views=[catalog_views()])


def rows(layout: WarehouseLayout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def layout(tmp_path: Path) -> WarehouseLayout:
    return WarehouseLayout(tmp_path / "wh")


def test_register_in_shift_jis_is_read_by_its_header(tmp_path: Path) -> None:
    path = write(tmp_path, "keiyaku.csv", REGISTER_OCT, "cp932")
    result = read_form(path, "01")
    assert result.form_id == "supply_point_contracts" and result.ok, result.errors
    assert result.encoding == "cp932"
    first, flat = result.table.to_pylist()
    assert (first["contract_basis"], first["contract_quantity"], first["valid_to"]) == ("kW", Decimal(5), None)
    assert (flat["contract_basis"], flat["items"]) == ("lamp", "10W以下=2;50VA以下=1")


def test_register_from_parquet_reads_like_csv(tmp_path: Path) -> None:
    table = pa.table(
        {
            "supply_point_id": ["0100000000000000000001"],
            "valid_from": pa.array([date(2025, 10, 1)]),
            "service_menu": ["電灯標準接続送電サービス"],
            "contract_basis": ["kVA"],
            "contract_quantity": pa.array([Decimal("6.0")], pa.decimal128(9, 1)),
        }
    )
    path = tmp_path / "supply_point_contracts_01_202510.parquet"
    pq.write_table(table, path)
    result = read_form(path, "01")
    assert result.form_id == "supply_point_contracts" and result.ok, result.errors
    assert result.table.to_pylist()[0]["contract_quantity"] == Decimal(6)


@pytest.mark.slow  # loads files twice
def test_a_later_register_replaces_only_the_days_it_covers(layout: WarehouseLayout, tmp_path: Path) -> None:
    load(layout, write(tmp_path, "supply_point_contracts_01_202510.csv", REGISTER_OCT))
    load(layout, write(tmp_path, "supply_point_contracts_01_202511.csv", REGISTER_NOV))
    got = rows(
        layout,
        "SELECT valid_from, valid_to, contract_quantity, source_file FROM supply_point_contracts "
        "WHERE supply_point_id = '0100000000000000000001' ORDER BY valid_from",
    )
    assert got == [
        (date(2025, 10, 1), date(2025, 11, 9), Decimal(5), "supply_point_contracts_01_202510.csv"),
        (date(2025, 11, 10), date(2025, 11, 20), Decimal(6), "supply_point_contracts_01_202511.csv"),
        (date(2025, 11, 21), None, Decimal(5), "supply_point_contracts_01_202510.csv"),
    ]
    assert rows(layout, "SELECT count(*) FROM supply_point_contracts_history") == [(3,)]


@pytest.mark.slow  # loads files twice
def test_a_bad_register_is_rejected_whole_and_changes_nothing(layout: WarehouseLayout, tmp_path: Path) -> None:
    load(layout, write(tmp_path, "supply_point_contracts_01_202510.csv", REGISTER_OCT))
    before = rows(layout, "SELECT * FROM supply_point_contracts ORDER BY ALL")
    bad = REGISTER_NOV + (
        "0100000000000000000002,2025-11-01,2025-10-01,電灯標準接続送電サービス,kW,5\n"  # valid_to before valid_from
        "0100000000000000000003,2025-11-01,,電灯定額接続送電サービス,lamp,,\n"
        "0100000000000000000001,2025-11-15,,電灯標準接続送電サービス,kW,7\n"  # inside line 2's period
    ).replace(",lamp,,\n", ",lamp,,20W以下\n")  # items without a count
    bad = bad.replace("契約電力\n", "契約電力,定額品目\n")
    report = load(layout, write(tmp_path, "supply_point_contracts_01_202512.csv", bad))
    assert report.count("rejected") == 1
    message = report.files[0].message
    assert "CSV023" in message and ":3:" in message
    assert "CSV026" in message and ":4:" in message
    assert "CSV025" in message and ":5:" in message
    assert rows(layout, "SELECT * FROM supply_point_contracts ORDER BY ALL") == before
    reason = layout.quarantine / "01" / "supply_point_contracts_01_202512.csv.reason.txt"
    assert "CSV026" in reason.read_text(encoding="utf-8")


def test_invoice_lines_are_read_by_their_headers(layout: WarehouseLayout, tmp_path: Path) -> None:
    report = load(layout, write(tmp_path, "tso_invoice_lines_01_202510.csv", INVOICE, "cp932"))
    assert report.count("loaded") == 1, report.files[0].message
    sql = "SELECT supply_point_id, billing_month, basic_charge, total_yen, source_line FROM tso_invoice_lines"
    got = rows(layout, sql)
    assert got == [("0100000000000000000001", date(2025, 10, 1), Decimal("1479.50"), Decimal(3951), 2)]


@pytest.mark.slow  # loads files twice
def test_a_bad_invoice_is_rejected_whole_and_changes_nothing(layout: WarehouseLayout, tmp_path: Path) -> None:
    load(layout, write(tmp_path, "tso_invoice_lines_01_202510.csv", INVOICE))
    before = rows(layout, "SELECT * FROM tso_invoice_lines ORDER BY ALL")
    bad = INVOICE + '2025/10,0100000000000000000002,2025/10/01,2025/10/31,5,300,1479.50,2472.00,0,"三千"\n'
    report = load(layout, write(tmp_path, "tso_invoice_lines_again_01_202510.csv", bad))
    assert report.count("rejected") == 1
    assert "CSV014" in report.files[0].message and ":3:" in report.files[0].message
    assert rows(layout, "SELECT * FROM tso_invoice_lines ORDER BY ALL") == before
