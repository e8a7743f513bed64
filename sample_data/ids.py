"""Synthetic supply and receiving point ids (供給地点特定番号 / 受電地点特定番号) for sample data.

A point id is 22 ASCII digits whose first two are the area code (エリアコード, '01'..'10'). Sample ids are
the area code followed by ``n`` zero-padded to 20 digits, so every generator (BP XML, CSV forms) that
uses these helpers agrees on the same points. Receiving (generation) points use ``n + 900000`` so they
never collide with supply (demand) points.
"""

from __future__ import annotations

AREA_CODES: tuple[str, ...] = tuple(f"{i:02d}" for i in range(1, 11))
RECEIVING_POINT_OFFSET = 900_000
HIGH_VOLTAGE_POINT_OFFSET = 100  # high-voltage (実量制) points are n + 100, low-voltage points n
_MAX_N = 10**20


def supply_point_id(area: str, n: int) -> str:
    """The sample supply point id number ``n`` of ``area``: ``supply_point_id('03', 7)`` →
    ``'0300000000000000000007'``."""
    if area not in AREA_CODES:
        raise ValueError(f"unknown area code {area!r}; expected '01'..'10'")
    if not 0 <= n < _MAX_N:
        raise ValueError(f"point number {n} out of range 0..{_MAX_N - 1}")
    return f"{area}{n:020d}"


def receiving_point_id(area: str, n: int) -> str:
    """The sample receiving point id number ``n`` of ``area`` (n + 900000, distinct from supply points)."""
    return supply_point_id(area, n + RECEIVING_POINT_OFFSET)
