"""CELLO (He et al., AAAI 2024): 523 Chinese complex instructions in 13 task files, scored in code, no judge.

Each record carries four criterion lists (``Answer_format``, ``Input_depdent_query`` [sic],
``Task_prescribed_phrases``, ``Count_limit``); one answer gets four scores in [0, 1] or ``None`` (upstream's
``nan``), from the registry's CELLO verifiers (:mod:`raif_eval.verifiers.cello_rules`, which follow
Abbey4799/CELLO @ 5430aa1 ``code/scorers/*.py`` branch for branch).

Aggregation (``code/score.py``): per task file, the NaN-skipping mean of each criterion over samples, and the task
score as the NaN-skipping mean of those four; the criterion columns average the 13 task files; Structure is the
plain mean of its three sub-files; ``Average`` = (mean of the 5 complex-instruction tasks + mean of the 6
complex-input tasks) / 2 — it is task-based, not the mean of the criterion columns.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from raif_eval import data, verifiers
from raif_eval.core import Benchmark, Breakdown, Metric, Option, Tagged, taxonomy
from raif_eval.core.benchmark import OFFICIAL, PAPER, Settings, doc_record, document, paper_protocol
from raif_eval.core.tables import frame, percent, scored
from raif_eval.verifiers.cello_rules import nanmean

BENCH = "cello"

COMPLEX_INSTRUCTION = ("extraction", "Planning", "meta_prompt", "brainstorming_single_round", "writing_single_round")
STRUCTURE_PARTS = ("Structure_hard", "Structure_simple", "Structure_None")
COMPLEX_INPUT = ("keywords_extraction", "closed_qa", "Summarization", "Structure", "brainstorming_multi_rounds",
                 "writing_multi_rounds")
# The 13 data files in the order of the official tasks table (Structure's parts where Structure stands).
TASK_FILES = (*COMPLEX_INSTRUCTION, "keywords_extraction", "closed_qa", "Summarization", *STRUCTURE_PARTS,
              "brainstorming_multi_rounds", "writing_multi_rounds")
TASK_COLUMNS = (*COMPLEX_INSTRUCTION, "Ave_complex_ins", *COMPLEX_INPUT, "Ave_complex_input", "Average")
CRITERION_COLUMNS = ("format_score", "input_score", "task_score", "count_limit_score", "Average")

CRITERIA = ("format", "input", "task", "count")
CRITERION_LISTS = {"format": "Answer_format", "input": "Input_depdent_query", "task": "Task_prescribed_phrases",
                   "count": "Count_limit"}
REVISE_AGAINST = ("self", "previous_turn")


Scores = dict[str, float | None]
Column = dict[str, float | None]


# --- data -------------------------------------------------------------------------------------------------

def load_records(data_dir: str | None = None) -> list[dict[str, Any]]:
    """Every record of every task file, in :data:`TASK_FILES` then file order, tagged with its ``task_file``."""
    out = []
    for stem in TASK_FILES:
        path = data.resolve(BENCH, f"data/{stem}.json", data_dir)
        out.extend({**record, "task_file": stem} for record in json.loads(path.read_text(encoding="utf-8")))
    return out


def messages(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """The chat of the official runs: earlier turns from ``histories``, then ``Instruction``; no system message."""
    chat = []
    for user, assistant in record["histories"]:
        chat += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return chat + [{"role": "user", "content": record["Instruction"]}]


# --- scoring ----------------------------------------------------------------------------------------------

def score(record: Mapping[str, Any], answer: Any, revise_against: str = "self") -> Scores:
    """The four criterion scores of one answer, ``None`` where the record's list does not apply.

    ``revise_against="self"`` reproduces the official numbers: upstream's ``eval.py`` appends
    (Instruction, answer) to ``histories`` before scoring, so "the previous answer" is the answer itself and every
    revise check passes. ``"previous_turn"`` compares with the last assistant turn of the record's own histories.
    """
    if revise_against not in REVISE_AGAINST:
        raise ValueError(f"revise_against must be one of {REVISE_AGAINST}, not {revise_against!r}")
    extra = {"input": {"input_text": record.get("input_text")},
             "count": {"lang": record.get("lang", "ch"), "previous": _previous_answer(record, answer, revise_against)}}
    return {criterion: verifiers.build(f"cello:{criterion}", criteria=record[field], **extra.get(criterion, {}))
            .check(answer) for criterion, field in CRITERION_LISTS.items()}


def _previous_answer(record: Mapping[str, Any], answer: Any, revise_against: str) -> tuple[bool, Any]:
    """(whether a previous answer exists, that answer) for the revise check."""
    if revise_against == "self":
        return True, answer
    histories = record["histories"]
    return (True, histories[-1][1]) if histories else (False, None)


# --- aggregation ------------------------------------------------------------------------------------------
# Rows are (task_file, {criterion: value or None}). Every mean skips None/NaN, as upstream's np.nanmean and
# pandas' mean do; a task file without rows is simply absent. So a subset of the files (``--limit``) gives means
# over what is present; the one change that needs is Average, which becomes the half present if only one half has
# any task (upstream would give NaN there). With all 13 files every number is upstream's.

def task_table(rows: Iterable[tuple[str, Mapping[str, float | None]]]) -> dict[str, dict[str, float | None]]:
    """Per task file present (in :data:`TASK_FILES` order): its four criterion means and its ``score``."""
    per_file: dict[str, list[Mapping[str, float | None]]] = {}
    for task_file, scores in rows:
        if task_file not in TASK_FILES:
            raise ValueError(f"unknown CELLO task file {task_file!r}")
        per_file.setdefault(task_file, []).append(scores)
    table = {}
    for stem in TASK_FILES:
        if stem in per_file:
            means = {c: nanmean(s.get(c) for s in per_file[stem]) for c in CRITERIA}
            table[stem] = {**means, "score": nanmean(means.values())}
    return table


def _columns(table: Mapping[str, Mapping[str, float | None]]) -> tuple[Column, Column]:
    tasks: dict[str, float | None] = {stem: row["score"] for stem, row in table.items()}
    tasks["Structure"] = nanmean(tasks.get(stem) for stem in STRUCTURE_PARTS)  # equal weights (18/18/2 samples)
    ins = nanmean(tasks.get(t) for t in COMPLEX_INSTRUCTION)
    inp = nanmean(tasks.get(t) for t in COMPLEX_INPUT)
    average = (ins + inp) / 2 if ins is not None and inp is not None else nanmean([ins, inp])
    task_cols = {**{t: tasks.get(t) for t in COMPLEX_INSTRUCTION}, "Ave_complex_ins": ins,
                 **{t: tasks.get(t) for t in COMPLEX_INPUT}, "Ave_complex_input": inp, "Average": average}
    criterion_cols = {f"{c}_score" if c != "count" else "count_limit_score":
                      nanmean(row[c] for row in table.values()) for c in CRITERIA}
    criterion_cols["Average"] = average  # upstream overwrites this column with the task-based Average
    return task_cols, criterion_cols


def task_columns(rows: Iterable[tuple[str, Mapping[str, float | None]]]) -> dict[str, float | None]:
    """The columns of the official ``*_scores_by_tasks.csv`` (unrounded; upstream rounds to 3 decimals)."""
    return _columns(task_table(rows))[0]


def criterion_columns(rows: Iterable[tuple[str, Mapping[str, float | None]]]) -> dict[str, float | None]:
    """The columns of the official ``*_scores_by_constraints.csv``: each criterion's mean over the task files
    (not over samples), and the task-based Average."""
    return _columns(task_table(rows))[1]


def summary(rows: Iterable[tuple[str, Mapping[str, float | None]]]) -> dict[str, float | None]:
    """Every reported number: ``average``, ``ave_complex_ins``, ``ave_complex_input``, the four criterion
    columns (``format``, ``input``, ``task``, ``count``), and the score of each task file and of ``Structure``."""
    table = task_table(rows)
    task_cols, criterion_cols = _columns(table)
    out = {"average": task_cols["Average"], "ave_complex_ins": task_cols["Ave_complex_ins"],
           "ave_complex_input": task_cols["Ave_complex_input"]}
    out.update({c: criterion_cols[f"{c}_score" if c != "count" else "count_limit_score"] for c in CRITERIA})
    out.update({stem: table[stem]["score"] if stem in table else None for stem in TASK_FILES})
    out["Structure"] = task_cols["Structure"]
    return out


# --- the task -------------------------------------------------------------------------------------------------

# Per-task metrics: the 10 plain task files and Structure (the equal-weight mean of its three files).
PER_TASK = tuple(t for t in TASK_FILES if t not in STRUCTURE_PARTS) + ("Structure",)


def paper_messages(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """RAIF's combined file: the same turns, the user turns stripped."""
    return [{**m, "content": m["content"].strip()} if m["role"] == "user" else m for m in messages(record)]


