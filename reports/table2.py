"""Table 2 of the RAIF paper: ComplexBench DRFR by composition category and nesting depth, one column per run.

Computed from the logged samples of ``raif_complexbench`` alone: each sample holds the benchmark record
(``doc["raw"]``) and the judge's raw per-question results (``filtered_resps``); :func:`complexbench.row` applies the
dependency zeroing again and :func:`complexbench.table2` gives the rows, so the numbers are the task's own
(``drfr``, ``drfr_<category>``) and upstream's.

How the three "Avg." rows are made (spec ``complexbench.md`` §4):

- Chain Avg. = upstream ``categorized_avg_drfr["Chain"]``: the questions of Chain_1 and Chain_2 pooled;
- Selection Avg. = upstream ``categorized_avg_drfr["Selection"]``: the questions of Selection_1..3 **and of both
  Selection_and_Chain cells** pooled (``category.split("_")[0]``), which is what RAIF's numbers fit;
- Selection & Chain Avg. = the plain mean of its two cells (not computed upstream; fits RAIF's numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from raif_eval.benchmarks import complexbench
from raif_eval.core.tables import judged_of, scored
from raif_eval.core.benchmark import Settings
from raif_eval.reports.model import DIGITS, MISSING, Column, Table2, rank

TASK = "raif_complexbench"

# complexbench.TABLE2_ROWS -> (Category, ND) as the paper prints them
INDEX: dict[str, tuple[str, str]] = {
    complexbench.AND: ("And", "1"),
    "Chain_1": ("Chain", "1"),
    "Chain_2": ("Chain", "2"),
    complexbench.CHAIN_AVG: ("Chain", "Avg."),
    "Selection_1": ("Selection", "1"),
    "Selection_2": ("Selection", "2"),
    "Selection_3": ("Selection", "3"),
    complexbench.SELECTION_AVG: ("Selection", "Avg."),
    "Selection_and_Chain_2": ("Selection & Chain", "2"),
    "Selection_and_Chain_3": ("Selection & Chain", "3"),
    complexbench.SELECTION_CHAIN_AVG: ("Selection & Chain", "Avg."),
    complexbench.OVERALL: ("Overall", MISSING),
}
ROWS: tuple[tuple[str, str], ...] = tuple(INDEX[label] for label in complexbench.TABLE2_ROWS)

AVG_NOTE = ("Chain Avg. pools the questions of Chain_1 and Chain_2; Selection Avg. pools the questions of "
            "Selection_1–3 and of both Selection & Chain cells (upstream's categorized_avg_drfr, as RAIF's numbers "
            "fit); Selection & Chain Avg. is the plain mean of its two cells.")
MARKS_NOTE = (f"Bold / underline: best / second best column of each row, compared at the printed precision "
              f"({DIGITS} decimals); on a tie the leftmost column ranks first; missing cells are ignored.")


def column(samples: Sequence[dict[str, Any]], settings: Settings) -> pd.Series:
    """One run's Table 2 column, × 100, NaN for a category without instructions."""
    values = complexbench.table2(complexbench.sample_rows(samples), settings["complexbench_missing"])
    return pd.Series([100 * values[label] for label in complexbench.TABLE2_ROWS],
                     index=pd.MultiIndex.from_tuples(ROWS, names=["Category", "ND"]), dtype=float)


def _notes(runs: Sequence[Column], frame: pd.DataFrame) -> list[str]:
    notes = [AVG_NOTE, MARKS_NOTE]
    for label, samples, settings in runs:
        rows = complexbench.sample_rows(samples)
        mode = settings["complexbench_missing"]
        stats = complexbench.aggregate(rows, mode)
        if stats["missing_judgments"]:
            handled = ("their instructions are left out (complexbench_missing=drop)" if mode == "drop"
                       else "counted as failed")
            notes.append(f"{label}: {stats['missing_judgments']} scoring question(s) without a judgment, {handled}.")
        if stats["unknown_rule_results"]:
            notes.append(f"{label}: {stats['unknown_rule_results']} question(s) use a rule the checker does not know "
                         f"(scored 2: failed in DRFR, as upstream).")
        judge_notes = {(judged.info.get("note") if (judged := judged_of(s)) is not None else None)
                       for s in scored(samples)} - {None}
        notes.extend(f"{label}: {n}" for n in sorted(judge_notes))
        empty = [f"{c} {d}" for (c, d), v in frame[label].items() if math.isnan(v)]
        if empty:
            notes.append(f"{label}: no instructions for {', '.join(empty)} ({MISSING}).")
    return notes


def table2(runs: list[Column]) -> Table2:
    """Table 2 from ``(run label, raif_complexbench samples, the task's settings)``, one column per run, in the
    given order."""
    labels = [label for label, _, _ in runs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"Table 2 run labels must be unique: {labels}")
    frame = pd.DataFrame({label: column(samples, settings) for label, samples, settings in runs},
                         index=pd.MultiIndex.from_tuples(ROWS, names=["Category", "ND"]), columns=labels,
                         dtype=float)
    marks = {row: rank(frame.loc[row]) for row in ROWS}
    return Table2(frame=frame, marks=marks, notes=_notes(runs, frame))
