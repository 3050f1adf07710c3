"""RAIF Table 1: one row per (model, method), each benchmark's ``raif_score`` × 100 in the paper's column order,
Avg., the Avg. difference to the model's baseline method, and the best / second-best mark per column.

Avg. is the plain mean of the row's benchmark cells (the paper's seven); a row missing benchmarks averages what it
has and says so in a footnote. The difference is printed like the paper's, "62.35 (+11.74%)", in points: the
difference of the two Avg. values as printed (so a reader can check it in the table).
"""

from __future__ import annotations

import math

import pandas as pd
from tabulate import tabulate

from raif_eval.benchmarks import BENCHMARKS
from raif_eval.core.tables import FILTER
from raif_eval.reports.model import MISSING, UNSCORABLE, Table1, rank
from raif_eval.reports.runs import OFFICIAL, Run, protocol_suffix

METRIC = "raif_score,raif"
# (benchmark key, the paper's column name), in the paper's order: each definition's Table 1 column
COLUMNS = tuple((key, benchmark.column) for key, benchmark in BENCHMARKS.items())
AVG = "Avg."
TOY = "TOY JUDGE"


def cells(run: Run) -> dict[str, float]:
    """The run's benchmark cells (× 100); a benchmark without a score is absent."""
    names = dict(COLUMNS)
    out = {}
    for task, bench in run.tasks().items():
        value = run.results.get("results", {}).get(task, {}).get(METRIC)
        if isinstance(value, (int, float)) and not math.isnan(value):
            out[names[bench]] = 100 * value
    return out


def evaluated(run: Run) -> set[str]:
    """The benchmark columns the run evaluated, scored or not."""
    names = dict(COLUMNS)
    return {names[bench] for task, bench in run.tasks().items() if task in run.results.get("results", {})}


def documents(run: Run) -> dict[str, str]:
    """Per benchmark column the run took a subset of: "n of N" and how they were chosen (--limit / --shortest)."""
    names = dict(COLUMNS)
    limit = (run.results.get("config") or {}).get("limit")
    out = {}
    for task, bench in run.tasks().items():
        counts = (run.results.get("n-samples") or {}).get(task) or {}
        n, total = counts.get("effective"), counts.get("original")
        if not isinstance(n, int) or not isinstance(total, int) or n >= total:
            continue
        selection = ((run.results.get("configs", {}).get(task) or {}).get("metadata") or {}).get("raif_selection")
        how = f"shortest {selection['shortest']}" if isinstance(selection, dict) and "shortest" in selection \
            else f"--limit {limit:g}" if isinstance(limit, (int, float)) else "a subset"
        out[names[bench]] = f"{n} of {total} ({how})"
    return out


def judge_notes(run: Run) -> set[str]:
    """Warnings recorded by the judge (e.g. that a toy judge scored the run)."""
    return {(config.get("metadata") or {}).get("judge", {}).get("note")
            for config in run.results.get("configs", {}).values()} - {None}


def health_notes(run: Run) -> list[str]:
    """Documents that could not be scored, and hostile inputs, per task (0 on a healthy run)."""
    out = []
    for task, values in sorted((run.results.get("results") or {}).items()):
        failed, hostile = (values.get(f"{name},{FILTER}") for name in ("scoring_failed_docs", "hostile_input"))
        if isinstance(failed, (int, float)) and failed > 0:
            out.append(f"{run.label} / {task}: {failed:g} document(s) could not be scored and count as failed "
                       f"(the samples' scoring_failed_docs holds each error).")
        if isinstance(hostile, (int, float)) and hostile > 0:
            out.append(f"{run.label} / {task}: {hostile:g} hostile answer(s) scored as the official checkers do "
                       f"(unencodable or invisible-only text, nesting beyond Python's parsers).")
    return out


