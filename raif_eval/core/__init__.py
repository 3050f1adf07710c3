"""The constraint-check core shared by the eval tasks, the reports and the training rewards.

A benchmark is one :class:`Benchmark` definition (:mod:`raif_eval.core.benchmark`): its documents become checks
(:mod:`raif_eval.core.checks`; rule checks from :mod:`raif_eval.verifiers`, judge checks through the judge
client, whose typed per-document result is :class:`Judged`), the checks combine through their dependencies, and
the verdicts aggregate with :mod:`raif_eval.core.aggregate`. What of a model's output is scored is
:mod:`raif_eval.core.answers`.
"""

from raif_eval.core.aggregate import Metric, Tagged, drfr, flagged, mean, pooled_mean, total
from raif_eval.core.benchmark import Benchmark, Breakdown, Option, Protocol
from raif_eval.core.checks import Check, apply_dependencies, run_rule_checks
from raif_eval.core.judged import JUDGE_METRICS, Judged, Transcript

__all__ = [
    "JUDGE_METRICS", "Benchmark", "Breakdown", "Check", "Judged", "Metric", "Option", "Protocol", "Tagged",
    "Transcript", "apply_dependencies", "drfr", "flagged", "mean", "pooled_mean", "run_rule_checks", "total",
]
