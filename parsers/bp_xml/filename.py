"""BP file names (ファイル名): W4/W5 prefix, kind, voltage, date, revision (更新番号), section (分割番号).

bp-xml.md §4. The info kind code is characters 3..6 of the name for both BPs (W4 writes voltage then
kind, W5 kind then voltage); which kind a code means is decided by ``core.kinds`` alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from core.kinds import MESSAGE_KINDS, MessageKind

# ASCII digits only: ``\d`` would also accept fullwidth (２) and other Unicode digits, and strptime/int read them.
_W4 = re.compile(
    r"^W4(?P<code>[0-9]{4})(?P<date>[0-9]{8})(?P<time>[0-9]{4})(?P<rev>[0-9]{2})(?P<sec>[0-9]{2}|[0-9]{4})$"
)
_W5 = re.compile(r"^W5(?P<code>[0-9]{4})(?P<date>[0-9]{8})(?P<rev>[0-9]{2})(?P<sec>[0-9]{5})$")
_SUFFIXES = (".zip", ".xml")


class FileNameError(ValueError):
    """The name is not a BP file name; the message quotes it and says what is wrong."""


@dataclass(frozen=True)
class BPFileName:
    """What a BP file name says about its content."""

    name: str
    kind: MessageKind
    target_date: date  # W4: date of the data; W5: 検針日 (meter reading date)
    file_time: str | None  # hhmm of current-day files, '0000' for per-day, None for W5
    revision: int
    section: int
    warnings: tuple[str, ...] = field(default=())

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0]


def parse_bp_filename(name: str) -> BPFileName:
    """Validate a BP file name positionally and return its parts (bp-xml.md §4.3).

    >>> parse_bp_filename("W41120202404010000000000.zip").kind.name
    'low_energy_daily'
    """
    base = name.rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in _SUFFIXES:
        raise FileNameError(f"{base!r}: a BP file name ends in .zip or .xml")
    match = _W4.match(stem) or _W5.match(stem)
    if match is None:
        raise FileNameError(
            f"{base!r} is not a BP file name: expected W4VVKKYYYYMMDDhhmmRRSS(SS) (22 or 24 characters) "
            "or W5KKVVYYYYMMDDRRSSSSS (21 characters) before the extension"
        )
    code = match["code"]
    kind = MESSAGE_KINDS.get(code)
    if kind is None or kind.bp_id != stem[:2]:
        raise FileNameError(f"{base!r}: unknown kind/voltage code {code!r} for {stem[:2]}")
    try:
        target = datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        raise FileNameError(f"{base!r}: {match['date']!r} is not a calendar date (YYYYMMDD)") from None
    warnings: list[str] = []
    file_time = match.groupdict().get("time")
    if kind.bp_id == "W4":
        assert file_time is not None
        hh, mm = int(file_time[:2]), int(file_time[2:])
        if hh > 24 or mm not in (0, 30) or (hh == 24 and mm):
            raise FileNameError(f"{base!r}: time {file_time!r} is not a half-hour hhmm")
        if kind.family == "energy_daily" and file_time != "0000":
            warnings.append(f"{base}: per-day file with time {file_time} (expected 0000)")
        expected = 2 if kind.voltage == "high" else 4
        if len(match["sec"]) != expected:
            warnings.append(
                f"{base}: section has {len(match['sec'])} digits; {expected} expected for {kind.voltage} voltage"
            )
    return BPFileName(
        name=base,
        kind=kind,
        target_date=target,
        file_time=file_time,
        revision=int(match["rev"]),
        section=int(match["sec"]),
        warnings=tuple(warnings),
    )


def bp_filename(kind: MessageKind, target: date, revision: int = 0, section: int = 0, hhmm: str = "0000") -> str:
    """Build the file name a TSO would serve (the inverse of :func:`parse_bp_filename`)."""
    day = target.strftime("%Y%m%d")
    if kind.bp_id == "W4":
        width = 2 if kind.voltage == "high" else 4
        return f"W4{kind.file_code}{day}{hhmm}{revision:02d}{section:0{width}d}.zip"
    return f"W5{kind.file_code}{day}{revision:02d}{section:05d}.zip"
