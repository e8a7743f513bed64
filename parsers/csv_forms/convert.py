"""Typed conversion of one cell per canonical type (型変換), csv-forms.md §6.6.

``convert(type_name, text)`` returns the typed value or raises :class:`ValueParseError`.
Non-negativity (非負) is part of the type: kWh, kW, hours, days and rates may not be negative; yen may.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from parsers.csv_forms.normalize import (
    ValueParseError,
    fit_decimal,
    parse_date,
    parse_decimal,
    parse_month,
    parse_point_id,
    parse_rate,
    parse_slot,
    parse_timestamp,
)
from parsers.csv_forms.problems import Rule

SLOT_MIN, SLOT_MAX = 1, 48
QUANTITY_PRECISION, QUANTITY_SCALE = 18, 6  # kWh, kW, hours: DECIMAL(18,6)
YEN_PRECISION, YEN_SCALE = 18, 2  # yen with sen (銭): DECIMAL(18,2)
RATE_PRECISION, RATE_SCALE = 9, 6  # fractions: DECIMAL(9,6)
SMALLINT_MAX = 32767

ARROW_TYPES: dict[str, pa.DataType] = {
    "point_id": pa.string(),
    "string": pa.string(),
    "date": pa.date32(),
    "month": pa.date32(),
    "slot": pa.int8(),
    "quantity": pa.decimal128(QUANTITY_PRECISION, QUANTITY_SCALE),
    "yen": pa.decimal128(YEN_PRECISION, YEN_SCALE),
    "rate": pa.decimal128(RATE_PRECISION, RATE_SCALE),
    "days": pa.int16(),
    "items": pa.string(),
    "timestamp": pa.timestamp("s"),
}


def _non_negative(value: Decimal, text: str) -> Decimal:
    if value < 0:
        raise ValueParseError(Rule.NEGATIVE, f"{text!r} is negative; this quantity may not be")
    return value


def _quantity(text: str) -> Decimal:
    value = fit_decimal(parse_decimal(text), QUANTITY_SCALE, QUANTITY_PRECISION, text)
    return _non_negative(value, text)


def _check_total(text: str) -> Decimal:
    return fit_decimal(parse_decimal(text), QUANTITY_SCALE, QUANTITY_PRECISION, text)


def _yen(text: str) -> Decimal:
    return fit_decimal(parse_decimal(text), YEN_SCALE, YEN_PRECISION, text)


def _rate(text: str) -> Decimal:
    return _non_negative(fit_decimal(parse_rate(text), RATE_SCALE, RATE_PRECISION, text), text)


def _days(text: str) -> int:
    try:
        value = parse_decimal(text)
    except ValueParseError:
        raise ValueParseError(Rule.BAD_INTEGER, f"{text!r} is not a whole number of days") from None
    if value != value.to_integral_value() or abs(value) > SMALLINT_MAX:
        raise ValueParseError(Rule.BAD_INTEGER, f"{text!r} is not a whole number of days")
    _non_negative(value, text)
    return int(value)


def _items(text: str) -> str:
    """定額 lamps and appliances: ``20W以下=2;50VA以下=1`` (size=count, counts whole and ≥ 0, no size twice).

    Returned in the same text form with the parts trimmed; the sizes are the tariff's (reconcile/contract.py).
    """
    sizes: dict[str, str] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        size, sep, count = part.partition("=")
        size, count = size.strip(), count.strip()
        if not sep or not size or not count.isascii() or not count.isdigit():
            raise ValueParseError(Rule.BAD_ITEMS, f"item {part!r} is not size=count (e.g. 20W以下=2)")
        if size in sizes:
            raise ValueParseError(Rule.BAD_ITEMS, f"size {size!r} is given twice")
        sizes[size] = str(int(count))
    return ";".join(f"{size}={count}" for size, count in sizes.items())


def _slot(text: str) -> int:
    slot = parse_slot(text)
    check_slot(slot, text)
    return slot


def check_slot(slot: int, text: str) -> None:
    """Slot must be 1..48 (CSV016)."""
    if not SLOT_MIN <= slot <= SLOT_MAX:
        raise ValueParseError(Rule.BAD_SLOT, f"slot {text!r} out of range {SLOT_MIN}–{SLOT_MAX}")


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "point_id": parse_point_id,
    "string": str,
    "date": parse_date,
    "month": parse_month,
    "slot": _slot,
    "quantity": _quantity,
    "yen": _yen,
    "rate": _rate,
    "days": _days,
    "items": _items,
    "timestamp": parse_timestamp,
    "check_total": _check_total,
}


def convert(type_name: str, text: str) -> Decimal | date | datetime | int | str:
    """Convert normalized, non-NULL ``text`` to the Python value of ``type_name``."""
    return CONVERTERS[type_name](text)
