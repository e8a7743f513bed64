"""Splitting decoded text into CSV rows with their source line numbers (行番号), csv-forms.md §6.3.

CRLF and LF both work; quoted fields with embedded line breaks survive (the csv module over a
``newline=""`` stream). Trailing empty columns are dropped and fully empty lines skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One CSV record (レコード): its first physical line number (1-based), its cells without trailing empty
    ones, and ``fields``, how many fields the line really had (trailing empty ones included)."""

    line: int
    cells: tuple[str, ...]
    fields: int = 0


class MalformedCsvError(ValueError):
    """The csv module rejected the text (an unclosed quote, text after a closing quote); ``line`` is
    where the bad record starts."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def strip_trailing_empty(cells: list[str]) -> tuple[str, ...]:
    """Drop trailing empty (or blank) cells: ``a,b,,`` → ``(a, b)``."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return tuple(cells[:end])


def iter_rows(text: str, *, delimiter: str = ",", quotechar: str = '"') -> Iterator[Row]:
    """Yield the non-empty rows of ``text`` with the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar, strict=True)
    next_line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise MalformedCsvError(
                f"{e} in the record starting at line {next_line} (an unclosed quote?)", next_line
            ) from None
        start, next_line = next_line, reader.line_num + 1
        trimmed = strip_trailing_empty(cells)
        if trimmed:
            yield Row(start, trimmed, len(cells))


def physical_lines(text: str, count: int) -> list[str]:
    """The first ``count`` physical lines of ``text`` without their line endings (for the preamble)."""
    lines: list[str] = []
    for raw in io.StringIO(text, newline=""):
        if len(lines) >= count:
            break
        lines.append(raw.rstrip("\r\n"))
    return lines
