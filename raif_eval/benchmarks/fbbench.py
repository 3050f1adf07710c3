"""FB-Bench (arXiv 2410.09412): how a model answers human feedback on its own first answer, judged on a checklist.

One record is a two-turn Chinese dialogue: the user's query, a fixed first answer, then the user's feedback; the
model writes only the second answer. *Error Correction* (EC) records have a wrong first answer (the model should
fix it); *Response Maintenance* (RM) records have a right one and misleading feedback (the model should hold its
position). The judge fills a per-record checklist as JSON (shared/specs/fbbench.md).

Official protocol (PKU-Baichuan-MLSystemLab/FB-Bench ``gen_judgment.py``, ``show_results.py`` and the analysis
notebook that wrote the ``model_analysis`` tables):

* judge request: one user message (template ``judge_v3`` / ``judge_v1``), temperature 0, ``max_tokens`` 4096, JSON
  mode; up to 3 judgment attempts per record; a record whose attempts all fail is left out of the averages;
* sample score (:func:`sample_score`): EC = sum of the echoed weights of the items judged ``是``, RM = 1 if any
  item is ``是``;
* benchmark score (:func:`aggregate`): per bench type, the mean over task types of the per-task-type mean (EC, RM);
  Overall = the mean over all non-empty (bench type, task type) cells, each rounded to 4 digits.

Scores here are fractions in [0, 1]; reports multiply by 100.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import yaml

from raif_eval import data
from raif_eval.core import Benchmark, Breakdown, Judged, Metric, Option, Tagged, taxonomy
from raif_eval.core.benchmark import OFFICIAL, RAIF_SYSTEM, Settings, doc_record, document, paper_protocol
from raif_eval.core.judging import JudgeSession, Parsed
from raif_eval.core.tables import frame, percent, sample_record, scored
from raif_eval.errors import RaifError
from raif_eval.core.templates import render

log = logging.getLogger(__name__)

BENCH = "fbbench"
VERSIONS: dict[str, dict[str, str]] = {
    # v3: the official leaderboard's data and prompt (591 records).
    "v3": {"file": "data/feedback-benchmark/fb_bench_dataset_v3.json", "template": "judge_v3"},
    # v1: the earlier 734 records used by RAIF; its prompt also shows `reference_second_response`.
    "v1": {"file": "data/feedback-benchmark/fb_bench_dataset.json", "template": "judge_v1"},
}

EC, RM = "Error Correction", "Response Maintenance"
BENCH_TYPES = (EC, RM)
# Upstream's order (`defined_task_types` etc.): the order cells are averaged in, which can move the last bit.
TASK_TYPES = ("Mathematics", "Reasoning", "Coding", "Text Extraction", "Text Error Correction", "Text Creation",
              "Knowledge Q&A", "Text Translation")
ERROR_TYPES = ("Not Following Instructions", "Logical Error", "Incomplete Answer", "Factual Error",
               "Unprofessional Answer")
FEEDBACK_TYPES = {
    EC: ("Pointing Out Errors", "Simple Questioning", "Clarifying Intent", "Raising Objections",
         "Detailed Explanation", "Hinting Guidance"),
    RM: ("Misinformation", "Simple Questioning", "Credibility Support", "Unreasonable Requests"),
}

# Upstream gen_answer.py samples the second answer at a per-task-type temperature (utils.temperature_config);
# other task types fall back to its config's 0.0. raif-eval generates greedily by default (as RAIF does); this
# table is for runs that want the official sampling.
GENERATION_TEMPERATURE: dict[str, float] = {
    "Mathematics": 0.0,
    "Reasoning": 0.0,
    "Coding": 0.0,
    "Text Extraction": 0.0,
    "Text Error Correction": 0.0,
    "Text Creation": 0.7,
    "Knowledge Q&A": 0.1,
    "Text Translation": 0.7,
}
GENERATION_MAX_TOKENS = 4096

# The official judge settings. temperature and max_tokens belong in the judge profile
# (judges/fbbench/profiles.yaml, `params`), so a profile can change them; the program itself adds only JSON mode,
# which is part of the protocol (the validator expects a bare JSON object).
JUDGE_PARAMS: dict[str, Any] = {"temperature": 0, "max_tokens": 4096}
JSON_MODE: dict[str, Any] = {"response_format": {"type": "json_object"}}
JUDGE_ATTEMPTS = 3  # gen_judgment.judgment: `while cur_try < 3`

REASON, RESULT, WEIGHT = "评判理由", "评判结果", "weight"
YES, NO = "是", "否"
SCORE_TOLERANCE = 1e-6  # gen_judgment asserts 0 - 1e-6 <= score <= 1 + 1e-6
ON_FAILURE = ("zero", "drop")
DIGITS = 4  # show_results: round(x, 4)


# --- data ---------------------------------------------------------------------------------------------------

def _version(version: str) -> dict[str, str]:
    if version not in VERSIONS:
        raise RaifError(f"FB-Bench version must be one of {', '.join(VERSIONS)}, not {version!r}")
    return VERSIONS[version]


def load_records(version: str = "v3", data_dir: str | None = None) -> list[dict[str, Any]]:
    """The records of one dataset version, in file order, each tagged with ``version`` (for :func:`judge`)."""
    path = data.resolve(BENCH, _version(version)["file"], data_dir)
    records = json.loads(path.read_text(encoding="utf-8"))
    return [{**record, "version": version} for record in records]


def messages(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """The dialogue the model continues: query, the fixed first answer, the feedback (no system message)."""
    return [
        {"role": "user", "content": record["user_query"]},
        {"role": "assistant", "content": record["origin_first_response"]},
        {"role": "user", "content": record["feedback"]},
    ]


def generation_temperature(record: Mapping[str, Any]) -> float:
    """Upstream's sampling temperature for this record's task type (see :data:`GENERATION_TEMPERATURE`)."""
    return GENERATION_TEMPERATURE.get(record["task_type"], 0.0)


# --- judge prompt -------------------------------------------------------------------------------------------

def checklist_items(record: Mapping[str, Any]) -> list[tuple[str, float | None]]:
    """``(item, weight)`` pairs; RM checklists are bare strings (weight None).

    Like upstream, the form is decided by the first item (no dataset mixes the two forms)."""
    checklist = record["checklist"]
    if checklist and isinstance(checklist[0], str):
        return [(item, None) for item in checklist]
    return [(item, weight) for item, weight in checklist]


def judge_fields(record: Mapping[str, Any], answer: str, version: str = "v3") -> dict[str, str]:
    """The template fields exactly as ``gen_judgment.py`` derives them.

    ``checklist`` is Python's ``str()`` of the dataset value (single quotes), not JSON; the skeleton the judge is
    asked to fill is a dict, so a duplicated item appears once there (two v1 records)."""
    skeleton = {item: {REASON: "", RESULT: "", WEIGHT: weight} for item, weight in checklist_items(record)}
    fields = {
        "user_query": record["user_query"],
        "origin_first_response": record["origin_first_response"],
        "feedback": record["feedback"],
        "second_response": answer,
        "checklist": str(record["checklist"]),
        "checklist_judgement": json.dumps(skeleton, indent=4, ensure_ascii=False),
    }
    if version == "v1":
        fields["reference_second_response"] = record["reference_second_response"]
    return fields


def judge_prompt(record: Mapping[str, Any], answer: str, version: str = "v3") -> str:
    return render(BENCH, _version(version)["template"], **judge_fields(record, answer, version))


# --- validation and the sample score ------------------------------------------------------------------------

def _valid_item(key: Any, value: Any) -> bool:
    """One item as ``check_gpt_judge`` (zh) accepts it."""
    if not (isinstance(key, str) and key) or not isinstance(value, dict):
        return False
    if not all(k in value for k in (REASON, RESULT, WEIGHT)):
        return False
    reason, weight = value[REASON], value[WEIGHT]
    if not (isinstance(reason, str) and reason) or value[RESULT] not in (YES, NO):
        return False
    # isinstance(True, int): upstream accepts a JSON `true` weight (and counts it as 1); kept for fidelity.
    return weight is None or (isinstance(weight, (int, float)) and 0 < weight <= 1)


def validate(reply_text: str) -> dict[str, dict[str, Any]] | None:
    """The judgement in a judge reply, or None where an official judgment attempt would fail.

    Upstream's checks, in order: the reply parses with ``json.loads`` and is truthy (its API layer turns ``{}``
    into an error); it is an object (``.items()``); every item passes ``check_gpt_judge`` (non-empty key, dict
    value with a non-empty ``评判理由``, ``评判结果`` in 是/否, ``weight`` null or a number in (0, 1]); and the
    sample score is within [0, 1] (``gen_judgment`` asserts it, so echoed weights that sum past 1 fail). Item keys
    are not compared with the checklist, as upstream.
    """
    try:
        judgement = json.loads(reply_text)
    except (TypeError, ValueError, RecursionError):
        return None
    return checked(judgement) if judgement else None


def checked(judgement: Any) -> dict[str, dict[str, Any]] | None:
    """``judgement`` if it is a mapping whose every item passes ``check_gpt_judge`` and whose score is within
    [0, 1] (``gen_judgment`` asserts it), else None."""
    if not isinstance(judgement, dict):
        return None
    if not all(_valid_item(key, value) for key, value in judgement.items()):
        return None
    if not -SCORE_TOLERANCE <= sample_score(judgement) <= 1 + SCORE_TOLERANCE:
        return None
    return judgement


def sample_score(judgement: Mapping[str, Any]) -> float:
    """``gen_judgment.get_score``: walk the items in order; an item judged ``是`` adds its echoed weight, or,
    when that weight is falsy (null: every RM item), makes the score 1 at once.

    Weights are the judge's echo, not the dataset's (see :func:`weight_mismatches`). A non-dict value (upstream's
    ``{"API fialed": "$REPETITIVE PATTERNS$"}`` refusal record, scored 0) contributes nothing."""
    score: float = 0
    for value in judgement.values():
        if isinstance(value, Mapping) and value.get(RESULT) == YES:
            if not value.get(WEIGHT):
                return 1.0
            score += value[WEIGHT]
    return float(score)


def weight_mismatches(record: Mapping[str, Any], judgement: Mapping[str, Any]) -> list[str]:
    """Items whose echoed weight differs from the dataset's, or that are not in the checklist at all."""
    expected = dict(checklist_items(record))
    return [key for key, value in judgement.items()
            if key not in expected or not isinstance(value, Mapping) or value.get(WEIGHT) != expected[key]]


