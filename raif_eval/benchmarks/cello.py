"""CELLO (He et al., AAAI 2024): 523 Chinese complex instructions in 13 task files, scored in code, no judge.

Each record carries four criterion lists (``Answer_format``, ``Input_depdent_query`` [sic],
``Task_prescribed_phrases``, ``Count_limit``); an entry ``{"criterion": "NULL", ...}`` marks a list as not
applicable. One answer gets four scores in [0, 1] or ``None`` (upstream's ``nan``):

- format: mean of *resolve* (the whole answer parses as the requested type) and keyword coverage;
- input: keyword coverage × (1 − character BLEU against ``input_text``), i.e. use the input's facts, do not copy it;
- task: keyword coverage;
- count: mean of the word, sample, sentence and revise checks that apply.

Aggregation (``code/score.py``): per task file, the NaN-skipping mean of each criterion over samples, and the task
score as the NaN-skipping mean of those four; the criterion columns average the 13 task files; Structure is the
plain mean of its three sub-files; ``Average`` = (mean of the 5 complex-instruction tasks + mean of the 6
complex-input tasks) / 2 — it is task-based, not the mean of the criterion columns.

The rules below follow Abbey4799/CELLO @ 5430aa1 (``code/scorers/*.py``) branch for branch, including its quirks
(noted where they happen). Two deliberate departures, neither of which moves the official GPT-4 numbers:
``ast.literal_eval`` instead of ``eval`` for resolve, and a non-string answer scores 0 only on the criteria that
apply to its record (upstream zeroes all four, but its sample filter never lets such an answer through).
"""

from __future__ import annotations

import ast
import json
import math
import re
import string
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from nltk.translate.bleu_score import corpus_bleu

from raif_eval import data

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

NULL = "NULL"
WORD_KINDS = ("word-max", "word-min", "word-exact", "word-min-max")
SAMPLE_KINDS = ("sample-table", "sample-min", "sample-number")  # sample-exact / sample-mins: never implemented
SENTENCE_KINDS = ("sentence-max", "sentence-min", "sentence-min-max", "sentence-exact")
RESOLVE_TYPES = {"json": dict, "dict": dict, "list": list, "tuple": tuple}

_CJK = re.compile("[\u4e00-\u9fa5]")
_ZH_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；\n]")
_NUMBER = re.compile(r"\d+")

Criteria = Sequence[Mapping[str, Any]]
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
    return {
        "format": format_score(answer, record["Answer_format"]),
        "input": input_score(answer, record["Input_depdent_query"], record.get("input_text")),
        "task": task_score(answer, record["Task_prescribed_phrases"]),
        "count": count_score(answer, record["Count_limit"], record.get("lang", "ch"),
                             _previous_answer(record, answer, revise_against)),
    }


def _previous_answer(record: Mapping[str, Any], answer: Any, revise_against: str) -> tuple[bool, Any]:
    """(whether a previous answer exists, that answer) for the revise check."""
    if revise_against == "self":
        return True, answer
    histories = record["histories"]
    return (True, histories[-1][1]) if histories else (False, None)


def _lookup(criteria: Criteria, kinds: Sequence[str]) -> Mapping[str, Any] | None:
    """Upstream's lookup: the first entry of a wanted kind, or None when a NULL entry (or nothing) comes first."""
    for entry in criteria:
        if entry["criterion"] in kinds:
            return entry
        if entry["criterion"] == NULL:
            return None
    return None


def _nanmean(values: Iterable[float | None]) -> float | None:
    """np.nanmean with None for "no value"; sums in order, as numpy does here (same floats, not just close)."""
    kept = [v for v in values if v is not None and not math.isnan(v)]
    if not kept:
        return None
    total = 0.0
    for v in kept:
        total += v
    return total / len(kept)


def _keywords(criteria: Criteria) -> Sequence[str] | str | None:
    entry = _lookup(criteria, ("keywords",))
    if entry is None:
        if not any(e["criterion"] == NULL for e in criteria):
            raise ValueError(f"CELLO keyword list without keywords or NULL entry: {criteria!r}")  # upstream asserts
        return None
    keywords = entry["limit"]
    if isinstance(keywords, float) or len(keywords) == 0:
        raise ValueError(f"CELLO keyword entry without keywords: {entry!r}")
    return keywords


def cover(answer: str, keywords: Sequence[str] | str) -> float:
    """Share of keywords found in the answer: plain, case-sensitive ``in``. Two records give a string instead of a
    list (Planning #5, meta_prompt #9); upstream iterates it, so there each character counts as a keyword."""
    return sum(keyword in answer for keyword in keywords) / len(keywords)


