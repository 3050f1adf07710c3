"""What a report is made of, independent of how it is rendered (Markdown, LaTeX, CSV, HTML).

Scores are on the paper's scale (× 100). A missing cell is NaN in the frames and is rendered "–" with a footnote,
never as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

MISSING = "–"
# One run's ComplexBench samples for Table 2: (run label, the samples, the settings the task scored them under)
Column = tuple[str, list[dict[str, Any]], dict[str, Any]]
UNSCORABLE = "n/a"  # evaluated, but no document could be scored (e.g. every judge reply unreadable): not "not run"
DIGITS = 2  # scores are printed, and marked, at this precision


@dataclass
class Marks:
    """Best and second-best entry of one column (Table 1) or row (Table 2): index labels, None when absent."""

    best: Any = None
    second: Any = None


def rank(values: pd.Series, digits: int | None = DIGITS) -> Marks:
    """Best and second-best label of ``values`` (higher is better), as both tables mark them: NaN is ignored,
    values are compared as printed (rounded to ``digits``; None: exactly), ties go to the earlier label."""
    kept = [(label, round(v, digits) if digits is not None else v) for label, v in values.items()
            if v is not None and not math.isnan(v)]
    if len(kept) < 2:  # one entry: nothing to be best among
        return Marks()
    ordered = sorted(kept, key=lambda item: -item[1])  # stable: earlier labels first among equals
    return Marks(best=ordered[0][0], second=ordered[1][0])


@dataclass
class Table1:
    """RAIF Table 1: rows (model, method), columns the benchmarks in the paper's order, then "Avg."."""

    frame: pd.DataFrame  # index: MultiIndex (model, method); values × 100; NaN = not evaluated
    delta: pd.Series  # Avg. minus the same model's baseline Avg., in points; NaN for baselines and unmatched rows
    marks: dict[str, Marks]  # column -> best / second best row
    baseline: str = "I/O"
    ci: pd.DataFrame | None = None  # same shape as frame; cells (low, high) × 100, or None where not computed
    notes: list[str] = field(default_factory=list)  # footnotes: missing cells, toy judge, ...
    unscorable: set[tuple[Any, str]] = field(default_factory=set)  # (row, column) evaluated but NaN
    documents: pd.DataFrame | None = None  # same rows and benchmark columns: "4 of 541" where a run took a subset


@dataclass
class Table2:
    """RAIF Table 2: ComplexBench DRFR by composition category and nesting depth, one column per run."""

    frame: pd.DataFrame  # index: MultiIndex (category, depth) in the paper's row order; columns: run labels; × 100
    marks: dict[tuple[str, str], Marks]  # row -> best / second best column
    ci: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    title: str
    table1: Table1 | None  # None: a structure report alone (``--structure``)
    table2: Table2 | None = None
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)  # "IFEval by instruction type" -> frame
    notes: list[str] = field(default_factory=list)
    structure: Any = None  # raif_eval.reports.structure.StructureReport, when the runs logged samples
