"""Aggregations shared by the benchmarks' metrics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def mean(values: Iterable[float | bool]) -> float:
    """Plain mean over documents (prompt-level accuracies, macro averages)."""
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def pooled_mean(per_doc: Iterable[Sequence[float | bool]]) -> float:
    """Micro average: every verdict of every document counts once (IFEval instruction level, DRFR)."""
    flat = [v for doc in per_doc for v in doc]
    return sum(flat) / len(flat) if flat else float("nan")


def total(values: Iterable[float | int]) -> float | int:
    """Sum over documents (counts such as judge parse failures or tokens)."""
    return sum(values)
