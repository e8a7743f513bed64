"""Where things live in a warehouse folder (warehouse-contract.md: ``--warehouse``, ``TAKUSO_WAREHOUSE``)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WAREHOUSE = "takuso-warehouse"
"""The warehouse folder under the current folder when nothing names one (never ``warehouse/``, the code)."""
CONFIG_KEY = "warehouse_dir"
"""The key of ``takuso.toml`` that names the warehouse folder."""


def resolve_warehouse(option: Path | str | None = None, config_file: Path | None = None) -> Path:
    """``--warehouse DIR``, else ``$TAKUSO_WAREHOUSE``, else ``warehouse_dir`` of ``takuso.toml``, else
    ``./takuso-warehouse``.

    ``config_file`` is the configuration to read (default ``./takuso.toml`` when it exists); a relative
    ``warehouse_dir`` is relative to that file's folder.
    """
    if option:
        return Path(option)
    env = os.environ.get("TAKUSO_WAREHOUSE")
    if env:
        return Path(env)
    configured = configured_warehouse(config_file or Path.cwd() / "takuso.toml")
    return configured if configured is not None else Path.cwd() / DEFAULT_WAREHOUSE


def configured_warehouse(config_file: Path) -> Path | None:
    """``warehouse_dir`` (or its older name ``warehouse``) of a configuration file, if it names one."""
    try:
        raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    value = raw.get(CONFIG_KEY, raw.get("warehouse"))
    if not isinstance(value, str) or not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else config_file.parent / path


PERSONAL = "personal"
PRIVATE_FOLDER = 0o700  # folders of original files and personal data
PRIVATE_FILE = 0o600
SAME_NAME_DIR = ".same-name"


@dataclass(frozen=True)
class WarehouseLayout:
    """The folders of one warehouse."""

    root: Path

    @property
    def exists(self) -> bool:
        """The folder holds a warehouse: a catalog, or committed runs to rebuild one from."""
        return self.duckdb_file.is_file() or (self.datasets / "runs").is_dir()

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
    def personal(self) -> Path:
        """Personal data (個人情報: customer ids, names, addresses) as Parquet, ``personal/points/…``;
        the operator's only (folder 0700, files 0600), never beside the analysts' datasets."""
        return self.root / PERSONAL

    @property
    def staging(self) -> Path:
        """Where a run stages its Parquet before publishing it (personal columns included)."""
        return self.root / "_staging"

    @property
    def private_folders(self) -> tuple[Path, ...]:
        """Folders that hold original files or personal data: readable by the operator only."""
        return (self.raw, self.quarantine, self.personal, self.staging)

    def make_private_folders(self) -> None:
        """Create :attr:`private_folders` with mode 0700, and narrow them to 0700 where they exist."""
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in self.private_folders:
            folder.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
            if folder.stat().st_mode & 0o777 != PRIVATE_FOLDER:
                os.chmod(folder, PRIVATE_FOLDER)

    def dataset_dir(self, target: str) -> Path:
        """The folder of a dataset partition: ``personal/…`` under the private folder, the rest under parquet/."""
        return self.root / target if target.split("/", 1)[0] == PERSONAL else self.datasets / target

    @property
    def lock_file(self) -> Path:
        return self.root / ".takuso.lock"

    def raw_dir(self, area_code: str, account: str) -> Path:
        return self.raw / area_code / account

    def raw_same_name(self, area_code: str, account: str, name: str, sha256: str) -> Path:
        """Where raw keeps a file whose name raw already holds with other bytes (a CSV form downloaded
        again, a hand-saved copy): ``raw/<area>/<account>/.same-name/<name>.<sha8>``. Hidden, so the
        nightly scan of raw never takes it for a new download."""
        return self.raw_dir(area_code, account) / SAME_NAME_DIR / f"{name}.{sha256[:8]}"
