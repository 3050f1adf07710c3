"""Shared helpers of the test modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETGUARD = Path(__file__).resolve().parent / "netguard"
SHARED = (ROOT / ".." / "shared" / "benchmarks").resolve()


def write_replay(path: Path, task: str, ids, responses) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for native_id, response in zip(ids, responses):
            fh.write(json.dumps({"task": task, "id": native_id, "response": response}) + "\n")
    return path


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """``raif-eval ARGS`` in a subprocess (same code path as the console script)."""
    return subprocess.run(
        [sys.executable, "-m", "raif_eval", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
