"""deploy/stack.py refuses a FastDFS stack whose store path holds no FastDFS store (item 21):
it used to start, say ready, and answer 404 for every download."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STACK = Path(__file__).resolve().parents[2] / "deploy" / "stack.py"


def up(root: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(STACK), "up", "--root", str(root), "--fdfs-trackers", "127.0.0.1:9", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_fastdfs_needs_a_store_path(tmp_path: Path) -> None:
    result = up(tmp_path / "stack")
    assert result.returncode != 0 and "--store-path" in result.stderr
    assert not (tmp_path / "stack" / "stack.json").exists()


def test_an_empty_store_path_is_refused_before_anything_starts(tmp_path: Path) -> None:
    empty = tmp_path / "not-mounted"
    empty.mkdir()
    result = up(tmp_path / "stack", "--store-path", str(empty))
    assert result.returncode != 0
    assert "no FastDFS store here" in result.stderr and str(empty) in result.stderr
    assert not (tmp_path / "stack" / "stack.json").exists()
