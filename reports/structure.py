"""Where models fail, across benchmarks: the constraint-structure report (``raif-eval report --structure``).

Every logged sample carries its checks in the shared taxonomy (its ``checks`` value, :mod:`raif_eval.core.taxonomy`);
a sample logged before that is mapped from its document, per-sample values and judged result the same way. From
those records alone, per run:

* the pass rate by constraint type, pooled over the checks of every benchmark;
* by composition × depth, and by type × composition;
* how many checks each benchmark has of each type (``unmapped`` counted, never dropped);
* with ``--train_data`` (a ``raif-train synth`` file), how many of the training records' checks are of each type,
  beside each run's pass rate: what the data covers against where the model fails;
* a paired comparison of every further run with the first: per type (and composition), the pass rates on the
  checks both runs scored, their difference, and how many checks turned from failed to met ("improved") or back
  ("hurt"); a graded check (CELLO) counts as improved or hurt on any change of its score.

A rate is the mean verdict of the checks in its cell (a graded CELLO score counts as its fraction). A check with
several types counts once under each (ComplexBench's per-dimension convention), so type rows add up to more
checks than there are. A check left unscored (verdict null: a judge reply not attributable to the checks, a
question never asked, an instruction dropped) is counted as ``unscored`` and left out of the rates.

Intervals are 95 % percentile bootstraps over documents: a document's checks are resampled together (they share a
response), within each benchmark (the benchmark mix stays fixed). The paired comparison resamples the documents
both runs share, the same draws for both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate

from raif_eval.benchmarks import BENCHMARKS
from raif_eval.core import taxonomy
from raif_eval.core.benchmark import Settings
from raif_eval.core.tables import judged_of, scored
from raif_eval.errors import RaifError
from raif_eval.jsonio import read_jsonl
from raif_eval.reports.runs import OFFICIAL, Run
from raif_eval.reports.stats import p_value
from raif_eval.results import load_samples, task_settings

LEVEL = 0.95
RATE = ("rate", "low", "high", "checks", "docs", "unscored")  # the columns every rate table has
PAIRED = ("pairs", "docs", "A", "B", "difference", "low", "high", "p", "improved", "hurt")


def sample_checks(sample: dict[str, Any], benchmark: str, settings: Settings | None = None) -> list[dict[str, Any]]:
    """A sample's per-check records: the logged ones, else (samples logged before them) mapped now, under the
    settings its task was scored with (None: the benchmark's defaults)."""
    logged = sample.get("checks")
    if isinstance(logged, list):
        return [r for r in logged if isinstance(r, dict)]
    definition = BENCHMARKS.get(benchmark)
    if definition is None or definition.constraints is None or not isinstance(sample.get("doc"), dict):
        return []
    judged = judged_of(sample) if definition.judged else None
    try:
        return taxonomy.records(benchmark, definition.constraints, sample["doc"], sample, judged,
                                definition.settings(settings), failed=bool(sample.get("scoring_failed_docs")))
    except Exception:  # noqa: BLE001 — a sample of another shape (or hostile): it has no checks to report
        return []


def check_rows(task: str, benchmark: str, samples: Iterable[dict[str, Any]],
               settings: Settings | None = None) -> list[dict[str, Any]]:
    """One row per (check, type) of a task's samples (scored under ``settings``); a malformed record field reads as
    unknown, never raises."""
    rows = []
    for sample in scored(s for s in samples if isinstance(s, dict)):
        doc = sample["doc"] if isinstance(sample.get("doc"), dict) else {}
        doc_id = str(doc.get("doc_id", sample.get("doc_id")))
        for record in sample_checks(sample, benchmark, settings):
            verdict = taxonomy.verdict(record.get("verdict"))
            given = record.get("types") if isinstance(record.get("types"), list) else []
            # only the taxonomy's names: a logged label outside it is unmapped (and cannot grow the tables)
            kinds = list(dict.fromkeys(t if t in taxonomy.TYPES else taxonomy.UNMAPPED for t in given))
            composition = record.get("composition")
            depth = record.get("depth")
            for kind in kinds or [taxonomy.UNMAPPED]:
                rows.append({"benchmark": benchmark, "task": task, "doc": doc_id,
                             "check": str(record.get("check"))[:200], "type": kind,
                             "composition": (composition if composition in taxonomy.COMPOSITIONS
                                             else taxonomy.UNMAPPED),
                             "depth": depth if type(depth) is int and 0 <= depth <= MAX_DEPTH else 0,
                             "source": record.get("source") if record.get("source") in taxonomy.SOURCES else "",
                             "verdict": math.nan if verdict is None else verdict})
    return rows


COLUMNS = ("benchmark", "task", "doc", "check", "type", "composition", "depth", "source", "verdict")
MAX_DEPTH = 1000  # a logged depth beyond any benchmark's reads as unknown (0)


def run_frame(run: Run) -> pd.DataFrame:
    """Every check row of a run's logged samples (empty without ``--log_samples``). ``task`` is the task name
    without the run's protocol suffix, so runs of two protocols pair on the same documents."""
    rows = []
    for task, benchmark in run.tasks().items():
        samples = load_samples(run.path, task)
        if samples:
            base = task if run.protocol == OFFICIAL else task.removesuffix(f"_{run.protocol}")
            rows += check_rows(base, benchmark, samples, task_settings(run.results, task))
    return frame_of(rows)


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["depth"] = frame["depth"].astype(int)
    frame["verdict"] = frame["verdict"].astype(float)
    return frame


# ------------------------------------------------------------------------------------------------ resampling


def _weights(docs: pd.Index, n: int, seed: int) -> np.ndarray:
    """Bootstrap draw counts, ``n`` × documents: the documents of each benchmark (the stratum a document key
    starts with) drawn with replacement, as many as it has."""
    rng = np.random.default_rng(seed)
    strata = docs.str.split("\0").str[0]
    out = np.zeros((n, len(docs)))
    for stratum in pd.unique(strata):
        idx = np.flatnonzero(strata == stratum)
        out[:, idx] = rng.multinomial(len(idx), np.full(len(idx), 1 / len(idx)), size=n)
    return out


@dataclass(frozen=True)
class _Grid:
    """Where each row of a frame falls: its document (``rows``) and its cell of the table's keys (``codes``)."""

    docs: pd.Index
    cells: pd.Index
    rows: np.ndarray
    codes: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, keys: Sequence[str]) -> _Grid:
        docs = pd.Index(pd.unique(frame["_doc"]))
        cell_keys = frame[list(keys)].apply(tuple, axis=1) if len(keys) > 1 else frame[keys[0]]
        cells = pd.Index(sorted(set(cell_keys), key=_order))
        return cls(docs, cells, docs.get_indexer(frame["_doc"]), cells.get_indexer(cell_keys))

    def sums(self, values: Any) -> np.ndarray:
        """``values`` (one per row) summed per document and cell: documents × cells."""
        out = np.zeros((len(self.docs), len(self.cells)))
        np.add.at(out, (self.rows, self.codes), values)
        return out

    def index(self, keys: Sequence[str]) -> pd.Index:
        return (pd.MultiIndex.from_tuples(self.cells, names=list(keys)) if len(keys) > 1
                else pd.Index(self.cells, name=keys[0]))


