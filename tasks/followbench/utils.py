"""lm-eval glue for raif_followbench_en/_zh: documents in, per-document cells out; scoring lives in the core."""

from __future__ import annotations

from typing import Any

from raif_eval import harness
from raif_eval.benchmarks import followbench
from raif_eval.errors import RaifError
from raif_eval.judge.filter import bookkeeping, decode


def load(language: str = "en", followbench_on_unparsed: str = "minus_one", data_dir: str | None = None,
         **_metadata):
    if followbench_on_unparsed not in followbench.ON_UNPARSED:
        raise RaifError(f"followbench_on_unparsed must be one of {', '.join(followbench.ON_UNPARSED)}, "
                        f"not {followbench_on_unparsed!r}")
    return harness.to_dataset(
        harness.doc(r["id"], r["instruction"], r, category=r["file_category"], level=r["level"],
                    rule_checked=r["rule"], on_unparsed=followbench_on_unparsed)
        for r in followbench.load_records(language, data_dir)
    )


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    judged = decode(results[0])
    record = harness.record(doc)
    hard, soft = followbench.score(record, judged["answer"], judged["judge"]["verdicts"], doc["on_unparsed"])
    tags = (record["file_category"], record["level"], record["group"])
    h, s = followbench.cell(hard, *tags), followbench.cell(soft, *tags)
    metrics: dict[str, Any] = {"raif_score": h, "hsr": h, "ssr": s, "csl": h, "hsr_weighted": h, "ssr_weighted": s}
    for level in followbench.LEVELS:  # a level's metric is null on the other levels' samples
        metrics[f"hsr_level{level}"] = h if level == record["level"] else None
        metrics[f"ssr_level{level}"] = s if level == record["level"] else None
    # Records the judge left without a verdict (unreadable reply, or no reply at all): scored -1, or 0 if asked.
    verdicts = judged["judge"]["verdicts"]
    unparsed = not record["rule"] and (verdicts is None or verdicts[0] == followbench.UNPARSED)
    return {**metrics, "judge_unparsed": int(unparsed), **bookkeeping(judged)}


level1, level2, level3, level4, level5 = (followbench.at_level(level) for level in followbench.LEVELS)
