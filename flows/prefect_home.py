"""A private Prefect home for ``takuso demo`` (and tests): Prefect's local ephemeral API, nothing else.

Prefect reads its settings when it is first imported, so call :func:`use_private_prefect_home` before
anything imports ``prefect``. The user's ``~/.prefect`` and any ``PREFECT_API_URL`` (a server or Prefect
Cloud) are left out: the demo's Prefect API is a temporary server on 127.0.0.1 backed by SQLite in
``folder``. Anonymous usage telemetry is switched off.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_DROP = ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH")


def use_private_prefect_home(folder: Path) -> dict[str, str]:
    """Point Prefect at ``folder`` in this process's environment; return the variables set."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in _DROP:
        os.environ.pop(name, None)
    values = {
        "PREFECT_HOME": str(folder.resolve()),
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
    }
    os.environ.update(values)
    if "prefect" in sys.modules:  # settings already read: too late to change them in this process
        raise RuntimeError("use_private_prefect_home() must run before prefect is imported")
    return values


def no_telemetry() -> None:
    """Switch off Prefect's anonymous usage telemetry unless the user chose otherwise."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
