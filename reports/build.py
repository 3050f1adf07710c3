"""``raif-eval report``: runs in, report files out.

Table 1 comes from the results files alone; Table 2, the breakdowns, the constraint-structure tables
(:mod:`raif_eval.reports.structure`) and the confidence intervals need the logged samples (``--log_samples``) and
are left out, with a note, for runs without them. ``--structure`` writes the structure report alone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from raif_eval.errors import RaifError
from raif_eval.paths import writable_folder
from raif_eval.reports import structure
from raif_eval.reports import table1 as t1
from raif_eval.reports.model import MISSING, Column, Report, Table2
from raif_eval.reports.runs import Run, load_runs, results_files
from raif_eval.results import load_samples, task_settings

DOCUMENTS = "Documents per benchmark"

FORMATS = ("md", "latex", "csv", "html")


def _table1_ci(runs: list[Run], table: t1.Table1, n: int) -> pd.DataFrame | None:
    from raif_eval.reports import stats

    names = dict(t1.COLUMNS)
    ci = pd.DataFrame(None, index=table.frame.index, columns=table.frame.columns, dtype=object)
    found = False
    for run in runs:
        tasks = run.tasks()
        for task in tasks:
            try:  # re-scoring needs the task's data; without it the cell simply has no interval
                bounds = stats.run_cis(run.path, run.results, [task], n=n)
            except RaifError as exc:
                table.notes.append(f"No confidence interval for {run.label} / {task}: {exc}")
                continue
            for low, high in bounds.values():
                if not (math.isnan(low) or math.isnan(high)):
                    ci.at[(run.model, run.method), names[tasks[task]]] = (100 * low, 100 * high)
                    found = True
    return ci if found else None


def _table2(runs: list[Run], n: int) -> Table2 | None:
    from raif_eval.reports.table2 import table2

    with_samples = [(run.label, s, task_settings(run.results, task)) for run in runs
                    for task, bench in run.tasks().items() if bench == "complexbench"
                    for s in [load_samples(run.path, task)] if s]
    if not with_samples:
        return None
    table = table2(with_samples)
    if n:
        table.ci = _table2_ci(with_samples, table, n)
    return table


def _table2_ci(with_samples: list[Column], table: Table2, n: int, seed: int = 0) -> pd.DataFrame:
    """Percentile bootstrap over instructions: every resample recomputes the whole Table 2 column, so the Avg.
    rows are resampled exactly as they are computed."""
    import numpy as np

    from raif_eval.benchmarks import complexbench
    from raif_eval.reports.table2 import INDEX

    ci = pd.DataFrame(None, index=table.frame.index, columns=table.frame.columns, dtype=object)
    for label, samples, settings in with_samples:
        rows, mode = complexbench.sample_rows(samples), settings["complexbench_missing"]
        rng = np.random.default_rng(seed)
        draws: dict[str, list[float]] = {name: [] for name in INDEX}
        for _ in range(n):
            resample = [rows[i] for i in rng.integers(0, len(rows), len(rows))]
            for name, value in complexbench.table2(resample, mode).items():
                draws[name].append(value)
        for name, values in draws.items():
            valid = np.array([v for v in values if not math.isnan(v)])
            if len(valid) >= n / 2:
                low, high = np.percentile(valid, [2.5, 97.5])
                ci.at[INDEX[name], label] = (100 * float(low), 100 * float(high))
    return ci


def build_report(paths: list[str | Path], labels: list[str] | None = None, baseline: str = "I/O",
                 bootstrap: int = 1000, train_data: str | Path | None = None) -> tuple[Report, list[Run]]:
    runs = load_runs(paths, labels)  # bad input fails here, before any computation
    training = structure.training_types(train_data) if train_data else None
    table = t1.build(runs, baseline)
    from raif_eval.reports.breakdowns import breakdowns

    if bootstrap:
        table.ci = _table1_ci(runs, table, bootstrap)
    parts: dict[str, pd.DataFrame] = {}
    without = []
    for run in runs:
        found = breakdowns(run.path, run.results)
        without += [] if found else [run.label]
        parts.update({f"{run.label}: {name}": frame for name, frame in found.items()})
    notes = [f"No logged samples (run with --log_samples) for: {', '.join(without)}; Table 2 and breakdowns "
             "need them."] if without else []
    if table.documents is not None:  # n per cell, first among the breakdowns
        parts = {DOCUMENTS: table.documents.fillna(MISSING), **parts}
    title = "raif-eval report: " + ", ".join(run.label for run in runs)
    return Report(title, table, _table2(runs, bootstrap), parts, notes,
                  structure.build_for_runs(runs, bootstrap, training=training)), runs


def build_structure_report(paths: list[str | Path], labels: list[str] | None = None,
                           bootstrap: int = 1000, train_data: str | Path | None = None) -> Report:
    """The constraint-structure report alone (``--structure``): no Table 1 and no re-scoring."""
    runs = load_runs(paths, labels)
    training = structure.training_types(train_data) if train_data else None
    found = structure.build_for_runs(runs, bootstrap, training=training)
    if found is None:
        raise RaifError(f"no checks to report in {', '.join(map(str, paths))}: the structure report reads the logged "
                        "samples; run with --log_samples (raif-eval run logs them by default)")
    return Report("raif-eval constraint structure: " + ", ".join(run.label for run in runs), None, structure=found)


def table2_markdown(table: Table2) -> str:
    rows = []
    for key, row in table.frame.iterrows():
        marks = table.marks.get(key)
        line = [key[0], key[1]]
        for column, value in row.items():
            text = MISSING if pd.isna(value) else f"{value:.2f}"
            if marks and not pd.isna(value) and column == marks.best:
                text = f"**{text}**"
            elif marks and not pd.isna(value) and column == marks.second:
                text = f"<u>{text}</u>"
            line.append(text)
        rows.append(line)
    body = tabulate(rows, headers=["Category", "ND", *table.frame.columns], tablefmt="github", disable_numparse=True)
    return body + "".join(f"\n\n> {note}" for note in table.notes)


def write_report(paths: list[str | Path], out: str | Path | None = None, labels: list[str] | None = None,
                 baseline: str = "I/O", formats: list[str] | tuple[str, ...] = FORMATS,
                 bootstrap: int = 1000, structure_only: bool = False,
                 train_data: str | Path | None = None) -> Path:
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise RaifError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    folder = Path(out) if out else (Path(paths[0]) if Path(paths[0]).is_dir() else Path(paths[0]).parent)
    writable_folder(folder, "--out")  # before the bootstrap, not after
    if structure_only and not {"md", "csv", "html"} & set(formats):
        raise RaifError("the structure report is written as md, csv or html: pick at least one with --format")
    if structure_only:
        return _write_structure(build_structure_report(paths, labels, bootstrap, train_data), folder, formats)
    report, runs = build_report(paths, labels, baseline, bootstrap, train_data)
    written = []
    md = t1.markdown(report.table1)
    if report.table2 is not None:
        md2 = table2_markdown(report.table2)
    if "md" in formats:
        text = "# Table 1\n\n" + md + ("\n\n# Table 2 (ComplexBench)\n\n" + md2 if report.table2 is not None else "")
        if report.structure is not None:
            text += "\n\n# Constraint structure\n\n" + structure.markdown(report.structure)
        text += "".join(f"\n\n> {note}" for note in report.notes)
        written.append(_write(folder / "report.md", text + "\n"))
        written.append(_write(folder / "table1.md", md + "\n"))
    if "latex" in formats:
        written.append(_write(folder / "table1.tex", t1.latex(report.table1)))
    if "csv" in formats:
        t1.csv_frame(report.table1).to_csv(folder / "table1.csv")
        written += [folder / "table1.csv", _write(folder / "table1.json", results_json(report))]
        if report.table2 is not None:
            frame2 = report.table2.frame.round(2)
            if report.table2.ci is not None:
                for column in report.table2.ci.columns:
                    bounds = report.table2.ci[column]
                    frame2[f"{column} CI low"] = [b[0] if isinstance(b, tuple) else math.nan for b in bounds]
                    frame2[f"{column} CI high"] = [b[1] if isinstance(b, tuple) else math.nan for b in bounds]
            frame2.to_csv(folder / "table2.csv")
            written.append(folder / "table2.csv")
        for name, frame in report.breakdowns.items():
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
            (folder / "breakdowns").mkdir(exist_ok=True)
            frame.to_csv(folder / "breakdowns" / f"{safe}.csv")
        if report.breakdowns:
            written.append(folder / "breakdowns")
        if report.structure is not None:
            written.append(_structure_csv(report.structure, folder))
    if "html" in formats:
        from raif_eval.reports.html import render_html

        written.append(_write(folder / "report.html", render_html(report)))
    print(md)
    if report.table2 is not None:
        print("\n" + md2)
    print("\nwrote " + ", ".join(str(p) for p in written))
    return folder


def _structure_csv(found: structure.StructureReport, folder: Path) -> Path:
    target = folder / "structure"
    target.mkdir(exist_ok=True)
    for stem, frame in structure.csv_frames(found).items():
        frame.to_csv(target / f"{stem}.csv")
    return target


def _write_structure(report: Report, folder: Path, formats) -> Path:
    written = []
    md = structure.markdown(report.structure)
    if "md" in formats:
        written.append(_write(folder / "structure.md", f"# {report.title}\n\n{md}\n"))
    if "csv" in formats:
        written.append(_structure_csv(report.structure, folder))
    if "html" in formats:
        from raif_eval.reports.html import render_html

        written.append(_write(folder / "structure.html", render_html(report)))
    print(md)
    print("\nwrote " + ", ".join(str(p) for p in written))
    return folder


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def compare_runs(a: str | Path, b: str | Path, n: int = 1000) -> str:
    """Paired bootstrap of run B against run A, per benchmark, as a Markdown table."""
    from raif_eval.reports.stats import compare

    files = [results_files(Path(p)) for p in (a, b)]
    for given, found in zip((a, b), files):
        if len(found) != 1:
            raise RaifError(f"--compare takes one run each; {given} holds {len(found)} results files: "
                            f"pass the results_*.json file itself")
    frame = compare(files[0][0], files[1][0], n=n).reset_index()
    table = tabulate(frame, headers="keys", tablefmt="github", floatfmt=".4f", showindex=False)
    return (f"{files[1][0]} (B) against {files[0][0]} (A): raif_score difference B − A per task, paired bootstrap "
            f"over common documents ({n} resamples), 95% interval, two-sided p\n\n{table}")


def results_json(report: Report) -> str:
    """Table 1 as JSON records (for tools)."""
    frame = report.table1.frame.reset_index()
    return json.dumps(json.loads(frame.to_json(orient="records")), indent=1)
