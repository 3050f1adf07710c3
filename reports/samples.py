"""Logged samples (``--log_samples``) of a results file: lm-eval writes ``samples_<task>_<stamp>.jsonl`` next to
``results_<stamp>.json``. Every breakdown, Table 2 and the confidence intervals are computed from these rows alone:
each holds the full ``doc`` (with the benchmark record as JSON in ``doc["raw"]``), the raw ``resps``, the scored
``filtered_resps`` (for judged tasks a JSON string with the judge's verdicts) and the per-sample metric values."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


def stamp(results_path: Path) -> str:
    return results_path.stem.removeprefix("results_")


def samples_path(results_path: Path, task: str) -> Path:
    return results_path.parent / f"samples_{task}_{stamp(results_path)}.jsonl"


@cache
def _read(path: Path) -> tuple[dict[str, Any], ...]:
    with path.open(encoding="utf-8") as fh:
        return tuple(json.loads(line) for line in fh if line.strip())


def load_samples(results_path: str | Path, task: str) -> list[dict[str, Any]] | None:
    """The sample rows of ``task`` in this run, or None when the run was made without ``--log_samples``."""
    path = samples_path(Path(results_path), task)
    return list(_read(path)) if path.is_file() else None


def record(sample: dict[str, Any]) -> dict[str, Any]:
    """The benchmark record of a sample (as the task's loader built it)."""
    return json.loads(sample["doc"]["raw"])


def judged(sample: dict[str, Any]) -> dict[str, Any] | None:
    """The judge filter's output of a judged task's sample (answer, verdicts, replies), else None."""
    try:
        value = json.loads(sample["filtered_resps"][0])
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    return value if isinstance(value, dict) and "judge" in value else None
