"""A loading run keeps freed memory for reuse (core.memory): glibc takes the settings, once per process."""

from __future__ import annotations

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
