"""Property: any rows written in either encoding and layout parse back to the same exact values."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.csv_forms import read_form
from sample_data.csv_forms import (
    AllocatedEnergyRow,
    DemandBreakdownRow,
    FileVariant,
    render_allocated_energy,
    render_demand_breakdown,
)
from sample_data.ids import receiving_point_id, supply_point_id

AREA = "05"
quantities = st.decimals(min_value=0, max_value=Decimal("99999999.999999"), places=6, allow_nan=False)
variants = st.builds(
    FileVariant,
    encoding=st.sampled_from(["cp932", "utf-8-sig"]),
    newline=st.sampled_from(["\r\n", "\n"]),
    layout=st.sampled_from(["wide", "long"]),
    header_variant=st.sampled_from([0, 1]),
    title=st.booleans(),
)


@st.composite
def energy_rows(draw: st.DrawFn) -> list[AllocatedEnergyRow]:
    day0 = draw(st.dates(min_value=date(2016, 4, 1), max_value=date(2030, 12, 1)))
    cells = draw(
        st.dictionaries(
            st.tuples(st.integers(1, 3), st.integers(0, 2), st.integers(1, 48)),
            quantities,
            min_size=1,
            max_size=40,
        )
    )
    return [
        AllocatedEnergyRow(
            receiving_point_id(AREA, p),
            day0 + timedelta(days=d),
            slot,
            kwh,
            "1",
            supply_point_id(AREA, p),
            "G1",
            "テスト発電所",
            "1",
            "confirmed",
        )
        for (p, d, slot), kwh in sorted(cells.items())
    ]


@settings(max_examples=60, deadline=None)
@given(rows=energy_rows(), variant=variants)
def test_form1_values_round_trip(rows: list[AllocatedEnergyRow], variant: FileVariant) -> None:
    data = render_allocated_energy(rows, variant, area=AREA, billing_month=rows[0].usage_date.replace(day=1))
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        result = read_form(path, AREA)
    assert [p for p in result.errors] == []
    assert result.table is not None
    got = {
        (r["receiving_point_id"], r["usage_date"], r["slot"]): r["kwh"]
        for r in result.table.to_pylist()
        if r["kwh"] is not None
    }
    assert got == {(r.receiving_point_id, r.usage_date, r.slot): r.kwh for r in rows}
    assert all(isinstance(v, Decimal) for v in got.values())


@st.composite
def breakdown_rows(draw: st.DrawFn) -> list[DemandBreakdownRow]:
    billing = draw(st.dates(min_value=date(2016, 4, 1), max_value=date(2030, 12, 1))).replace(day=1)
    out = []
    for p in range(1, draw(st.integers(1, 3)) + 1):
        n = draw(st.integers(1, 12))
        demand = [draw(quantities) for _ in range(n)]
        corrected = [draw(st.none() | quantities) for _ in range(n)]
        contract = max(c if c is not None else d for c, d in zip(corrected, demand, strict=True))
        for i in range(n):
            month = date(billing.year - (billing.month - 1 - i < 0), (billing.month - 1 - i) % 12 + 1, 1)
            out.append(
                DemandBreakdownRow(
                    supply_point_id(AREA, p),
                    billing,
                    month,
                    demand[i],
                    corrected[i],
                    contract,
                    "実量",
                    None,
                    "M",
                )
            )
    return out


@settings(max_examples=60, deadline=None)
@given(rows=breakdown_rows(), variant=variants)
def test_form2_values_round_trip(rows: list[DemandBreakdownRow], variant: FileVariant) -> None:
    data = render_demand_breakdown(rows, variant, area=AREA, billing_month=rows[0].billing_month)
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        result = read_form(path, AREA)
    assert result.errors == []
    assert result.table is not None
    got = {
        (r["supply_point_id"], r["lookback_month"]): (
            r["max_demand_kw"],
            r["corrected_max_demand_kw"],
            r["contract_kw"],
        )
        for r in result.table.to_pylist()
    }
    assert got == {
        (r.supply_point_id, r.lookback_month): (r.max_demand_kw, r.corrected_max_demand_kw, r.contract_kw) for r in rows
    }
