"""Prefect's settings for takuso: a private home for ``takuso demo`` (and tests), telemetry off, and a
local API server given the time it needs to start.

Prefect reads its settings when it is first imported, so call :func:`use_private_prefect_home` and
:func:`prefect_defaults` before anything imports ``prefect``. The user's ``~/.prefect`` and any
``PREFECT_API_URL`` (a server or Prefect Cloud) are left out of the demo: its Prefect API is a temporary
server on 127.0.0.1 backed by SQLite in ``folder``.

Without ``PREFECT_API_URL`` Prefect starts that temporary server in a subprocess and waits for it, by
default only 20 s. Its first start creates and migrates the SQLite database, which on a machine whose
cores are busy takes longer, so takuso waits up to :data:`STARTUP_TIMEOUT_S` (the setting
``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` wins when set) and :func:`start_local_api` says what
it is doing, and what to do when the server does not come up.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

_DROP = ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH")
STARTUP_TIMEOUT_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
STARTUP_TIMEOUT_S = 300


class PrefectStartError(RuntimeError):
    """Prefect's local API server did not start; the message says what to do."""


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
    prefect_defaults()
    return values


def prefect_defaults() -> None:
    """Before Prefect is imported: telemetry off and a patient local-server start, unless the user chose."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault(STARTUP_TIMEOUT_ENV, str(STARTUP_TIMEOUT_S))


def start_local_api(say: Callable[[str], None]) -> str:
    """Start Prefect's local API server now (unless an API URL is configured) and return the API URL.

    Raises :class:`PrefectStartError` with what to do when the server does not answer in time.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    configured = PREFECT_API_URL.value()
    if configured:
        return configured
    timeout = PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
    say(
        f"starting Prefect's local API server on 127.0.0.1 (its database is in {PREFECT_HOME.value()}); "
        f"the first start creates the database and can take a minute on a busy machine (waiting up to {timeout} s) …"
    )
    server = SubprocessASGIServer()
    started = time.monotonic()
    try:
        server.start(timeout=timeout)
    except Exception as exc:
        raise PrefectStartError(
            f"Prefect's local API server did not start within {timeout} s ({_first_line(exc)}). What to do: run "
            "the command again (the database now exists, so the next start is quicker); or allow it more time with "
            f"{STARTUP_TIMEOUT_ENV}=600; or start a Prefect server yourself (`prefect server start`) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api"
        ) from exc
    say(f"Prefect's local API server is up on {server.api_url} (started in {time.monotonic() - started:.0f} s)")
    return server.api_url


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
