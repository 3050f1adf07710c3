"""lm-eval glue for raif_ifeval: documents in, per-document metrics out; scoring lives in the core."""

from __future__ import annotations

from typing import Any

from raif_eval import harness
from raif_eval.benchmarks import ifeval
from raif_eval.core import mean
from raif_eval.errors import RaifError


def load(ifeval_raif_score: str = "prompt_level_strict_acc", data_dir: str | None = None, **_metadata):
    if ifeval_raif_score not in ifeval.RAIF_SCORE_CHOICES:
        raise RaifError(f"ifeval_raif_score must be one of {', '.join(ifeval.RAIF_SCORE_CHOICES)}, "
                        f"not {ifeval_raif_score!r}")
    # The chosen headline metric travels in each doc, so samples alone say how raif_score was computed.
    return harness.to_dataset(
        harness.doc(r["key"], r["prompt"], r, raif_score_metric=ifeval_raif_score)
        for r in ifeval.load_records(data_dir)
    )


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    metrics = ifeval.score(harness.record(doc), results[0]).metrics()
    mode = doc["raif_score_metric"]
    # mean4 needs the instruction-level lists, so its per-doc value is the whole record of four.
    metrics["raif_score"] = dict(metrics) if mode == "mean4" else metrics[mode]
    return metrics


def agg_raif_score(items: list[Any]) -> float:
    if items and isinstance(items[0], dict):
        return mean(ifeval.aggregate(items).values())
    return mean(items)
