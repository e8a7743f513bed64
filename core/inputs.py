"""Which files a command was given, and which area each came from.

BP file names carry neither the area nor the retailer (bp-xml.md §8). Several sources may say a local
file's area (warehouse contract, ``takuso ingest``): the ``--area`` option; the innermost folder named
like an area code on its path (the raw landing zone is ``raw/<area>/<account>/``); a CSV or Parquet name
ending in ``_<area>_<YYYYMM>``; and the file itself (the TSO's sender code in a BP header, the prefixes of its
supply point ids), which the parsers read. Where two of them disagree, the file is rejected with both
named; where none says anything, the area is unknown and the file is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.areas import AREAS

TABLE_SUFFIXES = (".csv", ".parquet")  # read header-driven through the CSV forms' alias map
SUFFIXES = (".zip", ".xml", *TABLE_SUFFIXES)
_CSV_AREA = re.compile(r"_(0[1-9]|10)_[0-9]{6}$")  # ASCII digits only


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


@dataclass(frozen=True)
class AreaClaim:
    """One source's say on the area of a file: the area code and who says it (named in messages)."""

    area: str
    said_by: str  # e.g. "--area", "the folder 03 on its path", "sender code 10063 in its header"


def path_claims(path: Path, explicit: str | None = None) -> list[AreaClaim]:
    """What ``--area`` (``explicit``), the path and a CSV file name say of the area of ``path``."""
    claims = [AreaClaim(explicit, "--area")] if explicit else []
    folder = next((part for part in reversed(path.parent.parts) if part in AREAS), None)
    if folder:
        claims.append(AreaClaim(folder, f"the folder {folder} on its path"))
    m = _CSV_AREA.search(path.stem)
    if m:
        claims.append(AreaClaim(m.group(1), "its file name"))
    return claims


def decide_area(claims: Sequence[AreaClaim]) -> tuple[str | None, str | None]:
    """(area, None) when the claims agree; (None, why) when they disagree; (None, None) when there are none."""
    areas = {c.area for c in claims}
    if len(areas) == 1:
        return claims[0].area, None
    if not areas:
        return None, None
    said = "; ".join(f"{c.said_by} says {c.area}" for c in claims)
    return None, f"the sources of the file's area disagree: {said}"


def said_by(claims: Sequence[AreaClaim]) -> str:
    """``--area and the folder 03 on its path``: who says the (agreed) area, for messages."""
    return " and ".join(dict.fromkeys(c.said_by for c in claims))


def area_of(path: Path, explicit: str | None = None) -> str | None:
    """The area of ``path`` when ``--area``, the path and the CSV file name agree on one, else None."""
    return decide_area(path_claims(path, explicit))[0]


def is_csv(path: Path) -> bool:
    """A table file read through the alias map: a CSV form, or a CSV or Parquet contract register or invoice."""
    return path.suffix.lower() in TABLE_SUFFIXES
