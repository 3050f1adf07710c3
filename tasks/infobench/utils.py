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
    record = harness.record(doc)
    values = infobench.drfr_values(record, judged["judge"]["verdicts"])
    # Easy/Hard DRFR pool only their own subset's questions: the other subset's samples contribute nothing.
    easy = record["subset"] == infobench.EASY
    return {"raif_score": values, "drfr": values, "drfr_easy": values if easy else [],
            "drfr_hard": [] if easy else values, **bookkeeping(judged)}