def parse_reply(text: str) -> Parsed:
    judgement = validate(text)
    return Parsed(judgement, ok=judgement is not None)


async def judge(judge_: JudgeSession, record: Mapping[str, Any], answer: str,
                version: str | None = None) -> dict[str, Any] | None:
    """``{"judgement": ..., "score": float}`` for one record, or None if no attempt gave a valid judgement.

    One user message (plus the profile's system message, none in the official profile); the profile supplies
    temperature/max_tokens, the program adds JSON mode. A reply that fails :func:`validate` is asked afresh,
    :data:`JUDGE_ATTEMPTS` times in all. Upstream also re-sends a reply that is not JSON up to 10 times inside each
    attempt; here such a reply uses up an attempt (JSON mode makes it rare). None also when the endpoint failed
    for good; :func:`score_or_default` decides what None scores.

    ``version`` defaults to the record's ``version`` tag (set by :func:`load_records`).
    """
    version = version or record.get("version")
    if version is None:
        raise RaifError("FB-Bench record has no `version`: load it with fbbench.load_records or pass version=")
    prompt = judge_prompt(record, answer, version)
    asked = await judge_.ask(judge_.messages({"role": "user", "content": prompt}), parse_reply,
                             attempts=JUDGE_ATTEMPTS, **JSON_MODE)
    if not asked.ok:
        return None
    if mismatched := weight_mismatches(record, asked.value):
        log.debug("FB-Bench judge echoed %d item(s) unlike the checklist: %s", len(mismatched), mismatched)
    return {"judgement": asked.value, "score": sample_score(asked.value)}