def task_score(answer: Any, criteria: Criteria) -> float | None:
    keywords = _keywords(criteria)
    if keywords is None:
        return None
    return cover(answer, keywords) if isinstance(answer, str) else 0.0


def input_score(answer: Any, criteria: Criteria, input_text: Any) -> float | None:
    keywords = _keywords(criteria)
    if keywords is None:
        return None
    if not isinstance(answer, str):
        return 0.0
    value = cover(answer, keywords)
    if isinstance(input_text, str) and input_text != NULL:  # input_text is NaN on the tasks without an input
        value = (1 - char_bleu(answer, input_text)) * value
    return value


def char_bleu(candidate: str, reference: str) -> float:
    """Upstream's BLEU: nltk ``corpus_bleu`` on the raw strings, so its n-grams are characters; no smoothing."""
    with warnings.catch_warnings():  # nltk warns on every zero n-gram overlap; the value (0) is what counts
        warnings.simplefilter("ignore")
        return corpus_bleu([[reference]], [candidate], weights=(0.25, 0.25, 0.25, 0.25))


def format_score(answer: Any, criteria: Criteria) -> float | None:
    # the keyword half is the same first-keywords-entry coverage as the task criterion
    return _nanmean([resolve_score(answer, criteria), task_score(answer, criteria)])


def resolve_score(answer: Any, criteria: Criteria) -> float | None:
    """1 if the whole answer parses as the requested type, else 0; None without a resolve entry.

    Upstream ``eval()``s the answer for json/dict/list/tuple; ``ast.literal_eval`` accepts the same literals
    (so JSON ``true``/``false``/``null`` still fail) without running model output. A limit that is none of the six
    type names scores 0 (upstream falls through every branch): three records give ``["xml"]``, a list.
    """
    entry = _lookup(criteria, ("resolve",))
    if entry is None:
        return None
    if not isinstance(answer, str):
        return 0.0
    wanted = entry["limit"]
    try:
        if isinstance(wanted, str) and wanted in RESOLVE_TYPES:
            return float(isinstance(ast.literal_eval(answer), RESOLVE_TYPES[wanted]))
        if wanted == "xml":
            ET.fromstring(answer)
            return 1.0
        if wanted == "yaml":
            yaml.safe_load(answer)
            return 1.0
    except Exception:  # upstream: bare except -> 0 (syntax errors, deep nesting, bad markup alike)
        return 0.0
    return 0.0


def count_score(answer: Any, criteria: Criteria, lang: str = "ch",
                previous: tuple[bool, Any] = (False, None)) -> float | None:
    """Mean of the word, sample, sentence and revise checks that apply. ``previous`` = (has a previous turn,
    its answer): upstream only tries revise when ``histories`` is non-empty."""
    return _nanmean([word_score(answer, criteria, lang), sample_score(answer, criteria),
                     sentence_score(answer, criteria, lang), revise_score(answer, criteria, *previous)])


def _count_words(answer: str, lang: str) -> int:
    if lang == "ch":
        return len(_CJK.findall(answer))
    if lang == "eg":  # upstream's English count (no CELLO record uses it): tokens with a letter or digit
        valid = set(string.ascii_letters + string.digits)
        return sum(any(ch in valid for ch in word) for word in answer.split())
    return 0


def word_score(answer: Any, criteria: Criteria, lang: str = "ch") -> float | None:
    """word-max L: 1 if length <= L else max(1 - (length - L)/length, 0); word-min L: 1 if length >= L else
    length/L; word-exact and word-min-max are recognised but always pass. Length = CJK characters."""
    entry = _lookup(criteria, WORD_KINDS)
    if entry is None:
        return None
    if not isinstance(answer, str):
        return 0.0
    mode, limit, length = entry["criterion"], entry["limit"], _count_words(answer, lang)
    if mode == "word-max" and length > limit:
        return float(max(1 - abs(limit - length) / length, 0))
    if mode == "word-min" and length < limit:
        return float(max(length / limit, 0))
    return 1.0


def sample_score(answer: Any, criteria: Criteria) -> float | None:
    """The best of the sample checks, walking every entry as upstream does.

    Quirks kept: any NULL entry makes it None; a non-sample entry before the first sample entry makes it None
    (e.g. sample-exact then sample-number); a non-sample entry after one re-runs the previous sample check;
    sample-table cuts the answer to its table span, and later checks see the cut answer.
    """
    if not criteria:
        return None  # upstream would fail on max([]); no record has an empty list
    text, mode, limit, results = answer, None, None, []
    for entry in criteria:
        if entry["criterion"] in SAMPLE_KINDS:
            mode, limit = entry["criterion"], entry["limit"]
        elif entry["criterion"] == NULL:
            return None
        if mode is None:
            return None
        if isinstance(text, str):
            value, text = _sample_check(mode, limit, text)
            results.append(value)
    return float(max(results)) if isinstance(answer, str) else 0.0


