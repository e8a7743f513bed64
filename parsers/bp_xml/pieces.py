"""Cut one BP document into small complete documents ("pieces") that libxml2 parses and validates whole.

Every BP kind keeps its repeated top-level record in ``JPM00010/JPMR00010`` (slots of a per-day file,
supply points of the others). A piece is the file's envelope as written up to its first record (the
*head*), whole records with the text between them, and end tags closing the envelope; the last piece ends
with the file's own closing text instead. So every byte of the file is in exactly one piece (the head in
every piece), each piece is parsed into a tree and validated by the kind's XSD in C, and memory stays
bounded by the size of a piece, not of the file.

The cut is textual (``bytes.find``). A piece is the head, a contiguous stretch of the file and end tags,
so a cut that a comment, CDATA section or processing instruction fooled leaves that construct open in the
piece that ends there, and that piece is not well-formed; the head itself must hold no such construct
(it is repeated in every piece). Whenever the cut cannot be trusted it gives up with
:class:`NotSplittable` and the caller parses the file in one streaming piece, which is authoritative:

* a comment, CDATA section or processing instruction in the head or after the last record;
* a record larger than ``max_record`` bytes (its tree would not fit the memory bound);
* anything but end tags after the last record (e.g. a header item after the records, rule R3).

A cut is made after the first record end tag at least ``piece_bytes`` after the previous cut, found with
``bytes.find``: the records between two cuts are never looked at in Python. Tags that do not pair up
make a piece that is not well-formed or not valid, and the caller then parses the file in one piece.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml import etree

from parsers.bp_xml.source import _DECL

RECORD_NAME = b"JPMR00010"
_PREFIX = re.compile(rb"[A-Za-z_][\w.-]*:")
PIECE_BYTES = 2 << 20  # records per piece: up to about this many bytes of XML (a tree is ~10x bigger)
MAX_RECORD_BYTES = 24 << 20  # a single bigger record is parsed by the streaming engine instead


class NotSplittable(Exception):
    """The file cannot be cut safely; parse it in one piece (the message says why, for the curious)."""


def _record_tag(buf: bytes | bytearray, pos: int) -> tuple[int, int, bool] | None:
    """The next start or end tag of ``JPMR00010`` (any prefix) at or after ``pos``:
    (index of its '<', index after the name, is an end tag)."""
    while True:
        hit = buf.find(RECORD_NAME, pos)
        if hit < 0:
            return None
        lt = buf.rfind(b"<", max(0, hit - 64), hit)
        after = hit + len(RECORD_NAME)
        if after >= len(buf):
            return None  # the character after the name is in the next chunk
        if lt >= 0 and buf[after : after + 1] in (b">", b" ", b"\t", b"\r", b"\n", b"/"):
            between = buf[lt + 1 : hit]
            close = between.startswith(b"/")
            between = between[1:] if close else between
            if not between or _PREFIX.fullmatch(between):
                return lt, after, close
        pos = after


def _no_markup_but_tags(data: bytes, what: str) -> None:
    if b"<!" in data or b"<?" in data:
        raise NotSplittable(f"a comment, CDATA section or processing instruction in {what}")


class Pieces:
    """The pieces of one document, read from its UTF-8 chunks; iterate once.

    ``head_root`` is the root element of the head (a partial tree: the header, without records) once the
    first piece has been produced.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        piece_bytes: int | None = None,
        max_record: int | None = None,
    ) -> None:
        self.chunks = chunks
        self.piece_bytes = PIECE_BYTES if piece_bytes is None else piece_bytes
        self.max_record = MAX_RECORD_BYTES if max_record is None else max_record
        self.head_root: etree._Element | None = None
        self._head = b""
        self._closing = b""

    def _read_head(self, head: bytes, complete: bool) -> None:
        decl = _DECL.match(head)
        _no_markup_but_tags(head[decl.end() if decl else 0 :], "the envelope")
        parser = etree.XMLPullParser(events=("start", "end"), no_network=True, load_dtd=False, huge_tree=False)
        stack: list[etree._Element] = []
        try:
            parser.feed(head)
            for event, el in parser.read_events():
                if event == "start":
                    stack.append(el)
                    self.head_root = stack[0]
                else:
                    stack.pop()
            if complete:
                parser.close()
        except etree.XMLSyntaxError as exc:
            raise NotSplittable(f"the envelope is not well-formed: {exc}") from None
        if self.head_root is None:
            raise NotSplittable("no root element")
        self._head = head
        self._closing = b"".join(
            b"</" + ((el.prefix + ":") if el.prefix else "").encode() + etree.QName(el).localname.encode() + b">"
            for el in reversed(stack)
        )

    def __iter__(self) -> Iterator[bytes]:
        buf = bytearray()  # appended in place; dropping its start moves a pointer, copies nothing
        mark = 0  # start of the bytes not yet given to a piece (text before the next record included)
        scan = 0  # where to look for the next record tag
        started = False  # the head has been read
        for chunk in self.chunks:
            del buf[:mark]
            buf += chunk
            scan -= mark
            mark = 0
            while True:
                if not started:
                    tag = _record_tag(buf, scan)
                    if tag is None:
                        if len(buf) > self.max_record:
                            raise NotSplittable("no record in the first bytes of the file")
                        scan = max(len(buf) - 80, scan)  # a tag may straddle two chunks
                        break
                    self._read_head(bytes(buf[: tag[0]]), complete=False)
                    started, mark, scan = True, tag[0], tag[1]
                # cut after the first record end tag at least piece_bytes after the last cut
                tag = _record_tag(buf, max(scan, mark + self.piece_bytes))
                gt = buf.find(b">", tag[1]) if tag is not None and tag[2] else -1
                if tag is not None and not tag[2]:
                    scan = tag[1]  # a start tag: the end tag comes later
                    continue
                if tag is None or gt < 0:
                    if len(buf) - mark > self.max_record + self.piece_bytes:
                        raise NotSplittable(f"a record is larger than {self.max_record} bytes")
                    scan = max(len(buf) - 80, scan, mark) if tag is None else tag[0]
                    break
                yield b"".join((self._head, buf[mark : gt + 1], self._closing))
                mark = scan = gt + 1
        rest = bytes(buf[mark:])
        if not started:  # no record at all: the whole document is one piece
            if len(rest) > self.max_record:
                raise NotSplittable("the envelope is too large")
            self._read_head(rest, complete=True)
            yield rest
            return
        if not _only_end_tags_after_the_records(rest):
            raise NotSplittable("an element, comment or other markup after the last record")
        yield self._head + rest


def _only_end_tags_after_the_records(rest: bytes) -> bool:
    """Whether ``rest`` ends with its last record's end tag followed by end tags and whitespace only
    (or is end tags and whitespace only)."""
    pos = len(rest)
    while True:
        while pos and rest[pos - 1 : pos].isspace():
            pos -= 1
        if pos == 0:
            return True
        if rest[pos - 1 : pos] != b">":
            return False
        lt = rest.rfind(b"<", 0, pos)
        if lt < 0 or not rest.startswith(b"</", lt):
            return False
        name = rest[lt + 2 : pos - 1].rstrip()
        if name.rpartition(b":")[2] == RECORD_NAME:
            return True
        pos = lt
