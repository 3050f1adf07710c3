"""Logged samples (``--log_samples``) of a results file: lm-eval writes ``samples_<task>_<stamp>.jsonl`` next to
``results_<stamp>.json``. Every breakdown, Table 2 and the confidence intervals are computed from these rows alone:
each holds the full ``doc`` (with the benchmark record as JSON in ``doc["raw"]``), the raw ``resps``, the scored
``filtered_resps`` (for judged tasks an encoded :class:`~raif_eval.core.Judged`) and the per-sample metric values
(reading them: :mod:`raif_eval.core.tables`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from raif_eval.jsonio import read_jsonl


def stamp(results_path: Path) -> str:
    return results_path.stem.removeprefix("results_")


def samples_path(results_path: Path, task: str) -> Path:
    return results_path.parent / f"samples_{task}_{stamp(results_path)}.jsonl"


@cache
def _read(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(read_jsonl(path, "an lm-eval samples file"))


def load_samples(results_path: str | Path, task: str) -> list[dict[str, Any]] | None:
    """The sample rows of ``task`` in this run, or None when the run was made without ``--log_samples``."""
    path = samples_path(Path(results_path), task)
    return list(_read(path)) if path.is_file() else None
