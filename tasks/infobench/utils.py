"""lm-eval glue for raif_infobench: documents in, per-document metrics out; judging lives in the core."""

from __future__ import annotations

from typing import Any

from raif_eval import harness
from raif_eval.benchmarks import infobench
from raif_eval.judge.filter import bookkeeping, decode


def load(data_dir: str | None = None, **_metadata):
    return harness.to_dataset(harness.doc(r["id"], infobench.prompt(r), r) for r in infobench.load_records(data_dir))


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    judged = decode(results[0])
    values = infobench.drfr_values(harness.record(doc), judged["judge"]["verdicts"])
    return {"raif_score": values, "drfr": values, **bookkeeping(judged)}
