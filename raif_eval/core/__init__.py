"""The constraint-check core shared by the eval tasks, the reports and the training rewards.

Every benchmark turns a (document, response) pair into checks, runs them here, applies the dependencies
between them, and aggregates the verdicts with the functions in :mod:`raif_eval.core.aggregate`.
"""

from raif_eval.core.aggregate import Tagged, mean, pooled_mean, total
from raif_eval.core.checks import RuleCheck, apply_dependencies, run_rule_checks

__all__ = ["RuleCheck", "Tagged", "apply_dependencies", "run_rule_checks", "mean", "pooled_mean", "total"]
