"""Aggregations shared by the benchmarks' metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    """A reported metric: the per-sample values ``process_results`` logs under ``name``, aggregated over the
    documents by ``aggregate``."""

    name: str
    aggregate: Callable[[list[Any]], float]
    higher_is_better: bool = True


class Tagged(float):
    """A per-sample number that carries the cell it belongs to (category, level, task file, ...).

    lm-eval hands an aggregation only the list of per-sample values, so a breakdown that averages within cells
    first (FollowBench's per-level rates, CELLO's per-task means) needs the cell on the value itself. It logs and
    serialises as the plain number.
    """

    tags: dict[str, Any]

    def __new__(cls, value: float, **tags: Any):
        number = super().__new__(cls, value)
        number.tags = tags
        return number

    def __reduce__(self):  # multi-process gathers pickle per-sample values
        return _tagged, (float(self), self.tags)


def _tagged(value: float, tags: dict[str, Any]) -> Tagged:
    return Tagged(value, **tags)


def mean(values: Iterable[float | bool]) -> float:
    """Plain mean over documents (prompt-level accuracies, macro averages)."""
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def pooled_mean(per_doc: Iterable[Sequence[float | bool]]) -> float:
    """Micro average: every verdict of every document counts once (IFEval instruction level, DRFR)."""
    flat = [v for doc in per_doc for v in doc]
    return sum(flat) / len(flat) if flat else float("nan")


def drfr(per_doc: Iterable[Sequence[Any]]) -> float:
    """Decomposed Requirements Following Ratio (InFoBench, ComplexBench): verdicts that are exactly ``True`` over
    all verdicts, pooled over documents. Anything else fails: ``False``, an unreadable reply (``None``),
    ComplexBench's unknown-rule ``2``."""
    return pooled_mean([[v is True for v in doc] for doc in per_doc])


def total(values: Iterable[float | int]) -> float | int:
    """Sum over documents (counts such as judge parse failures or tokens)."""
    return sum(values)


def flagged(values: Iterable[Any]) -> int:
    """Documents whose value is set (``scoring_failed_docs``: 0, or the error that failed the document)."""
    return sum(1 for v in values if v)
