"""The configuration of the commands that work on local files (``ingest``, ``validate``).

They need no configuration, but read ``takuso.toml`` when there is one (or ``--config FILE``): its
``csv_aliases`` map for the CSV forms and its warehouse folder.
"""

from __future__ import annotations

from pathlib import Path

from core.config import Config, ConfigError, load_optional_config


def local_config(path: Path | None) -> Config | None:
    """``--config FILE``, else ``./takuso.toml`` if present, else None; its alias map is read once here,
    so a broken one is a configuration error (exit 2), not a rejection of every CSV file."""
    config = load_optional_config(path)
    if config is not None and config.csv_aliases is not None:
        from parsers.csv_forms import AliasConfigError, load_config  # pyarrow: only when there is a map to read

        try:
            load_config(config.csv_aliases)
        except AliasConfigError as exc:
            raise ConfigError(f"{config.source}: key 'csv_aliases': {exc}") from None
    return config
