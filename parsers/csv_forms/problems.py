"""Problems (問題点) found while reading a form, with rule ids (ルールID) and source line numbers.

Every rule has one id; messages say what, where and what to do. The ids are listed in
``docs/csv-forms.md``. An ``ERROR`` rejects the whole file (ファイル全体を不受理); a warning does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Rule(Enum):
    """Rule ids with their short titles (ルールID と 名称)."""

    # file-level errors
    AREA_UNKNOWN = ("CSV000", "area of the file unknown or disputed")
    MISSING_REQUIRED_COLUMN = ("CSV001", "missing required column")
    DUPLICATE_COLUMN = ("CSV002", "two headers resolve to the same column")
    UNDECODABLE = ("CSV003", "encoding not detected")
    FORM_NOT_DETECTED = ("CSV004", "form not detected")
    MALFORMED_CSV = ("CSV005", "malformed CSV")
    UNKNOWN_FORM = ("CSV006", "unknown form id")
    # value errors
    BAD_POINT_ID = ("CSV010", "invalid point id")
    AREA_MISMATCH = ("CSV011", "point id area prefix does not match the TSO")
    BAD_DATE = ("CSV012", "invalid date")
    BAD_MONTH = ("CSV013", "invalid year-month")
    BAD_NUMBER = ("CSV014", "invalid number")
    NEGATIVE = ("CSV015", "negative quantity")
    BAD_SLOT = ("CSV016", "slot outside 1..48")
    BAD_TIMESTAMP = ("CSV017", "invalid timestamp")
    BAD_INTEGER = ("CSV018", "invalid whole number")
    MISSING_VALUE = ("CSV019", "missing required value")
    DUPLICATE_KEY = ("CSV020", "duplicate key")
    POINT_DISAGREES = ("CSV021", "per-point values disagree")
    TOO_MANY_FIELDS = ("CSV022", "row has more fields than the header")
    PERIOD_REVERSED = ("CSV023", "end before start")
    TOO_FEW_FIELDS = ("CSV024", "row has fewer fields than the header")
    PERIODS_OVERLAP = ("CSV025", "validity periods overlap")
    BAD_ITEMS = ("CSV026", "invalid lamp/appliance items")
    # warnings
    CHECK_TOTAL = ("CSV030", "check total mismatch")
    EXTRA_COLUMNS = ("CSV031", "unknown columns kept in extra")
    UNMAPPED_VALUE = ("CSV032", "coded value not in the value map")
    LOOKBACK_OUTSIDE = ("CSV033", "look-back month outside the 12-month window")
    NO_HEADER_EMPTY = ("CSV034", "no header row; file treated as empty")
    SUPPRESSED = ("CSV099", "further problems suppressed")

    @property
    def code(self) -> str:
        """The rule id, e.g. ``CSV001``."""
        return self.value[0]

    @property
    def title(self) -> str:
        return self.value[1]

    @property
    def label(self) -> str:
        """``CSV001 missing required column``: the text stored in :attr:`Problem.code`."""
        return f"{self.value[0]} {self.value[1]}"


@dataclass(frozen=True)
class Problem:
    """One problem (問題) with its source line (行番号, 1-based physical line of the file)."""

    line: int | None
    column: str | None
    code: str
    message: str

    @property
    def rule_id(self) -> str:
        """Just the id part of :attr:`code` (``CSV011``)."""
        return self.code.split(" ", 1)[0]

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        col = f" [{self.column}]" if self.column else ""
        return f"{self.code} at {where}{col}: {self.message}"

    def render(self, file: str, severity: str) -> str:
        """``file:line: error CSV0nn …: message``, the form every command prints and quarantines."""
        where = f"{file}:{self.line}" if self.line is not None else file
        return f"{where}: {severity} {self.code}: {self.message}"


@dataclass
class ProblemLog:
    """Collects errors and warnings; caps repeats of one rule so a broken 100k-line file stays readable.

    ``cap`` problems per rule are kept; beyond that they are counted and summarised once per rule
    (CSV099) by :meth:`finish`.
    """

    file_name: str
    cap: int = 1000
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    _counts: dict[tuple[str, bool], int] = field(default_factory=dict)
    _seen: set[tuple[int | None, str | None, str, str]] = field(default_factory=set)

    def error(self, rule: Rule, line: int | None, column: str | None, message: str) -> None:
        self._add(rule, line, column, message, is_error=True)

    def warn(self, rule: Rule, line: int | None, column: str | None, message: str) -> None:
        self._add(rule, line, column, message, is_error=False)

    def _add(self, rule: Rule, line: int | None, column: str | None, message: str, *, is_error: bool) -> None:
        identity = (line, column, rule.code, message)
        if identity in self._seen:  # a wide row repeats its plain cells on every slot: report once
            return
        self._seen.add(identity)
        key = (rule.code, is_error)
        n = self._counts.get(key, 0) + 1
        self._counts[key] = n
        if n <= self.cap:
            target = self.errors if is_error else self.warnings
            target.append(Problem(line, column, rule.label, f"{message} ({self.file_name})"))

    def finish(self) -> None:
        """Append one CSV099 summary per rule that exceeded the cap."""
        for (code, is_error), n in self._counts.items():
            if n > self.cap:
                problem = Problem(
                    None,
                    None,
                    Rule.SUPPRESSED.label,
                    f"{n - self.cap} more {code} problems not listed ({self.file_name})",
                )
                (self.errors if is_error else self.warnings).append(problem)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)
