"""Raw landing zone: atomic, size-checked, hashed, never overwritten (tso-download.md §8)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tso.landing import Presence, SizeMismatch, land_stream, presence, raw_folder

NAME = "W41120202404010000000000.zip"
DATA = b"PK\x03\x04" + b"z" * 1000


def chunks(data: bytes, size: int = 100) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def land(folder: Path, data: bytes = DATA, expected: int | None = len(DATA), body: object = None) -> object:
    return land_stream(
        body if body is not None else chunks(data),  # type: ignore[arg-type]
        folder=folder,
        name=NAME,
        expected_size=expected,
        url="https://127.0.0.1:1/03/FileReceiver?file=" + NAME,
        area_code="03",
        account="default",
    )


def test_layout_is_area_then_account(tmp_path: Path) -> None:
    assert raw_folder(tmp_path, "03", "bg-2") == tmp_path / "raw" / "03" / "bg-2"


def test_a_complete_body_lands_with_its_sidecar(tmp_path: Path) -> None:
    landed = land(tmp_path)
    assert (tmp_path / NAME).read_bytes() == DATA
    meta = json.loads((tmp_path / (NAME + ".meta.json")).read_text())
    assert meta["sha256"] == hashlib.sha256(DATA).hexdigest() == landed.sha256  # type: ignore[attr-defined]
    assert meta["bytes"] == len(DATA)
    assert set(meta) >= {"sha256", "bytes", "downloaded_at", "url", "area_code", "account"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME, NAME + ".meta.json"]


@pytest.mark.parametrize("expected", [len(DATA) + 1, len(DATA) - 1])
def test_a_wrong_size_never_lands(tmp_path: Path, expected: int) -> None:
    with pytest.raises(SizeMismatch):
        land(tmp_path, expected=expected)
    assert list(tmp_path.iterdir()) == []


def test_a_broken_stream_never_lands(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield DATA[:300]
        raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        land(tmp_path, body=broken())
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    land(tmp_path)
    with pytest.raises(FileExistsError):
        land(tmp_path, data=b"PK\x03\x04 other bytes", expected=None)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_presence(tmp_path: Path) -> None:
    assert presence(tmp_path, NAME, len(DATA)) is Presence.NEW
    land(tmp_path)
    assert presence(tmp_path, NAME, len(DATA)) is Presence.PRESENT
    assert presence(tmp_path, NAME, None) is Presence.PRESENT
    assert presence(tmp_path, NAME, 3) is Presence.CONFLICT


@pytest.mark.parametrize("name", ["../escape.zip", "a/b.zip", ".hidden.zip"])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="refusing"):
        land_stream(chunks(DATA), folder=tmp_path, name=name, expected_size=None, url="u", area_code="03",
                    account="default")  # fmt: skip
