"""File listings (ファイル一覧) served by the TSO portals.

* Generic protocol (tso-download.md §4): the first ``<comment>…</comment>`` holds comma-separated
  ``rfilenameN:"<name>"`` and ``rfilesizeN:"<bytes>"`` items, paired by N.
* Shikoku (§5): an HTML page whose ``<a href>`` links point at ``FileReceiver.action?file=<name>``.
* Kansai (§6): an HTML page whose anchors call ``xmlDL('i','list','kbn')``; the link text is the name.

Names that are not BP file names (bp-xml.md §4) are reported and skipped; names containing ``/``,
``\\`` or ``..`` are rejected, because a name is later used as a file name in the landing zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from parsers.bp_xml.filename import FileNameError, parse_bp_filename


class ListingError(ValueError):
    """The listing as a whole cannot be trusted (unpaired items, a non-integer size, no comment)."""


@dataclass(frozen=True)
class ListedFile:
    """One file offered by the TSO; ``size`` is None when the listing does not give it (HTML lists)."""

    name: str
    size: int | None
    kind: str  # message kind name, e.g. 'low_energy_daily'


@dataclass(frozen=True)
class Listing:
    """The usable files, and the names skipped with the reason for each."""

    files: tuple[ListedFile, ...]
    skipped: tuple[tuple[str, str], ...] = field(default=())


_ITEM = re.compile(r'^\s*rfile(?P<what>name|size)(?P<n>[0-9]+)\s*:\s*"(?P<value>[^"]*)"\s*$')


def unsafe_name_reason(name: str) -> str | None:
    """Why ``name`` must not be used as a file name, or None when it is safe."""
    if not name:
        return "empty name"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if ".." in name:
        return "contains '..'"
    if any(ord(c) < 32 for c in name) or name.startswith("."):
        return "contains control characters or starts with '.'"
    return None


def classify(names_and_sizes: list[tuple[str, int | None]]) -> Listing:
    """Keep safe BP file names; report everything else as skipped (name, reason)."""
    files: list[ListedFile] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, size in names_and_sizes:
        reason = unsafe_name_reason(name)
        if reason:
            skipped.append((name, f"rejected: {reason}"))
            continue
        try:
            parsed = parse_bp_filename(name)
        except FileNameError as exc:
            skipped.append((name, f"not a BP file name: {exc}"))
            continue
        if name in seen:
            skipped.append((name, "listed twice"))
            continue
        seen.add(name)
        files.append(ListedFile(name=name, size=size, kind=parsed.kind.name))
    return Listing(files=tuple(files), skipped=tuple(skipped))


def parse_comment_listing(body: str) -> Listing:
    """Parse a generic ``FileListReceiver`` body (§4).

    >>> body = '<comment>rfilename1:"W41120202404010000000000.zip",rfilesize1:"12"</comment>'
    >>> parse_comment_listing(body).files
    (ListedFile(name='W41120202404010000000000.zip', size=12, kind='low_energy_daily'),)
    """
    start = body.find("<comment>")
    if start < 0:
        raise ListingError("no <comment> element in the listing")
    start += len("<comment>")
    end = body.find("</comment>", start)
    if end < 0:
        raise ListingError("<comment> is not closed by </comment>")
    text = body[start:end].strip()
    names: dict[int, str] = {}
    sizes: dict[int, str] = {}
    if text:
        # Names are double-quoted and may not contain '"'; split on commas outside quotes.
        for item in re.findall(r'(?:[^,"]|"[^"]*")+', text):
            match = _ITEM.match(item)
            if match is None:
                raise ListingError(f"unreadable listing item {item.strip()[:80]!r}")
            target = names if match["what"] == "name" else sizes
            n = int(match["n"])
            if n in target:
                raise ListingError(f"rfile{match['what']}{n} appears twice")
            target[n] = match["value"]
    unpaired = sorted(set(names) ^ set(sizes))
    if unpaired:
        n = unpaired[0]
        what = f"rfilename{n} has no rfilesize{n}" if n in names else f"rfilesize{n} has no rfilename{n}"
        raise ListingError(f"unpaired listing item: {what}")
    pairs: list[tuple[str, int | None]] = []
    for n in sorted(names):
        raw = sizes[n].strip()
        if not raw.isdigit() or not raw.isascii():
            raise ListingError(f"rfilesize{n} is not a non-negative integer: {sizes[n]!r}")
        pairs.append((names[n], int(raw)))
    return classify(pairs)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def parse_html_links(html: str, receiver: str = "FileReceiver.action") -> Listing:
    """Parse a Shikoku-style HTML list (§5): each ``<a href=".../FileReceiver.action?file=NAME">``.

    Links to other pages are ignored; the file name is the ``file`` query parameter.
    """
    parser = _Links()
    parser.feed(html)
    parser.close()
    pairs: list[tuple[str, int | None]] = []
    for href in parser.hrefs:
        parts = urlsplit(href)
        if not parts.path.endswith(receiver):
            continue
        values = parse_qs(parts.query, keep_blank_values=True).get("file")
        if not values:
            continue
        pairs.append((values[0], None))  # parse_qs has already percent-decoded it
    return classify(pairs)


_XMLDL = re.compile(r"xmlDL\(\s*'([0-9]+)'\s*,\s*'([0-9]+)'\s*,\s*'([0-9]+)'\s*\)")


class _XmlDlLinks(HTMLParser):
    """Anchors whose ``onclick`` (or ``href="javascript:…"``) calls ``xmlDL(…)``, with their link text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[tuple[str, str, str], str]] = []
        self._open: tuple[str, str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        values = dict(attrs)
        call = _XMLDL.search(values.get("onclick") or "") or _XMLDL.search(values.get("href") or "")
        self._open = (call[1], call[2], call[3]) if call else None
        self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.links.append((self._open, "".join(self._text).strip()))
            self._open = None


def parse_xmldl_links(html: str) -> tuple[Listing, dict[str, tuple[str, str, str]]]:
    """Parse a Kansai list page (§6): anchors calling ``xmlDL('i','list','kbn')`` whose text is the ZIP name.

    Returns the listing and, per usable name, the three arguments of its ``xmlDL`` call, which the
    download request repeats. Anchors without such a call are ignored.
    """
    parser = _XmlDlLinks()
    parser.feed(html)
    parser.close()
    listing = classify([(name, None) for _, name in parser.links])
    usable = {f.name for f in listing.files}
    arguments = {name: args for args, name in parser.links if name in usable}
    return listing, arguments
