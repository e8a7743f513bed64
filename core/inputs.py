"""Which files a command was given, and which area each came from.

File names carry neither the area nor the retailer (bp-xml.md §8), so the area of a local file comes
from, in this order: the ``--area`` option; a folder named like an area code on its path (the raw
landing zone is ``raw/<area>/<account>/``); a CSV or Parquet name ending in ``_<area>_<YYYYMM>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from core.areas import AREAS

TABLE_SUFFIXES = (".csv", ".parquet")  # read header-driven through the CSV forms' alias map
SUFFIXES = (".zip", ".xml", *TABLE_SUFFIXES)
_CSV_AREA = re.compile(r"_(0[1-9]|10)_\d{6}$")


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Files to process (folders searched recursively, sorted) and complaints about the rest."""
    files: list[Path] = []
    problems: list[str] = []
    for p in paths:
        if p.is_dir():
            files.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES and not _hidden(f, p))
            )
        elif p.is_file():
            files.append(p)
        else:
            problems.append(f"{p}: no such file or folder")
    return files, problems


def _hidden(f: Path, base: Path) -> bool:
    return any(part.startswith(".") for part in f.relative_to(base).parts)


def area_of(path: Path, explicit: str | None = None) -> str | None:
    """The area code of ``path`` by the rules in the module docstring, or None when nothing says."""
    if explicit:
        return explicit
    for part in reversed(path.parent.parts):
        if part in AREAS:
            return part
    m = _CSV_AREA.search(path.stem)
    return m.group(1) if m else None


def is_csv(path: Path) -> bool:
    """A table file read through the alias map: a CSV form, or a CSV or Parquet contract register or invoice."""
    return path.suffix.lower() in TABLE_SUFFIXES