# --- RAIF's protocol (RAIF ``FB-Bench/gen_judgment_local.py``) -------------------------------------------------

JSON_FENCE, BARE_FENCE, FENCE_END = "```json\n", "```\n", "\n```"


def read_lenient(text: str) -> Any:
    """RAIF's ``post_process_json``: the text between the first json fence and the last closing fence (else a
    bare fence; slicing exactly as RAIF's, so a missing closing fence drops the last character), blank lines
    collapsed, then JSON5, else YAML, else a Python literal (RAIF calls ``eval``; a literal is what a judge
    writes, and nothing of a reply is executed here). YAML anchors and aliases are refused (a few hundred
    characters of them expand to billions of nodes); no judgement needs them. ``None`` when all three fail."""
    if JSON_FENCE in text:
        text = text[text.find(JSON_FENCE) + len(JSON_FENCE):text.rfind(FENCE_END)]
    elif BARE_FENCE in text:
        text = text[text.find(BARE_FENCE) + len(BARE_FENCE):text.rfind(FENCE_END)]
    while "\n\n" in text:
        text = text.replace("\n\n", "\n")
    for read in (_json5, _yaml_without_aliases, _literal):
        try:
            return read(text)
        except Exception:  # noqa: BLE001 — any failure moves on to the next reader, as RAIF's
            continue
    return None


