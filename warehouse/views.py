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

from dataclasses import dataclass, field

from warehouse.charges import CHARGE_COLUMN_NAMES, CHARGE_COLUMNS

Q = "DECIMAL(18,6)"


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


_POINT_COLS = (
    ("supply_point_id", "VARCHAR"), ("split_code", "VARCHAR"), ("availability_code", "VARCHAR"),
    ("meter_kind_code", "VARCHAR"), ("monthly_kwh", Q), ("monthly_kwh_split", Q), ("power_factor", Q),
    ("max_demand_kw", Q), ("next_meter_reading_date", "DATE"), ("customer_id", "VARCHAR"),
    ("customer_name", "VARCHAR"), ("supply_address", "VARCHAR"), ("voltage_name", "VARCHAR"),
    ("reading_date", "DATE"), ("reason_code", "VARCHAR"), ("old_meter_id", "VARCHAR"), ("new_meter_id", "VARCHAR"),
    ("old_meter_reading", Q), ("new_meter_reading", Q), ("unmapped_elements", "VARCHAR"),
)  # fmt: skip
_SLOT_COLS = (
    ("supply_point_id", "VARCHAR"), ("split_code", "VARCHAR"), ("availability_code", "VARCHAR"),
    ("usage_date", "DATE"), ("slot", "TINYINT"), ("kwh", Q), ("kwh_split", Q),
)  # fmt: skip
_PART = (("file_id", "BIGINT"), ("area_code", "VARCHAR"))

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "ds_interval_preliminary",
        "interval_preliminary",
        (
            ("supply_point_id", "VARCHAR"),
            ("usage_date", "DATE"),
            ("slot", "TINYINT"),
            ("kwh", Q),
            ("availability_code", "VARCHAR"),
            *_PART,
        ),
    ),
    Dataset("ds_interval_confirmed", "interval_confirmed", (*_SLOT_COLS, *_PART, ("target_month", "VARCHAR"))),
    Dataset("ds_interval_cut", "interval_cut", (*_SLOT_COLS, *_PART, ("target_month", "VARCHAR"), ("kind", "VARCHAR"))),
    Dataset("ds_points", "points", (*_POINT_COLS, *_PART, ("target_month", "VARCHAR"), ("kind", "VARCHAR"))),
    Dataset(
        "ds_generator_allocated_energy",
        "forms/generator_allocated_energy",
        (
            ("receiving_point_id", "VARCHAR"),
            ("usage_date", "DATE"),
            ("slot", "TINYINT"),
            ("kwh", Q),
            ("split_code", "VARCHAR"),
            ("target_month", "DATE"),
            ("supply_point_id", "VARCHAR"),
            ("generator_code", "VARCHAR"),
            ("generator_name", "VARCHAR"),
            ("direction_code", "VARCHAR"),
            ("data_class", "VARCHAR"),
            ("source_line", "INTEGER"),
            ("extra", "VARCHAR"),
            *_PART,
            ("month", "VARCHAR"),
        ),
    ),
    Dataset(
        "ds_contract_demand_breakdown",
        "forms/contract_demand_breakdown",
        (
            ("supply_point_id", "VARCHAR"),
            ("billing_month", "DATE"),
            ("lookback_month", "DATE"),
            ("max_demand_kw", Q),
            ("contract_kw", Q),
            ("corrected_max_demand_kw", Q),
            ("service_menu", "VARCHAR"),
            ("determination_kind", "VARCHAR"),
            ("previous_contract_kw", Q),
            ("effective_from", "DATE"),
            ("demand_value_kw", Q),
            ("negotiated_demand_kw", Q),
            ("monthly_kwh", Q),
            ("power_factor", Q),
            ("source_line", "INTEGER"),
            ("extra", "VARCHAR"),
            *_PART,
            ("month", "VARCHAR"),
        ),
    ),
    Dataset(
        "ds_curtailment_discounts",
        "forms/curtailment_discounts",
        (
            ("supply_point_id", "VARCHAR"),
            ("billing_month", "DATE"),
            ("period_start", "DATE"),
            ("period_end", "DATE"),
            ("discount_hours", Q),
            ("discount_days", "SMALLINT"),
            ("discount_rate", "DECIMAL(9,6)"),
            ("discount_amount_yen", "DECIMAL(18,2)"),
            ("discount_reason_code", "VARCHAR"),
            ("service_menu", "VARCHAR"),
            ("event_start", "TIMESTAMP"),
            ("event_end", "TIMESTAMP"),
            ("source_line", "INTEGER"),
            ("extra", "VARCHAR"),
            *_PART,
            ("month", "VARCHAR"),
        ),
    ),
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
}


@dataclass(frozen=True)
class View:
    """A public view: SQL, a comment, and comments for its columns."""

    name: str
    comment: str
    sql: str
    column_names: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> dict[str, str]:
        return {c: COLUMN_COMMENTS[c] for c in self.column_names if c in COLUMN_COMMENTS}


