"""Time-of-use calendars (時間帯別の暦): which 30-minute slot of which day is 昼間 (day) or 夜間 (night).

A calendar belongs to an area (its TSO's 託送供給等約款) and is kept as data (``calendars.csv`` beside the
rate files, tariffs-public.md §6.1): the day band's slots of an ordinary day, and the days that count as
夜間 all day — Sundays (or other weekdays), national holidays (国民の祝日・休日, taken from the
``holidays`` package's Japan calendar, so substitute holidays and 国民の休日 are included) and the TSO's
own listed days (年末年始, GW: ``01-02``, ``04-30``, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NATIONAL_HOLIDAY = "national_holiday"


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("JP", years=year))


def is_national_holiday(day: date) -> bool:
    """True on a Japanese national holiday (祝日), substitute holiday (振替休日) or 国民の休日."""
    return day in _national_holidays(day.year)


@dataclass(frozen=True)
class TouCalendar:
    """One area's time-of-use calendar."""

    area_code: str
    day_slots: frozenset[int]  # 昼間 slots of an ordinary day; every other slot is 夜間
    night_weekdays: frozenset[int]  # date.weekday() values that are 夜間 all day (6 = Sunday)
    national_holidays: bool  # national holidays are 夜間 all day
    night_dates: frozenset[tuple[int, int]]  # (month, day) of the TSO's own all-night days
    status: str  # confirmed / secondary (shipped), user / example (a user's file)
    source: str
    origin: str  # "file line N"

    def night_all_day(self, day: date) -> bool:
        """True when every slot of ``day`` is 夜間 (Sunday, national holiday, listed day, … as configured)."""
        return (
            day.weekday() in self.night_weekdays
            or (day.month, day.day) in self.night_dates
            or (self.national_holidays and is_national_holiday(day))
        )

    def band(self, day: date, slot: int) -> str:
        """``'day'`` (昼間) or ``'night'`` (夜間) for one slot of one day."""
        if slot in self.day_slots and not self.night_all_day(day):
            return "day"
        return "night"

    def describe(self) -> str:
        """A short text for a charge line's detail, e.g. ``area 03 calendar (confirmed)``."""
        return f"area {self.area_code} time-of-use calendar ({self.status})"


def parse_night_days(text: str) -> tuple[frozenset[int], bool, frozenset[tuple[int, int]]]:
    """``"sunday;national_holiday;12-31"`` → (weekdays, national holidays?, (month, day) dates).

    Raises ``ValueError`` naming the first token it does not understand.
    """
    weekdays: set[int] = set()
    national = False
    dates: set[tuple[int, int]] = set()
    for token in text.replace(",", ";").split(";"):
        token = token.strip().lower()
        if not token:
            continue
        if token in WEEKDAYS:
            weekdays.add(WEEKDAYS.index(token))
        elif token == NATIONAL_HOLIDAY:
            national = True
        else:
            month, sep, dom = token.partition("-")
            try:
                date(2000, int(month), int(dom))  # 2000 is a leap year: 02-29 is allowed
            except ValueError:
                raise ValueError(
                    f"{token!r} is not a weekday name, {NATIONAL_HOLIDAY} or a MM-DD date such as 12-31"
                ) from None
            if not sep:
                raise ValueError(f"{token!r}: write a date as MM-DD, e.g. 12-31")
            dates.add((int(month), int(dom)))
    return frozenset(weekdays), national, frozenset(dates)
