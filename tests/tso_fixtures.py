"""Helpers for the download-side tests (imported as ``tests.tso_fixtures``; not a pytest conftest).

Everything here talks to 127.0.0.1 only: synthetic BP ZIPs, a loopback simulator, configs that point
at it. Names come from the project's own ``bp_filename`` so they pass ``parse_bp_filename``.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from core.config import Config, demo_config
from core.kinds import KINDS_BY_NAME
from parsers.bp_xml.filename import bp_filename
from tso.simulator import Simulator

FAST: dict[str, Any] = {"retries": 2, "backoff_s": 0.01, "timeout_s": 5.0}


def make_zip(name: str, size_hint: int = 200) -> bytes:
    """A small synthetic ZIP whose single entry is a fake XML (content is irrelevant to the download)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(name.replace(".zip", ".xml"), "<SBD-MSG/>" + "x" * size_hint)
    return buf.getvalue()


def bp_names(count: int, kind: str = "low_energy_daily", start: date = date(2024, 4, 1)) -> list[str]:
    return [bp_filename(KINDS_BY_NAME[kind], start + timedelta(days=i)) for i in range(count)]


def populate(root: Path, area: str, count: int = 3, kind: str = "low_energy_daily") -> dict[str, bytes]:
    """Write ``count`` BP ZIPs into ``root/<area>/``; return name → bytes."""
    folder = root / area
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for i, name in enumerate(bp_names(count, kind)):
        data = make_zip(name, 100 + 50 * i)
        (folder / name).write_bytes(data)
        files[name] = data
    return files


def sim_config(sim: Simulator, areas: list[str], tmp: Path, **overrides: object) -> Config:
    """The embedded demo config for ``sim`` with fast retries (overridable)."""
    crt, key, ca = sim.client_cert_paths
    kwargs = {**FAST, **overrides}
    return demo_config(
        sim.base_url,
        client_cert=crt,
        client_key=key,
        ca_bundle=ca,
        areas=areas,
        warehouse=tmp / "wh",
        **kwargs,
    )


def toml_config(sim: Simulator, areas: list[str], *, pkcs12_env: str | None = None, extra: str = "") -> str:
    """A ``takuso.toml`` text for ``sim`` (PEM pair, or the PKCS#12 with its passphrase in ``pkcs12_env``)."""
    pki = sim.pki
    lines = ['retailer_code = "9999"', "loopback_only = true", extra]
    for code in areas:
        lines += [f'[tso."{code}"]', f'base_url = "{sim.base_url}"', f'path_prefix = "/{code}"']
        if pkcs12_env:
            lines += [f'pkcs12 = "{pki.client_p12}"', f'pkcs12_password_env = "{pkcs12_env}"']
        else:
            lines += [f'cert_pem = "{pki.client_cert}"', f'key_pem = "{pki.client_key}"']
        lines += [f'ca_bundle = "{pki.ca_cert}"', "retries = 1", "backoff_s = 0.01", "timeout_s = 5"]
    return "\n".join(lines) + "\n"