_LOADED = """loaded_files AS (
    SELECT * FROM file_ledger WHERE status = 'loaded'
    QUALIFY row_number() OVER (PARTITION BY file_id ORDER BY ingested_at DESC) = 1)"""

_PRELIM = f"""WITH {_LOADED}
SELECT p.supply_point_id, p.area_code, f.voltage, p.usage_date, p.slot,
       CAST(p.usage_date AS TIMESTAMP) + to_minutes(30 * (CAST(p.slot AS INTEGER) - 1)) AS slot_start,
       p.kwh, CAST(NULL AS {Q}) AS kwh_split, CAST(NULL AS VARCHAR) AS split_code, p.availability_code,
       'preliminary' AS data_class, f.revision, f.section, f.file_name AS source_file, f.kind AS message_kind,
       p.kwh AS billable_kwh, f.receiver_code, f.ingested_at AS loaded_at, p.file_id,
       f.kind LIKE '%\\_daily' ESCAPE '\\' AS is_daily
FROM ds_interval_preliminary p JOIN loaded_files f USING (file_id)"""

_CONFIRMED = f"""WITH {_LOADED}
SELECT c.supply_point_id, c.area_code, f.voltage, c.usage_date, c.slot,
       CAST(c.usage_date AS TIMESTAMP) + to_minutes(30 * (CAST(c.slot AS INTEGER) - 1)) AS slot_start,
       c.kwh, c.kwh_split, c.split_code, c.availability_code,
       'confirmed' AS data_class, f.revision, f.section, f.file_name AS source_file, f.kind AS message_kind,
       CASE WHEN c.split_code = '2' THEN c.kwh_split ELSE c.kwh END AS billable_kwh, f.receiver_code,
       f.ingested_at AS loaded_at, c.file_id, CAST(c.target_month || '-01' AS DATE) AS target_month
FROM ds_interval_confirmed c JOIN loaded_files f USING (file_id)"""

_POINTS = f"""WITH {_LOADED}
SELECT p.*, f.voltage, f.target_date AS meter_reading_date, f.revision, f.section, f.file_name AS source_file,
       f.info_kind_code, f.sender_code, f.receiver_code, f.ingested_at AS loaded_at,
       CAST(p.target_month || '-01' AS DATE) AS month_start
FROM ds_points p JOIN loaded_files f USING (file_id)"""

_INTERVAL_COLS = (
    "supply_point_id", "area_code", "voltage", "usage_date", "slot", "slot_start", "kwh", "kwh_split", "split_code",
    "availability_code", "data_class", "revision", "section", "source_file", "message_kind", "billable_kwh",
    "loaded_at", "file_id",
)  # fmt: skip
_INTERVAL_SELECT = ", ".join(_INTERVAL_COLS[:-2])


def _form_view(form: str, key: str, comment: str, cols: tuple[str, ...]) -> tuple[View, View]:
    select = ", ".join(f"d.{c}" for c in cols)
    base = f"""WITH {_LOADED}
SELECT {select}, d.area_code, f.file_name AS source_file, f.ingested_at AS loaded_at, d.file_id,
       d.month, d.source_line, d.extra, coalesce(f.downloaded_at, f.ingested_at) AS downloaded_at
FROM ds_{form} d JOIN loaded_files f USING (file_id)"""
    current = f"""WITH h AS ({base}),
files AS (SELECT DISTINCT area_code, month, file_id, downloaded_at, loaded_at FROM h),
latest AS (SELECT area_code, month, file_id FROM files
           QUALIFY row_number() OVER (PARTITION BY area_code, month
                                      ORDER BY downloaded_at DESC, loaded_at DESC, file_id DESC) = 1)
SELECT h.* FROM h SEMI JOIN latest USING (area_code, month, file_id)"""
    names = (*cols, "area_code", "source_file", "loaded_at", "file_id")
    return (
        View(form, f"{comment} — latest download per TSO and month ({key})", current, names),
        View(f"{form}_history", f"{comment} — every download", base, names),
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
    "next_meter_reading_date", "voltage_name", "info_kind_code", "sender_code", "receiver_code",
    "unmapped_elements", "revision", "section", "source_file", "loaded_at", "file_id",
)  # fmt: skip


# 請求対象電力量: the after-split total when split_code = '2', else the whole total (bp-xml.md §7.1)
_BILLABLE_MONTHLY = "CASE WHEN split_code = '2' THEN monthly_kwh_split ELSE monthly_kwh END"


def _points_of(kind: str) -> str:
    return f"""SELECT * REPLACE (month_start AS target_month) FROM ({_POINTS}) WHERE kind = '{kind}'"""


_LATEST_POINT = "QUALIFY row_number() OVER (PARTITION BY supply_point_id, target_month, split_code{extra} " \
    "ORDER BY revision DESC, section DESC, loaded_at DESC, file_id DESC) = 1"  # fmt: skip