def _json5(text: str) -> Any:
    """``json5.loads``, faster: what the standard library reads as JSON first (json5's pure-Python parser takes
    seconds for a 100 KB reply), and without the JSON5 white space at either end, which the grammar skips (100 KB of
    it took json5 5 s); within :data:`LENIENT_CHARS`. JSON5 reads JSON alike but for two things, left to json5: a
    ``\\uD83D\\uDE00`` escape (two lone surrogates to json5, one character to json) and nesting past
    :data:`JSON_DEPTH` (json5 overflows the stack near 50 levels, and RAIF then reads YAML)."""
    if not _JSON_DIFFERS.search(text) and _flow_depth(text, JSON_DEPTH) <= JSON_DEPTH:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            pass
    import json5

    start, end = 0, len(text)
    while start < end and _json5_space(text[start]):
        start += 1
    while end > start and _json5_space(text[end - 1]):
        end -= 1
    _bounded(text[start:end])
    return json5.loads(text[start:end])


JSON_DEPTH = 24
_JSON_DIFFERS = re.compile(r"\\[uU][dD][89a-fA-F]")  # a surrogate escape, read differently by json and json5
_JSON5_SPACE = frozenset(" \t\v\f\xa0\ufeff\n\r\u2028\u2029")


def _json5_space(ch: str) -> bool:
    return ch in _JSON5_SPACE or unicodedata.category(ch) == "Zs"


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not read")
        return super().compose_node(parent, index)


# RAIF's readers after JSON — json5 and PyYAML, both pure Python — cost ~40 and ~12 µs a byte, and PyYAML far more
# on nested flow collections (2 s for 10 KB of "[[{"; libyaml is quadratic there too). Past these bounds a reply
# is not read by them, nor by ast.literal_eval (unparsed): no judgement RAIF's judges write is 10 K
# characters of non-JSON, or nested 256 deep (PyYAML's own recursion stops near 330).
LENIENT_CHARS, LENIENT_DEPTH = 10_000, 256


def _bounded(text: str) -> None:
    if len(text) > LENIENT_CHARS or _flow_depth(text) > LENIENT_DEPTH:
        raise ValueError("not read: over the lenient readers' bounds")


def _literal(text: str) -> Any:
    _bounded(text)  # Python's parser builds the whole tree first: ~1 GB for 4 MB
    return ast.literal_eval(text)


def _yaml_without_aliases(text: str) -> Any:
    _bounded(text)
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 — a SafeLoader


def _flow_depth(text: str, at_most: int = LENIENT_DEPTH) -> int:
    """The deepest nesting of brackets and braces, counted naively (an upper bound of the JSON or YAML flow
    depth); 0 when there are at most ``at_most`` of them."""
    if text.count("[") + text.count("{") <= at_most:
        return 0
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def validate_lenient(text: str) -> dict[str, dict[str, Any]] | None:
    """A judgement RAIF accepts: what :func:`read_lenient` reads is a mapping (possibly empty: RAIF scores it 0)
    whose every item passes ``check_gpt_judge`` and whose score lies in [0, 1]."""
    return checked(read_lenient(text))


def parse_paper(text: str) -> Parsed:
    judgement = validate_lenient(text)
    return Parsed(judgement, ok=judgement is not None)


