"""A supply point's wheeling contract (接続送電サービス契約) as plain data: the charge calculator's input.

The retailer knows each point's contract from its own systems (the contract register,
``supply_point_contracts``), from Form 2 (契約電力算定結果内訳, contract kW of 実量制 points) or, failing
both, from the tariff's default menu. Whoever reads those sources builds ``SupplyPointContract`` values
and hands them to the calculator (``reconcile.charges.ChargeInput.contracts``); the calculator never
reads a table itself.

One value covers one validity period (``valid_from`` .. ``valid_to``, both inclusive, ``None`` = open).
A point whose contract changes inside a billing period has two values; the calculator splits the period
at the change and pro-rates by days (日割, wheeling-charges.md §10.1). ``supply_start`` / ``supply_end``
(供給開始日 / 供給終了日, both inclusive) cut the billing period and also pro-rate it.

``contract_basis`` says what the basic charge (基本料金) is priced on:

========================  ===============================================================================
``kW``                    契約電力 (実量契約, 協議): ``contract_quantity`` kW, rounded half up to 1 kW
``kVA``                   SB・主開閉器契約: ``contract_quantity`` kVA, rounded half up to 1 kVA
``A``                     SB契約 (アンペア): ``contract_quantity`` amperes; priced per contract of that size
``main_switch_kW``        主開閉器契約 of 動力 (low-voltage power), priced per kW
``lamp`` / ``appliance``  定額 (flat rate): no quantity; ``items`` gives the count of each lamp and
                          appliance size (電灯料金 per lamp, 小型機器料金 per appliance)
========================  ===============================================================================

``items`` maps the size of a lamp or appliance, written as in the tariff's ``size`` column (for example
``20W以下``, ``50VA以下``, ``100W超50Wまでごと``), to how many the point has. A 150 W lamp is one
``100W以下`` plus one ``100W超50Wまでごと``. As text (a CSV cell) the items are ``20W以下=2;50VA以下=1``
(``format_items`` / ``parse_items``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# contract_basis values (契約種別) → what the quantity is
CONTRACT_BASES: dict[str, str] = {
    "kW": "契約電力 kW (実量契約・協議)",
    "kVA": "SB・主開閉器契約 kVA",
    "A": "SB契約 アンペア (per contract of that size)",
    "main_switch_kW": "主開閉器契約 kW (動力)",
    "lamp": "定額 電灯 (per lamp)",
    "appliance": "定額 小型機器 (per appliance)",
}
FLAT_RATE_BASES = ("lamp", "appliance")  # 定額: priced per lamp or appliance, no contract quantity

# where a contract came from, in the order the calculation prefers them (the charge line says which)
SOURCE_REGISTER = "supply_point_contracts"  # the retailer's contract register
SOURCE_FORM2 = "contract_demand_breakdown"  # Form 2: contract kW of 実量制 points
SOURCE_DEFAULT_MENU = "default_menu"  # the tariff's default menu for the area and voltage (assumed)


@dataclass(frozen=True)
class SupplyPointContract:
    """One supply point's wheeling contract (接続送電サービス契約) for one validity period."""

    supply_point_id: str  # 供給地点特定番号, 22 digits
    area_code: str  # '01'..'10'
    service_menu: str  # 接続送電サービス as named in the tariff, e.g. 電灯標準接続送電サービス
    contract_basis: str | None = None  # a key of CONTRACT_BASES; None → kW (rules.DEFAULT_CONTRACT_BASIS)
    contract_quantity: Decimal | None = None  # kW / kVA / A before rounding; None for 定額 or when unknown
    items: Mapping[str, int] = field(default_factory=dict)  # 定額: size (20W以下, 50VA以下, …) → count
    supply_start: date | None = None  # 供給開始日, first day supplied (None: before any period)
    supply_end: date | None = None  # 供給終了日, last day supplied (None: still supplied)
    valid_from: date | None = None  # first day this contract applies (None: open start)
    valid_to: date | None = None  # last day this contract applies (None: open end)
    source: str = SOURCE_REGISTER  # SOURCE_REGISTER, SOURCE_FORM2 or SOURCE_DEFAULT_MENU (or a file name)

    def applies_on(self, day: date) -> bool:
        """True when this contract is in force and the point is supplied on ``day``."""
        starts = [d for d in (self.valid_from, self.supply_start) if d is not None]
        ends = [d for d in (self.valid_to, self.supply_end) if d is not None]
        return all(day >= d for d in starts) and all(day <= d for d in ends)

    @property
    def is_flat_rate(self) -> bool:
        """定額: priced per lamp or appliance."""
        return self.contract_basis in FLAT_RATE_BASES


def parse_items(text: str | None) -> dict[str, int]:
    """``"20W以下=2;50VA以下=1"`` → ``{"20W以下": 2, "50VA以下": 1}``; empty text → ``{}``.

    Raises ``ValueError`` on a part without ``=``, a count that is not a whole number ≥ 0, or a size
    given twice.
    """
    items: dict[str, int] = {}
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        size, sep, count = part.partition("=")
        size, count = size.strip(), count.strip()
        if not sep or not size or not count.isdigit():
            raise ValueError(f"lamp/appliance item {part!r}: expected size=count, e.g. 20W以下=2")
        if size in items:
            raise ValueError(f"lamp/appliance size {size!r} is given twice")
        items[size] = int(count)
    return items


def format_items(items: Mapping[str, int]) -> str:
    """The text form of ``items``: ``{"20W以下": 2}`` → ``"20W以下=2"`` (sizes in the given order)."""
    return ";".join(f"{size}={count}" for size, count in items.items())


def _decimal(value: object) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _date(value: object) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def contract_from_record(rec: Mapping[str, object], source: str = SOURCE_REGISTER) -> SupplyPointContract:
    """A contract from one row of the register (``supply_point_contracts``: column → value).

    Reads the columns ``supply_point_id, area_code, service_menu, contract_basis, contract_quantity,
    items`` (text, ``parse_items``), ``supply_start, supply_end, valid_from, valid_to``; a column that is
    absent or NULL is taken as not given.
    """
    items = rec.get("items")
    return SupplyPointContract(
        supply_point_id=str(rec["supply_point_id"]),
        area_code=str(rec["area_code"]),
        service_menu=str(rec["service_menu"]),
        contract_basis=str(rec["contract_basis"]) if rec.get("contract_basis") else None,
        contract_quantity=_decimal(rec.get("contract_quantity")),
        items=items if isinstance(items, Mapping) else parse_items(str(items) if items else None),
        supply_start=_date(rec.get("supply_start")),
        supply_end=_date(rec.get("supply_end")),
        valid_from=_date(rec.get("valid_from")),
        valid_to=_date(rec.get("valid_to")),
        source=source,
    )
