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
from raif_eval.reports.model import MISSING, Marks, Table2
from raif_eval.reports.samples import judged, record

TASK = "raif_complexbench"
FILTER = "raif"
DIGITS = 2  # marks compare the values as printed

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


def _raif_rows(samples: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in samples if s.get("filter", FILTER) == FILTER]


def rows_of(samples: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """complexbench rows (per instruction) from ``raif_complexbench`` samples, as the task's process_results."""
    out = []
    for sample in _raif_rows(samples):
        value = judged(sample)
        judge = (value or {}).get("judge") or {}
        if judge.get("skipped"):
            raise ValueError(f"{TASK} sample {sample.get('doc_id')} was never judged (--predict_only); run "
                             f"`raif-eval judge` on the results folder first")
        out.append(complexbench.row(record(sample), judge.get("verdicts")))
    return out


def missing_mode(samples: Sequence[dict[str, Any]]) -> str:
    """The run's ``complexbench_missing`` option (travels in every doc)."""
    modes = {s["doc"].get("missing", "fail") for s in _raif_rows(samples)}
    if len(modes) > 1:
        raise ValueError(f"{TASK} samples mix complexbench_missing modes {sorted(modes)}")
    return modes.pop() if modes else "fail"


def column(samples: Sequence[dict[str, Any]]) -> pd.Series:
    """One run's Table 2 column, × 100, NaN for a category without instructions."""
    values = complexbench.table2(rows_of(samples), missing_mode(samples))
    return pd.Series([100 * values[label] for label in complexbench.TABLE2_ROWS],
                     index=pd.MultiIndex.from_tuples(ROWS, names=["Category", "ND"]), dtype=float)


def rank(values: pd.Series, digits: int | None = DIGITS) -> Marks:
    """Best and second-best label of ``values`` (higher is better). NaN is ignored; values are compared rounded
    to ``digits`` (None: exactly); ties go to the earlier label."""
    kept = [(label, round(v, digits) if digits is not None else v) for label, v in values.items()
            if v is not None and not math.isnan(v)]
    ordered = sorted(kept, key=lambda item: -item[1])  # stable: earlier labels first among equals
    return Marks(best=ordered[0][0] if ordered else None, second=ordered[1][0] if len(ordered) > 1 else None)


def _notes(runs: Sequence[tuple[str, list[dict[str, Any]]]], frame: pd.DataFrame) -> list[str]:
    notes = [AVG_NOTE, MARKS_NOTE]
    for label, samples in runs:
        rows = rows_of(samples)
        mode = missing_mode(samples)
        stats = complexbench.aggregate(rows, mode)
        if stats["missing_judgments"]:
            handled = ("their instructions are left out (complexbench_missing=drop)" if mode == "drop"
                       else "counted as failed")
            notes.append(f"{label}: {stats['missing_judgments']} scoring question(s) without a judgment, {handled}.")
        if stats["unknown_rule_results"]:
            notes.append(f"{label}: {stats['unknown_rule_results']} question(s) use a rule the checker does not know "
                         f"(scored 2: failed in DRFR, as upstream).")
        judge_notes = {((judged(s) or {}).get("judge") or {}).get("note") for s in _raif_rows(samples)} - {None}
        notes.extend(f"{label}: {n}" for n in sorted(judge_notes))
        empty = [f"{c} {d}" for (c, d), v in frame[label].items() if math.isnan(v)]
        if empty:
            notes.append(f"{label}: no instructions for {', '.join(empty)} ({MISSING}).")
    return notes


def table2(runs: list[tuple[str, list[dict]]]) -> Table2:
    """Table 2 from ``(run label, raif_complexbench samples)`` pairs, one column per run, in the given order."""
    labels = [label for label, _ in runs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"Table 2 run labels must be unique: {labels}")
    frame = pd.DataFrame({label: column(samples) for label, samples in runs},
                         index=pd.MultiIndex.from_tuples(ROWS, names=["Category", "ND"]), columns=labels,
                         dtype=float)
    marks = {row: rank(frame.loc[row]) for row in ROWS}
    return Table2(frame=frame, marks=marks, notes=_notes(runs, frame))
