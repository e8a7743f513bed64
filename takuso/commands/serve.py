"""``takuso serve``: the nightly deployment on its cron schedule (default 03:00 Asia/Tokyo), until stopped.

Prefect's ``serve`` registers the deployment ``takuso-nightly/nightly`` with the schedule from
``[schedule]`` and runs each scheduled flow run in a subprocess. Scheduling needs a Prefect API whose
scheduler service runs: the one in ``$PREFECT_API_URL`` (a ``prefect server`` or Prefect Cloud), or,
when that is unset, a Prefect server that this command starts on 127.0.0.1 and stops on exit (its
database in ``$PREFECT_HOME``, by default ``~/.prefect``). Prefect's ephemeral API cannot be used here:
it runs no scheduler.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from core.config import Config, ConfigError, load_config
from flows.prefect_home import STARTUP_TIMEOUT_S

EXIT_CONFIG = 2
DEPLOYMENT_NAME = "nightly"


def deployment_options(
    cfg: Config, config_path: Path | None, warehouse: Path | None, task_runner: str, dask_address: str | None
) -> dict[str, Any]:
    """Keyword arguments for ``nightly.serve``: name, cron schedule in its time zone, parameters, limits."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    source = config_path or cfg.source
    parameters: dict[str, Any] = {"task_runner": task_runner}
    if source is not None:
        parameters["config_path"] = str(Path(source).resolve())
    if warehouse is not None:
        parameters["warehouse"] = str(Path(warehouse).resolve())
    if dask_address:
        parameters["dask_address"] = dask_address
    return {
        "name": DEPLOYMENT_NAME,
        "schedules": [Cron(cfg.schedule.cron, timezone=cfg.schedule.timezone)],
        "parameters": parameters,
        "global_limit": 1,  # one nightly run at a time; a late one waits instead of overlapping
        "enforce_parameter_schema": False,
        "pause_on_shutdown": False,
        "description": "takuso nightly: pull every enabled TSO, ingest (with the inbox), reconcile",
        "tags": ["takuso"],
        "entrypoint_type": EntrypointType.MODULE_PATH,  # flows.nightly.nightly, wherever serve was started
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_prefect_server(console: Console) -> Iterator[str]:
    """Start ``prefect server start`` on 127.0.0.1 (UI included) and yield its API URL; stop it on exit."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    console.print(
        f"starting a local Prefect server on 127.0.0.1:{port} (UI: http://127.0.0.1:{port}); the first start "
        f"creates its database and can take a minute on a busy machine (waiting up to {STARTUP_TIMEOUT_S} s) …"
    )
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the Prefect server exited with status {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Prefect server did not answer on {api} within {STARTUP_TIMEOUT_S} s. What to do: start "
                    "again (its database exists now, so the next start is quicker), or run `prefect server start` "
                    "yourself and set PREFECT_API_URL=http://127.0.0.1:4200/api"
                )
            time.sleep(0.5)
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_serve(
    config: Path | None = None,
    *,
    warehouse: Path | None = None,
    task_runner: str | None = None,
    dask_address: str | None = None,
    console: Console | None = None,
) -> int:
    """Serve until Ctrl-C / SIGTERM; 2 on a configuration error."""
    from flows.prefect_home import prefect_defaults
    from flows.scale import task_runner_name

    console = console or Console(highlight=False)
    try:
        cfg = load_config(config)
        runner = task_runner_name(task_runner, cfg.flow.task_runner)
    except (ConfigError, ValueError) as exc:
        console.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        return EXIT_CONFIG
    prefect_defaults()
    with contextlib.ExitStack() as stack:
        if not os.environ.get("PREFECT_API_URL"):
            try:
                os.environ["PREFECT_API_URL"] = stack.enter_context(local_prefect_server(console))
            except RuntimeError as exc:
                console.print(f"[red]cannot start a local Prefect server:[/red] {escape(str(exc))}")
                return EXIT_CONFIG
        from flows.nightly import nightly

        try:
            options = deployment_options(cfg, config, warehouse, runner, dask_address)
        except ValueError as exc:  # a bad cron string or time zone
            console.print(f"[red]configuration error:[/red] {escape('[schedule]')}: {escape(str(exc))}")
            return EXIT_CONFIG
        console.print(
            escape(
                f"serving takuso-nightly/{DEPLOYMENT_NAME} on '{cfg.schedule.cron}' ({cfg.schedule.timezone}) "
                f"via {os.environ['PREFECT_API_URL']}; Ctrl-C to stop"
            )
        )
        nightly.serve(**options)
    return 0
