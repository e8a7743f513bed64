"""Problems found in a file: errors reject it, warnings are recorded (bp-xml.md §10).

Each problem has a rule id (``BP0xx``) so that reports, quarantine reasons and tests can name it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem: what, where (line and element path) and which rule."""

    rule: str
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


# Rule ids, in one place so that messages and docs agree.
RULES: dict[str, str] = {
    "BP001": "file name is not a BP file name (bp-xml.md §4)",
    "BP002": "JP00002 does not match the kind in the file name (R10)",
    "BP003": "not well-formed XML, or truncated",
    "BP004": "does not validate against the XSD",
    "BP005": "DTD or entity declarations are refused (XXE, entity expansion)",
    "BP006": "encoding unknown or bytes that do not decode (R1)",
    "BP007": "unsafe or ambiguous ZIP (R11)",
    "BP008": "file or value too large",
    "BP009": "date is not a calendar date (R7)",
    "BP010": "duplicate key in one file (R4)",
    "BP011": "layout assumption for W5 kind 13/14 not met (§7.2)",
    "BP012": "value does not fit DECIMAL(18,6) or is not a number (R5)",
    "BP013": "root element is not SBD-MSG",
    "BP099": "internal error while reading the file (a bug: the file is rejected, the batch goes on)",
    "BP014": "the records come before the header element that dates them (not supported)",
    "BP020": "target date differs from the file name (R10, warning)",
    "BP021": "supply point prefix differs from the file's area (R8; an error: the area's sources disagree)",
    "BP022": "negative quantity (R5, warning)",
    "BP023": "section length does not fit the voltage (§4, warning)",
    "BP024": "availability code other than '0'/'1' (R6, warning)",
    "BP025": "sender code differs from the area's TSO (R10; an error when it is another area's TSO)",
    "BP026": "elements not in the mapping kept in unmapped_elements (§7.2, warning)",
    "BP027": "the area of the file is unknown, or its sources (--area, folder, sender code, point ids) disagree",
}
