"""Normalization and parsing of header cells and values (正規化・値の解釈), csv-forms.md §6.4 and §6.6.

Pure functions. Parsers return the typed value, ``None`` for NULL, or raise :class:`ValueParseError`
carrying the rule that was broken.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from parsers.csv_forms.problems import Rule

NULL_TOKENS = frozenset({"", "-", "－", "―"})  # 空欄・ハイフン → NULL (checked after NFKC too)
NEGATIVE_MARKS = ("▲", "△")  # 会計上のマイナス記号

_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_POINT_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー]")
_POINT_ID = re.compile(r"[0-9]{22}")

# era (元号) → year offset: 令和 N = 2018 + N, 平成 N = 1988 + N (§6.6)
ERA_OFFSETS: dict[str, int] = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_ERA = r"(?P<era>令和|平成|[RH])\s*(?P<ey>元|[0-9]{1,2})"
_SEP = r"\s*[/.\-年]\s*"
_DATE_PATTERNS = (
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
    re.compile(r"(?P<y>[0-9]{4})\s*[/.\-]\s*(?P<m>[0-9]{1,2})\s*[/.\-]\s*(?P<d>[0-9]{1,2})"),
    re.compile(r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*日"),
    re.compile(_ERA + r"\s*[/.\-年]\s*(?P<m>[0-9]{1,2})\s*[/.\-月]\s*(?P<d>[0-9]{1,2})\s*日?"),
)
_MONTH_PATTERNS = (
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})"),
    re.compile(r"(?P<y>[0-9]{4})\s*[/.\-]\s*(?P<m>[0-9]{1,2})"),
    re.compile(r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月(?:分)?"),
    re.compile(_ERA + _SEP + r"(?P<m>[0-9]{1,2})\s*月?(?:分)?"),
)
_TIME = re.compile(r"(?P<h>[0-9]{1,2})\s*[:時]\s*(?P<mi>[0-9]{2})(?:\s*[:分]\s*(?P<s>[0-9]{2})秒?)?分?")
_COMPACT_TS = re.compile(r"(?P<d>[0-9]{8})(?P<h>[0-9]{2})(?P<mi>[0-9]{2})(?P<s>[0-9]{2})?")


class ValueParseError(ValueError):
    """A value does not parse; ``rule`` says which rule it breaks."""

    def __init__(self, rule: Rule, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def nfkc(text: str) -> str:
    """Unicode NFKC (全角英数字・記号 → 半角)."""
    return unicodedata.normalize("NFKC", text)


def normalize_header(cell: str) -> str:
    """Header cell (見出し) → match key: NFKC, all whitespace and surrounding quotes removed, casefolded."""
    key = _WS.sub("", nfkc(cell))
    key = key.strip("\"'")
    return key.casefold()


def normalize_value(cell: str) -> str | None:
    """Value cell (値) → NFKC and trimmed text, or ``None`` for NULL (空欄, ``-``, ``－``, ``―``)."""
    text = nfkc(cell).strip()
    return None if text in NULL_TOKENS else text


def parse_decimal(text: str) -> Decimal:
    """Exact decimal (10進数, never float): thousands separators removed, ``▲``/``△`` means negative.

    A trailing ``%`` is not accepted here (see :func:`parse_rate`).
    """
    raw = text.replace(",", "").replace(" ", "")
    negative = False
    if raw.startswith(NEGATIVE_MARKS):
        negative = True
        raw = raw[1:]
    if not _NUMBER.fullmatch(raw) or (negative and raw[:1] in "+-"):
        raise ValueParseError(Rule.BAD_NUMBER, f"{text!r} is not a number")
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex already guards
        raise ValueParseError(Rule.BAD_NUMBER, f"{text!r} is not a number") from None
    return -value if negative else value


def parse_rate(text: str) -> Decimal:
    """A fraction (割合) such as ``0.08``; ``8%`` is read as ``0.08``."""
    if text.endswith("%"):
        return parse_decimal(text[:-1]) / Decimal(100)
    return parse_decimal(text)


def fit_decimal(value: Decimal, scale: int, precision: int, text: str) -> Decimal:
    """Check that ``value`` fits DECIMAL(precision, scale) exactly and return it quantized to ``scale``."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale and value != value.quantize(Decimal(1).scaleb(-scale)):
        raise ValueParseError(Rule.BAD_NUMBER, f"{text!r} has more than {scale} decimal places")
    quantized = value.quantize(Decimal(1).scaleb(-scale))
    if len(quantized.as_tuple().digits) > precision:
        raise ValueParseError(Rule.BAD_NUMBER, f"{text!r} is too large for DECIMAL({precision},{scale})")
    return quantized


def _era_year(era: str, year_text: str) -> int:
    n = 1 if year_text == "元" else int(year_text)
    if n < 1:
        raise ValueError("era year must be at least 1")
    return ERA_OFFSETS[era] + n


def _year(groups: dict[str, str | None]) -> int:
    if groups.get("era"):
        return _era_year(groups["era"] or "", groups["ey"] or "")
    return int(groups["y"] or "")


def parse_date(text: str) -> date:
    """Date (年月日): ``YYYYMMDD``, ``YYYY/M/D``, ``YYYY-MM-DD``, ``YYYY年M月D日``, 令和/R and 平成/H eras."""
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            g = m.groupdict()
            try:
                return date(_year(g), int(g["m"] or ""), int(g["d"] or ""))
            except ValueError:
                break
    raise ValueParseError(Rule.BAD_DATE, f"{text!r} is not a valid date")


def parse_month(text: str) -> date:
    """Year-month (年月) → first day: ``YYYYMM``, ``YYYY/MM``, ``YYYY-MM``, ``YYYY年M月``, eras; a full date
    is accepted and reduced to its month."""
    for pattern in _MONTH_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            g = m.groupdict()
            try:
                return date(_year(g), int(g["m"] or ""), 1)
            except ValueError:
                break
    try:
        return parse_date(text).replace(day=1)
    except ValueParseError:
        raise ValueParseError(Rule.BAD_MONTH, f"{text!r} is not a valid year-month") from None


def find_month(text: str) -> date | None:
    """The first year-month written anywhere in free text (a title line such as ``2024年4月分``)."""
    for pattern in (_MONTH_PATTERNS[2], _MONTH_PATTERNS[3]):
        m = pattern.search(nfkc(text))
        if m:
            try:
                return date(_year(m.groupdict()), int(m["m"]), 1)
            except ValueError:
                continue
    return None


_CREATED = re.compile(r"(?:作成|出力)(?:日時|日付|日)[\s:,\"']*(?P<v>[^,\"\n]+)")


def find_created_at(text: str) -> datetime | None:
    """When the TSO's portal made the file (作成日時 / 出力日時 in a title line), JST, naive; else None.

    Which label a portal writes is assumed; a date without a time is taken at 00:00.
    """
    for m in _CREATED.finditer(nfkc(text)):
        value = m["v"].strip()
        try:
            return parse_timestamp(value)
        except ValueParseError:
            try:
                day = parse_date(value)
            except ValueParseError:
                continue
            return datetime(day.year, day.month, day.day)
    return None


def parse_time_minutes(text: str) -> int:
    """``HH:MM`` → minutes after midnight; ``24:00`` (end of day) → 1440."""
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a time")
    h, mi = int(m["h"]), int(m["mi"])
    if mi > 59 or h > 24 or (h == 24 and mi != 0):
        raise ValueError(f"{text!r} is not a time")
    return h * 60 + mi


def parse_timestamp(text: str) -> datetime:
    """Timestamp (日時, JST, naive): a date in any :func:`parse_date` format, then ``HH:MM[:SS]``
    (``24:00`` = next day 00:00), or compact ``YYYYMMDDHHMM[SS]``."""
    compact = _COMPACT_TS.fullmatch(text)
    if compact:
        date_part, h, mi, s = compact["d"], compact["h"], compact["mi"], compact["s"] or "00"
    else:
        m = re.fullmatch(
            r"(?P<d>.+?)(?:\s+|T)?(?P<t>[0-9]{1,2}\s*[:時]\s*[0-9]{2}(?:\s*[:分]\s*[0-9]{2}秒?)?分?)", text
        )
        if not m:
            raise ValueParseError(Rule.BAD_TIMESTAMP, f"{text!r} is not a date and time")
        date_part = m["d"].strip()
        t = _TIME.fullmatch(m["t"])
        assert t is not None
        h, mi, s = t["h"], t["mi"], t["s"] or "00"
    try:
        day = parse_date(date_part)
        hours, minutes, seconds = int(h), int(mi), int(s)
        if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
            raise ValueError
    except (ValueParseError, ValueError):
        raise ValueParseError(Rule.BAD_TIMESTAMP, f"{text!r} is not a valid date and time") from None
    return datetime(day.year, day.month, day.day) + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def parse_point_id(text: str) -> str:
    """Supply/receiving point id (供給/受電地点特定番号): separators removed, 22 ASCII digits, prefix 01..10.

    The area check against the file's TSO is done by the validator, not here.
    """
    digits = _POINT_SEPARATORS.sub("", text)
    if not _POINT_ID.fullmatch(digits) or not ("01" <= digits[:2] <= "10"):
        raise ValueParseError(Rule.BAD_POINT_ID, f"{text!r} is not a 22-digit point id with area prefix 01..10")
    return digits


_SLOT_RANGE = re.compile(r"(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})\s*[-~〜]\s*[0-9]{1,2}:[0-9]{2}")
_SLOT_NUMBER = re.compile(r"(?:コマ)?\s*(?P<n>[0-9]{1,3})")


def parse_slot(text: str) -> int:
    """Slot value (時刻コマ) in a long layout: ``5``, ``コマ5`` or a range ``02:00-02:30`` (slot from the
    start time). The range 1..48 is checked by the caller."""
    m = _SLOT_NUMBER.fullmatch(text)
    if m:
        return int(m["n"])
    r = _SLOT_RANGE.fullmatch(text)
    if r:
        try:
            minutes = parse_time_minutes(f"{r['h']}:{r['m']}")
        except ValueError:
            minutes = -1
        if minutes >= 0 and minutes % 30 == 0:
            return minutes // 30 + 1
    raise ValueParseError(Rule.BAD_SLOT, f"{text!r} is not a slot number or a 30-minute range")
