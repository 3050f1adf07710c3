"""lm-eval glue for raif_complexbench: instructions in, per-question verdicts after dependencies out; judging,
rules and aggregation live in the core."""

from __future__ import annotations

from typing import Any

from raif_eval import harness
from raif_eval.benchmarks import complexbench
from raif_eval.core import pooled_mean
from raif_eval.errors import RaifError
from raif_eval.judge.filter import bookkeeping, decode

CATEGORIES = ("And", "Chain_1", "Chain_2", "Selection_1", "Selection_2", "Selection_3", "Selection_and_Chain_2",
              "Selection_and_Chain_3")


def load(complexbench_language: str = "zh", complexbench_data_file: str = "data_final",
         complexbench_missing: str = "fail", data_dir: str | None = None, **_metadata):
    if complexbench_missing not in complexbench.MISSING_MODES:
        raise RaifError(f"complexbench_missing must be one of {', '.join(complexbench.MISSING_MODES)}, "
                        f"not {complexbench_missing!r}")
    records = complexbench.load_records(complexbench_language, complexbench_data_file, data_dir)
    return harness.to_dataset(
        harness.doc(r["main_id"], complexbench.prompt(r), r, category=r["category"], missing=complexbench_missing)
        for r in records
    )


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    judged = decode(results[0])
    record, raw = harness.record(doc), judged["judge"]["verdicts"]
    row = complexbench.row(record, raw)
    # Verdicts after dependency propagation (True / False / 2 for an unknown rule, which DRFR counts as failed);
    # an instruction left out under complexbench_missing=drop contributes no question.
    verdicts = row["rely"] if complexbench.kept([row], doc["missing"]) else []
    out: dict[str, Any] = {"raif_score": verdicts, "drfr": verdicts}
    for category in CATEGORIES:  # a category's DRFR pools only its own instructions' questions
        out[f"drfr_{category}"] = verdicts if doc["category"] == category else []
    out["judge_unknown_rules"] = sum(1 for v in (raw or []) if v is not None and v is not True and v is not False)
    out["judge_missing"] = row["missing"]
    return {**out, **bookkeeping(judged)}


def drfr(items: list[list[Any]]) -> float:
    """Satisfied questions (verdict exactly True) over all questions, pooled over instructions."""
    return pooled_mean([[v is True for v in verdicts] for verdicts in items])
