"""Encoding detection (文字コード判定) for the CSV forms, exactly as csv-forms.md §6.2.

Order: byte-order mark → strict UTF-8 → strict CP932 → error with the byte offset. Never decodes with
replacement characters. A forced encoding (per call or per area/form in the alias map) skips detection.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

UTF8_SIG = "utf-8-sig"
UTF8 = "utf-8"
CP932 = "cp932"  # Windows superset of Shift_JIS; accepts vendor characters such as ① (§6.2 step 3)
UTF16_LE = "utf-16-le"
UTF16_BE = "utf-16-be"


class EncodingDetectionError(ValueError):
    """Neither UTF-8 nor CP932 (or not the forced encoding); ``offset`` is the first bad byte."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Decoded:
    """Decoded text (BOM removed) and the encoding name recorded per file."""

    text: str
    encoding: str


def decode_bytes(data: bytes, forced: str | None = None) -> Decoded:
    """Decode a form's raw bytes (生データ) into text, detecting the encoding per §6.2.

    A NUL character is refused whatever the encoding: no text form has one, and CSV readers would
    otherwise keep it inside a value.
    """
    decoded = _detect(data, forced)
    nul = decoded.text.find("\x00")
    if nul >= 0:
        raise EncodingDetectionError(f"NUL character at character {nul}: not a text file", nul)
    return decoded


def _detect(data: bytes, forced: str | None) -> Decoded:
    if forced:
        return _decode_forced(data, forced)
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(_strict(data[len(codecs.BOM_UTF8) :], UTF8, len(codecs.BOM_UTF8)), UTF8_SIG)
    if data.startswith(codecs.BOM_UTF16_LE):
        return Decoded(_strict(data[2:], UTF16_LE, 2), UTF16_LE)
    if data.startswith(codecs.BOM_UTF16_BE):
        return Decoded(_strict(data[2:], UTF16_BE, 2), UTF16_BE)
    try:
        return Decoded(data.decode(UTF8, errors="strict"), UTF8)
    except UnicodeDecodeError as utf8_error:
        try:
            return Decoded(data.decode(CP932, errors="strict"), CP932)
        except UnicodeDecodeError as cp932_error:
            raise EncodingDetectionError(
                f"neither UTF-8 (first invalid byte at offset {utf8_error.start}) nor CP932 (first invalid "
                f"byte at offset {cp932_error.start}, 0x{data[cp932_error.start]:02x}); force the encoding "
                "in the alias map or re-save the file",
                cp932_error.start,
            ) from None


def _decode_forced(data: bytes, forced: str) -> Decoded:
    try:
        name = codecs.lookup(forced).name
    except LookupError:
        raise EncodingDetectionError(f"unknown forced encoding {forced!r}", 0) from None
    text = _strict(data, forced, 0)
    if text.startswith("\ufeff"):
        text = text[1:]
    return Decoded(text, name)


def _strict(data: bytes, encoding: str, base_offset: int) -> str:
    try:
        return data.decode(encoding, errors="strict")
    except UnicodeDecodeError as e:
        offset = base_offset + e.start
        raise EncodingDetectionError(f"not valid {encoding}: invalid byte at offset {offset}", offset) from None
