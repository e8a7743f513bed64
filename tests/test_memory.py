"""A loading run keeps freed memory for reuse (core.memory): glibc takes the settings, once per process."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from core import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_the_settings_once() -> None:
    code = "from core.memory import keep_freed_memory as k; print(k(), k())"  # a fresh process: not yet tuned
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]


def test_another_c_library_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_tuned", False)
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.keep_freed_memory() is False


def _pool_after(code: str, **env: str) -> str:
    """The backend of Arrow's default pool in a fresh process that runs ``code`` and then imports pyarrow."""
    environ = {k: v for k, v in os.environ.items() if k != memory.ARROW_POOL_ENV} | env
    script = f"{code}\nimport pyarrow as pa\nprint(pa.default_memory_pool().backend_name)"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environ)
    return run.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="set on Linux only")
def test_a_process_that_loads_data_allocates_from_jemalloc() -> None:
    # by the packages themselves: the command line's, and the one a Dask worker imports for prepare_file
    assert _pool_after("import takuso").strip() == memory.ARROW_POOL
    assert _pool_after("import warehouse.ingest").strip() == memory.ARROW_POOL
    assert _pool_after("").strip() != memory.ARROW_POOL  # pyarrow's own default otherwise (mimalloc)


def test_the_users_pool_and_an_imported_pyarrow_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _pool_after("import takuso", ARROW_DEFAULT_MEMORY_POOL="system").strip() == "system"
    import pyarrow  # noqa: F401  (in this process: too late to choose)

    monkeypatch.delenv(memory.ARROW_POOL_ENV, raising=False)
    assert memory.prefer_jemalloc() is False
    assert memory.ARROW_POOL_ENV not in os.environ
