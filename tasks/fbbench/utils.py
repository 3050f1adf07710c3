"""lm-eval glue for raif_fbbench: dialogues in, per-dialogue scores out; judging and aggregation live in the core."""

from __future__ import annotations

from typing import Any

from raif_eval import harness
from raif_eval.benchmarks import fbbench
from raif_eval.core import Tagged
from raif_eval.errors import RaifError
from raif_eval.judge.filter import bookkeeping, decode


def load(fbbench_version: str = "v3", fbbench_on_failure: str = "zero", data_dir: str | None = None, **_metadata):
    if fbbench_version not in fbbench.VERSIONS:
        raise RaifError(f"fbbench_version must be one of {', '.join(fbbench.VERSIONS)}, not {fbbench_version!r}")
    if fbbench_on_failure not in fbbench.ON_FAILURE:
        raise RaifError(f"fbbench_on_failure must be one of {', '.join(fbbench.ON_FAILURE)}, "
                        f"not {fbbench_on_failure!r}")
    return harness.to_dataset(
        harness.doc(position, r["feedback"], r, messages=fbbench.messages(r), bench_type=r["bench_type"],
                    task_type=r["task_type"], on_failure=fbbench_on_failure)
        for position, r in enumerate(fbbench.load_records(fbbench_version, data_dir))
    )


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    judged = decode(results[0])
    score = fbbench.score_or_default(judged["judge"]["verdicts"], doc["on_failure"])
    value = None if score is None else Tagged(score, bench_type=doc["bench_type"], task_type=doc["task_type"])
    ec = doc["bench_type"] == fbbench.EC
    return {"raif_score": value, "fb_overall": value, "fb_score": value,
            "fb_error_correction": value if ec else None, "fb_response_maintenance": None if ec else value,
            **bookkeeping(judged)}


def _rows(items: list[Tagged | None]) -> list[fbbench.Row]:
    return [(v.tags["bench_type"], v.tags["task_type"], float(v)) for v in items if v is not None]


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value


def overall(items: list[Tagged | None]) -> float:
    return _or_nan(fbbench.aggregate(_rows(items)).overall)


def error_correction(items: list[Tagged | None]) -> float:
    return _or_nan(fbbench.aggregate(_rows(items)).error_correction)


def response_maintenance(items: list[Tagged | None]) -> float:
    return _or_nan(fbbench.aggregate(_rows(items)).response_maintenance)
