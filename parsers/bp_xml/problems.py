"""Problems found in a file: errors reject it, warnings are recorded (bp-xml.md §10).

Each problem has a rule id (``BP0xx``) so that reports, quarantine reasons and tests can name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Rule(StrEnum):
    """Rule ids (ルールID) with what each means; a member equals its id (``Rule.NOT_VALID == "BP004"``).

    The id is what messages, quarantine reasons and ``ingested_files`` carry; :attr:`meaning` is the
    one-line description listed in the README.
    """

    meaning: str

    def __new__(cls, code: str, meaning: str) -> Rule:
        member = str.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    @property
    def code(self) -> str:
        """The rule id, e.g. ``BP004``."""
        return self.value

    # an error rejects the file; a warning (the meaning says so) is recorded and the file loads
    NOT_BP_NAME = ("BP001", "file name is not a BP file name (bp-xml.md §4)")
    KIND_MISMATCH = ("BP002", "JP00002 does not match the kind in the file name (R10)")
    NOT_WELL_FORMED = ("BP003", "not well-formed XML, or truncated")
    NOT_VALID = ("BP004", "does not validate against the XSD")
    DTD_REFUSED = ("BP005", "DTD or entity declarations are refused (XXE, entity expansion)")
    UNDECODABLE = ("BP006", "encoding unknown or bytes that do not decode (R1)")
    UNSAFE_ZIP = ("BP007", "unsafe or ambiguous ZIP (R11)")
    TOO_LARGE = ("BP008", "file or value too large")
    BAD_DATE = ("BP009", "date is not a calendar date (R7)")
    DUPLICATE_KEY = ("BP010", "duplicate key in one file (R4)")
    ASSUMED_LAYOUT_NOT_MET = ("BP011", "layout assumption for W5 kind 13/14 not met (§7.2)")
    BAD_NUMBER = ("BP012", "value does not fit DECIMAL(18,6) or is not a number (R5)")
    WRONG_ROOT = ("BP013", "root element is not SBD-MSG")
    RECORDS_BEFORE_HEADER = ("BP014", "the records come before the header element that dates them (not supported)")
    TARGET_DATE_DIFFERS = ("BP020", "target date differs from the file name (R10, warning)")
    AREA_PREFIX_DIFFERS = (
        "BP021",
        "supply point prefix differs from the file's area (R8; an error: the area's sources disagree)",
    )
    NEGATIVE = ("BP022", "negative quantity (R5, warning)")
    SECTION_LENGTH = ("BP023", "section length does not fit the voltage (§4, warning)")
    AVAILABILITY_CODE = ("BP024", "availability code other than '0'/'1' (R6, warning)")
    SENDER_DIFFERS = ("BP025", "sender code differs from the area's TSO (R10; an error when it is another area's TSO)")
    UNMAPPED_ELEMENTS = ("BP026", "elements not in the mapping kept in unmapped_elements (§7.2, warning)")
    AREA_UNKNOWN = (
        "BP027",
        "the area of the file is unknown, or its sources (--area, folder, sender code, point ids) disagree",
    )
    # the parser's own failure
    INTERNAL_ERROR = ("BP099", "internal error while reading the file (a bug: the file is rejected, the batch goes on)")


@dataclass(frozen=True)
class Problem:
    """One problem: what, where (line and element path) and which rule."""

    rule: Rule
    message: str
    line: int | None = None
    path: str | None = None
    severity: str = "error"  # 'error' rejects the file, 'warning' is recorded

    def render(self, file: str) -> str:
        where = file + (f":{self.line}" if self.line else "") + (f" ({self.path})" if self.path else "")
        return f"{where}: {self.severity} {self.rule}: {self.message}"


class RejectedFile(Exception):
    """Raised inside the parser to stop at once on a problem that makes going on pointless or unsafe."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem
