"""Per-constraint-structure breakdowns of one run, from its logged samples alone (``--log_samples``).

Every function takes the sample rows of one task (as :func:`raif_eval.reports.samples.load_samples` returns them)
and gives a tidy (long) DataFrame with a plain RangeIndex: key columns, then ``metric``, ``value`` and ``n`` (how many
questions / criteria / samples the value is over). Scores are on the paper's scale (× 100); CSL is in levels and
counts are counts, as the ``metric`` names say. The numbers come from the benchmarks' own aggregation functions,
fed with the per-sample values the tasks log (spec README "Output contract") and the record in ``doc["raw"]``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from raif_eval.benchmarks import cello, cfbench, fbbench, followbench, infobench
from raif_eval.core import mean, pooled_mean
from raif_eval.reports.samples import judged, load_samples, record

FILTER = "raif"
Sample = dict[str, Any]
COLUMNS = ("metric", "value", "n")


def _rows(samples: Iterable[Sample] | None) -> list[Sample]:
    """The samples of the ``raif`` filter (lm-eval writes one line per document and filter)."""
    return [s for s in samples or () if s.get("filter", FILTER) == FILTER]


def _pct(value: float | None) -> float:
    return math.nan if value is None or (isinstance(value, float) and math.isnan(value)) else 100 * value


def _frame(rows: list[dict[str, Any]], keys: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*keys, *COLUMNS])
    frame["value"] = frame["value"].astype(float)
    frame["n"] = frame["n"].astype(int)
    return frame


# --- IFEval ----------------------------------------------------------------------------------------------------

def _ifeval_entries(samples: Iterable[Sample]) -> list[tuple[str, bool, bool]]:
    entries = []
    for sample in _rows(samples):
        ids = record(sample)["instruction_id_list"]
        strict, loose = sample["inst_level_strict_acc"], sample["inst_level_loose_acc"]
        if not len(ids) == len(strict) == len(loose):
            raise ValueError(f"IFEval sample {sample.get('doc_id')}: {len(ids)} instructions but "
                             f"{len(strict)}/{len(loose)} strict/loose verdicts")
        entries += list(zip(ids, strict, loose))
    return entries


def ifeval_by_instruction(samples: list[Sample]) -> pd.DataFrame:
    """Strict and loose accuracy per instruction group (the id's prefix before ``:``) and per instruction id, each
    a micro average over instruction entries (the official report's tiers). Columns: level (``group`` |
    ``instruction``), instruction, metric (``strict`` | ``loose``), value, n (entries)."""
    by: dict[tuple[str, str], list[tuple[bool, bool]]] = defaultdict(list)
    for instruction_id, strict, loose in _ifeval_entries(samples):
        by["group", instruction_id.split(":")[0]].append((strict, loose))
        by["instruction", instruction_id].append((strict, loose))
    rows = []
    for level in ("group", "instruction"):
        for key in sorted(k for lv, k in by if lv == level):
            verdicts = by[level, key]
            for i, metric in enumerate(("strict", "loose")):
                rows.append({"level": level, "instruction": key, "metric": metric,
                             "value": _pct(pooled_mean([[v[i] for v in verdicts]])), "n": len(verdicts)})
    return _frame(rows, ("level", "instruction"))


def ifeval_by_prompt_size(samples: list[Sample]) -> pd.DataFrame:
    """Prompt-level strict and loose accuracy by the number of instructions in the prompt. Columns: instructions,
    metric, value, n (prompts)."""
    by: dict[int, list[Sample]] = defaultdict(list)
    for sample in _rows(samples):
        by[len(record(sample)["instruction_id_list"])].append(sample)
    rows = [{"instructions": size, "metric": metric, "value": _pct(mean(s[f"prompt_level_{metric}_acc"]
                                                                         for s in by[size])), "n": len(by[size])}
            for size in sorted(by) for metric in ("strict", "loose")]
    return _frame(rows, ("instructions",))


# --- CFBench ---------------------------------------------------------------------------------------------------

NO_TYPE = "(none)"  # 129 criteria of the data have an empty primary constraint type


def _cfbench_verdicts(sample: Sample) -> dict[str, Any]:
    value = judged(sample)
    return cfbench.verdicts_or_failure(((value or {}).get("judge") or {}).get("verdicts"))


def cfbench_by_constraint(samples: list[Sample]) -> pd.DataFrame:
    """Columns: by, label, metric, value, n.

    - ``by`` = ``primary type`` / ``priority`` (主需, 次需), metric ``satisfaction``: the share of criteria judged
      met, pooled over criteria (n), **only over prompts whose judge reply parsed strictly** (``judge_parsing``
      "1"): a fallback reply keeps only its 1-scores, which are not aligned with the criteria, and an unparsed or
      failed one has none.
    - ``by`` = ``split`` (easy, hard, all), metrics CSR, ISR, PSR: upstream's ``round(np.mean(...), 2)`` over the
      prompts (n) of the split, every prompt counted whatever its parsing (as the task's metrics).
    - ``by`` = ``judge parsing`` ("1" strict, "0" fallback, "-1" unparsed), metric ``share of prompts``.
    """
    samples = _rows(samples)
    by_type: dict[str, list[float]] = defaultdict(list)
    by_priority: dict[str, list[float]] = defaultdict(list)
    parsing: Counter[str] = Counter()
    for sample in samples:
        verdicts = _cfbench_verdicts(sample)
        parsing[verdicts["parsing"]] += 1
        if verdicts["parsing"] != cfbench.PARSED:
            continue
        criteria = record(sample)["criteria"]
        if len(criteria) != len(verdicts["scores"]):
            raise ValueError(f"CFBench sample {sample.get('doc_id')}: {len(verdicts['scores'])} scores for "
                             f"{len(criteria)} criteria")
        for (_text, priority, primary, *_rest), score in zip(criteria, verdicts["scores"]):
            by_type[primary or NO_TYPE].append(float(score))
            by_priority[priority].append(float(score))
    rows = []
    for label in sorted(by_type, key=lambda t: (-len(by_type[t]), t)):
        rows.append({"by": "primary type", "label": label, "metric": "satisfaction",
                     "value": _pct(mean(by_type[label])), "n": len(by_type[label])})
    for label in [p for p in (cfbench.PRIMARY, cfbench.SECONDARY) if p in by_priority] + sorted(
            set(by_priority) - {cfbench.PRIMARY, cfbench.SECONDARY}):
        rows.append({"by": "priority", "label": label, "metric": "satisfaction",
                     "value": _pct(mean(by_priority[label])), "n": len(by_priority[label])})
    scores = cfbench.benchmark_scores((s["doc"]["split"], {m: s[m] for m in ("csr", "isr", "psr")}) for s in samples)
    counts = Counter(s["doc"]["split"] for s in samples)
    for split in (*cfbench.SPLITS, "all"):
        n = len(samples) if split == "all" else counts[split]
        for metric in ("CSR", "ISR", "PSR"):
            value = scores[metric if split == "all" else f"{metric}_{split}"]
            rows.append({"by": "split", "label": split, "metric": metric, "value": _pct(value), "n": n})
    for label in (cfbench.PARSED, cfbench.FALLBACK, cfbench.UNPARSED):
        rows.append({"by": "judge parsing", "label": label, "metric": "share of prompts",
                     "value": _pct(parsing[label] / len(samples)) if samples else math.nan, "n": parsing[label]})
    return _frame(rows, ("by", "label"))


# --- FollowBench -----------------------------------------------------------------------------------------------

def _followbench_cells(samples: Iterable[Sample]) -> tuple[list, list, dict[str, list[Sample]]]:
    hard, soft, per_category = [], [], defaultdict(list)
    for sample in _rows(samples):
        doc = sample["doc"]
        tags = (doc["category"], doc["level"], record(sample)["group"])
        hard.append(followbench.cell(sample["hsr"], *tags))  # -1 (unreadable judge reply) kept, as upstream
        soft.append(followbench.cell(sample["ssr"], *tags))
        per_category[doc["category"]].append(sample)
    return hard, soft, per_category


def followbench_grid(samples: list[Sample]) -> pd.DataFrame:
    """HSR and SSR per (category, level) — :func:`followbench.rates` on the logged per-sample values re-tagged
    with their cell, so an unparsed judge reply (−1) lowers the rate as upstream — then per category the CSL
    (levels, not × 100; n = groups) and the number of unparsed judge replies (n = samples).
    Columns: category, level (1–5, or ``all``), metric, value, n."""
    hard, soft, per_category = _followbench_cells(samples)
    hsr, ssr = followbench.rates(hard), followbench.rates(soft)
    csl = followbench.csl_per_category(hard)
    sizes = Counter((c.tags["category"], c.tags["level"]) for c in hard)
    groups = {category: len({c.tags["group"] for c in hard if c.tags["category"] == category})
              for category in per_category}
    categories = [c for c in followbench.CATEGORIES if c in per_category] + sorted(
        set(per_category) - set(followbench.CATEGORIES))
    rows = []
    for category in categories:
        for level in sorted(level for c, level in hsr if c == category):
            for metric, table in (("HSR", hsr), ("SSR", ssr)):
                rows.append({"category": category, "level": level, "metric": metric,
                             "value": _pct(table[category, level]), "n": sizes[category, level]})
        rows.append({"category": category, "level": "all", "metric": "CSL", "value": csl[category],
                     "n": groups[category]})
        unparsed = sum(int(s.get("judge_unparsed") or 0) for s in per_category[category])
        rows.append({"category": category, "level": "all", "metric": "unparsed", "value": unparsed,
                     "n": len(per_category[category])})
    frame = _frame(rows, ("category", "level"))
    frame["level"] = frame["level"].astype(object)
    return frame


# --- CELLO -----------------------------------------------------------------------------------------------------

def _cello_scores(sample: Sample) -> dict[str, float | None]:
    if all(f"cello_{c}" in sample for c in cello.CRITERIA):
        return {c: sample[f"cello_{c}"] for c in cello.CRITERIA}
    row = sample["cello_average"]  # the per-sample row every CELLO metric carries
    return {c: row.get(c) for c in cello.CRITERIA}


def _present(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def cello_grid(samples: list[Sample]) -> pd.DataFrame:
    """Per task file (13, in the official table's order): the mean of each criterion over the samples where it
    applies (None criteria skipped, upstream's nanmean) and the task score (mean of those means) —
    :func:`cello.task_table`; then the official summary columns (:func:`cello.summary`): Structure,
    Ave_complex_ins, Ave_complex_input, Average (metric ``score``) and each criterion's mean over the task files
    (task_file ``all``). Columns: task_file, metric (format | input | task | count | score), value, n (samples
    with a value; task files for the ``all`` rows)."""
    rows_in = [(s["doc"]["task_file"], _cello_scores(s)) for s in _rows(samples)]
    table = cello.task_table(rows_in)
    summary = cello.summary(rows_in)
    per_file: dict[str, list[dict[str, float | None]]] = defaultdict(list)
    for task_file, scores in rows_in:
        per_file[task_file].append(scores)
    rows = []
    for task_file, means in table.items():
        for criterion in cello.CRITERIA:
            rows.append({"task_file": task_file, "metric": criterion, "value": _pct(means[criterion]),
                         "n": sum(_present(s[criterion]) for s in per_file[task_file])})
        rows.append({"task_file": task_file, "metric": "score", "value": _pct(means["score"]),
                     "n": len(per_file[task_file])})
    for name, key in (("Structure", "Structure"), ("Ave_complex_ins", "ave_complex_ins"),
                      ("Ave_complex_input", "ave_complex_input"), ("Average", "average")):
        n = len(rows_in) if name != "Structure" else sum(len(per_file[f]) for f in cello.STRUCTURE_PARTS)
        rows.append({"task_file": name, "metric": "score", "value": _pct(summary[key]), "n": n})
    for criterion in cello.CRITERIA:
        rows.append({"task_file": "all", "metric": criterion, "value": _pct(summary[criterion]),
                     "n": sum(_present(m[criterion]) for m in table.values())})
    return _frame(rows, ("task_file",))


# --- FB-Bench --------------------------------------------------------------------------------------------------

def _fbbench_samples(samples: Iterable[Sample]) -> list[dict[str, Any]]:
    out = []
    for sample in _rows(samples):
        rec = record(sample)
        out.append({"bench_type": sample["doc"]["bench_type"], "task_type": sample["doc"]["task_type"],
                    "score": sample["fb_score"], "error_type": rec.get("error_type") or [],
                    "feedback_type": rec.get("feedback_type") or []})
    return out


def fbbench_tables(samples: list[Sample]) -> pd.DataFrame:
    """Upstream's tables (rounded to 4 digits as upstream, then × 100): ``overall`` (EC, RM, Overall), ``task
    type`` (the EC and RM cells of each task type and their mean: the 16-cell grid), ``error type`` (EC samples),
    ``feedback type`` (each bench type's own feedback types). Samples whose judgment was dropped (``fb_score``
    null) are left out, as upstream. Columns: table, label, metric (EC | RM | Overall), value, n (scored
    samples)."""
    rows_in = _fbbench_samples(samples)
    scored = [s for s in rows_in if s["score"] is not None]
    names = (("EC", "error_correction", fbbench.EC), ("RM", "response_maintenance", fbbench.RM),
             ("Overall", "overall", None))
    rows = []

    def add(table: str, label: str, scores: fbbench.Scores, members: list[dict[str, Any]],
            metrics: Sequence[str] = ("EC", "RM", "Overall")) -> None:
        for metric, field, bench in names:
            if metric in metrics:
                n = sum(1 for s in members if bench is None or s["bench_type"] == bench)
                rows.append({"table": table, "label": label, "metric": metric,
                             "value": _pct(getattr(scores, field)), "n": n})

    add("overall", "all", fbbench.aggregate(fbbench.rows_of(rows_in)), scored)
    for task_type, scores in fbbench.per_task_type(rows_in).items():
        add("task type", task_type, scores, [s for s in scored if s["task_type"] == task_type])
    for error_type, scores in fbbench.per_error_type(rows_in).items():
        members = [s for s in scored if s["bench_type"] == fbbench.EC and error_type in s["error_type"]]
        add("error type", error_type, scores, members, ("EC",))
    for bench, metric in ((fbbench.EC, "EC"), (fbbench.RM, "RM")):
        for feedback_type, scores in fbbench.per_feedback_type(rows_in, bench).items():
            members = [s for s in scored if s["bench_type"] == bench and feedback_type in s["feedback_type"]]
            add(f"feedback type ({metric})", feedback_type, scores, members, (metric,))
    return _frame(rows, ("table", "label"))


# --- InFoBench -------------------------------------------------------------------------------------------------

SUBSETS = {infobench.EASY: "Easy", infobench.HARD: "Hard"}
LABELS = ("Content", "Format", "Number", "Style", "Linguistic")


def infobench_by_subset(samples: list[Sample]) -> pd.DataFrame:
    """DRFR (pooled over asked questions: questions left unasked after an unreadable reply are out of the
    denominator, an unreadable reply counts as not met — :func:`infobench.drfr`) for Easy, Hard and all, and per
    question label (a question with several labels counts once for each). Columns: by (``subset`` | ``label``),
    label, metric, value, n (questions)."""
    per_subset: dict[str, list[list[bool | None]]] = defaultdict(list)
    per_label: dict[str, list[bool | None]] = defaultdict(list)
    for sample in _rows(samples):
        rec = record(sample)
        values = list(sample["drfr"])
        per_subset[SUBSETS.get(rec["subset"], rec["subset"])].append(values)
        labels = rec.get("question_label") or []
        for value, question_labels in zip(values, labels):  # asked questions are a prefix of the list
            for label in question_labels:
                per_label[label].append(value)
    rows = []
    for subset in [*SUBSETS.values(), *sorted(set(per_subset) - set(SUBSETS.values()))]:
        if subset in per_subset:
            rows.append({"by": "subset", "label": subset, "metric": "DRFR",
                         "value": _pct(infobench.drfr(per_subset[subset])),
                         "n": sum(len(v) for v in per_subset[subset])})
    everything = [v for docs in per_subset.values() for v in docs]
    rows.append({"by": "subset", "label": "all", "metric": "DRFR", "value": _pct(infobench.drfr(everything)),
                 "n": sum(len(v) for v in everything)})
    for label in [*(x for x in LABELS if x in per_label), *sorted(set(per_label) - set(LABELS))]:
        rows.append({"by": "label", "label": label, "metric": "DRFR",
                     "value": _pct(infobench.drfr([per_label[label]])), "n": len(per_label[label])})
    return _frame(rows, ("by", "label"))


# --- judge bookkeeping -----------------------------------------------------------------------------------------

USAGE = (("judge_parse_failures", "parse failures"), ("judge_parse_failure_rate", "parse failure rate"),
         ("judge_failed_docs", "failed docs"), ("judge_prompt_tokens", "prompt tokens"),
         ("judge_completion_tokens", "completion tokens"), ("judge_missing", "missing judgments"),
         ("judge_unparsed", "unparsed"), ("judge_fallback", "fallback parses"),
         ("judge_unknown_rules", "unknown rules"))


def judge_usage(results: dict[str, Any]) -> pd.DataFrame:
    """Per judged task of a results file: the judge model and the bookkeeping metrics the task reports (filter
    ``raif``). The parse failure rate is a percentage; the rest are counts; NaN where a task does not report a
    metric. Columns: task, judge, then one column per metric."""
    rows = []
    for task, values in results.get("results", {}).items():
        found = {label: values.get(f"{key},{FILTER}") for key, label in USAGE}
        if all(v is None for v in found.values()):
            continue
        metadata = results.get("configs", {}).get(task, {}).get("metadata") or {}
        judge = metadata.get("judge") or {}
        row: dict[str, Any] = {"task": task, "judge": judge.get("model")}
        for label, value in found.items():
            value = math.nan if value is None or isinstance(value, str) else float(value)
            row[label] = 100 * value if label == "parse failure rate" else value
        rows.append(row)
    return pd.DataFrame(rows, columns=["task", "judge", *(label for _, label in USAGE)])


# --- one run ---------------------------------------------------------------------------------------------------

BUILDERS = {
    "ifeval": (("IFEval by instruction", ifeval_by_instruction),
               ("IFEval by instructions per prompt", ifeval_by_prompt_size)),
    "cfbench": (("CFBench by constraint type, priority and split", cfbench_by_constraint),),
    "followbench": (("FollowBench by category and level", followbench_grid),),
    "cello": (("CELLO by task file and criterion", cello_grid),),
    "fbbench": (("FB-Bench by task, error and feedback type", fbbench_tables),),
    "infobench": (("InFoBench by subset and question label", infobench_by_subset),),
}


def benchmark_tasks(results: dict[str, Any]) -> dict[str, str]:
    """Leaf tasks of a results file with a breakdown: task -> benchmark key (from the task's metadata)."""
    out = {}
    for task, config in results.get("configs", {}).items():
        bench = (config.get("metadata") or {}).get("benchmark")
        if bench in BUILDERS:
            out[task] = bench
    return out


def breakdowns(results_path: str | Path, results: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every breakdown that applies to the run: one per benchmark task with logged samples (tasks without a
    samples file are skipped), and the judge usage table when a task used the judge. When two tasks share a
    benchmark (FollowBench en / zh) their names carry the task."""
    tasks = benchmark_tasks(results)
    shared = {b for b in tasks.values() if list(tasks.values()).count(b) > 1}
    out: dict[str, pd.DataFrame] = {}
    for task, bench in tasks.items():
        samples = _rows(load_samples(results_path, task))
        if not samples:
            continue
        for title, build in BUILDERS[bench]:
            out[f"{title} ({task})" if bench in shared else title] = build(samples)
    if out:
        usage = judge_usage(results)
        if not usage.empty:
            out["Judge usage"] = usage
    return out
