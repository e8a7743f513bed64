"""Open a BP file safely and hand its XML to the parser as UTF-8 chunks.

* ZIP as served (R11): exactly one entry, no path components, not encrypted, uncompressed size and
  ratio within limits; the entry is streamed, never extracted to disk, and the bytes actually read are
  counted against the limit (headers can lie).
* Encoding (R1): a BOM wins, else the XML declaration; the Shift_JIS family is decoded as ``cp932``
  and any non-UTF-8 label is transcoded to UTF-8 incrementally, with the declaration rewritten, so that
  libxml2 always sees UTF-8. Bytes that do not decode reject the file; nothing is replaced.
* Prolog: a DOCTYPE (and with it any entity declaration, XXE or entity bomb) is refused before libxml2
  sees it; the root element must be ``SBD-MSG`` and its namespace, if any, is reported (R2).
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from parsers.bp_xml.problems import Problem, RejectedFile, Rule

ZIP_MAGIC = b"PK\x03\x04"
SHIFT_JIS_LABELS = frozenset(
    {"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "windows-31j", "ms932", "cp932", "csshiftjis"}
)
UTF8_LABELS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_DECL = re.compile(rb"^<\?xml[^>]*?\?>", re.S)
_DECL_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)((?:\s[^>]*)?)/?>", re.S)
_XMLNS = re.compile(rb"""xmlns(?::([\w.-]+))?\s*=\s*(["'])(.*?)\2""", re.S)


@dataclass(frozen=True)
class Limits:
    """Safety limits (configurable; defaults from bp-xml.md R11)."""

    max_uncompressed: int = 8 << 30
    max_ratio: int = 200
    chunk_size: int = 1 << 20


DEFAULT_LIMITS = Limits()


@dataclass
class XmlStream:
    """The XML document of a file, as UTF-8 chunks, with what was learned from its first bytes."""

    declared_encoding: str  # as written in the declaration (or 'UTF-8' / the BOM's)
    namespace: str | None
    chunks: Iterator[bytes]


def _reject(rule: Rule, message: str) -> RejectedFile:
    return RejectedFile(Problem(rule, message))


def _zip_entry(zf: zipfile.ZipFile, limits: Limits) -> zipfile.ZipInfo:
    infos = zf.infolist()
    if not infos:
        raise _reject(Rule.UNSAFE_ZIP, "the ZIP has no entry")
    if len(infos) > 1:
        names = ", ".join(i.filename for i in infos[:5])
        raise _reject(
            Rule.UNSAFE_ZIP, f"the ZIP has {len(infos)} entries ({names}); exactly one XML document is expected"
        )
    info = infos[0]
    name = info.filename
    if "/" in name or "\\" in name or ".." in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise _reject(Rule.UNSAFE_ZIP, f"ZIP entry name {name!r} has a path component; refused")
    if info.flag_bits & 0x1:
        raise _reject(Rule.UNSAFE_ZIP, f"ZIP entry {name!r} is encrypted")
    if info.file_size > limits.max_uncompressed:
        raise _reject(
            Rule.TOO_LARGE, f"ZIP entry {name!r} declares {info.file_size} bytes (limit {limits.max_uncompressed})"
        )
    if info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise _reject(
            Rule.UNSAFE_ZIP,
            f"ZIP entry {name!r} expands {info.file_size / max(info.compress_size, 1):.0f}:1 "
            f"(limit {limits.max_ratio}:1); refused as a possible ZIP bomb",
        )
    return info


def _counted(stream: IO[bytes], limit: int, chunk_size: int, what: str) -> Iterator[bytes]:
    total = 0
    while chunk := stream.read(chunk_size):
        total += len(chunk)
        if total > limit:
            raise _reject(Rule.TOO_LARGE, f"{what} is larger than the limit of {limit} bytes; refused")
        yield chunk


@contextmanager
def open_raw(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[Iterator[bytes]]:
    """Yield the raw byte chunks of the XML in ``path`` (a ZIP as served, or plain XML)."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
        fh.seek(0)
        if magic != ZIP_MAGIC:
            if path.suffix.lower() == ".zip":
                raise _reject(Rule.UNSAFE_ZIP, "not a ZIP archive although the name ends in .zip")
            yield _counted(fh, limits.max_uncompressed, limits.chunk_size, "the file")
            return
        try:
            zf = zipfile.ZipFile(fh)
        except zipfile.BadZipFile as exc:
            raise _reject(Rule.UNSAFE_ZIP, f"broken ZIP archive: {exc}") from None
        with zf:
            info = _zip_entry(zf, limits)
            try:
                with zf.open(info) as entry:
                    limit = min(info.file_size, limits.max_uncompressed)
                    yield _counted(entry, limit, limits.chunk_size, f"ZIP entry {info.filename!r}")
            except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
                raise _reject(Rule.UNSAFE_ZIP, f"ZIP entry {info.filename!r} is damaged: {exc}") from None


def codec_for(label: str) -> str:
    """Python codec for an encoding label (R1): the Shift_JIS family is ``cp932``."""
    low = label.strip().lower()
    if low in SHIFT_JIS_LABELS:
        return "cp932"
    if low in UTF8_LABELS:
        return "utf-8"
    try:
        return codecs.lookup(low).name
    except LookupError:
        raise _reject(Rule.UNDECODABLE, f"unknown encoding {label!r} in the XML declaration") from None


def _sniff(first: bytes) -> tuple[str, str, int]:
    """(declared label, python codec, BOM length) from the first bytes."""
    if first.startswith(codecs.BOM_UTF8):
        return "UTF-8", "utf-8", 3
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16", "utf-16", 0  # the utf-16 codec consumes the BOM itself
    decl = _DECL.match(first)
    if decl:
        enc = _DECL_ENCODING.search(decl.group(0))
        if enc:
            label = enc.group(1).decode("ascii")
            return label, codec_for(label), 0
    return "UTF-8", "utf-8", 0


def _transcode(chunks: Iterator[bytes], codec: str, first: bytes) -> Iterator[bytes]:
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    offset = 0
    head = True
    for chunk in _prepend(first, chunks):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise _reject(
                Rule.UNDECODABLE, f"bytes at offset {offset + exc.start} do not decode as {codec}: {exc.reason}"
            ) from None
        except UnicodeError as exc:  # e.g. 'UTF-16 stream does not start with BOM'
            raise _reject(Rule.UNDECODABLE, f"the bytes do not decode as {codec}: {exc}") from None
        offset += len(chunk)
        out = text.encode("utf-8")
        if head:
            out = out.lstrip(codecs.BOM_UTF8)
            decl = _DECL.match(out)
            if decl:
                out = _DECL_ENCODING.sub(b'encoding="UTF-8"', decl.group(0), count=1) + out[decl.end() :]
            head = False
        yield out
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeError as exc:
        raise _reject(Rule.UNDECODABLE, f"the file ends inside a character ({codec}): {exc}") from None
    if tail:
        yield tail.encode("utf-8")


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _check_prolog(head: bytes) -> str | None:
    """Refuse a DOCTYPE; require the root ``SBD-MSG``; return its namespace (or None)."""
    pos = 0
    decl = _DECL.match(head)
    if decl:
        pos = decl.end()
    while True:
        start = head.find(b"<", pos)
        if start < 0:
            if len(head) == 0 or not head[pos:].strip():
                raise _reject(Rule.NOT_WELL_FORMED, "the file is empty or has no root element")
            raise _reject(Rule.NOT_WELL_FORMED, "no root element in the first MiB of the file")
        if head.startswith(b"<!--", start):
            end = head.find(b"-->", start + 4)
            if end < 0:
                raise _reject(Rule.NOT_WELL_FORMED, "unterminated comment before the root element")
            pos = end + 3
            continue
        if head.startswith(b"<?", start):
            end = head.find(b"?>", start + 2)
            if end < 0:
                raise _reject(Rule.NOT_WELL_FORMED, "unterminated processing instruction before the root element")
            pos = end + 2
            continue
        if head.startswith(b"<!", start):
            raise _reject(
                Rule.DTD_REFUSED, "a DOCTYPE is not allowed: DTDs and entities are refused (XXE, entity expansion)"
            )
        break
    root = _ROOT.match(head, start)
    if root is None:
        raise _reject(Rule.NOT_WELL_FORMED, "the root element's start tag is malformed or longer than the first MiB")
    prefix, local, attrs = root.group(1), root.group(2), root.group(3) or b""
    if local != b"SBD-MSG":
        raise _reject(Rule.WRONG_ROOT, f"root element is {local.decode(errors='replace')!r}, not SBD-MSG")
    for m in _XMLNS.finditer(attrs):
        if (m.group(1) or None) == prefix:
            return m.group(3).decode("utf-8") or None
    return None


@contextmanager
def open_xml(
    path: Path,
    limits: Limits = DEFAULT_LIMITS,
    force_encoding: str | None = None,
) -> Iterator[XmlStream]:
    """Open ``path`` and yield its XML document as UTF-8 chunks (see the module docstring).

    Raises :class:`RejectedFile` with a BP0xx problem for anything refused before parsing.
    """
    with open_raw(path, limits) as raw:
        first = next(raw, b"")
        label, codec, bom = _sniff(first)
        if force_encoding:
            label, codec = force_encoding, codec_for(force_encoding)
        if codec == "utf-8":
            head = first[bom:]
            decl = _DECL.match(head)
            if decl and (enc := _DECL_ENCODING.search(decl.group(0))) and codec_for(enc.group(1).decode()) != "utf-8":
                # A BOM or a forced encoding wins over the declaration (R1); libxml2 must not decode by the label.
                head = _DECL_ENCODING.sub(b'encoding="UTF-8"', decl.group(0), count=1) + head[decl.end() :]
            chunks = _prepend(head, raw)
        else:
            chunks = _transcode(raw, codec, first)
            head = next(chunks, b"")
            chunks = _prepend(head, chunks)
        namespace = _check_prolog(head)
        yield XmlStream(declared_encoding=label, namespace=namespace, chunks=chunks)
