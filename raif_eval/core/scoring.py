"""Scoring one document of a task: the definition's per-sample values, the judge's bookkeeping and the task-wide
statistics, under the task's settings.

:class:`SampleScorer` is the ``process_results`` of every raif-eval task (:mod:`raif_eval.harness.task` wires it)
and what the reports call again on logged samples to recompute a metric (:mod:`raif_eval.reports.stats`), so the
two can never disagree.
"""

from __future__ import annotations

import logging
from typing import Any

from raif_eval.core import hostile, taxonomy
from raif_eval.core.aggregate import Metric, Tagged, flagged, mean, total
from raif_eval.core.answers import has_answer
from raif_eval.core.benchmark import Benchmark, Settings
from raif_eval.core.judged import Judged, Transcript

log = logging.getLogger(__name__)
NO_ANSWER = Metric("no_answer", mean, higher_is_better=False)
HOSTILE_INPUT = Metric("hostile_input", total, higher_is_better=False)
SCORING_FAILED = Metric("scoring_failed_docs", flagged, higher_is_better=False)
CHECKS = Metric("checks", taxonomy.check_count)  # the per-check taxonomy records; aggregated, their number
TASK_METRICS = (NO_ANSWER, HOSTILE_INPUT, SCORING_FAILED, CHECKS)  # every task's, after the benchmark's own


class SampleScorer:
    """``process_results`` of a benchmark under one task's settings: the judged result decoded once, the
    definition's per-sample values, the judge's bookkeeping, ``no_answer``, ``hostile_input``,
    ``scoring_failed_docs`` and ``checks`` (one record per check in the shared taxonomy,
    :mod:`raif_eval.core.taxonomy`).

    It never raises and never hangs on one document: scoring that fails or outlasts ``RAIF_SCORING_TIMEOUT``
    (:mod:`raif_eval.core.hostile`) scores the document as failed — every verdict false, every score 0 — logs
    why, and records the error as the document's ``scoring_failed_docs`` value in the samples."""

    def __init__(self, benchmark: Benchmark, settings: Settings) -> None:
        self.benchmark, self.settings = benchmark, settings

    def __call__(self, doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
        value = results[0] if results else ""
        judged: Judged | None = None
        if self.benchmark.judged:
            judged = Judged.decode(value)
            if judged is None:  # a filter output that is not ours: nothing was judged
                judged = Judged(value if isinstance(value, str) else "")
            answer, extra = judged.answer, judged.bookkeeping()
        else:
            answer, extra = (value if isinstance(value, str) else ""), {}
        with hostile.noticing() as notes:
            try:
                with hostile.time_limit(hostile.scoring_timeout()):
                    scores, error = self.benchmark.score(doc, answer, judged, self.settings), ""
            except (Exception, hostile.ScoringTimeout) as exc:  # noqa: BLE001 — one document must not cost the run
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.error("%s document %s could not be scored (%s); it counts as failed", self.benchmark.key,
                          doc.get("doc_id"), error)
                scores = self.failed(doc, judged)
        notes += [n for n in hostile.text_notes(answer) if n not in notes]
        return {**scores, **extra, NO_ANSWER.name: float(not has_answer(answer)),
                HOSTILE_INPUT.name: int(bool(notes)), SCORING_FAILED.name: error or 0,
                CHECKS.name: self.checks(doc, scores, judged, failed=bool(error))}

    def checks(self, doc: dict[str, Any], scores: dict[str, Any], judged: Judged | None,
               failed: bool = False) -> list[dict[str, Any]]:
        """The document's per-check taxonomy records (none where the mapping itself fails, which is logged)."""
        cmap = self.benchmark.constraints
        if cmap is None:
            return []
        try:
            return taxonomy.records(self.benchmark.key, cmap, doc, scores, judged, self.settings, failed=failed)
        except Exception:  # noqa: BLE001 — a mapping fault must not cost the document its scores
            log.exception("%s document %s: its checks could not be mapped to the taxonomy", self.benchmark.key,
                          doc.get("doc_id"))
            return []

    def failed(self, doc: dict[str, Any], judged: Judged | None) -> dict[str, Any]:
        """The per-sample values of a document that could not be scored: the shape an empty answer scores with
        the document's verdicts (else with none), every verdict false and every score 0."""
        try:
            template = self.benchmark.score(doc, "", judged, self.settings)
        except Exception:  # noqa: BLE001 — the verdicts themselves failed it
            try:
                template = self.benchmark.score(doc, "", Judged("", None, Transcript()) if judged else None,
                                                self.settings)
            except Exception:  # noqa: BLE001 — the document itself: it adds to no metric but the count
                log.exception("%s document %s cannot be scored at all", self.benchmark.key, doc.get("doc_id"))
                return {}
        return {k: _failed(v) for k, v in template.items()}

    def __repr__(self) -> str:
        return f"raif_eval.benchmarks.{self.benchmark.key}.BENCHMARK.score"

    def __deepcopy__(self, memo: dict) -> SampleScorer:
        return self


def _failed(value: Any) -> Any:
    if isinstance(value, bool):
        return False
    if isinstance(value, Tagged):
        return Tagged(0.0, **value.tags)
    if isinstance(value, (int, float)):
        return type(value)(0)
    if isinstance(value, list):
        return [_failed(v) for v in value]
    if isinstance(value, dict):
        return {k: _failed(v) for k, v in value.items()}
    return value  # None (does not apply) and labels stay