def build(runs: list[Run], baseline: str = "I/O") -> Table1:
    rows = {(run.model, run.method): cells(run) for run in runs}
    names = [name for _, name in COLUMNS]
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=names).astype(float)
    frame.index = pd.MultiIndex.from_tuples(list(rows), names=["model", "method"])
    frame[AVG] = frame[names].mean(axis=1, skipna=True)
    present = frame[names].notna().sum(axis=1)
    # Δ = printed Avg. − printed baseline Avg. of the same model (the paper's convention)
    delta = pd.Series(math.nan, index=frame.index, dtype=float)
    protocols = {(run.model, run.method): run.protocol for run in runs}
    for model, method in frame.index:
        base = baseline + protocol_suffix(protocols[model, method])  # a paper-protocol row against its own I/O
        if method != base and (model, base) in frame.index:
            delta[model, method] = round(frame.loc[(model, method), AVG], 2) - round(frame.loc[(model, base), AVG], 2)
    marks = {column: rank(frame[column]) for column in frame.columns}
    unscorable = {((run.model, run.method), column) for run in runs for column in evaluated(run)
                  if math.isnan(frame.loc[(run.model, run.method), column])}
    subsets = {(run.model, run.method): documents(run) for run in runs}
    notes = []
    if len(unscorable) < int(frame[names].isna().sum().sum()):
        notes.append(f"{MISSING}: not evaluated in this run (never scored as 0).")
    if unscorable:
        notes.append(f"{UNSCORABLE}: evaluated, but no document could be scored (e.g. every judge reply was "
                     f"unreadable and the benchmark drops such documents); left out of Avg.")
    table_documents = None
    if any(subsets.values()):
        table_documents = pd.DataFrame.from_dict(subsets, orient="index").reindex(columns=names)
        table_documents.index = frame.index
        picked = sorted({text.split(" (", 1)[1].rstrip(")") for row in subsets.values() for text in row.values()})
        notes.append(f"Scored on a subset of documents ({', '.join(picked)}): a few documents per benchmark make a "
                     f"smoke test, not a measurement; the table \"Documents per benchmark\" gives n per cell.")
    partial = [f"{m} / {t}" for (m, t), n in present.items() if 0 < n < len(names)]
    if partial:
        notes.append(f"Avg. over the benchmarks present, fewer than {len(names)} for: {', '.join(partial)}.")
    if any(run.protocol != OFFICIAL for run in runs):
        notes.append("[paper protocol]: RAIF's own evaluation pipeline (the *_paper tasks), not the benchmarks' "
                     "official scorers; compare such rows with each other and with the paper's Table 1.")
    for note in sorted(set().union(*(judge_notes(run) for run in runs))):
        notes.append(note)
    for run in runs:
        notes.extend(health_notes(run))
    return Table1(frame=frame, delta=delta, marks=marks, baseline=baseline, notes=notes, unscorable=unscorable,
                  documents=table_documents)


def _number(value: float) -> str:
    return MISSING if value is None or math.isnan(value) else f"{value:.2f}"


def _delta(value: float) -> str:
    return "" if math.isnan(value) else f" ({value:+.2f}%)"


def text_cells(table: Table1, bold: str, underline: str) -> list[list[str]]:
    """Row by row: model, method, every cell formatted, marked (``bold`` / ``underline`` are format strings)."""
    out = []
    for key, row in table.frame.iterrows():
        line = [str(key[0]), str(key[1])]
        for column, value in row.items():
            text = UNSCORABLE if (key, column) in table.unscorable else _number(value)
            text += _delta(table.delta[key]) if column == AVG else ""
            marks = table.marks[column]
            if not math.isnan(value) and key == marks.best:
                text = bold.format(text)
            elif not math.isnan(value) and key == marks.second:
                text = underline.format(text)
            line.append(text)
        out.append(line)
    return out


def markdown(table: Table1) -> str:
    headers = ["Model", "Method", *table.frame.columns]
    body = tabulate(text_cells(table, "**{}**", "<u>{}</u>"), headers=headers, tablefmt="github",
                    colalign=("left", "left", *["right"] * len(table.frame.columns)), disable_numparse=True)
    body += "".join(f"\n\n> {note}" if TOY not in note else f"\n\n> **{note}**" for note in table.notes)
    if table.documents is not None:
        rows = [[str(key[0]), str(key[1]), *(MISSING if pd.isna(v) else v for v in row)]
                for key, row in table.documents.iterrows()]
        body += "\n\nDocuments per benchmark:\n\n" + tabulate(rows, headers=["Model", "Method",
                                                                      *table.documents.columns],
                                                           tablefmt="github", disable_numparse=True)
    return body


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                          ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"),
                          ("^", r"\textasciicircum{}"), (MISSING, "--")):
        text = text.replace(char, escaped)
    return text


def latex(table: Table1) -> str:
    """A booktabs tabular: bold best, underlined second best, as in the paper."""
    rows = text_cells(table, "\x00B{}\x00", "\x00U{}\x00")

    def cell(text: str) -> str:
        if text.startswith("\x00B"):
            return r"\textbf{" + _latex_escape(text[2:-1]) + "}"
        if text.startswith("\x00U"):
            return r"\underline{" + _latex_escape(text[2:-1]) + "}"
        return _latex_escape(text)

    columns = ["Model", "Method", *table.frame.columns]
    lines = [r"\begin{tabular}{ll" + "r" * len(table.frame.columns) + "}", r"\toprule",
             " & ".join(_latex_escape(c) for c in columns) + r" \\", r"\midrule"]
    previous = None
    for row in rows:
        if previous is not None and row[0] != previous:
            lines.append(r"\midrule")
        previous = row[0]
        lines.append(" & ".join(cell(c) for c in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "".join(f"\n% {note}" for note in table.notes) + "\n"


def csv_frame(table: Table1) -> pd.DataFrame:
    """Plain numbers (2 decimals), Δ, and the confidence bounds when computed."""
    frame = table.frame.round(2).copy()
    frame["Δ Avg. (points)"] = table.delta.round(2)
    if table.ci is not None:
        for column in table.ci.columns:
            frame[f"{column} CI low"] = [c[0] if isinstance(c, tuple) else math.nan for c in table.ci[column]]
            frame[f"{column} CI high"] = [c[1] if isinstance(c, tuple) else math.nan for c in table.ci[column]]
    return frame
