"""The benchmark definitions, one module each, in the RAIF paper's Table 1 order.

Each module ends with its :class:`~raif_eval.core.Benchmark` (``BENCHMARK``): documents, scoring, metrics, Table 1
column, breakdowns, options and protocols. Everything else — the lm-eval tasks, re-judging, reports, rewards —
looks benchmarks up here.
"""

from __future__ import annotations

from raif_eval.benchmarks import cello, cfbench, complexbench, fbbench, followbench, ifeval, infobench
from raif_eval.core import Benchmark
from raif_eval.errors import RaifError

BENCHMARKS: dict[str, Benchmark] = {b.key: b for b in (
    ifeval.BENCHMARK, cello.BENCHMARK, cfbench.BENCHMARK, complexbench.BENCHMARK, fbbench.BENCHMARK,
    followbench.BENCHMARK, infobench.BENCHMARK,
)}


def get(key: str) -> Benchmark:
    try:
        return BENCHMARKS[key]
    except KeyError:
        raise RaifError(f"unknown benchmark {key!r}; raif-eval defines {', '.join(BENCHMARKS)}") from None


__all__ = ["BENCHMARKS", "get"]
