"""Every *assumed* rule of the wheeling-charge calculation, each in one named place (wheeling-charges.md).

The spec marks these as **assumed** (a deduction or a project decision). Each constant or function below
cites its section so a billing team can check it against the TSO tariff (託送供給等約款) and change it here,
and only here.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

# §3: pf_multiplier = (PF_BASE − PF) / 100, i.e. 85 % is neutral. Confirmed for the Chubu
# high-voltage retail page; assumed identical in the TSO tariff.
PF_BASE = Decimal("185")

# §3 (open question §13.2): no floor, no cap and no default power factor is known. Assumed: when the
# power factor is missing on a point whose tariff row applies the adjustment, no adjustment is made
# (multiplier 1, as if PF were 85 %) and the charge line says so in its note.
PF_MISSING_MULTIPLIER = Decimal("1")

# §5: 30-minute kW = 30-minute kWh × 2 (assumed; the TSO may apply multipliers or loss corrections).
KW_PER_SLOT_KWH = Decimal("2")

# §5: contract kW of month m = max(maximum demand of m, m−1 … m−11): this month plus 11 look-back months.
CONTRACT_KW_LOOKBACK_MONTHS = 11

# §6 (assumed, "a common form"): excess kW × basic unit price × 1.5 × PF multiplier.
CONTRACT_EXCESS_MULTIPLIER = Decimal("1.5")

# §7: 4 % of the PF-adjusted basic charge per counted day, unless Form 3 gives the rate.
CURTAILMENT_RATE_PER_DAY = Decimal("0.04")

# §7: the discount applies only for months up to the area's configured ``curtailment_discount_until``
# (the last month, first day, for which it can apply). TEPCO PG (03) abolished it in the tariff effective
# 2024-04-01 and Chubu PG (04) kept a transition up to 2025-03-31 (both confirmed by public source). The
# other TSOs are *assumed* to have followed with the 2024-04 tariffs ("assumed to follow", §7).
CURTAILMENT_DISCOUNT_UNTIL: dict[str, date] = {
    "01": date(2024, 3, 1),
    "02": date(2024, 3, 1),
    "03": date(2024, 3, 1),
    "04": date(2025, 3, 1),
    "05": date(2024, 3, 1),
    "06": date(2024, 3, 1),
    "07": date(2024, 3, 1),
    "08": date(2024, 3, 1),
    "09": date(2024, 3, 1),
    "10": date(2024, 3, 1),
}

# §10.1: a period is pro-rated (日割) when its day count differs from the reference month's by MORE THAN
# this many days. Some tariffs use "≥ 36 or ≤ 24 days" instead; change ``needs_prorating`` for those.
PRORATE_TOLERANCE_DAYS = 5

# bp-xml.md / warehouse-contract.md: 48 slots a day (JST has no daylight saving time).
SLOTS_PER_DAY = 48


def reference_month_days(target_month: date) -> int:
    """Days of the reference month for pro-rating (§10.1).

    Assumed: the reference month is the billing month (``target_month``, JP06401) of the period.
    """
    return calendar.monthrange(target_month.year, target_month.month)[1]


def needs_prorating(period_days: int, reference_days: int) -> bool:
    """True when the period's day count differs from the reference month's by more than 5 days (§10.1)."""
    return abs(period_days - reference_days) > PRORATE_TOLERANCE_DAYS


def curtailment_applies(area_code: str, target_month: date, until: dict[str, date] | None = None) -> bool:
    """Whether the 制限中止割引 (curtailment discount) can apply to ``target_month`` in an area (§7)."""
    last = (until if until is not None else CURTAILMENT_DISCOUNT_UNTIL).get(area_code)
    return last is not None and target_month.replace(day=1) <= last


# Assumed: when a contract does not give its basis (Form 2 or the default menu), the basic charge is the
# menu's row priced per kW (実量契約), because contract kW is what the data gives (§5, Form 2).
DEFAULT_CONTRACT_BASIS = "kW"

# Assumed project decision: the contract-excess charge (契約超過金, §6) applies to points whose Form 2
# determination_kind is this value (協議, negotiated contract kW).
CONTRACT_EXCESS_KIND = "negotiated"
