"""Listing parsers (tso-download.md §4 generic ``<comment>``, §5 Shikoku HTML links)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tso.listing import ListingError, parse_comment_listing, parse_html_links, unsafe_name_reason

A = "W41120202404010000000000.zip"
B = "W40120202404010000000100.zip"  # high-voltage per-day file; 2-digit section
C = "W51220202404010000001.zip"


def body(items: str) -> str:
    return f"<html><body>junk<comment>{items}</comment>trailer<comment>ignored</comment></body></html>"


def test_pairs_are_read_by_number_not_by_position() -> None:
    listing = parse_comment_listing(body(f'rfilesize2:"911",rfilename1:"{A}",rfilename2:"{B}",rfilesize1:"18234"'))
    assert [(f.name, f.size) for f in listing.files] == [(A, 18234), (B, 911)]
    assert listing.files[0].kind == "low_energy_daily"
    assert listing.skipped == ()


def test_w5_names_are_accepted() -> None:
    assert parse_comment_listing(body(f'rfilename1:"{C}",rfilesize1:"5"')).files[0].kind == "low_monthly_usage"


def test_empty_comment_is_an_empty_listing() -> None:
    assert parse_comment_listing("<comment></comment>").files == ()


def test_only_the_first_comment_counts() -> None:
    text = f'<comment>rfilename1:"{A}",rfilesize1:"1"</comment><comment>rfilename2:"{B}"</comment>'
    assert [f.name for f in parse_comment_listing(text).files] == [A]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (f'rfilename1:"{A}"', "rfilename1 has no rfilesize1"),
        ('rfilesize3:"10"', "rfilesize3 has no rfilename3"),
        (f'rfilename1:"{A}",rfilesize1:"12kB"', "not a non-negative integer"),
        (f'rfilename1:"{A}",rfilesize1:"-4"', "not a non-negative integer"),
        (f'rfilename1:"{A}",rfilesize1:""', "not a non-negative integer"),
        (f'rfilename1:"{A}",rfilesize1:"1",rfilename1:"{B}"', "appears twice"),
        ("garbage", "unreadable listing item"),
    ],
)
def test_bad_listings_are_errors(items: str, message: str) -> None:
    with pytest.raises(ListingError, match=message):
        parse_comment_listing(body(items))


def test_missing_comment_is_an_error() -> None:
    with pytest.raises(ListingError, match="no <comment>"):
        parse_comment_listing("<html>maintenance</html>")
    with pytest.raises(ListingError, match="not closed"):
        parse_comment_listing("<comment>rfilename1:")


def test_non_bp_names_are_reported_and_skipped() -> None:
    listing = parse_comment_listing(body(f'rfilename1:"readme.txt",rfilesize1:"3",rfilename2:"{A}",rfilesize2:"4"'))
    assert [f.name for f in listing.files] == [A]
    assert listing.skipped[0][0] == "readme.txt"
    assert "not a BP file name" in listing.skipped[0][1]


@pytest.mark.parametrize("name", [f"../{A}", f"sub/{A}", f"sub\\{A}", f"..{A}", f".{A}"])
def test_path_like_names_are_rejected(name: str) -> None:
    listing = parse_comment_listing(body(f'rfilename1:"{name}",rfilesize1:"3"'))
    assert listing.files == ()
    assert listing.skipped[0][1].startswith("rejected")


def test_duplicate_names_are_skipped() -> None:
    listing = parse_comment_listing(body(f'rfilename1:"{A}",rfilesize1:"3",rfilename2:"{A}",rfilesize2:"3"'))
    assert len(listing.files) == 1
    assert listing.skipped == ((A, "listed twice"),)


def test_html_links_keep_file_links_only() -> None:
    page = (
        "<html><a href='../Menu1.action'>メニュー</a>"
        f'<a href="FileReceiver.action?file={A}">{A}</a>'
        f'<a href="/PPS/30min/FileReceiver.action?file={B}&amp;x=1">{B}</a>'
        '<a href="FileReceiver.action?file=notes.pdf">notes</a>'
        '<a href="FileReceiver.action?file=..%2Fetc%2Fpasswd">evil</a></html>'
    )
    listing = parse_html_links(page)
    assert [(f.name, f.size) for f in listing.files] == [(A, None), (B, None)]
    assert {name for name, _ in listing.skipped} == {"notes.pdf", "../etc/passwd"}


@pytest.mark.slow
@given(st.text(max_size=40))
def test_unsafe_names_never_contain_separators(name: str) -> None:
    if unsafe_name_reason(name) is None:
        assert "/" not in name and "\\" not in name and ".." not in name and name


@given(st.lists(st.tuples(st.sampled_from([A, B, C]), st.integers(0, 10**9)), max_size=6, unique_by=lambda t: t[0]))
def test_round_trip_of_generated_listings(pairs: list[tuple[str, int]]) -> None:
    items = ",".join(f'rfilename{n}:"{name}",rfilesize{n}:"{size}"' for n, (name, size) in enumerate(pairs, 1))
    assert [(f.name, f.size) for f in parse_comment_listing(body(items)).files] == pairs


@pytest.mark.parametrize("where", [6, 23])  # a digit of the year, of the section
@pytest.mark.parametrize("digit", ["２", "٢", "२"])  # fullwidth, Arabic-Indic, Devanagari two
def test_a_name_with_non_ascii_digits_is_skipped(digit: str, where: int) -> None:
    impostor = A[:where] + digit + A[where + 1 :]
    listing = parse_comment_listing(body(f'rfilename1:"{impostor}",rfilesize1:"1",rfilename2:"{A}",rfilesize2:"2"'))
    assert [f.name for f in listing.files] == [A]
    assert listing.skipped[0][0] == impostor and "not a BP file name" in listing.skipped[0][1]


def test_a_listing_number_or_size_in_fullwidth_digits_is_an_error() -> None:
    with pytest.raises(ListingError):
        parse_comment_listing(body(f'rfilename１:"{A}",rfilesize１:"1"'))
    with pytest.raises(ListingError):
        parse_comment_listing(body(f'rfilename1:"{A}",rfilesize1:"１２"'))


def test_bp_and_csv_names_take_ascii_digits_only() -> None:
    from pathlib import Path

    from core.inputs import area_of
    from parsers.bp_xml.filename import FileNameError, parse_bp_filename

    with pytest.raises(FileNameError):
        parse_bp_filename("W41120２０２４0401" + "0000000000.zip")
    assert area_of(Path("form1_03_202404.csv")) == "03"
    assert area_of(Path("form1_03_２０２４04.csv")) is None
