"""lm-eval glue for raif_cfbench: prompts in, per-prompt CSR/ISR/PSR out; judging and metrics live in the core."""

from __future__ import annotations

from typing import Any

from raif_eval import harness
from raif_eval.benchmarks import cfbench
from raif_eval.judge.filter import bookkeeping, decode


def load(data_dir: str | None = None, **_metadata):
    return harness.to_dataset(harness.doc(r["idx"], r["prompt"], r, split=r["split"])
                              for r in cfbench.load_records(data_dir))


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    judged = decode(results[0])
    verdicts = cfbench.verdicts_or_failure(judged["judge"]["verdicts"])
    metrics = cfbench.prompt_metrics(harness.record(doc), verdicts["scores"], verdicts["parsing"])
    out: dict[str, Any] = {"raif_score": dict(metrics), **metrics}
    for split in cfbench.SPLITS:  # a split's metric is null on the other split's samples
        for name, value in metrics.items():
            out[f"{name}_{split}"] = value if doc["split"] == split else None
    out["judge_fallback"] = int(verdicts["parsing"] == cfbench.FALLBACK)
    out["judge_unparsed"] = int(verdicts["parsing"] == cfbench.UNPARSED)
    return {**out, **bookkeeping(judged)}


def rounded_mean(items: list[float | None]) -> float:
    """Upstream's ``round(np.mean(values), 2)`` over the prompts that have the metric (NaN for none)."""
    return cfbench.benchmark_score([v for v in items if v is not None])


def agg_raif_score(items: list[dict[str, float]]) -> float:
    return cfbench.raif_score({name.upper(): rounded_mean([m[name] for m in items]) for name in ("csr", "isr", "psr")})
