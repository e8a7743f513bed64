"""The reconciliation report (照合レポート): CSV, Parquet or self-contained HTML, by the output file's ending.

* ``.csv`` / ``.parquet``: one row per supply point (``ReconciliationResult.findings``): kWh figures,
  flags, contract kW check and the charge line. Parquet keeps exact decimals; CSV writes them as text.
* ``.html``: one file a billing clerk can open (inline CSS and SVG pictures, no external files), with
  Japanese labels beside English ones: totals by area, daily energy and load curves, a gap heat map, the
  largest discrepancies with their supply points, and the tables behind them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.areas import AREAS
from reconcile import svg
from reconcile.checks import FLAGS
from reconcile.result import ReconciliationResult

FORMATS = (".csv", ".parquet", ".html")
HEATMAP_ROWS = 30
TABLE_ROWS = 300


def write_report(result: ReconciliationResult, out: Path) -> Path:
    """Write the report to ``out``; the format follows the ending (.csv, .parquet, .html)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{out}: unknown report format {out.suffix!r}; use one of {', '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        pq.write_table(result.findings(), out)
    elif suffix == ".csv":
        _write_csv(result.findings(), out)
    else:
        out.write_text(render_html(result), encoding="utf-8")
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(table: pa.Table, out: Path) -> None:
    # UTF-8 with BOM so that Excel on Japanese Windows opens the Japanese text correctly.
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow([_text(row[c]) for c in table.column_names])


def _area_label(code: str | None) -> str:
    area = AREAS.get(code or "")
    return f"{code} {area.name_ja} {area.name_en}" if area else str(code)


def _yen(value: Decimal | None) -> str:
    """Yen with sen when there are any: 1,479.50; −2,106.50; 3,951."""
    return "" if value is None else f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _signed_yen(value: Decimal) -> str:
    return f"{'+' if value > 0 else '−' if value < 0 else '±'}¥{abs(value):,.0f}"


def _num(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,f}".rstrip("0")
    return escape(_text(value))


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], limit: int = TABLE_ROWS) -> str:
    """An HTML table; ``columns`` are (key, header) with the header 'English / 日本語'."""
    if not rows:
        return "<p class='empty'>なし / none</p>"
    head = "".join(f"<th>{escape(h)}</th>" for _, h in columns)
    body = []
    for r in rows[:limit]:
        cells = []
        for key, _ in columns:
            v = r.get(key)
            cls = " class='num'" if isinstance(v, Decimal | int) and not isinstance(v, bool) else ""
            cells.append(f"<td{cls}>{_num(v)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    more = (
        f"<p class='note'>… {len(rows) - limit} more rows / 他 {len(rows) - limit} 行</p>" if len(rows) > limit else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


CSS = """
body { font-family: system-ui, 'Hiragino Sans', 'Yu Gothic', 'Meiryo', sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; }
h2 { font-size: 1.2em; border-bottom: 2px solid #1f77b4; padding-bottom: .2em; margin-top: 2em; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: .6em 1em; min-width: 10em; }
.card .v { font-size: 1.6em; font-weight: bold; } .card.bad .v { color: #d62728; } .card .l { color: #555; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .25em .5em; } th { background: #eef3f8; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note, .empty { color: #555; font-size: .9em; } code { background: #f4f4f4; padding: 0 .2em; }
details summary { cursor: pointer; } .detail { font-family: ui-monospace, monospace; font-size: .9em; }
th.wide, td.wide { min-width: 16em; max-width: 30em; }
"""


def _card(value: str, label: str, bad: bool = False) -> str:
    cls = "card bad" if bad else "card"
    return f"<div class='{cls}'><div class='v'>{escape(value)}</div><div class='l'>{escape(label)}</div></div>"


def _daily_charts(result: ReconciliationResult) -> str:
    days: list[date] = []
    d = result.window_start
    while d <= result.window_end:
        days.append(d)
        d += timedelta(days=1)
    by_area: dict[str, dict[str, dict[date, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for r in result.daily.to_pylist():
        by_area[r["area_code"]][r["data_class"]][r["usage_date"]] = r["kwh"]
    curves: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for r in result.load_curve.to_pylist():
        curves[r["area_code"]][r["slot"]] = r["kwh"]
    parts = []
    labels = [f"{x.month}/{x.day}" for x in days]
    for area in sorted(by_area):
        series = {
            f"{cls} {'確定' if cls == 'confirmed' else '速報'}": [
                float(by_area[area][cls][x]) if x in by_area[area][cls] else None for x in days
            ]
            for cls in ("confirmed", "preliminary")
        }
        parts.append(
            svg.line_chart(
                series,
                labels,
                f"日別電力量 Daily energy — {_area_label(area)}",
                "kWh",
                dashed=("preliminary 速報",),
            )
        )
        if curves.get(area):
            slot_labels = [f"{(s - 1) // 2:02d}:{'30' if s % 2 == 0 else '00'}" for s in range(1, 49)]
            curve = {
                "平均 mean (確定 confirmed)": [
                    float(curves[area][s]) if s in curves[area] else None for s in range(1, 49)
                ]
            }
            parts.append(
                svg.line_chart(
                    curve,
                    slot_labels,
                    f"30分負荷曲線 Load curve (mean kWh per point and day) — {_area_label(area)}",
                    "kWh",
                    height=200,
                )
            )
    return "".join(parts) or "<p class='empty'>30分値なし / no 30-minute values</p>"


def _heatmaps(result: ReconciliationResult) -> str:
    days: list[date] = []
    d = result.window_start
    while d <= result.window_end:
        days.append(d)
        d += timedelta(days=1)
    index = {x: i for i, x in enumerate(days)}
    parts = []
    for cls, label in (("confirmed", "確定値 confirmed"), ("preliminary", "速報値 preliminary")):
        grid: dict[str, list[int]] = {}
        for r in result.gaps.to_pylist():
            if r["data_class"] == cls and r["usage_date"] in index:
                grid.setdefault(r["supply_point_id"], [0] * len(days))[index[r["usage_date"]]] = r["missing_slots"]
        ranked = sorted(grid, key=lambda p: (-sum(grid[p]), p))[:HEATMAP_ROWS]
        title = f"欠測ヒートマップ Missing-slot heat map — {label} ({len(grid)} points / 地点)"
        if not ranked:
            parts.append(f"<p class='empty'>{escape(title)}: 欠測なし / no gaps</p>")
            continue
        parts.append(svg.heatmap(ranked, [str(x.day) for x in days], [grid[p] for p in ranked], title, vmax=48))
    return "".join(parts)


def _detail(text: str | None) -> str:
    """A charge line's arithmetic, folded: the first step shown, every step on its own line when opened."""
    if not text:
        return ""
    steps = [escape(step) for step in text.split("; ")]
    return f"<details><summary>{steps[-1]}</summary><div class='detail'>{'<br>'.join(steps)}</div></details>"


def _charge_table(rows: list[dict[str, Any]]) -> str:
    """Computed charge lines with their status, rates and arithmetic (``detail``)."""
    if not rows:
        return "<p class='empty'>なし / none</p>"
    columns = [
        ("supply_point_id", "supply point / 供給地点"),
        ("area_code", "area / エリア"),
        ("service_menu", "menu / メニュー"),
        ("contract_source", "contract from / 契約の出所"),
        ("rate_status", "rates / 単価の確度"),
        ("contract_quantity", "contract / 契約"),
        ("billed_kwh", "kWh / 使用量"),
        ("basic_charge", "basic / 基本料金"),
        ("power_factor_adjustment", "PF / 力率調整"),
        ("energy_charge", "energy / 電力量料金"),
        ("total_yen", "total / 合計 (円)"),
    ]
    money = {"basic_charge", "power_factor_adjustment", "energy_charge"}
    head = "".join(f"<th>{escape(h)}</th>" for _, h in columns) + "<th class='wide'>detail / 計算内訳</th>"
    body = []
    for r in rows[:TABLE_ROWS]:
        cells = "".join(
            f"<td class=num>{_yen(r.get(k)) if k in money else _num(r.get(k))}</td>"
            if isinstance(r.get(k), Decimal)
            else f"<td>{_num(r.get(k))}</td>"
            for k, _ in columns
        )
        body.append(f"<tr>{cells}<td class='wide'>{_detail(r.get('detail'))}</td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _not_computed(result: ReconciliationResult) -> str:
    """Lines not computed: one row per reason with its count, then the full list folded."""
    groups = result.not_computed_by_reason()
    if not groups:
        return "<p class='empty'>すべて計算済み / every line computed</p>"
    summary = _table(
        [{"count": g["count"], "reason": g["reason"]} for g in groups],
        [("count", "lines / 件数"), ("reason", "reason / 理由")],
    )
    listing = _table(
        [{"supply_point_id": p, "reason": g["reason"]} for g in groups for p in g["points"]],
        [("supply_point_id", "supply point / 供給地点"), ("reason", "reason / 理由")],
    )
    total = sum(g["count"] for g in groups)
    return f"{summary}<details><summary>全{total}件の一覧 / all {total} lines</summary>{listing}</details>"


def _missing_explained(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each flagged point with the missing count that explains its flags (RC01/RC03 confirmed, RC02/RC04
    preliminary), the slots the TSO marked not provided shown apart."""
    out = []
    for r in rows:
        flags = set((r["flags"] or "").split(","))
        out.append(
            {
                **r,
                "missing_confirmed": r["missing_slots"] if flags & {"RC01", "RC03"} else None,
                "missing_preliminary": r["missing_preliminary_slots"] if flags & {"RC02", "RC04"} else None,
            }
        )
    return out


def _invoiced(area: dict[str, Any]) -> float | None:
    return float(area["invoiced_yen"]) if area["invoice_lines"] else None


def render_html(result: ReconciliationResult) -> str:
    """The whole HTML report as one string: the money first, then the data checks behind it."""
    month = result.month.strftime("%Y-%m")
    areas = result.by_area()
    charges = result.charges.to_pylist()
    computed = [r for r in charges if r["status"] == "computed"]
    computed.sort(key=lambda r: (-(r["total_yen"] or 0), r["supply_point_id"]))
    total_yen = sum((a["total_yen"] for a in areas), Decimal(0))
    invoiced_yen = sum((a["invoiced_yen"] for a in areas), Decimal(0))
    not_computed = sum(a["charges_not_computed"] for a in areas)
    differing = result.differing_lines()
    missing = sum(a["missing_slots"] for a in areas)
    demand_flagged = [r for r in result.demand.to_pylist() if r["flags"]]
    top = _missing_explained(result.largest_discrepancies(10))
    has_invoice = result.differences is not None
    cards = "".join(
        [
            _card(f"¥{invoiced_yen:,.0f}" if has_invoice else "—", "請求額 invoiced by the TSOs"),
            _card(f"¥{total_yen:,.0f}", "再計算額 recomputed (computed lines)"),
            _card(
                _signed_yen(invoiced_yen - total_yen) if has_invoice else "—",
                "差額 invoiced − recomputed",
                has_invoice and invoiced_yen != total_yen,
            ),
            _card(str(len(differing)), "差異のある明細 invoice lines to check", bool(differing)),
            _card(f"{len(computed)} / {len(charges)}", "計算済み lines computed"),
            _card(str(not_computed), "未計算 not computed", not_computed > 0),
            _card(
                str(result.discrepancy_count),
                f"kWh 許容差超過 over tolerance (±{result.tolerance_kwh} kWh)",
                result.exceeds_tolerance,
            ),
            _card(f"{missing:,}", "確定値の欠測コマ missing confirmed slots", missing > 0),
        ]
    )
    money_bars = svg.paired_bars(
        [(_area_label(a["area_code"]), _invoiced(a), float(a["total_yen"])) for a in areas],
        ("請求 invoiced", "再計算 recomputed"),
        "エリア別 請求額と再計算額 Invoiced and recomputed wheeling charges by area",
        "円",
    )
    area_rows = [{**a, "area": _area_label(a["area_code"])} for a in areas]
    differing_bars = svg.bar_chart(
        [(r["supply_point_id"], float(r["difference_yen"])) for r in differing if r["difference_yen"] is not None][:15],
        "差額の大きい明細 Largest differences (invoiced − recomputed)",
        "円",
        width=820,
    )
    discrepancy_bars = svg.bar_chart(
        [(r["supply_point_id"], float(r["largest_diff_kwh"])) for r in top],
        "差異の大きい供給地点 Largest kWh differences (|kWh|)",
        "kWh",
        width=820,
    )
    legend = [{"id": k, "column": v[0], "en": v[1], "ja": v[2]} for k, v in FLAGS.items()]
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    invoice_note = (
        ""
        if has_invoice
        else "<p class='note'>この月の請求明細は未取込です / no TSO invoice detail (tso_invoice_lines) is loaded for "
        "this month: drop the file in the inbox or run <code>takuso ingest</code>.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<title>託送料金 照合レポート Wheeling-charge reconciliation {month}</title>
<style>{CSS}</style></head><body>
<h1>託送料金 照合レポート / Wheeling-charge reconciliation — {month}</h1>
<p class="note">対象期間 window {result.window_start} – {result.window_end} · 許容差 tolerance ±{
        result.tolerance_kwh
    } kWh · 請求照合 ±1 円 · 作成 generated {generated} · 金額は税込 amounts are tax included (§9)</p>
<div class="cards">{cards}</div>

<h2>1. 請求額と再計算額 / Invoiced against recomputed, by area</h2>
{invoice_note}
{money_bars}
{
        _table(
            area_rows,
            [
                ("area", "area / エリア"),
                ("invoice_lines", "invoice lines / 請求明細"),
                ("invoiced_yen", "invoiced / 請求額 (円)"),
                ("total_yen", "recomputed / 再計算額 (円)"),
                ("invoiced_minus_recomputed", "difference / 差額 (円)"),
                ("lines_differing", "lines to check / 要確認"),
                ("charges_computed", "computed / 計算済"),
                ("charges_not_computed", "not computed / 未計算"),
            ],
        )
    }

<h2>2. 差異のある明細 / Invoice lines that differ (largest first)</h2>
<p class="note">差額 = 請求 − 再計算。原因は最初に異なる項目 (契約電力, 時間帯別電力量, 日割, 単価, 力率, 割引)。
The cause is the first component that differs: contract quantity, kWh per band, pro-rating, unit price,
power factor, discount. ±1 yen is sen rounding and counts as a match.</p>
{differing_bars if any(r["difference_yen"] for r in differing) else ""}
{
        _table(
            differing,
            [
                ("supply_point_id", "supply point / 供給地点"),
                ("area_code", "area / エリア"),
                ("status", "status / 状態"),
                ("invoiced_total_yen", "invoiced / 請求 (円)"),
                ("recomputed_total_yen", "recomputed / 再計算 (円)"),
                ("difference_yen", "difference / 差額 (円)"),
                ("cause", "cause / 原因"),
                ("source_line", "invoice line / 明細行"),
            ],
        )
    }

<h2>3. 託送料金明細 / Computed charges (largest first)</h2>
<p class="note">基本料金 + 力率調整 + 電力量料金 + 契約超過金 − 制限中止割引, 合計は円未満切り捨て.
Click a line's detail for its arithmetic. 単価の確度 rates: confirmed (the TSO's own), secondary (restated),
user (your file), example (demo only).</p>
{_charge_table(computed)}

<h2>4. 未計算 / Charges not computed, by reason</h2>
{_not_computed(result)}

<h2>5. kWh の差異 / Largest kWh discrepancies</h2>
<p class="note">月間確定使用量と30分値合計の差 (kWh)。RC01/RC03 は確定値の欠測コマ, RC02/RC04 は速報値の欠測コマで説明。
提供なし (提供可否 '1') のコマは欠測とは別に示す。Monthly total minus the sum of 30-minute values; the missing
count beside each flag explains it (confirmed slots for RC01/RC03, preliminary for RC02/RC04); slots the
TSO marked "not provided" (availability code 1) are shown apart.</p>
{discrepancy_bars}
{
        _table(
            top,
            [
                ("supply_point_id", "supply point / 供給地点特定番号"),
                ("area_code", "area / エリア"),
                ("monthly_kwh", "monthly / 月間確定"),
                ("monthly_kwh_whole", "whole / 全量"),
                ("diff_confirmed_kwh", "diff confirmed / 差 (確定)"),
                ("missing_confirmed", "missing confirmed / 確定欠測コマ"),
                ("diff_preliminary_kwh", "diff preliminary / 差 (速報)"),
                ("missing_preliminary", "missing preliminary / 速報欠測コマ"),
                ("not_provided_slots", "not provided conf. / 提供なし確定"),
                ("not_provided_preliminary_slots", "not provided prel. / 提供なし速報"),
                ("flags", "flags / フラグ"),
            ],
        )
    }

<h2>6. 日別電力量と負荷曲線 / Daily energy and load curves</h2>
{_daily_charts(result)}

<h2>7. 欠測 / Gaps (usage_gaps)</h2>
<p class="note">1日48コマに対する未受信コマ数。Missing slots out of 48 per day; GP01 partial day, GP02 only in the other
data class, GP03 missing in both. Top {HEATMAP_ROWS} points.</p>
{_heatmaps(result)}

<h2>8. 契約電力チェック / Contract kW check (contract_demand_check)</h2>
{
        _table(
            demand_flagged,
            [
                ("supply_point_id", "supply point / 供給地点"),
                ("determination_kind", "kind / 算定区分"),
                ("tso_contract_kw", "TSO contract kW / 契約電力"),
                ("tso_lookback_max_kw", "Form 2 max kW / 内訳最大"),
                ("recomputed_contract_kw", "recomputed kW / 再計算"),
                ("recomputed_months", "months / 月数"),
                ("flags", "flags / フラグ"),
            ],
        )
    }

<h2>9. フラグ一覧 / Flags</h2>
{_table(legend, [("id", "id"), ("column", "column / 列"), ("en", "meaning"), ("ja", "意味")])}
</body></html>
"""
