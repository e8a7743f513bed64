"""The warehouse views of the public contract (warehouse-contract.md), as SQL over the Parquet datasets.

Datasets (``ds_*``) read the Parquet files as they are; the public views join them to the committed
file ledger (so only committed files are visible) and derive the current state:

* 30-minute preliminary values: per point, date and slot, a per-day file beats a current-day file
  whatever the arrival order, then the higher revision, then the later load (bp-xml.md §8 rule 4).
* confirmed usage: per (point, target month, split code) the highest revision's *file* wins, and only
  that file's day and slot rows are shown (rule 5: a revision replaces the point's rows, and a point
  absent from it keeps its earlier rows).
* CSV forms: a newer download for the same TSO, form and month replaces the earlier one; newer is the
  later ``downloaded_at`` (for a form saved by hand: the creation time it carries, 作成日時), else the
  later load.

Every revision stays in the ``*_history`` views. Every view and column carries a comment in Japanese
and English (``COMMENT ON``), so ``duckdb_columns()`` documents the warehouse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from parsers.bp_xml.engine import POINT_SCHEMA, W4_ROW, W5_ROW
from parsers.bp_xml.extract import arrow_type
from parsers.csv_forms.aliases import FORM_IDS, form_spec
from parsers.csv_forms.table import arrow_schema
from warehouse.charges import CHARGE_COLUMN_NAMES, CHARGE_COLUMNS

Q = "DECIMAL(18,6)"
BILLABLE_KWH = "CASE WHEN split_code = '2' THEN kwh_split ELSE kwh END"
"""請求対象電力量: after the split (仕訳後) for a 部分 '2' record, else the whole (bp-xml.md §7.1)."""
BILLABLE_MONTHLY_KWH = "CASE WHEN split_code = '2' THEN monthly_kwh_split ELSE monthly_kwh END"


@dataclass(frozen=True)
class Dataset:
    """One Parquet dataset and the typed columns its base view exposes."""

    name: str
    folder: str
    columns: tuple[tuple[str, str], ...]  # (column, SQL type)

    @property
    def select(self) -> str:
        return ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in self.columns)

    @property
    def empty(self) -> str:
        return ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in self.columns)

    def without(self, excluded: tuple[str, ...]) -> Dataset:
        """The same dataset with some columns left out (the personal data, in the analysts' catalog)."""
        if not excluded:
            return self
        return Dataset(self.name, self.folder, tuple((c, t) for c, t in self.columns if c not in excluded))


def sql_type(t: pa.DataType) -> str:
    """The DuckDB type of an Arrow type (decimals keep their precision and scale: exact quantities)."""
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    simple = {
        pa.string(): "VARCHAR", pa.date32(): "DATE", pa.int8(): "TINYINT", pa.int16(): "SMALLINT",
        pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.bool_(): "BOOLEAN",
    }  # fmt: skip
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    return simple[t]


def _typed(columns: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """BP columns typed from the XSD mapping (``t:column`` and the element's XSD type), as the parser does."""
    return tuple((c, sql_type(arrow_type(c))) for c in columns)


def _fields(schema: pa.Schema, leave_out: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, sql_type(f.type)) for f in schema if f.name not in leave_out)


# What the store adds to every file's rows: the source file (lineage) and the area (the partition folder).
_PART = (("file_id", "BIGINT"), ("area_code", "VARCHAR"))


def _form_dataset(form_id: str) -> Dataset:
    # the writer drops area_code from the rows (it is the partition folder); month is the month folder
    columns = _fields(arrow_schema(form_spec(form_id)), leave_out=("area_code",))
    return Dataset(f"ds_{form_id}", f"forms/{form_id}", (*columns, *_PART, ("month", "VARCHAR")))


_W4_SLOTS = _typed((*W4_ROW.columns, "usage_date", "slot"))
_W5_SLOTS = _typed(W5_ROW.columns)
DATASETS: tuple[Dataset, ...] = (
    # 30分電力量 rows: the W4 record's columns, then the slot and date the engine adds from the outer levels
    Dataset(
        "ds_interval_preliminary", "interval_preliminary", (*_typed((*W4_ROW.columns, "usage_date", "slot")), *_PART)
    ),
    Dataset("ds_interval_confirmed", "interval_confirmed", (*_W5_SLOTS, *_PART, ("target_month", "VARCHAR"))),
    Dataset("ds_interval_cut", "interval_cut", (*_W5_SLOTS, *_PART, ("target_month", "VARCHAR"), ("kind", "VARCHAR"))),
    Dataset("ds_points", "points", (*_fields(POINT_SCHEMA), *_PART, ("target_month", "VARCHAR"), ("kind", "VARCHAR"))),
    *(_form_dataset(form_id) for form_id in FORM_IDS),
    Dataset(
        "ds_supply_point_contracts",
        "forms/supply_point_contracts",
        (
            ("supply_point_id", "VARCHAR"),
            ("valid_from", "DATE"),
            ("valid_to", "DATE"),
            ("service_menu", "VARCHAR"),
            ("contract_basis", "VARCHAR"),
            ("contract_quantity", Q),
            ("items", "VARCHAR"),
            ("supply_start", "DATE"),
            ("supply_end", "DATE"),
            ("voltage", "VARCHAR"),
            ("reading_schedule_code", "VARCHAR"),
            ("source_line", "INTEGER"),
            ("extra", "VARCHAR"),
            *_PART,
            ("month", "VARCHAR"),
        ),
    ),
    Dataset(
        "ds_tso_invoice_lines",
        "forms/tso_invoice_lines",
        (
            ("supply_point_id", "VARCHAR"),
            ("billing_month", "DATE"),
            ("period_start", "DATE"),
            ("period_end", "DATE"),
            ("reading_schedule_code", "VARCHAR"),
            ("service_menu", "VARCHAR"),
            ("contract_quantity", Q),
            ("kwh", Q),
            ("kwh_day", Q),
            ("kwh_night", Q),
            ("power_factor", Q),
            ("basic_unit_price", "DECIMAL(18,2)"),
            ("energy_unit_price", "DECIMAL(18,2)"),
            ("basic_charge", "DECIMAL(18,2)"),
            ("power_factor_adjustment", "DECIMAL(18,2)"),
            ("energy_charge", "DECIMAL(18,2)"),
            ("curtailment_discount", "DECIMAL(18,2)"),
            ("other_charges", "DECIMAL(18,2)"),
            ("total_yen", "DECIMAL(18,2)"),
            ("invoice_number", "VARCHAR"),
            ("source_line", "INTEGER"),
            ("extra", "VARCHAR"),
            *_PART,
            ("month", "VARCHAR"),
        ),
    ),
    Dataset("ds_wheeling_charges", "charges", (*CHARGE_COLUMNS, ("month", "VARCHAR"))),
)
"""The history datasets, typed from the writers' own definitions: the XSD mapping for BP data, the form
definitions for the CSV forms, the stored columns for the charges (:data:`warehouse.charges.CHARGE_SCHEMA`)."""

# --------------------------------------------------------------------------------------------- comments
COLUMN_COMMENTS: dict[str, str] = {
    "supply_point_id": "供給地点特定番号 / supply point id: 22 digits, prefix = area code",
    "receiving_point_id": "受電地点特定番号 / receiving (generation) point id, 22 digits",
    "area_code": "エリアコード / supply area 01 北海道 … 10 沖縄",
    "voltage": "電圧区分 / voltage: high (特高・高圧) or low (低圧)",
    "usage_date": "対象年月日 / date of the 30-minute values (JST)",
    "slot": "30分コマ / slot 1..48; slot n covers (n-1)*30 to n*30 minutes after midnight JST",
    "slot_start": "コマ開始時刻 / start of the slot, TIMESTAMP in JST",
    "kwh": "30分電力量 (全量) / energy in the slot, kWh, exact; NULL when not provided",
    "kwh_split": "30分確定使用量 仕訳後 / confirmed kWh after split; NULL for preliminary data",
    "billable_kwh": "請求対象電力量 / kwh_split when split_code = '2', else kwh",
    "split_code": "仕訳コード / split code '1' 全量 (whole) or '2' 部分 (partial); NULL for preliminary data",
    "availability_code": "提供可否コード / '0' provided, '1' not provided (then values are NULL), as received",
    "data_class": "速報値・確定値 / preliminary (30分電力量, W4) or confirmed (確定使用量, W5)",
    "revision": "更新番号 / revision of the source file; a higher one supersedes",
    "section": "分割番号 / section of the source file",
    "source_file": "取込ファイル名 / file the value came from",
    "message_kind": "メッセージ種別 / message kind of the source file, e.g. low_energy_daily",
    "loaded_at": "取込日時 / when the source file was loaded (UTC)",
    "file_id": "ファイルID / id of the source file (from its sha256)",
    "target_month": "対象年月 / month, stored as its first day",
    "meter_reading_date": "検針日 / meter reading date (date in the file name); ends the billing period",
    "meter_kind_code": "計器区分コード / meter kind code, as received",
    "monthly_kwh": "月間使用量 全量 / monthly kWh, whole",
    "monthly_kwh_split": "月間使用量 仕訳後 / monthly kWh after split",
    "power_factor": "力率 / power factor, %",
    "max_demand_kw": "最大需要電力 / maximum demand, kW",
    "next_meter_reading_date": "次回定例検針予定日 / next scheduled meter reading date",
    "voltage_name": "電圧区分名 / voltage class name as received",
    "info_kind_code": "情報区分コード / JP00002 of the source file",
    "sender_code": "送信者コード / sender (TSO) company code",
    "receiver_code": "受信者コード / receiver (retailer) company code",
    "unmapped_elements": "未対応要素 / elements the (assumed) mapping does not know, as JSON code → text",
    "exchange_date": "取替日 / date of the meter exchange (assumed layout, bp-xml.md §7.2)",
    "reading_date": "検針日 / date of the ad-hoc reading (assumed layout, bp-xml.md §7.2)",
    "reason_code": "事由コード / reason code, as received (assumed layout)",
    "old_meter_id": "旧計器番号 / meter removed or read (assumed layout)",
    "new_meter_id": "新計器番号 / meter installed (assumed layout)",
    "old_meter_reading": "旧計器指示数 / register reading of the removed meter (assumed layout)",
    "new_meter_reading": "新計器指示数 / initial register reading of the new meter (assumed layout)",
    "file_name": "ファイル名 / file name as downloaded",
    "kind": "種別 / message kind or CSV form id",
    "target_date": "対象日 / date in the file name (W4: data date; W5: meter reading date)",
    "sha256": "SHA-256 / hash of the file's bytes",
    "bytes": "バイト数 / size of the file",
    "status": "状態 / loaded, skipped (same content already loaded) or rejected (quarantined)",
    "rows": "行数 / rows loaded from the file",
    "error": "エラー / why the file was rejected",
    "warnings": "警告 / warnings recorded while loading",
    "ingested_at": "取込日時 / when the file was processed (UTC)",
    "download_account": "ダウンロードアカウント / retailer account (certificate) the file was fetched with",
    "xml_encoding": "文字コード / encoding declared by the file",
    "xml_namespace": "名前空間 / XML namespace of the file, if any",
    "billing_month": "料金計算対象年月 / billing month (first day)",
    "lookback_month": "最大需要電力実績年月 / look-back month (first day)",
    "contract_kw": "契約電力 / determined contract kW",
    "period_start": "算定期間開始日 / billing period start",
    "period_end": "算定期間終了日 / billing period end",
    "discount_hours": "割引対象時間数 / hours of curtailment",
    "discount_days": "割引対象日数 / days counted for the discount",
    "discount_rate": "割引率 / fraction of the PF-adjusted basic charge discounted",
    "generator_name": "発電者名 / generator name",
    "basic_charge": "基本料金 / basic charge, yen (sen kept)",
    "power_factor_adjustment": "力率割引・割増 / power-factor adjustment, yen (negative = discount)",
    "energy_charge": "電力量料金 / energy charge, yen",
    "curtailment_discount": "制限中止割引 / curtailment discount, yen",
    "total_yen": "託送料金 / wheeling charge, whole yen (truncated)",
    "tariff_id": "料金表ID / tariff row set used",
    "billed_kwh": "請求対象電力量 / kWh the energy charge was computed on",
    "bp_id": "ビジネスプロトコル識別コード / W4 (30分電力量) or W5 (確定使用量)",
    "cd01_form_inconsistent": "CD01 / form 2 contract kW is not the maximum of its own look-back months",
    "cd02_recomputed_differs": "CD02 / contract kW differs from the value recomputed from 30-minute data",
    "cd03_lookback_month_differs": "CD03 / a look-back month's maximum demand differs from the recomputed one",
    "cd04_contract_kw_varies": "CD04 / one point carries more than one contract kW",
    "confirmed_interval_kwh": "確定30分値合計 / sum of confirmed 30-minute kWh over the billing period",
    "confirmed_slots": "確定コマ数 / confirmed slots received in the billing period",
    "contract_excess_charge": "契約超過金 / contract-excess charge, yen",
    "contract_quantity": "契約量 / contract kW, kVA or count the basic charge was computed on",
    "contract_unit": "契約単位 / unit of contract_quantity (kW, kVA, contract, lamp …)",
    "corrected_max_demand_kw": "訂正最大需要電力 / corrected maximum demand, kW",
    "customer_id": "需要家識別番号 / customer identifier (personal data)",
    "customer_name": "需要家名称 / customer name (personal data)",
    "supply_address": "供給場所 / supply address (personal data)",
    "demand_value_kw": "デマンド値 / demand value, kW",
    "determination_kind": "算定区分 / how the contract kW was fixed: actual, negotiated, new_supply, …",
    "diff_confirmed_kwh": "差分 (確定) / monthly total minus the sum of confirmed 30-minute values, kWh",
    "diff_preliminary_kwh": "差分 (速報) / monthly total minus the sum of preliminary 30-minute values, kWh",
    "direction_code": "区分 / 1 = purchase (買電), 2 = sale (売電), as received",
    "discount_amount_yen": "制限中止割引額 / discount amount stated by the TSO, yen",
    "discount_reason_code": "割引対象コード / discount reason code, as received",
    "downloaded_at": "ダウンロード日時 / when the file was downloaded (UTC): pulled, or the creation time "
    "(作成日時) a CSV form saved by hand carries",
    "effective_from": "適用開始日 / date the contract kW applies from",
    "event_end": "制限・中止終了日時 / end of the curtailment event",
    "event_start": "制限・中止開始日時 / start of the curtailment event",
    "exceeds_tolerance": "許容差超過 / a kWh difference exceeds the tolerance (RC01 or RC02)",
    "expected_slots": "期待コマ数 / slots expected (48 per day)",
    "extra": "未対応列 / CSV columns the alias map does not know, as JSON header → text",
    "file_info_kind_code": "ファイル名の情報区分 / info kind code derived from the file name",
    "file_time": "ファイル時刻 / hhmm in a W4 file name",
    "flags": "フラグ / finding ids raised for the row (docs/reconciliation.md)",
    "gap_id": "欠測ID / GP01 part of a day, GP02 one data class only, GP03 missing in both",
    "gap_kind": "欠測種別 / what kind of gap the row shows",
    "generator_code": "発電者コード / generator code",
    "header_items": "メッセージグループヘッダ / JPMGH items as JSON (jpcNN → text)",
    "is_actual_demand": "実量制 / the point's contract kW follows the 12-month rule",
    "is_prorated": "日割 / the charge was pro-rated by days",
    "kwh_day": "昼間電力量 / kWh in the day band",
    "kwh_night": "夜間電力量 / kWh in the night band",
    "lookback_months_differing": "相違月数 / look-back months whose maximum demand differs",
    "lookback_rows": "実績月数 / look-back months in form 2",
    "missing_days": "欠測日数 (確定) / days of the period with no confirmed value",
    "missing_preliminary_days": "欠測日数 (速報) / days of the period with no preliminary value",
    "missing_preliminary_slots": "欠測コマ数 (速報) / preliminary slots missing in the period",
    "missing_slots": "欠測コマ数 / slots missing",
    "month": "対象年月 (パーティション) / month the file is filed under, YYYY-MM",
    "monthly_kwh_whole": "月間使用量 全量 / whole monthly kWh (JP06426), whatever the split code",
    "negotiated_demand_kw": "協議デマンド / negotiated demand, kW",
    "note": "備考 / what a computed charge assumed (a missing power factor, a discount not applied, …)",
    "reason": "未計算理由 / why a charge was not computed (its amounts are NULL)",
    "rate_status": "単価の状態 / weakest status of the rates used: confirmed, secondary, user or example",
    "detail": "計算内訳 / the arithmetic of every line: quantity × unit price per segment, rounding steps",
    "contract_source": "契約情報の出所 / supply_point_contracts, contract_demand_breakdown or default_menu",
    "contract_basis": "契約種別 / kW, kVA, A, lamp, appliance or main_switch_kW",
    "kwh_source": "電力量の出所 / monthly_usage (monthly total) or interval_usage (30-minute sums)",
    "other_class_slots": "他区分コマ数 / slots of the other data class on that day",
    "period_days": "算定期間日数 / days in the billing period",
    "reference_days": "基準月日数 / days of the reference month a pro-rated charge is divided by",
    "pf_multiplier": "力率係数 / (185 − power factor) / 100",
    "preliminary_interval_kwh": "速報30分値合計 / sum of preliminary 30-minute kWh over the billing period",
    "preliminary_slots": "速報コマ数 / preliminary slots received in the billing period",
    "previous_contract_kw": "前月契約電力 / contract kW of the previous month",
    "raw_path": "原本 / where the file is kept in the raw landing zone",
    "rc01_monthly_vs_confirmed": "RC01 / monthly total differs from the confirmed 30-minute sum beyond the tolerance",
    "rc02_monthly_vs_preliminary": "RC02 / monthly total differs from the preliminary 30-minute sum beyond tolerance",
    "rc03_missing_confirmed_slots": "RC03 / confirmed slots missing in the period",
    "rc04_missing_preliminary_slots": "RC04 / preliminary slots missing in the period",
    "rc05_monthly_not_provided": "RC05 / monthly usage not provided (availability code 1)",
    "rc06_prorated_period": "RC06 / the period differs from a month by more than 5 days",
    "rc07_max_demand_differs": "RC07 / the TSO's maximum demand differs from the recomputed one",
    "received_slots": "受信コマ数 / slots received",
    "recomputed_contract_kw": "再計算契約電力 / max of this month and the previous 11, from 30-minute data",
    "recomputed_max_demand_kw": "再計算最大需要電力 / maximum 30-minute kWh × 2",
    "recomputed_months": "再計算月数 / months with 30-minute data in the recomputation",
    "run_id": "実行ID / the takuso run that processed the file",
    "service_menu": "接続送電サービスメニュー / service menu",
    "source_line": "行番号 / line of the CSV file the row came from",
    "tariff_ids": "料金表ID一覧 / every rate set used when a price or contract change split the period",
    "tolerance_kwh": "許容差 / tolerance used, kWh",
    "tso_contract_kw": "TSO契約電力 / contract kW stated by the TSO (form 2)",
    "tso_lookback_max_kw": "TSO実績最大 / maximum of form 2's look-back months",
    "tso_max_demand_kw": "TSO最大需要電力 / maximum demand stated by the TSO (monthly usage)",
    # a column whose meaning depends on its view: "view.column"
    "wheeling_charges.status": "計算状態 / computed, or not_computed (reason says why; the amounts are NULL)",
    "monthly_usage.billable_kwh": "請求対象電力量 / monthly_kwh_split when split_code = '2', else monthly_kwh",
    "monthly_usage_history.billable_kwh": "請求対象電力量 / monthly_kwh_split when split_code = '2', else monthly_kwh",
    "adhoc_readings.kwh": "使用量 / kWh read at the ad-hoc reading (JP06426, assumed layout)",
    "monthly_usage.split_code": "仕訳コード / '2' 部分 when the point has a split record (both values), else '1'",
}


@dataclass(frozen=True)
class View:
    """A view of the catalog: its name, a comment and its SQL (columns are commented from COLUMN_COMMENTS)."""

    name: str
    comment: str
    sql: str


_LOADED = """loaded_files AS (
    SELECT * FROM internal.file_ledger WHERE status = 'loaded'
    QUALIFY row_number() OVER (PARTITION BY file_id ORDER BY ingested_at DESC) = 1)"""

# ------------------------------------------------------------------ history: every record of every loaded file
PRELIMINARY_HISTORY = f"""WITH {_LOADED}
SELECT p.supply_point_id, p.area_code, f.voltage, p.usage_date, p.slot,
       CAST(p.usage_date AS TIMESTAMP) + to_minutes(30 * (CAST(p.slot AS INTEGER) - 1)) AS slot_start,
       p.kwh, CAST(NULL AS {Q}) AS kwh_split, CAST(NULL AS VARCHAR) AS split_code, p.availability_code,
       'preliminary' AS data_class, f.revision, f.section, f.file_name AS source_file, f.kind AS message_kind,
       p.kwh AS billable_kwh, f.receiver_code, f.ingested_at AS loaded_at, p.file_id,
       CAST(NULL AS DATE) AS target_month, f.kind LIKE '%\\_daily' ESCAPE '\\' AS is_daily
FROM internal.ds_interval_preliminary p JOIN loaded_files f USING (file_id)"""

CONFIRMED_HISTORY = f"""WITH {_LOADED}
SELECT c.supply_point_id, c.area_code, f.voltage, c.usage_date, c.slot,
       CAST(c.usage_date AS TIMESTAMP) + to_minutes(30 * (CAST(c.slot AS INTEGER) - 1)) AS slot_start,
       c.kwh, c.kwh_split, c.split_code, c.availability_code,
       'confirmed' AS data_class, f.revision, f.section, f.file_name AS source_file, f.kind AS message_kind,
       {BILLABLE_KWH} AS billable_kwh, f.receiver_code, f.ingested_at AS loaded_at, c.file_id,
       CAST(c.target_month || '-01' AS DATE) AS target_month, false AS is_daily
FROM internal.ds_interval_confirmed c JOIN loaded_files f USING (file_id)"""

PERSONAL_POINTS_HISTORY = f"""WITH {_LOADED}
SELECT p.* REPLACE (CAST(p.target_month || '-01' AS DATE) AS target_month), f.file_name AS source_file,
       f.ingested_at AS loaded_at
FROM internal.ds_points p JOIN loaded_files f USING (file_id)"""
"""The personal catalog's point records: customer columns only (its ``ds_points`` is ``personal/points``)."""

POINTS_HISTORY = f"""WITH {_LOADED}
SELECT p.* REPLACE (CAST(p.target_month || '-01' AS DATE) AS target_month), f.voltage,
       f.target_date AS meter_reading_date, f.revision, f.section, f.file_name AS source_file,
       f.info_kind_code, f.sender_code, f.receiver_code, f.ingested_at AS loaded_at,
       {BILLABLE_MONTHLY_KWH} AS billable_kwh
FROM internal.ds_points p JOIN loaded_files f USING (file_id)"""

# ------------------------------------------------------------------------- the current state: one rule each
# Each rule is SQL over a relation of history rows (every record, or the stored current rows plus a night's
# new records: the same answer, since a rule only ever keeps rows of the history). ``shown`` marks the one
# row per supply point × date × slot (× month) that the public views show: a 部分 '2' record beats a 全量 '1'.
_NEWEST_FILE = "revision DESC, section DESC, loaded_at DESC, file_id DESC"


def preliminary_current(history: str) -> str:
    """30分電力量: per point, date and slot a per-day file beats a current-day file, then the newest file."""
    return f"""SELECT *, true AS shown FROM {history}
QUALIFY row_number() OVER (PARTITION BY supply_point_id, usage_date, slot ORDER BY is_daily DESC, {_NEWEST_FILE}) = 1"""


def monthly_current(history: str) -> str:
    """月間確定使用量: per (point, month, split code) the newest file's record (bp-xml.md §8 rule 5)."""
    return f"""SELECT *,
       row_number() OVER (PARTITION BY supply_point_id, target_month ORDER BY split_code DESC NULLS LAST) = 1 AS shown
FROM (SELECT * FROM {history} WHERE kind = 'monthly_usage'
      QUALIFY row_number() OVER (PARTITION BY supply_point_id, target_month, split_code ORDER BY {_NEWEST_FILE}) = 1)"""


def confirmed_current(history: str, monthly: str) -> str:
    """確定使用量の30分値: the day and slot rows of the file whose point record is current (``monthly``)."""
    return f"""SELECT *, row_number() OVER (PARTITION BY supply_point_id, usage_date, slot
                                     ORDER BY split_code DESC NULLS LAST, target_month DESC) = 1 AS shown
FROM (SELECT * FROM {history} SEMI JOIN {monthly} USING (supply_point_id, split_code, target_month, file_id))"""


_INTERVAL_COLS = (
    "supply_point_id", "area_code", "voltage", "usage_date", "slot", "slot_start", "kwh", "kwh_split", "split_code",
    "availability_code", "data_class", "revision", "section", "source_file", "message_kind", "billable_kwh",
    "loaded_at", "file_id",
)  # fmt: skip
_INTERVAL_SELECT = ", ".join(_INTERVAL_COLS)


def _form_view(form: str, key: str, comment: str, cols: tuple[str, ...]) -> tuple[View, View]:
    select = ", ".join(f"d.{c}" for c in cols)
    base = f"""WITH {_LOADED}
SELECT {select}, d.area_code, f.file_name AS source_file, f.ingested_at AS loaded_at, d.file_id,
       d.month, d.source_line, d.extra, coalesce(f.downloaded_at, f.ingested_at) AS downloaded_at
FROM internal.ds_{form} d JOIN loaded_files f USING (file_id)"""
    current = f"""WITH h AS ({base}),
files AS (SELECT DISTINCT area_code, month, file_id, downloaded_at, loaded_at FROM h),
latest AS (SELECT area_code, month, file_id FROM files
           QUALIFY row_number() OVER (PARTITION BY area_code, month
                                      ORDER BY downloaded_at DESC, loaded_at DESC, file_id DESC) = 1)
SELECT h.* FROM h SEMI JOIN latest USING (area_code, month, file_id)"""
    return (
        View(form, f"{comment} — latest download per TSO and month ({key})", current),
        View(f"{form}_history", f"{comment} — every download", base),
    )


_FORM_VIEWS = (
    *_form_view(
        "generator_allocated_energy",
        "receiving point × date × slot",
        "発電者の仕訳後の電力量のお知らせ / generators' 30-minute energy after allocation (form 1)",
        (
            "receiving_point_id",
            "usage_date",
            "slot",
            "kwh",
            "split_code",
            "target_month",
            "supply_point_id",
            "generator_code",
            "generator_name",
            "direction_code",
            "data_class",
        ),
    ),
    *_form_view(
        "contract_demand_breakdown",
        "supply point × billing month × look-back month",
        "契約電力算定結果内訳 / contract-kW determination breakdown (form 2)",
        (
            "supply_point_id",
            "billing_month",
            "lookback_month",
            "max_demand_kw",
            "contract_kw",
            "corrected_max_demand_kw",
            "service_menu",
            "determination_kind",
            "previous_contract_kw",
            "effective_from",
            "demand_value_kw",
            "negotiated_demand_kw",
            "monthly_kwh",
            "power_factor",
        ),
    ),
    *_form_view(
        "curtailment_discounts",
        "supply point × billing month × period",
        "制限中止割引時間 / curtailment periods and discount (form 3)",
        (
            "supply_point_id",
            "billing_month",
            "period_start",
            "period_end",
            "discount_hours",
            "discount_days",
            "discount_rate",
            "discount_amount_yen",
            "discount_reason_code",
            "service_menu",
            "event_start",
            "event_end",
        ),
    ),
)

_MONTHLY_COLS = (
    "supply_point_id", "area_code", "voltage", "target_month", "meter_reading_date", "split_code",
    "availability_code", "meter_kind_code", "monthly_kwh", "monthly_kwh_split", "power_factor", "max_demand_kw",
    "next_meter_reading_date", "billable_kwh", "voltage_name", "info_kind_code", "sender_code", "receiver_code",
    "unmapped_elements", "revision", "section", "source_file", "loaded_at", "file_id",
)  # fmt: skip


# 請求対象電力量: the after-split total when split_code = '2', else the whole total (bp-xml.md §7.1)


def _points_of(kind: str) -> str:
    return f"SELECT * FROM internal.points_history WHERE kind = '{kind}'"


_LATEST_POINT = "QUALIFY row_number() OVER (PARTITION BY supply_point_id, target_month, split_code{extra} " \
    "ORDER BY revision DESC, section DESC, loaded_at DESC, file_id DESC) = 1"  # fmt: skip

_MONTHLY_SELECT = ", ".join(_MONTHLY_COLS)

HISTORY_VIEWS: tuple[View, ...] = (
    View("preliminary_history", "every preliminary 30-minute record of every loaded file", PRELIMINARY_HISTORY),
    View("confirmed_history", "every confirmed 30-minute record of every loaded file", CONFIRMED_HISTORY),
    View("points_history", "every W5 point record of every loaded file", POINTS_HISTORY),
)
"""Internal views (schema ``internal``): the history relations the current-state rules read."""

STORED_CURRENT_UNIONS: tuple[View, ...] = tuple(
    View(
        f"{name}_current",
        comment,
        f"SELECT * FROM internal.{name}_shown UNION ALL BY NAME SELECT * FROM internal.{name}_hidden",
    )
    for name, comment in (
        ("monthly", "current monthly records"),
        ("interval", "current 30-minute records of both data classes"),
    )
)
"""Stored, the rows shown and the rows outranked are kept apart, so ``interval_usage`` and ``monthly_usage``
read without a filter; the rules read both."""

FILE_LATEST = """SELECT * FROM internal.file_ledger
QUALIFY row_number() OVER (PARTITION BY file_id ORDER BY ingested_at DESC) = 1"""
"""Each file's latest ledger row (a file looked at again in a later run has a row per run): a table in the
catalog, built with it, so ``ingested_files`` reads it without a window."""

CURRENT_VIEWS: tuple[View, ...] = (
    View("preliminary_current", "current preliminary records", preliminary_current("internal.preliminary_history")),
    View("monthly_current", "current monthly records", monthly_current("internal.points_history")),
    View(
        "confirmed_current",
        "current confirmed records",
        confirmed_current("internal.confirmed_history", "internal.monthly_current"),
    ),
    View(
        "interval_current",
        "current 30-minute records of both data classes",
        "SELECT * FROM internal.preliminary_current UNION ALL BY NAME SELECT * FROM internal.confirmed_current",
    ),
    *(
        View(f"{name}_{part}", f"the current {what} {part} rows", f"SELECT * FROM internal.{name}_current WHERE {rows}")
        for name, what in (("monthly", "monthly"), ("interval", "30-minute"))
        for part, rows in (("shown", "shown"), ("hidden", "NOT shown"))
    ),
)
"""Internal views (schema ``internal``): the current state derived from the history (the as-of catalog).

The stored catalog replaces them by the current-state Parquet files (:mod:`warehouse.current`).
"""

VIEWS: tuple[View, ...] = (
    View(
        "ingested_files",
        "取込ファイル台帳 / every file takuso processed: one row per file, its latest status",
        """SELECT file_name, area_code, kind, voltage, target_date, revision, section, sha256, bytes, status, rows,
       error, ingested_at, download_account, bp_id, info_kind_code, file_info_kind_code, file_time, target_month,
       sender_code, receiver_code, xml_encoding, xml_namespace, header_items, warnings, raw_path, downloaded_at,
       run_id, file_id
FROM internal.file_latest""",
    ),
    View(
        "interval_usage_history",
        "30分電力量・確定使用量の全履歴 / every 30-minute record ever loaded: every revision, both split codes",
        f"SELECT {_INTERVAL_SELECT} FROM internal.preliminary_history UNION ALL "
        f"SELECT {_INTERVAL_SELECT} FROM internal.confirmed_history",
    ),
    View(
        "monthly_usage_history",
        "月間確定使用量の全履歴 / every monthly usage record ever loaded: every revision, both split codes",
        f"SELECT {_MONTHLY_SELECT} FROM internal.points_history WHERE kind = 'monthly_usage'",
    ),
    View(
        "monthly_usage",
        "月間確定使用量 / monthly confirmed usage, one row per supply point and month (latest revision; "
        "the 部分 '2' record where a point has one, which holds both values)",
        f"SELECT {_MONTHLY_SELECT} FROM internal.monthly_shown",
    ),
    View(
        "interval_usage",
        "30分電力量 / 30-minute values, one row per supply point, date, slot and data class (latest revision; "
        "the 部分 '2' record where a point has one, which holds both values): sums never count a slot twice",
        f"SELECT {_INTERVAL_SELECT} FROM internal.interval_shown",
    ),
    View(
        "meter_exchanges",
        "計量器取替 / meter exchanges (ASSUMED layout, bp-xml.md §7.2), latest revision",
        f"""SELECT supply_point_id, area_code, voltage, reading_date AS exchange_date, old_meter_id, new_meter_id,
       old_meter_reading, new_meter_reading, reason_code, split_code, availability_code, target_month,
       meter_reading_date, monthly_kwh, unmapped_elements, revision, section, source_file, loaded_at, file_id
FROM ({_points_of("meter_exchange")}) {_LATEST_POINT.format(extra=", reading_date")}""",
    ),
    View(
        "adhoc_readings",
        "臨時検針他 / ad-hoc readings etc. (ASSUMED layout, bp-xml.md §7.2), latest revision",
        f"""SELECT supply_point_id, area_code, voltage, reading_date, reason_code, monthly_kwh AS kwh, old_meter_id,
       old_meter_reading, split_code, availability_code, target_month, meter_reading_date, unmapped_elements,
       revision, section, source_file, loaded_at, file_id
FROM ({_points_of("adhoc_reading")}) {_LATEST_POINT.format(extra=", reading_date")}""",
    ),
    *_FORM_VIEWS,
    View(
        "wheeling_charges",
        "託送料金 / recomputed wheeling charge per supply point and billing period (takuso reconcile)",
        f"SELECT {', '.join(CHARGE_COLUMN_NAMES)} FROM internal.ds_wheeling_charges",
    ),
)

# Personal data (個人情報): only in takuso-personal.duckdb (mode 0600), never in the analysts' catalog.
PERSONAL_COLUMNS: tuple[str, ...] = ("customer_id", "customer_name", "supply_address")
# their dataset, under the private folder personal/ (0700): the same partitions as points, keyed by point
PERSONAL_POINTS = Dataset(
    "ds_points",
    "personal/points",
    (
        ("supply_point_id", "VARCHAR"),
        ("split_code", "VARCHAR"),
        *((c, "VARCHAR") for c in PERSONAL_COLUMNS),
        *_PART,
        ("target_month", "VARCHAR"),
        ("kind", "VARCHAR"),
    ),
)
PERSONAL_VIEWS: tuple[View, ...] = (
    View(
        "supply_point_customers",
        "需要家情報 (個人情報) / customer id, name and address per supply point: PERSONAL DATA, "
        "kept in takuso-personal.duckdb, out of the analysts' catalog",
        f"""SELECT supply_point_id, area_code, customer_id, customer_name, supply_address, target_month, source_file
FROM ({_points_of("monthly_usage")})
QUALIFY row_number() OVER (PARTITION BY supply_point_id ORDER BY target_month DESC, loaded_at DESC) = 1""",
    ),
)