VIEWS: tuple[View, ...] = (
    View(
        "ingested_files",
        "取込ファイル台帳 / every file takuso processed: one row per file, its latest status",
        """SELECT file_name, area_code, kind, voltage, target_date, revision, section, sha256, bytes, status, rows,
       error, ingested_at, download_account, bp_id, info_kind_code, file_info_kind_code, file_time, target_month,
       sender_code, receiver_code, xml_encoding, xml_namespace, header_items, warnings, raw_path, downloaded_at,
       run_id, file_id
FROM file_ledger
QUALIFY row_number() OVER (PARTITION BY file_id ORDER BY ingested_at DESC) = 1""",
        (
            "file_name",
            "area_code",
            "kind",
            "voltage",
            "target_date",
            "revision",
            "section",
            "sha256",
            "bytes",
            "status",
            "rows",
            "error",
            "ingested_at",
            "download_account",
            "info_kind_code",
            "sender_code",
            "receiver_code",
            "xml_encoding",
            "xml_namespace",
            "warnings",
            "file_id",
            "target_month",
        ),
    ),
    View(
        "interval_usage_history",
        "30分電力量・確定使用量の全履歴 / every 30-minute value of every revision ever loaded",
        f"SELECT {', '.join(_INTERVAL_COLS)} FROM ({_PRELIM}) UNION ALL BY NAME "
        f"SELECT {', '.join(_INTERVAL_COLS)} FROM ({_CONFIRMED})",
        _INTERVAL_COLS,
    ),
    View(
        "monthly_usage",
        "月間確定使用量 / monthly confirmed usage per supply point, month and split code (latest revision)",
        f"SELECT {', '.join(_MONTHLY_COLS)}, {_BILLABLE_MONTHLY} AS billable_kwh "
        f"FROM ({_points_of('monthly_usage')}) {_LATEST_POINT.format(extra='')}",
        (*_MONTHLY_COLS, "billable_kwh"),
    ),
    View(
        "interval_usage",
        "30分電力量 / 30-minute values per supply point, date, slot, data class and split code (latest revision)",
        f"""SELECT {_INTERVAL_SELECT}, loaded_at, file_id FROM ({_PRELIM})
QUALIFY row_number() OVER (PARTITION BY supply_point_id, usage_date, slot
                           ORDER BY is_daily DESC, revision DESC, section DESC, loaded_at DESC, file_id DESC) = 1
UNION ALL
SELECT {_INTERVAL_SELECT}, loaded_at, file_id FROM ({_CONFIRMED}) c
SEMI JOIN monthly_usage m USING (supply_point_id, split_code, target_month, file_id)""",
        _INTERVAL_COLS,
    ),
    View(
        "meter_exchanges",
        "計量器取替 / meter exchanges (ASSUMED layout, bp-xml.md §7.2), latest revision",
        f"""SELECT supply_point_id, area_code, voltage, reading_date AS exchange_date, old_meter_id, new_meter_id,
       old_meter_reading, new_meter_reading, reason_code, split_code, availability_code, target_month,
       meter_reading_date, monthly_kwh, unmapped_elements, revision, section, source_file, loaded_at, file_id
FROM ({_points_of("meter_exchange")}) {_LATEST_POINT.format(extra=", reading_date")}""",
        (
            "supply_point_id",
            "area_code",
            "voltage",
            "exchange_date",
            "old_meter_id",
            "new_meter_id",
            "old_meter_reading",
            "new_meter_reading",
            "reason_code",
            "revision",
            "source_file",
            "unmapped_elements",
        ),
    ),
    View(
        "adhoc_readings",
        "臨時検針他 / ad-hoc readings etc. (ASSUMED layout, bp-xml.md §7.2), latest revision",
        f"""SELECT supply_point_id, area_code, voltage, reading_date, reason_code, monthly_kwh AS kwh, old_meter_id,
       old_meter_reading, split_code, availability_code, target_month, meter_reading_date, unmapped_elements,
       revision, section, source_file, loaded_at, file_id
FROM ({_points_of("adhoc_reading")}) {_LATEST_POINT.format(extra=", reading_date")}""",
        (
            "supply_point_id",
            "area_code",
            "voltage",
            "reading_date",
            "reason_code",
            "kwh",
            "old_meter_id",
            "old_meter_reading",
            "revision",
            "source_file",
            "unmapped_elements",
        ),
    ),
    *_FORM_VIEWS,
    View(
        "wheeling_charges",
        "託送料金 / recomputed wheeling charge per supply point and billing period (takuso reconcile)",
        f"SELECT {', '.join(CHARGE_COLUMN_NAMES)} FROM ds_wheeling_charges",
        (
            "supply_point_id",
            "area_code",
            "period_start",
            "period_end",
            "basic_charge",
            "power_factor_adjustment",
            "energy_charge",
            "curtailment_discount",
            "total_yen",
            "tariff_id",
        ),
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
        ("supply_point_id", "area_code", "target_month", "source_file"),
    ),
)