async def judge_paper(judge_: JudgeSession, record: Mapping[str, Any], answer: str) -> dict[str, Any] | None:
    """RAIF's protocol: system message + the v1 prompt (the profile), ``max_tokens`` from the prompt's length
    (``// 1.1``), no JSON mode, the lenient reader; 3 attempts, then the record is skipped (``None``)."""
    prompt = judge_prompt(record, answer, record.get("version") or "v1")
    asked = await judge_.ask(judge_.messages({"role": "user", "content": prompt}), parse_paper,
                             attempts=JUDGE_ATTEMPTS)
    if not asked.ok:
        return None
    return {"judgement": asked.value, "score": sample_score(asked.value)}


def score_or_default(verdicts: Mapping[str, Any] | None, on_failure: str = "drop") -> float | None:
    """A record's score; a record without verdicts is left out of the averages (``drop``, None: upstream's
    behaviour and the default) or scores 0 (``zero``: a failing judge can then only lower the score)."""
    if on_failure not in ON_FAILURE:
        raise RaifError(f"on_failure must be one of {', '.join(ON_FAILURE)}, not {on_failure!r}")
    if verdicts is None:
        return 0.0 if on_failure == "zero" else None
    return float(verdicts["score"])


# --- aggregation --------------------------------------------------------------------------------------------

class Scores(NamedTuple):
    """Fractions in [0, 1], rounded to 4 digits as upstream; None only where there is no sample at all.

    Upstream then writes ``x * 100 if x else None``, which turns a true 0 into None; that quirk is not kept here:
    0.0 stays 0.0. Reports multiply by 100."""

    error_correction: float | None
    response_maintenance: float | None
    overall: float | None


Row = tuple[str, str, float | None]  # (bench_type, task_type, score)


def _ordered(keys: Iterable[str], known: Sequence[str]) -> list[str]:
    seen = list(dict.fromkeys(keys))
    return [k for k in known if k in seen] + [k for k in seen if k not in known]


def _macro(groups: Sequence[Sequence[float]], digits: int | None) -> float | None:
    # get_avg_score_of_nest_list: mean of group means, the same float operations in the same order.
    if not groups:
        return None
    means = [sum(group) / len(group) for group in groups]
    value = sum(means) / len(means)
    return round(value, digits) if digits is not None else value


def aggregate(rows: Iterable[Row], digits: int | None = DIGITS) -> Scores:
    """``show_results.get_avg_score`` (mode ``type``) over ``(bench_type, task_type, score)`` rows.

    EC / RM = mean over task types of the per-task-type mean; Overall = mean over every non-empty (bench type,
    task type) cell — neither (EC + RM) / 2 nor a mean over samples. Rows scored None (judgments dropped, see
    :func:`score_or_default`) are absent, as upstream's missing lines. Upstream raises on an unknown task type;
    here it forms its own cell, after the known ones.
    """
    cells: dict[tuple[str, str], list[float]] = {}
    for bench_type, task_type, score in rows:
        if bench_type not in BENCH_TYPES:
            raise RaifError(f"unknown FB-Bench bench_type {bench_type!r}")
        if score is not None:
            cells.setdefault((bench_type, task_type), []).append(score)
    per_bench = {b: [cells[b, t] for t in _ordered((t for bb, t in cells if bb == b), TASK_TYPES)]
                 for b in BENCH_TYPES}
    return Scores(_macro(per_bench[EC], digits), _macro(per_bench[RM], digits),
                  _macro(per_bench[EC] + per_bench[RM], digits))


def rows_of(samples: Iterable[Mapping[str, Any]]) -> list[Row]:
    """Rows from scored samples: mappings with ``bench_type``, ``task_type`` and ``score``."""
    return [(s["bench_type"], s["task_type"], s["score"]) for s in samples]


def per_task_type(samples: Iterable[Mapping[str, Any]], digits: int | None = DIGITS) -> dict[str, Scores]:
    """Per task type: the EC cell, the RM cell, and their mean (``per_task_score.xlsx``)."""
    samples = list(samples)
    types = _ordered((s["task_type"] for s in samples), TASK_TYPES)
    return {t: aggregate(rows_of(s for s in samples if s["task_type"] == t), digits) for t in types}


