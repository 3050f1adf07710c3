"""Per-benchmark breakdowns of one run, from its logged samples alone (``--log_samples``).

Each benchmark's definition declares its breakdowns (:class:`raif_eval.core.Breakdown`, built in the benchmark's
module from the per-sample values its task logs); this module finds the run's tasks, reads their samples, and adds
the judge's bookkeeping per task. Every frame is tidy (long) with a plain RangeIndex: key columns, then ``metric``,
``value`` and ``n`` (see :mod:`raif_eval.core.tables`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from raif_eval.benchmarks import BENCHMARKS
from raif_eval.core.tables import FILTER, scored
from raif_eval.results import load_samples, task_settings

USAGE = (("judge_parse_failures", "parse failures"), ("judge_parse_failure_rate", "parse failure rate"),
         ("judge_failed_docs", "failed docs"), ("judge_prompt_tokens", "prompt tokens"),
         ("judge_completion_tokens", "completion tokens"), ("judge_missing", "missing judgments"),
         ("judge_unparsed", "unparsed"), ("judge_fallback", "fallback parses"),
         ("judge_unknown_rules", "unknown rules"), ("judge_malformed", "malformed replies"))


def judge_usage(results: dict[str, Any]) -> pd.DataFrame:
    """Per judged task of a results file: the judge model and the bookkeeping metrics the task reports (filter
    ``raif``). The parse failure rate is a percentage; the rest are counts; NaN where a task does not report a
    metric. Columns: task, judge, then one column per metric."""
    rows = []
    for task, values in results.get("results", {}).items():
        found = {label: values.get(f"{key},{FILTER}") for key, label in USAGE}
        if all(v is None for v in found.values()):
            continue
        metadata = results.get("configs", {}).get(task, {}).get("metadata") or {}
        judge = metadata.get("judge") or {}
        row: dict[str, Any] = {"task": task, "judge": judge.get("model")}
        for label, value in found.items():
            value = math.nan if value is None or isinstance(value, str) else float(value)
            row[label] = 100 * value if label == "parse failure rate" else value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["task", "judge", *(label for _, label in USAGE)])
    for _, label in USAGE:  # counts print as counts ("11661", not "11661.00"); missing stays missing
        if label != "parse failure rate":
            frame[label] = frame[label].round().astype("Int64")
    return frame


def benchmark_tasks(results: dict[str, Any]) -> dict[str, str]:
    """Leaf tasks of a results file whose benchmark raif-eval defines: task -> benchmark key (task metadata)."""
    out = {}
    for task, config in results.get("configs", {}).items():
        key = (config.get("metadata") or {}).get("benchmark")
        if key in BENCHMARKS:
            out[task] = key
    return out


def breakdowns(results_path: str | Path, results: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every breakdown that applies to the run: those of each benchmark task with logged samples (tasks without a
    samples file are skipped), and the judge usage table when a task used the judge. When two tasks share a
    benchmark (FollowBench en / zh) their names carry the task."""
    tasks = benchmark_tasks(results)
    shared = {b for b in tasks.values() if list(tasks.values()).count(b) > 1}
    out: dict[str, pd.DataFrame] = {}
    for task, key in tasks.items():
        samples = scored(load_samples(results_path, task))
        if not samples:
            continue
        for breakdown in BENCHMARKS[key].breakdowns:
            title = f"{breakdown.title} ({task})" if key in shared else breakdown.title
            out[title] = breakdown.build(samples, task_settings(results, task))
    if out:
        usage = judge_usage(results)
        if not usage.empty:
            out["Judge usage"] = usage
    return out
