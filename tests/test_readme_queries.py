"""Every SQL query in README.md runs on a sample warehouse and gives the numbers the sample data implies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest

from bench.query import readme_queries
from core.paths import WarehouseLayout
from reconcile.checks import catalog_views
from sample_data.bp import Scenario, build_scenario, write_area
from warehouse.ingest import ingest
from warehouse.runs import sources_for

SEED = 5
SAMPLE_MONTH = date(2025, 10, 1)  # the month the README's examples name
DAY10 = SAMPLE_MONTH + timedelta(days=9)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[WarehouseLayout, Scenario]:
    root = tmp_path_factory.mktemp("readme")
    files = write_area(root / "in" / "03", "03", SAMPLE_MONTH, seed=SEED)
    broken = root / "in" / "03" / "W41120202510300000000000.xml"
    broken.write_text("<not-bp/>", encoding="utf-8")
    layout = WarehouseLayout(root / "wh")
    ingest(sources_for([*files, broken], "03", "default"), layout, workers=1, extra_views=[catalog_views()])
    return layout, build_scenario("03", SAMPLE_MONTH, SEED)


def run(layout: WarehouseLayout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        return con.execute(sql).fetchall()


def billable(sc: Scenario, day: date) -> Decimal:
    """Σ of the day's billable confirmed kWh: 60 % of each value (to 0.1) for the split point, else the value."""
    total = Decimal(0)
    for p in sc.points:
        if not p.provided:
            continue
        values = sc.confirmed[(p.id, day)]
        total += sum((v * Decimal("0.6")).quantize(Decimal("0.1")) for v in values) if p.split else sum(values)
    return total


def test_the_readme_has_the_queries_this_test_checks() -> None:
    assert len(readme_queries()) == 7


def test_every_readme_query_runs(warehouse: tuple[WarehouseLayout, Scenario]) -> None:
    layout, _ = warehouse
    for title, sql in readme_queries().items():
        try:
            run(layout, sql)
        except duckdb.Error as exc:
            pytest.fail(f"README query {title!r} fails: {exc}")


def test_daily_totals_count_a_split_point_once(warehouse: tuple[WarehouseLayout, Scenario]) -> None:
    layout, sc = warehouse
    rows = run(layout, readme_queries()["daily energy per area, preliminary against confirmed"])
    confirmed = {d: kwh for area, d, cls, kwh in rows if cls == "confirmed" and area == "03"}
    assert confirmed == {d: billable(sc, d) for d in sc.days()}
    assert {cls for _, _, cls, _ in rows} == {"preliminary", "confirmed"}


def test_monthly_totals_per_area(warehouse: tuple[WarehouseLayout, Scenario]) -> None:
    layout, sc = warehouse
    [(area, month, kwh, points)] = run(layout, readme_queries()["monthly billable energy per area"])
    assert (area, month, points) == ("03", SAMPLE_MONTH, len(sc.points))  # one row per point, split or not
    assert kwh == sum((billable(sc, d) for d in sc.days()), Decimal(0))


def test_load_curve_of_one_day(warehouse: tuple[WarehouseLayout, Scenario]) -> None:
    layout, sc = warehouse
    rows = run(layout, readme_queries()["a supply point's load curve on one day (JST)"])
    assert [kwh for _, kwh in rows] == sc.confirmed[("0300000000000000000001", DAY10)]
    assert rows[0][0].isoformat() == "2025-10-10T00:00:00" and rows[-1][0].isoformat() == "2025-10-10T23:30:00"


def test_top_consumers_of_a_week(warehouse: tuple[WarehouseLayout, Scenario]) -> None:
    layout, _ = warehouse
    rows = run(layout, readme_queries()["the ten largest consumers of a week"])
    expected = run(
        layout,
        """SELECT supply_point_id, sum(kwh) FROM (
             SELECT supply_point_id, usage_date, slot, kwh FROM interval_usage_history
             WHERE data_class = 'preliminary' AND usage_date BETWEEN DATE '2025-10-08' AND DATE '2025-10-14'
             QUALIFY row_number() OVER (PARTITION BY supply_point_id, usage_date, slot
                                        ORDER BY message_kind LIKE '%daily' DESC, revision DESC) = 1)
           GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10""",
    )
    assert rows == expected and len(rows) == 6  # the sample area has 6 points


def test_revised_values_show_both_revisions(warehouse: tuple[WarehouseLayout, Scenario]) -> None:
    layout, sc = warehouse
    rows = run(layout, readme_queries()["which values did a revised file change?"])
    fixed = sc.points[-1]
    assert {r[0] for r in rows} == {fixed.id}
    by_rev = {(slot, rev): kwh for _, slot, rev, kwh, _ in rows}
    assert by_rev[(21, 0)] == Decimal("99.9")  # revision 00 was wrong
    assert by_rev[(21, 1)] == sc.confirmed[(fixed.id, DAY10)][20]  # revision 01 corrected it
    [(current,)] = run(
        layout,
        f"SELECT kwh FROM interval_usage WHERE supply_point_id = '{fixed.id}' AND usage_date = DATE '{DAY10}' "
        "AND slot = 21 AND data_class = 'preliminary'",
    )
    assert current == by_rev[(21, 1)]


def test_reconciliation_and_rejected_files(warehouse: tuple[WarehouseLayout, Scenario]) -> None:
    layout, _ = warehouse
    queries = readme_queries()
    flagged = run(layout, queries["monthly totals that do not match their 30-minute values"])
    assert flagged  # the sample misses two preliminary slots of the first low-voltage point (RC04)
    [(name, area, error)] = run(layout, queries["what was rejected, and why"])
    assert (name, area) == ("W41120202510300000000000.xml", "03") and "BP" in error