def per_label(samples: Iterable[Mapping[str, Any]], field: str, bench_type: str, labels: Sequence[str] = (),
              digits: int | None = DIGITS) -> dict[str, Scores]:
    """Per label of ``field`` (a list such as ``error_type``): the type-macro scores of the samples of
    ``bench_type`` whose list holds the label. A sample with several labels counts for each."""
    subset = [s for s in samples if s["bench_type"] == bench_type]
    found = {label for s in subset for label in (s.get(field) or [])}
    # Every given label gets a row (empty: all None), as upstream's tables; unknown labels follow, sorted.
    return {label: aggregate(rows_of(s for s in subset if label in (s.get(field) or [])), digits)
            for label in [*labels, *sorted(found - set(labels))]}


def per_error_type(samples: Iterable[Mapping[str, Any]], digits: int | None = DIGITS) -> dict[str, Scores]:
    """``per_error_score.xlsx``: EC samples only (RM records have no error type)."""
    return per_label(samples, "error_type", EC, ERROR_TYPES, digits)


def per_feedback_type(samples: Iterable[Mapping[str, Any]], bench_type: str,
                      digits: int | None = DIGITS) -> dict[str, Scores]:
    """``per_feedback_score_correct.xlsx`` (``bench_type`` EC) or ``…_antisyco.xlsx`` (RM)."""
    return per_label(samples, "feedback_type", bench_type, FEEDBACK_TYPES[bench_type], digits)


# --- the task -------------------------------------------------------------------------------------------------

def documents(settings: dict[str, Any], data_dir: str | None) -> list[dict[str, Any]]:
    return [document(position, r["feedback"], r, messages=messages(r), bench_type=r["bench_type"],
                     task_type=r["task_type"])
            for position, r in enumerate(load_records(settings["fbbench_version"], data_dir))]


def score_doc(doc: dict[str, Any], answer: str, judged: Judged, settings: Settings) -> dict[str, Any]:
    value = score_or_default(judged.verdicts, settings["fbbench_on_failure"])
    value = None if value is None else Tagged(value, bench_type=doc["bench_type"], task_type=doc["task_type"])
    ec = doc["bench_type"] == EC
    return {"raif_score": value, "fb_overall": value, "fb_score": value,
            "fb_error_correction": value if ec else None, "fb_response_maintenance": None if ec else value}


def _tagged_rows(items: list[Tagged | None]) -> list[Row]:
    return [(v.tags["bench_type"], v.tags["task_type"], float(v)) for v in items if v is not None]


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value


def overall(items: list[Tagged | None]) -> float:
    return _or_nan(aggregate(_tagged_rows(items)).overall)


def error_correction(items: list[Tagged | None]) -> float:
    return _or_nan(aggregate(_tagged_rows(items)).error_correction)


def response_maintenance(items: list[Tagged | None]) -> float:
    return _or_nan(aggregate(_tagged_rows(items)).response_maintenance)


# --- breakdowns -----------------------------------------------------------------------------------------------

def _scored_samples(samples) -> list[dict[str, Any]]:
    out = []
    for sample in scored(samples):
        rec = sample_record(sample)
        out.append({"bench_type": sample["doc"]["bench_type"], "task_type": sample["doc"]["task_type"],
                    "score": sample["fb_score"], "error_type": rec.get("error_type") or [],
                    "feedback_type": rec.get("feedback_type") or []})
    return out


def tables(samples: list[dict[str, Any]], settings: Settings | None = None):
    """Upstream's tables (rounded to 4 digits as upstream, then × 100): ``overall`` (EC, RM, Overall), ``task
    type`` (the EC and RM cells of each task type and their mean: the 16-cell grid), ``error type`` (EC samples),
    ``feedback type`` (each bench type's own feedback types). Samples whose judgment was dropped (``fb_score``
    null) are left out, as upstream. Columns: table, label, metric (EC | RM | Overall), value, n (scored
    samples)."""
    rows_in = _scored_samples(samples)
    kept = [s for s in rows_in if s["score"] is not None]
    names = (("EC", "error_correction", EC), ("RM", "response_maintenance", RM), ("Overall", "overall", None))
    rows = []

    def add(table: str, label: str, scores: Scores, members: list[dict[str, Any]],
            metrics: Sequence[str] = ("EC", "RM", "Overall")) -> None:
        for metric, field, bench in names:
            if metric in metrics:
                n = sum(1 for s in members if bench is None or s["bench_type"] == bench)
                rows.append({"table": table, "label": label, "metric": metric,
                             "value": percent(getattr(scores, field)), "n": n})

    add("overall", "all", aggregate(rows_of(rows_in)), kept)
    for task_type, scores in per_task_type(rows_in).items():
        add("task type", task_type, scores, [s for s in kept if s["task_type"] == task_type])
    for error_type, scores in per_error_type(rows_in).items():
        members = [s for s in kept if s["bench_type"] == EC and error_type in s["error_type"]]
        add("error type", error_type, scores, members, ("EC",))
    for bench, metric in ((EC, "EC"), (RM, "RM")):
        for feedback_type, scores in per_feedback_type(rows_in, bench).items():
            members = [s for s in kept if s["bench_type"] == bench and feedback_type in s["feedback_type"]]
            add(f"feedback type ({metric})", feedback_type, scores, members, (metric,))
    return frame(rows, ("table", "label"))


