"""Encoding detection, csv-forms.md §6.2: BOM, strict UTF-8, strict CP932, error with the byte offset."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from parsers.csv_forms import read_form
from parsers.csv_forms.encoding import EncodingDetectionError, decode_bytes

TEXT = "供給地点特定番号,対象年月\r\n0300000000000000000001,202404\r\n"


def test_utf8_bom_is_removed_and_recorded() -> None:
    decoded = decode_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    assert decoded.encoding == "utf-8-sig"
    assert decoded.text == TEXT


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_utf16_bom(bom: bytes, codec: str) -> None:
    decoded = decode_bytes(bom + TEXT.encode(codec))
    assert decoded.encoding == codec
    assert decoded.text == TEXT


def test_plain_utf8_and_ascii() -> None:
    assert decode_bytes(TEXT.encode("utf-8")).encoding == "utf-8"
    assert decode_bytes(b"a,b\n").encoding == "utf-8"


def test_cp932_with_vendor_characters() -> None:
    text = "発電者名\r\n①ソーラー\r\n"
    decoded = decode_bytes(text.encode("cp932"))
    assert decoded.encoding == "cp932"
    assert decoded.text == text


def test_undecodable_bytes_give_the_offset() -> None:
    with pytest.raises(EncodingDetectionError) as e:
        decode_bytes(b"ok,\x81\x7f\n")
    assert e.value.offset == 3
    assert "offset 3" in str(e.value)


def test_forced_encoding_is_strict() -> None:
    assert decode_bytes(TEXT.encode("cp932"), "cp932").encoding == "cp932"
    with pytest.raises(EncodingDetectionError):
        decode_bytes(TEXT.encode("utf-8"), "cp932")


def test_read_form_reports_undecodable_file_as_csv003(tmp_path: Path) -> None:
    path = tmp_path / "curtailment_discounts_03_202404.csv"
    path.write_bytes(b"\x81\x7f")
    result = read_form(path, "03")
    assert result.table is None
    assert [p.rule_id for p in result.errors] == ["CSV003"]
    assert "offset 0" in result.errors[0].message


def test_read_form_forced_encoding(tmp_path: Path) -> None:
    # CP932 bytes that also happen to be valid in no other candidate still read when forced
    path = tmp_path / "f.csv"
    path.write_bytes("供給地点特定番号,対象年月\r\n".encode("cp932"))
    result = read_form(path, "03", form_id="curtailment_discounts", encoding="cp932")
    assert result.encoding == "cp932"
    assert result.errors == []


def test_nul_character_is_refused_in_any_encoding() -> None:
    import pytest

    from parsers.csv_forms.encoding import EncodingDetectionError, decode_bytes

    for data in ("供給地点特定番号,値\n01,a\x00b\n".encode(), "a,b\r\n1,\x002\r\n".encode("cp932")):
        with pytest.raises(EncodingDetectionError, match="NUL character"):
            decode_bytes(data)
