"""Where things live in a warehouse folder (warehouse-contract.md: ``--warehouse``, ``TAKUSO_WAREHOUSE``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def resolve_warehouse(option: Path | str | None = None) -> Path:
    """``--warehouse DIR``, else ``$TAKUSO_WAREHOUSE``, else ``./warehouse``."""
    if option:
        return Path(option)
    env = os.environ.get("TAKUSO_WAREHOUSE")
    return Path(env) if env else Path.cwd() / "warehouse"


@dataclass(frozen=True)
class WarehouseLayout:
    """The folders of one warehouse."""

    root: Path

    @property
    def duckdb_file(self) -> Path:
        return self.root / "takuso.duckdb"

    @property
    def personal_duckdb_file(self) -> Path:
        """Customer names and addresses (個人情報), readable by the owner only (mode 0600)."""
        return self.root / "takuso-personal.duckdb"

    @property
    def raw(self) -> Path:
        """Raw landing zone: every input byte for byte, ``raw/<area>/<account>/<name>``."""
        return self.root / "raw"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def datasets(self) -> Path:
        """Parquet datasets, the store of record."""
        return self.root / "parquet"

    @property
    def lock_file(self) -> Path:
        return self.root / ".takuso.lock"

    def raw_dir(self, area_code: str, account: str) -> Path:
        return self.raw / area_code / account