def _sample_check(mode: str, limit: Any, text: str) -> tuple[float, str]:
    """One sample check: (score, the answer as later checks see it)."""
    if mode == "sample-min":  # limit = [[substring, minimum count], ...]
        return sum(text.count(sub) >= n for sub, n in limit) / len(limit), text
    if mode == "sample-table":  # N rows: the span from the first to the last "|" holds exactly N + 1 newlines
        if "|" not in text:
            return 0.0, text
        text = text[text.index("|"):text.rfind("|") + 1]
        return float(text.count("\n") == limit + 1), text
    # sample-number N: over the distinct numbers written, one equals N and none exceeds it
    numbers = [_to_int(s) for s in set(_NUMBER.findall(text))]
    return float(limit in numbers and all(n <= limit for n in numbers)), text


def _to_int(digits: str) -> float:
    try:
        return int(digits)  # \d also matches non-ASCII decimal digits, which int() reads as upstream did
    except ValueError:  # over Python's int-string length limit: far above any count limit
        return math.inf


def sentence_score(answer: Any, criteria: Criteria, lang: str = "ch") -> float | None:
    """sentence-exact: 1 iff the sentence count equals the limit; sentence-min: min(count/L, 1);
    sentence-min-max: 1 iff within. sentence-max is always None: upstream overwrites its score with nan."""
    entry = _lookup(criteria, SENTENCE_KINDS)
    if entry is None or entry["criterion"] == "sentence-max":
        return None
    if not isinstance(answer, str):
        return 0.0
    mode, limit = entry["criterion"], entry["limit"]
    if lang == "ch":
        count = len(_ZH_SENTENCE.findall(answer))
    elif lang == "eg":
        import nltk  # only upstream's English path needs the punkt tokenizer

        count = len(nltk.sent_tokenize(answer))
    else:
        count = 0
    if mode == "sentence-min":
        return 1.0 if count >= limit else float(max(count / limit, 0))
    if mode == "sentence-min-max":
        return float(limit[0] <= count <= limit[1])
    return float(count == limit)  # sentence-exact


def revise_score(answer: Any, criteria: Criteria, has_previous: bool, previous: Any) -> float | None:
    """``longer``: 1 iff len(answer) >= len(previous answer); ``shorter``: 1 iff <=. None without a revise entry
    or without a previous turn (upstream checks ``len(histories) > 0`` first)."""
    entry = _lookup(criteria, ("revise",)) if has_previous else None
    if entry is None:
        return None
    if entry["limit"] not in ("longer", "shorter"):
        raise ValueError(f"CELLO revise limit must be 'longer' or 'shorter': {entry!r}")  # upstream asserts
    if not isinstance(answer, str) or not isinstance(previous, str):
        return 0.0
    if entry["limit"] == "longer":
        return float(len(answer) >= len(previous))
    return float(len(answer) <= len(previous))


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
            means = {c: _nanmean(s.get(c) for s in per_file[stem]) for c in CRITERIA}
            table[stem] = {**means, "score": _nanmean(means.values())}
    return table


def _columns(table: Mapping[str, Mapping[str, float | None]]) -> tuple[Column, Column]:
    tasks: dict[str, float | None] = {stem: row["score"] for stem, row in table.items()}
    tasks["Structure"] = _nanmean(tasks.get(stem) for stem in STRUCTURE_PARTS)  # equal weights (18/18/2 samples)
    ins = _nanmean(tasks.get(t) for t in COMPLEX_INSTRUCTION)
    inp = _nanmean(tasks.get(t) for t in COMPLEX_INPUT)
    average = (ins + inp) / 2 if ins is not None and inp is not None else _nanmean([ins, inp])
    task_cols = {**{t: tasks.get(t) for t in COMPLEX_INSTRUCTION}, "Ave_complex_ins": ins,
                 **{t: tasks.get(t) for t in COMPLEX_INPUT}, "Ave_complex_input": inp, "Average": average}
    criterion_cols = {f"{c}_score" if c != "count" else "count_limit_score":
                      _nanmean(row[c] for row in table.values()) for c in CRITERIA}
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
