"""``make clean`` removes only what a build or a demo made: never a tracked file of the repository."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or not (REPO / ".git").exists(), reason="needs make and a git checkout"
)


def _removed_paths() -> list[str]:
    """The paths the ``clean`` target's ``rm`` commands name (``make -n`` prints without running)."""
    out = subprocess.run(["make", "-n", "clean"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    paths: list[str] = []
    for line in out.splitlines():
        words = shlex.split(line)
        if words and words[0] == "rm":
            paths += [w for w in words[1:] if not w.startswith("-")]
    return paths


def test_clean_names_no_tracked_file() -> None:
    paths = _removed_paths()
    assert paths, "make clean removes nothing?"
    tracked = subprocess.run(
        ["git", "ls-files", "--", *paths], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked == []


def test_clean_removes_the_default_warehouse_folder() -> None:
    assert "takuso-warehouse" in _removed_paths()
