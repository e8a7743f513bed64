"""Rounding (端数処理, hasū shori) exactly as wheeling-charges.md §9 says.

* kW, kVA, kWh and power factor (%): round half up at the 1st decimal, to a whole unit.
* Line amounts keep 銭 (sen, 1/100 yen).
* The total charge amount is truncated to whole yen.

Python's built-in ``round()`` rounds half to even and is never used for these (§9).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ONE = Decimal("1")
SEN = Decimal("0.01")


def round_quantity(value: Decimal) -> Decimal:
    """kW / kVA / kWh / % to a whole unit, half up (四捨五入): 2.5 → 3, 2.49 → 2 (§9)."""
    return value.quantize(ONE, rounding=ROUND_HALF_UP)


def to_sen(value: Decimal) -> Decimal:
    """A line amount (基本料金, 電力量料金, …) kept in 銭 (sen, 0.01 yen).

    Assumed (§9 says only that line amounts keep sen): an amount with more than two decimals (for example
    a pro-rated basic charge) is rounded half up to the sen.
    """
    return value.quantize(SEN, rounding=ROUND_HALF_UP)


def truncate_yen(value: Decimal) -> Decimal:
    """The total (料金合計) truncated to whole yen (切り捨て): 3951.99 → 3951 (§9)."""
    return value.quantize(ONE, rounding=ROUND_DOWN)