# --- the taxonomy ----------------------------------------------------------------------------------------------

# Checklist items are free text with no constraint type in the data (their dialogue's feedback and error types
# describe the user's turn, not the item), so every item is `feedback`, labelled with its dialogue's bench type.
TAXONOMY = {EC: "feedback", RM: "feedback"}


def structure(doc: dict[str, Any], settings: Settings) -> taxonomy.Structure:
    """Error Correction items all count (their weights add up): And. A Response Maintenance dialogue scores 1 at
    its first met item, so its items are alternative readings of one constraint: single, depth 1."""
    record = doc_record(doc)
    constraints = [taxonomy.Constraint(str(i), (record["bench_type"],), "judge")
                   for i, _ in enumerate(checklist_items(record))]
    if record["bench_type"] == RM:
        return taxonomy.Structure("single", 1, tuple(constraints))
    return taxonomy.flat(constraints)


def check_verdicts(doc: dict[str, Any], values: dict[str, Any], judged: Judged | None,
                   settings: Settings) -> list[bool | None]:
    """Each item judged 是, matched by its text, or by position when the judge rephrased the keys but kept their
    number. A judgement with no 是 fails every item; one that matches neither way has none attributable. Never
    validly judged: unscored (the dialogue leaves the averages), or failed under ``fbbench_on_failure=zero``."""
    items = [item for item, _ in checklist_items(doc_record(doc))]
    verdicts = judged.verdicts if judged is not None else None
    judgement = verdicts.get("judgement") if isinstance(verdicts, Mapping) else None
    if not isinstance(judgement, Mapping):
        return [False if settings["fbbench_on_failure"] == "zero" else None] * len(items)
    met = [isinstance(v, Mapping) and v.get(RESULT) == YES for v in judgement.values()]
    if all(item in judgement for item in items):
        return [isinstance(judgement[item], Mapping) and judgement[item].get(RESULT) == YES for item in items]
    if len(judgement) == len(items):
        return met
    return [False] * len(items) if not any(met) else [None] * len(items)


CONSTRAINTS = taxonomy.ConstraintMap(TAXONOMY, structure, check_verdicts,
                                     "one check per checklist item, all `feedback`; Error Correction And by count, "
                                     "Response Maintenance single")

BENCHMARK = Benchmark(
    key=BENCH, name="FB-Bench", column="FB Bench",
    documents=documents, score=score_doc, judge=judge, max_gen_toks=4096,
    metrics=(
        Metric("raif_score", overall),
        Metric("fb_overall", overall),
        Metric("fb_error_correction", error_correction),
        Metric("fb_response_maintenance", response_maintenance),
        Metric("fb_score", overall),
    ),
    options=(Option("fbbench_version", tuple(VERSIONS), "v3", "v3: the leaderboard's 591 dialogues; v1: the 734 RAIF "
                    "used, with the v1 judge prompt"),
             Option("fbbench_on_failure", ON_FAILURE, "drop", "a record never validly judged is left out of the "
                    "averages as upstream does (counted in judge_failed_docs), or scores 0")),
    breakdowns=(Breakdown("FB-Bench by task, error and feedback type", tables),),
    protocols=(OFFICIAL, paper_protocol(judge_profile="paper", judge=judge_paper, model_system=RAIF_SYSTEM,
                                        generation_budget_divisor=1.1, generation_budget_count="max",
                                        defaults={"fbbench_version": "v1", "fbbench_on_failure": "drop"})),
    constraints=CONSTRAINTS,
)