def documents(settings: dict[str, Any], data_dir: str | None) -> list[dict[str, Any]]:
    chat = paper_messages if settings["protocol"] == PAPER else messages
    return [document(r["Instruction_id"], r["Instruction"], r, messages=chat(r), task_file=r["task_file"],
                     turns=len(r["histories"]) + 1)
            for r in load_records(data_dir)]


def score_doc(doc: dict[str, Any], answer: str, judged: None, settings: Settings) -> dict[str, Any]:
    scores = score(doc_record(doc), answer, settings["cello_revise_against"])
    row = {"task_file": doc["task_file"], **scores}  # what the task-based averages need
    out: dict[str, Any] = {name: row for name in ("raif_score", "cello_average", "cello_complex_ins",
                                                   "cello_complex_input")}
    own = "Structure" if doc["task_file"] in STRUCTURE_PARTS else doc["task_file"]
    for name in PER_TASK:  # each task's score, carried by its own samples only (null on the others)
        out[f"cello_{name}"] = row if name == own else None
    for criterion, value in scores.items():  # null where the criterion does not apply to this record
        out[f"cello_{criterion}"] = None if value is None else Tagged(value, task_file=doc["task_file"],
                                                                      criterion=criterion)
    return out


def _summary_of(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    return summary((r["task_file"], {c: r[c] for c in CRITERIA}) for r in rows)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def average(items: list[dict[str, Any]]) -> float:
    return _nan(_summary_of(items)["average"])


def complex_ins(items: list[dict[str, Any]]) -> float:
    return _nan(_summary_of(items)["ave_complex_ins"])


def complex_input(items: list[dict[str, Any]]) -> float:
    return _nan(_summary_of(items)["ave_complex_input"])


def per_task(items: list[dict[str, Any] | None]) -> float:
    """A task file's score (the mean of its four criterion means), or Structure's."""
    rows = [r for r in items if r is not None]
    if not rows:
        return math.nan
    task_file = rows[0]["task_file"]
    name = "Structure" if task_file in STRUCTURE_PARTS else task_file
    return _nan(_summary_of(rows)[name])


def criterion(items: list[Tagged | None]) -> float:
    """A criterion column: the criterion's mean per task file, then the mean over task files (not samples)."""
    values = [v for v in items if v is not None]
    if not values:
        return math.nan
    name = values[0].tags["criterion"]
    return _nan(summary((v.tags["task_file"], {name: float(v)}) for v in values)[name])


# --- breakdowns -----------------------------------------------------------------------------------------------

def _sample_scores(sample: dict[str, Any]) -> dict[str, float | None]:
    if all(f"cello_{c}" in sample for c in CRITERIA):
        return {c: sample[f"cello_{c}"] for c in CRITERIA}
    row = sample["cello_average"]  # the per-sample row every CELLO metric carries
    return {c: row.get(c) for c in CRITERIA}


def _present(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def grid(samples: list[dict[str, Any]], settings: Settings | None = None):
    """Per task file (13, in the official table's order): the mean of each criterion over the samples where it
    applies (None criteria skipped, upstream's nanmean) and the task score (mean of those means) —
    :func:`task_table`; then the official summary columns (:func:`summary`): Structure, Ave_complex_ins,
    Ave_complex_input, Average (metric ``score``) and each criterion's mean over the task files (task_file
    ``all``). Columns: task_file, metric (format | input | task | count | score), value, n (samples with a value;
    task files for the ``all`` rows)."""
    rows_in = [(s["doc"]["task_file"], _sample_scores(s)) for s in scored(samples)]
    table = task_table(rows_in)
    totals = summary(rows_in)
    per_file: dict[str, list[dict[str, float | None]]] = defaultdict(list)
    for task_file, scores in rows_in:
        per_file[task_file].append(scores)
    rows = []
    for task_file, means in table.items():
        for name in CRITERIA:
            rows.append({"task_file": task_file, "metric": name, "value": percent(means[name]),
                         "n": sum(_present(s[name]) for s in per_file[task_file])})
        rows.append({"task_file": task_file, "metric": "score", "value": percent(means["score"]),
                     "n": len(per_file[task_file])})
    for name, key in (("Structure", "Structure"), ("Ave_complex_ins", "ave_complex_ins"),
                      ("Ave_complex_input", "ave_complex_input"), ("Average", "average")):
        n = len(rows_in) if name != "Structure" else sum(len(per_file[f]) for f in STRUCTURE_PARTS)
        rows.append({"task_file": name, "metric": "score", "value": percent(totals[key]), "n": n})
    for name in CRITERIA:
        rows.append({"task_file": "all", "metric": name, "value": percent(totals[name]),
                     "n": sum(_present(m[name]) for m in table.values())})
    return frame(rows, ("task_file",))


# --- the taxonomy ----------------------------------------------------------------------------------------------

# A criterion list → type. Input_depdent_query asks for what the input holds (its keywords stand for that
# content), Task_prescribed_phrases for phrases the task prescribes.
TAXONOMY = {"Answer_format": "format", "Input_depdent_query": "content", "Task_prescribed_phrases": "lexical",
            "Count_limit": "length"}


def structure(doc: dict[str, Any], settings: Settings) -> taxonomy.Structure:
    """The criteria that apply. Whether one has a value depends on its list and the revise setting only, never on
    the answer (upstream's lookups decide it first), so the empty answer tells."""
    return taxonomy.flat([taxonomy.Constraint(c, (CRITERION_LISTS[c],), "rule")
                          for c in _applying(doc["raw"], settings["cello_revise_against"])])


@functools.lru_cache(maxsize=1024)
def _applying(raw: str, revise_against: str) -> tuple[str, ...]:
    scores = score(json.loads(raw), "", revise_against)
    return tuple(c for c in CRITERIA if scores[c] is not None)


def check_verdicts(doc: dict[str, Any], values: dict[str, Any], judged: None,
                   settings: Settings) -> list[float | None]:
    return [values.get(f"cello_{c.check}") for c in structure(doc, settings).constraints]


CONSTRAINTS = taxonomy.ConstraintMap(TAXONOMY, structure, check_verdicts,
                                     "one check per criterion list that applies, its score in [0, 1]")

BENCHMARK = Benchmark(
    key=BENCH, name="CELLO", column="CELLO",
    documents=documents, score=score_doc, max_gen_toks=2048,
    metrics=(
        Metric("raif_score", average),
        Metric("cello_average", average),
        Metric("cello_complex_ins", complex_ins),
        Metric("cello_complex_input", complex_input),
        *(Metric(f"cello_{name}", criterion) for name in CRITERIA),
        *(Metric(f"cello_{name}", per_task) for name in PER_TASK),
    ),
    options=(Option("cello_revise_against", REVISE_AGAINST, "self", "the revise check compares with the answer itself "
                    "(the official results) or the previous assistant turn (RAIF's pipeline)"),),
    breakdowns=(Breakdown("CELLO by task file and criterion", grid),),
    # RAIF sends CELLO as conversations: no system message.
    protocols=(OFFICIAL, paper_protocol(generation_budget_divisor=1.3,
                                        defaults={"cello_revise_against": "previous_turn"})),
    constraints=CONSTRAINTS,
)
