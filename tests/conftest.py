"""Shared fixtures: sample files made by the project's own generator, and mutations of them."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from sample_data.bp import write_area

SAMPLE_MONTH = date(2024, 4, 1)


@pytest.fixture(scope="session")
def sample_bp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BP files of four areas that differ in encoding, namespace, slot padding and element order."""
    root = tmp_path_factory.mktemp("sample_bp")
    for area in ("01", "03", "05", "06"):
        write_area(root / area, area, SAMPLE_MONTH, seed=1, low_points=3, high_points=1)
    return root


def xml_of(zip_path: Path) -> bytes:
    """The XML document inside a served ZIP."""
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(zf.infolist()[0])


def write_xml(tmp_path: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as a plain XML file whose name is the BP name ``name`` with ``.xml``."""
    path = tmp_path / name.replace(".zip", ".xml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
