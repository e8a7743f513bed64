"""What a BP file says of its area (エリア), and where that disagrees with the other sources.

A BP file name carries no area, so a file saved by hand needs ``--area`` or an area folder, else the
file itself: the TSO's sender code (送信者コード, JP06110) in the header and the area prefix of its supply
point ids (供給地点特定番号, JP06400). Where the sources disagree the file is rejected (warehouse contract,
``takuso ingest``); the sender-code table is assumed and lives in ``core/areas.py`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from lxml import etree

from core.areas import AREAS, area_of_tso_code
from core.inputs import AreaClaim, decide_area
from parsers.bp_xml.engine import ParseOutcome
from parsers.bp_xml.problems import Problem, Rule
from parsers.bp_xml.source import open_xml

PEEK_BYTES = 1 << 20  # the header and the first point come long before this
FEED_BYTES = 1 << 14  # fed to the parser at a time, so that the search stops soon after both are read


def claims_in_file(path: Path) -> list[AreaClaim]:
    """The area claims of the start of a BP file: its sender code and its first supply point id.

    Reads at most :data:`PEEK_BYTES` of XML. A file that cannot be read says nothing here; the full
    parse reports why.
    """
    sender = point = None
    try:
        with open_xml(path) as xml:
            parser = etree.XMLPullParser(
                events=("end",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
            )
            read = 0
            for piece in _slices(xml.chunks):  # a little at a time: both come in the first kilobytes
                parser.feed(piece)
                read += len(piece)
                for _, el in parser.read_events():
                    name = el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""
                    if name == "JP06110" and sender is None:
                        sender = (el.text or "").strip()
                    elif name == "JP06400" and point is None:
                        point = (el.text or "").strip()
                if (sender is not None and point is not None) or read >= PEEK_BYTES:
                    break
    except Exception:
        pass
    claims: list[AreaClaim] = []
    if sender and (area := area_of_tso_code(sender)):
        claims.append(AreaClaim(area, f"sender code {sender} in its header"))
    if point and len(point) == 22 and point.isascii() and point[:2] in AREAS:
        claims.append(AreaClaim(point[:2], f"its supply point ids ({point})"))
    return claims


def _slices(chunks: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        for at in range(0, len(chunk), FEED_BYTES):
            yield chunk[at : at + FEED_BYTES]


NO_AREA = "pass --area 01..10 or put the file under a folder named 01..10"


def resolve_area(path: Path, claims: Sequence[AreaClaim]) -> tuple[str | None, tuple[AreaClaim, ...], Problem | None]:
    """The area of a BP file from ``claims`` (``--area``, its folder), else from the file itself.

    Returns the area (None when unknown or disputed), the claims it rests on, and the BP027 problem
    that rejects the file when there is no area (to be listed after the file's own problems).
    """
    area, conflict = decide_area(claims)
    if area is None and conflict is None:
        claims = claims_in_file(path)
        area, conflict = decide_area(claims)
    if area is not None:
        return area, tuple(claims), None
    why = conflict or (
        f"the area of the file is unknown: its header names no known TSO and no supply point id was read; {NO_AREA}"
    )
    return None, tuple(claims), Problem(Rule.AREA_UNKNOWN, why)


def reject_disagreements(outcome: ParseOutcome, area: str, said_by: str) -> None:
    """Turn the parse's area warnings into errors: a sender code of another area's TSO (BP025) or supply
    point ids with another area's prefix (BP021) disagree with ``said_by``, which says ``area``.

    A sender code that is no known TSO's stays a warning (the code table is assumed).
    """
    kept: list[Problem] = []
    for w in outcome.warnings:
        sender_area = area_of_tso_code(outcome.facts.sender_code or "")
        disagrees = w.rule == Rule.AREA_PREFIX_DIFFERS or (
            w.rule == Rule.SENDER_DIFFERS and sender_area not in (None, area)
        )
        if disagrees:
            outcome.errors.append(
                Problem(w.rule, f"the sources of the file's area disagree: {said_by} says {area}, but {w.message}")
            )
        else:
            kept.append(w)
    outcome.warnings = kept