TYPE_ORDER = {kind: i for i, kind in enumerate((*taxonomy.TYPES, taxonomy.UNMAPPED))}
COMPOSITION_ORDER = {kind: i for i, kind in enumerate((*taxonomy.COMPOSITIONS, taxonomy.UNMAPPED))}


def _order(key: Any) -> tuple:
    """Types and compositions in the taxonomy's order, depths by number."""
    parts = key if isinstance(key, tuple) else (key,)
    return tuple((TYPE_ORDER.get(p, COMPOSITION_ORDER.get(p, 99)), p) if isinstance(p, str) else (0, p)
                 for p in parts)


def _interval(draws: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bounds per column; NaN where under half the draws are defined."""
    tail = 100 * (1 - LEVEL) / 2
    low = np.full(draws.shape[1], np.nan)
    high = np.full(draws.shape[1], np.nan)
    for j in range(draws.shape[1]):
        valid = draws[:, j][~np.isnan(draws[:, j])]
        if len(valid) >= n / 2:
            low[j], high[j] = np.percentile(valid, [tail, 100 - tail])
    return low, high


CHECK = ["benchmark", "task", "doc", "check"]


def _with_docs(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The rows a table of ``keys`` counts — one per check unless it is by type — with a document key."""
    out = frame.copy() if "type" in keys else frame.drop_duplicates(CHECK)
    out["_doc"] = out["benchmark"] + "\0" + out["task"] + "\0" + out["doc"]
    return out


def rates(frame: pd.DataFrame, keys: Sequence[str], n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Pass rate per cell of ``keys`` (× 100) with its bootstrap interval, the checks scored, the documents they
    come from and the checks left unscored. ``n`` = 0: no interval."""
    keys = list(keys)
    frame = _with_docs(frame, keys)
    unscored = frame[frame["verdict"].isna()].groupby(keys).size()
    frame = frame[frame["verdict"].notna()]
    if frame.empty:
        out = pd.DataFrame(columns=list(RATE), index=unscored.index, dtype=float)
        out["unscored"] = unscored
        out[["checks", "docs"]] = 0
        return out
    grid = _Grid.of(frame, keys)
    sums, counts = grid.sums(frame["verdict"].to_numpy()), grid.sums(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = 100 * sums.sum(0) / counts.sum(0)
        if n:
            weights = _weights(grid.docs, n, seed)
            low, high = _interval(100 * (weights @ sums) / (weights @ counts), n)
        else:
            low = high = np.full(len(grid.cells), np.nan)
    out = pd.DataFrame({"rate": rate, "low": low, "high": high, "checks": counts.sum(0).astype(int),
                        "docs": (counts > 0).sum(0).astype(int)}, index=grid.index(keys))
    out["unscored"] = unscored.reindex(out.index).fillna(0).astype(int) if len(unscored) else 0
    extra = unscored.index.difference(out.index)  # cells with unscored checks only
    if len(extra):
        rest = pd.DataFrame({"rate": np.nan, "low": np.nan, "high": np.nan, "checks": 0, "docs": 0,
                             "unscored": unscored[extra].astype(int)}, index=extra)
        out = pd.concat([out, rest])
        out = out.iloc[sorted(range(len(out)), key=lambda i: _order(out.index[i]))]
    return out


def paired(a: pd.DataFrame, b: pd.DataFrame, keys: Sequence[str] = ("type",), n: int = 1000,
           seed: int = 0) -> pd.DataFrame:
    """Run B against run A on the checks both scored (same benchmark, task, document, check and type), per cell
    of ``keys``: pairs, documents, both pass rates and B − A (× 100), its paired bootstrap interval and two-sided
    p-value, and the checks B scored higher than A (``improved``: met where A failed, or a graded score up) or
    lower (``hurt``)."""
    keys = list(keys)
    on = ["benchmark", "task", "doc", "check", "type"]
    joined = a.merge(b[[*on, "verdict"]], on=on, suffixes=("_a", "_b"))
    joined = joined[joined["verdict_a"].notna() & joined["verdict_b"].notna()]
    if joined.empty:
        return pd.DataFrame(columns=list(PAIRED), index=pd.Index([], name=keys[0]) if len(keys) == 1 else
                            pd.MultiIndex.from_tuples([], names=keys))
    joined = _with_docs(joined, keys)
    grid = _Grid.of(joined, keys)
    a_, b_ = joined["verdict_a"].to_numpy(), joined["verdict_b"].to_numpy()
    sums_a, sums_b, counts = grid.sums(a_), grid.sums(b_), grid.sums(1)
    improved = np.bincount(grid.codes, weights=b_ > a_, minlength=len(grid.cells)).astype(int)
    hurt = np.bincount(grid.codes, weights=b_ < a_, minlength=len(grid.cells)).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_a, rate_b = 100 * sums_a.sum(0) / counts.sum(0), 100 * sums_b.sum(0) / counts.sum(0)
        difference = rate_b - rate_a
        if n:
            weights = _weights(grid.docs, n, seed)
            draws = 100 * (weights @ sums_b - weights @ sums_a) / (weights @ counts)
            low, high = _interval(draws, n)
            p = [p_value(float(d), draws[:, j]) for j, d in enumerate(difference)]
        else:
            low = high = np.full(len(grid.cells), np.nan)
            p = [math.nan] * len(grid.cells)
    return pd.DataFrame({"pairs": counts.sum(0).astype(int), "docs": (counts > 0).sum(0).astype(int),
                         "A": rate_a, "B": rate_b, "difference": difference, "low": low, "high": high, "p": p,
                         "improved": improved, "hurt": hurt}, index=grid.index(keys))


def coverage(frame: pd.DataFrame) -> pd.DataFrame:
    """Checks per benchmark (rows) and type (columns), each distinct check once, with ``unmapped`` and the
    benchmark's total of distinct checks."""
    distinct = frame.drop_duplicates(["benchmark", "task", "doc", "check", "type"])
    table = distinct.groupby(["benchmark", "type"]).size().unstack(fill_value=0)
    columns = [t for t in (*taxonomy.TYPES, taxonomy.UNMAPPED) if t in table.columns]
    if taxonomy.UNMAPPED not in columns:
        table[taxonomy.UNMAPPED] = 0
        columns.append(taxonomy.UNMAPPED)
    table = table[columns]
    table["checks"] = distinct.drop_duplicates(["benchmark", "task", "doc", "check"]).groupby("benchmark").size()
    order = [b for b in BENCHMARKS if b in table.index] + [b for b in table.index if b not in BENCHMARKS]
    return table.loc[order].astype(int)


# ------------------------------------------------------------------------------------------------ the report


@dataclass
class StructureReport:
    """Rate tables are long: one row per (cell, run), columns :data:`RATE`."""

    runs: list[str]
    by_type: pd.DataFrame
    composition_depth: pd.DataFrame
    type_composition: pd.DataFrame
    coverage: pd.DataFrame
    comparisons: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)  # "B vs A" -> {"type": …}
    notes: list[str] = field(default_factory=list)
    training: pd.Series | None = None  # checks of each type in the training data (--train_data)


def _long(per_run: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [table.assign(run=label).set_index("run", append=True) for label, table in per_run.items()]
    return pd.concat(parts) if parts else pd.DataFrame(columns=list(RATE))


def training_types(path: str | Path) -> pd.Series:
    """Checks of each taxonomy type in a ``raif-train synth`` file (its records' ``structure.taxonomy``)."""
    path = Path(path)
    if not path.is_file():
        raise RaifError(f"--train_data {path} is not a file: pass the JSONL that raif-train synth wrote")
    counts: dict[str, int] = {}
    for lineno, record in read_jsonl(path, "a raif-train synth record", numbered=True):
        shape = record.get("structure")
        found = shape.get("taxonomy") if isinstance(shape, dict) else None
        if not isinstance(found, dict) or not isinstance(found.get("checks"), list):
            raise RaifError(f"{path}:{lineno} has no structure.taxonomy (written by an older raif-train synth, or "
                            "not a synth record): synthesise it again with this version")
        for check in found["checks"]:
            kinds = check.get("types") if isinstance(check, dict) else None
            for kind in kinds if isinstance(kinds, list) and kinds else [taxonomy.UNMAPPED]:
                counts[str(kind)] = counts.get(str(kind), 0) + 1
    return pd.Series(counts, dtype=int).reindex(sorted(counts, key=_order))


def training_view(report: StructureReport) -> pd.DataFrame:
    """Training checks per type (count, share) beside each run's pass rate."""
    kinds = sorted(set(report.training.index) | set(report.by_type.index.get_level_values("type")), key=_order)
    counts = report.training.reindex(kinds).fillna(0).astype(int)
    out = pd.DataFrame({"training checks": counts,
                        "share": (100 * counts / max(1, counts.sum())).map(lambda v: f"{v:.1f}%")},
                       index=pd.Index(kinds, name="type"))
    rates_ = wide(report.by_type)
    for run in report.runs:
        out[run] = rates_[run].reindex(kinds).fillna("–") if run in rates_ else "–"
    return out


def build(frames: dict[str, pd.DataFrame], n: int = 1000, seed: int = 0,
          training: pd.Series | None = None) -> StructureReport | None:
    """The structure report of runs' check frames (label → :func:`run_frame`); None if none has a check.
    ``training``: :func:`training_types` of the training data, set beside the pass rates."""
    empty = [label for label, f in frames.items() if f.empty]
    frames = {label: f for label, f in frames.items() if not f.empty}
    if not frames:
        return None
    tables = {name: _long({label: rates(f, keys, n, seed) for label, f in frames.items()})
              for name, keys in (("by_type", ["type"]), ("composition_depth", ["composition", "depth"]),
                                 ("type_composition", ["type", "composition"]))}
    labels = list(frames)
    first = frames[labels[0]]
    comparisons = {f"{label} vs {labels[0]}": {"type": paired(first, frames[label], ["type"], n, seed),
                                                "composition": paired(first, frames[label], ["composition"], n,
                                                                      seed)}
                   for label in labels[1:]}
    report = StructureReport(labels, tables["by_type"], tables["composition_depth"], tables["type_composition"],
                             coverage(pd.concat(list(frames.values()))), comparisons, training=training)
    if empty:
        report.notes.append(f"No checks (no logged samples) for: {', '.join(empty)}; the structure tables leave "
                            f"them out, and the paired comparisons are against {labels[0]}.")
    unmapped = report.coverage[taxonomy.UNMAPPED]
    if unmapped.any():
        report.notes.append("Checks the taxonomy does not map (counted as `unmapped`): "
                            + ", ".join(f"{b} {int(c)}" for b, c in unmapped.items() if c))
    report.notes.append(f"Taxonomy version {taxonomy.VERSION}. Rates × 100 with 95% bootstrap intervals over "
                        "documents (within each benchmark); a check with several types counts under each.")
    return report


def build_for_runs(runs: Sequence[Run], n: int = 1000, seed: int = 0,
                   training: pd.Series | None = None) -> StructureReport | None:
    return build({run.label: run_frame(run) for run in runs}, n, seed, training)


# ------------------------------------------------------------------------------------------------ rendering


def cell_text(row: pd.Series) -> str:
    """``62.3 [58.1, 66.0] n=412``: rate, interval, checks scored, and how many were left unscored (one decimal;
    the CSV files keep all)."""
    unscored = f" ({int(row['unscored'])} unscored)" if row.get("unscored") else ""
    if row["checks"] == 0 or pd.isna(row["rate"]):
        return "–" + unscored
    text = f"{row['rate']:.1f}"
    if not (pd.isna(row["low"]) or pd.isna(row["high"])):
        text += f" [{row['low']:.1f}, {row['high']:.1f}]"
    return text + f" n={int(row['checks'])}" + unscored


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """A long rate table as cells × runs of :func:`cell_text`."""
    texts = table.apply(cell_text, axis=1)
    out = texts.unstack("run")
    runs = list(dict.fromkeys(table.index.get_level_values("run")))
    out = out[runs]
    return out.iloc[sorted(range(len(out)), key=lambda i: _order(out.index[i]))].fillna("–")


def paired_text(table: pd.DataFrame) -> pd.DataFrame:
    """A paired comparison for reading: A, B, B − A [interval], p, improved / hurt, pairs."""
    out = pd.DataFrame(index=table.index)
    out["A"] = table["A"].map(lambda v: f"{v:.1f}")
    out["B"] = table["B"].map(lambda v: f"{v:.1f}")
    out["B − A"] = [f"{d:+.1f}" + ("" if pd.isna(lo) else f" [{lo:+.1f}, {hi:+.1f}]")
                    for d, lo, hi in zip(table["difference"], table["low"], table["high"])]
    out["p"] = table["p"].map(lambda v: "–" if pd.isna(v) else f"{v:.3f}")
    out["improved / hurt"] = [f"{u} / {h}" for u, h in zip(table["improved"], table["hurt"])]
    out["pairs"] = table["pairs"]
    return out


def views(report: StructureReport) -> dict[str, pd.DataFrame]:
    """Every table of the report as it is printed (Markdown, HTML), by title."""
    out = {"Pass rate by constraint type": wide(report.by_type),
           "Pass rate by composition and depth": wide(report.composition_depth),
           "Pass rate by constraint type and composition": wide(report.type_composition),
           "Checks per benchmark and constraint type": report.coverage}
    if report.training is not None:
        out["Training data against pass rate, by constraint type"] = training_view(report)
    for name, tables in report.comparisons.items():
        out[f"{name}: paired, by constraint type"] = paired_text(tables["type"])
        out[f"{name}: paired, by composition"] = paired_text(tables["composition"])
    return out


def markdown(report: StructureReport) -> str:
    parts = []
    for title, table in views(report).items():
        shown = table.reset_index()
        parts.append(f"## {title}\n\n" + tabulate(shown, headers="keys", tablefmt="github", showindex=False,
                                                  disable_numparse=True))
    return "\n\n".join(parts) + "".join(f"\n\n> {note}" for note in report.notes)


def csv_frames(report: StructureReport) -> dict[str, pd.DataFrame]:
    """The tables with every number (file stem → frame)."""
    out = {"structure_by_type": report.by_type, "structure_composition_depth": report.composition_depth,
           "structure_type_composition": report.type_composition, "structure_coverage": report.coverage}
    for i, (name, tables) in enumerate(report.comparisons.items(), 1):
        for key, table in tables.items():
            out[f"structure_paired_{i}_{key}"] = table.assign(comparison=name)
    if report.training is not None:
        out["structure_training"] = report.training.rename("checks").to_frame()
    return out


# ------------------------------------------------------------------------------------------------ coverage of the data

# The data variants of each benchmark whose checks the coverage table counts (task options).
VARIANTS: dict[str, tuple[dict[str, Any], ...]] = {
    "ifeval": ({},), "cello": ({},), "cfbench": ({},), "complexbench": ({},),
    "fbbench": ({"fbbench_version": "v3"}, {"fbbench_version": "v1"}),
    "followbench": ({"language": "en"}, {"language": "zh"}), "infobench": ({},),
}


def data_coverage(data_dir: str | None = None, benchmarks: Iterable[str] = VARIANTS) -> pd.DataFrame:
    """Checks of every document of each benchmark's data, per taxonomy type, before any response: rows
    ``<benchmark>`` or ``<benchmark> (<option>=<value>)``; columns the types found, ``unmapped``, then ``checks``
    (distinct checks; a check with several types counts once under each type)."""
    rows = {}
    for key in benchmarks:
        definition = BENCHMARKS[key]
        for options in VARIANTS.get(key, ({},)):
            counts: dict[str, int] = {taxonomy.UNMAPPED: 0}
            total = 0
            settings = definition.settings(options)
            for doc in definition.documents(settings, data_dir):
                for constraint in definition.constraints.structure(doc, settings).constraints:
                    total += 1
                    for kind in definition.constraints.types(constraint.labels):
                        counts[kind] = counts.get(kind, 0) + 1
            several = len(VARIANTS.get(key, ())) > 1
            name = key + "".join(f" ({k}={v})" for k, v in options.items()) if several else key
            rows[name] = {**counts, "checks": total}
    table = pd.DataFrame.from_dict(rows, orient="index").fillna(0).astype(int)
    kinds = [t for t in taxonomy.TYPES if t in table.columns]
    return table[[*kinds, taxonomy.UNMAPPED, "checks"]]


def coverage_markdown(table: pd.DataFrame) -> str:
    return tabulate(table.reset_index().rename(columns={"index": "benchmark"}), headers="keys", tablefmt="github",
                    showindex=False)
