"""ComplexBench (Wen et al., NeurIPS 2024): complex instructions built from constraints composed by And, Chain,
Selection and their nestings; 1,150 instructions, 5,306 scoring questions.

Scoring (``thu-coai/ComplexBench`` ``evaluation/*.py``, spec ``shared/specs/complexbench.md``): every scoring
question is answered either by the judge (``rule`` null: one request, ``答案：是/否``) or by an extraction request
whose reply gives the spans a code rule checks (:mod:`complexbench_rules`). A question is then zeroed when one of
the questions listed in its ``dep`` was judged False (one level, raw judgments). DRFR pools the questions:
satisfied iff the dependent judgment ``is True``; an unknown rule's ``2`` fails there but passes the per-dimension
tables and the coherent test, as upstream.

Both languages use the Chinese judge templates; ``language="en"`` substitutes only the English instruction and
scoring question.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from raif_eval import data, verifiers
from raif_eval.core import (Benchmark, Breakdown, Check, Judged, Metric, Option, apply_dependencies, drfr, taxonomy,
                            total)
from raif_eval.core.benchmark import OFFICIAL, RAIF_SYSTEM, Settings, doc_record, document, paper_protocol
from raif_eval.core.judging import JudgeSession, Parsed
from raif_eval.core.tables import frame, judged_of, percent, sample_record, scored
from raif_eval.errors import DataError, RaifError
from raif_eval.core.templates import render
from raif_eval.verifiers import complexbench_rules as rules

log = logging.getLogger(__name__)

BENCH = "complexbench"
DATA_FILES = {"data_final": "data/data_final.json", "data_release": "data/data_release.json"}
LANGUAGES = ("zh", "en")
MISSING_MODES = ("fail", "drop")
UNKNOWN = 2  # what a rule check returns for a rule it does not know (upstream ``decompose_judge``)
INSTRUCTION_CHARS, RESPONSE_CHARS = 6000, 4000  # upstream truncations inside the judge prompts
# Upstream never re-asks for a reply's content: every judge reply is read (a reply with neither verdict reads as
# 否) and every extraction reply is post-processed. Its 30 attempts only repeat requests that raised (HTTP
# errors), which the judge client's own retries cover.
ATTEMPTS = 1

# Taxonomy (aggregation.py); upstream spells the utility type "Utillity", kept so the output keys match.
CONSTRAINT_TYPES = {
    "Lexical": ("Word Matching", "Keywords"),
    "Structure": ("JSON Format", "Markdown Format", "Bullets Format", "Length", "Start with", "End with",
                  "Punctuation", "Template"),
    "Semantic": ("Language Style", "Personalization", "Topic", "Sentiment"),
    "Utillity": ("Helpfulness", "Target Language", "Supportiveness", "Consistency", "Factuality"),
}
TASK_TYPES = ("Fundamental Language Ability", "Advanced Chinese Understanding", "Open-ended Questions",
              "Practical Writing", "Creative Writing", "Professional Writing", "Custom Writing", "Logical Reasoning",
              "Task-oriented Role Play", "Professional Knowledge")

# RAIF Table 2 rows. "Selection Avg." is upstream's categorized_avg_drfr["Selection"], which pools the
# Selection_and_Chain categories too (category.split("_")[0]); "Selection & Chain Avg." is not computed upstream:
# RAIF's numbers fit the plain mean of its two cells.
AND, CHAIN_AVG = "And", "Chain Avg."
SELECTION_AVG = "Selection Avg. (incl. Selection_and_Chain)"
SELECTION_CHAIN_AVG = "Selection & Chain Avg. (mean of the two cells)"
OVERALL = "Overall"
TABLE2_ROWS = (AND, "Chain_1", "Chain_2", CHAIN_AVG, "Selection_1", "Selection_2", "Selection_3", SELECTION_AVG,
               "Selection_and_Chain_2", "Selection_and_Chain_3", SELECTION_CHAIN_AVG, OVERALL)


# --- data -------------------------------------------------------------------------------------------------------

def load_records(language: str = "zh", data_file: str = "data_final",
                 data_dir: str | None = None) -> list[dict[str, Any]]:
    """The instructions of ``data/<data_file>.json``, in file order, each with ``language`` added."""
    if data_file not in DATA_FILES:
        raise RaifError(f"ComplexBench data_file must be one of {', '.join(DATA_FILES)}, not {data_file!r}")
    return read_records(data.resolve(BENCH, DATA_FILES[data_file], data_dir), language)


def read_records(path: str | Path, language: str = "zh") -> list[dict[str, Any]]:
    """Read and validate one data file (upstream's schema: a JSON list)."""
    if language not in LANGUAGES:
        raise RaifError(f"ComplexBench language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    path = Path(path)
    records = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(records, list):
        raise DataError(f"{path}: expected a JSON list of instructions")
    for position, record in enumerate(records):
        _validate(path, position, record, language)
    return [{**record, "language": language} for record in records]


def _validate(path: Path, position: int, record: dict[str, Any], language: str) -> None:
    # Upstream numbers the judge requests by list position and looks results up by main_id/point_id, and pairs
    # responses with instructions by position: ids that are not positions would silently mismatch.
    if record.get("main_id") != position:
        raise DataError(f"{path}: record at position {position} has main_id {record.get('main_id')!r}; ComplexBench "
                        f"requires main_id == position (re-download the file: `raif-eval data pull {BENCH}`)")
    questions = record.get("scoring_questions") or []
    if not questions:
        raise DataError(f"{path}: main_id {position} has no scoring_questions")
    for index, question in enumerate(questions):
        if question.get("point_id") != index:
            raise DataError(f"{path}: main_id {position}, question at position {index} has point_id "
                            f"{question.get('point_id')!r}; ComplexBench requires point_id == position")
        bad = [d for d in question.get("dep", []) if not (isinstance(d, int) and 0 <= d < len(questions))]
        if bad:
            raise DataError(f"{path}: main_id {position}, point_id {index} depends on unknown point_ids {bad}")
    if language == "en" and ("instruction_en" not in record
                             or any("question_en" not in q for q in questions)):
        raise RaifError(f"{path}: main_id {position} has no English text (instruction_en/question_en); use "
                        f"language zh, or data_file data_final (data_release is Chinese only)")


def _text(record: dict[str, Any], field: str, item: dict[str, Any] | None = None) -> str:
    """``field`` of ``item`` (default: the record itself) in the record's language."""
    item = record if item is None else item
    return item[f"{field}_en"] if record.get("language") == "en" else item[field]


def prompt(record: dict[str, Any]) -> str:
    """The model's user turn: the instruction in the record's language."""
    return _text(record, "instruction")


# --- judge ------------------------------------------------------------------------------------------------------

def _fields(record: dict[str, Any], question: dict[str, Any], answer: str | None) -> tuple[str, str, str]:
    instruction = _text(record, "instruction")[:INSTRUCTION_CHARS]
    response = "None" if answer is None else answer[:RESPONSE_CHARS]
    return instruction, response, _text(record, "question", question)


def evaluation_prompt(record: dict[str, Any], question: dict[str, Any], answer: str | None) -> str:
    """The judge prompt of a scoring question without a rule (``llm_based_evaluation.get_payload``)."""
    instruction, response, text = _fields(record, question, answer)
    return render(BENCH, "evaluation", input=instruction, output=response, question=text)


def extraction_prompt(record: dict[str, Any], question: dict[str, Any], answer: str | None) -> str:
    """The extraction prompt of a rule question (``llm_based_extraction.get_payload``): the ``each`` template
    when the rule text contains ``each`` anywhere (a substring test, as upstream)."""
    instruction, response, text = _fields(record, question, answer)
    name = "extraction_each" if "each" in question["rule"] else "extraction"
    return render(BENCH, name, instruction=instruction, response=response, question=text)


VERDICT = re.compile(r"答案：是|答案：否")


def parse_verdict(reply: str) -> Parsed:
    """Upstream's reading of a judge reply; it never fails (anything else reads as False), so it is never
    re-asked."""
    found = VERDICT.findall(reply)
    if len(found) == 1:
        return Parsed("是" in found[0])
    return Parsed("是" in reply and "否" not in reply)


def _accept(reply: str) -> Parsed:
    return Parsed(reply)


_unknown_rules: set[str] = set()


def _rule_result(rule: str, spans: list[str]) -> bool | int:
    result = verifiers.build("complexbench:rule", rule=rule).verdict(spans)
    if not isinstance(result, bool) and result == UNKNOWN:
        if rule not in _unknown_rules:
            _unknown_rules.add(rule)
            log.warning("ComplexBench: unknown rule %r scores 2 (fails DRFR, passes per-dimension tables)", rule)
        return UNKNOWN
    return bool(result)  # upstream's aggregation maps 0/1 to False/True


async def judge(judge_: JudgeSession, record: dict[str, Any], answer: str | None) -> list[bool | int | None]:
    """The raw result of every scoring question, in point_id order: True/False, ``2`` for an unknown rule, or
    ``None`` where the judge endpoint failed for good (counted False by the aggregations)."""

    async def one(question: dict[str, Any]) -> bool | int | None:
        if question["rule"] is None:
            messages = judge_.messages({"role": "user", "content": evaluation_prompt(record, question, answer)})
            asked = await judge_.ask(messages, parse_verdict, attempts=ATTEMPTS)
            return None if asked.text is None else asked.value
        messages = judge_.messages({"role": "user", "content": extraction_prompt(record, question, answer)})
        asked = await judge_.ask(messages, _accept, attempts=ATTEMPTS)
        if asked.text is None:
            return None
        # Upstream's preprocess gives no spans for a null response, whatever the extractor said.
        spans = [] if answer is None else rules.spans_from_extraction(asked.text, answer)
        return _rule_result(question["rule"], spans)

    return list(await asyncio.gather(*(one(q) for q in record["scoring_questions"])))


# --- dependencies and per-instruction rows --------------------------------------------------------------------

def checks(record: dict[str, Any]) -> list[Check]:
    """The record's scoring questions as checks (rule-less ones judged; rule ones extracted then ruled), with
    their prerequisites; category: the question's constraint dimensions."""
    return [Check(str(q["point_id"]), category="|".join(q["constraint_dimensions"]),
                  depends_on=tuple(str(d) for d in q["dep"])) for q in record["scoring_questions"]]


def _judged_false(value: bool | int) -> bool:
    return value == False  # noqa: E712 — upstream's test: an unknown rule's 2 never zeroes its dependants


def rely(record: dict[str, Any], raw: Sequence[bool | int | None] | None) -> list[bool | int]:
    """Upstream ``get_rely_judgment``: a question is False when any question in its ``dep`` was judged False
    (raw judgments, one level, not transitive); otherwise its own result. Missing results (``None``, or no
    results at all) count as False first, as upstream records a request that failed for good."""
    return apply_dependencies(checks(record), _judged(record, raw), transitive=False, failed=_judged_false)


def _judged(record: dict[str, Any], raw: Sequence[bool | int | None] | None) -> list[bool | int]:
    n = len(record["scoring_questions"])
    raw = [None] * n if raw is None else list(raw)
    if len(raw) != n:
        raise ValueError(f"main_id {record['main_id']}: {len(raw)} results for {n} scoring questions")
    return [False if v is None else v for v in raw]


def missing_count(record: dict[str, Any], raw: Sequence[bool | int | None] | None) -> int:
    """How many of the record's questions have no judgment."""
    return len(record["scoring_questions"]) if raw is None else sum(v is None for v in raw)


def row(record: dict[str, Any], raw: Sequence[bool | int | None] | None, answered: bool = True) -> dict[str, Any]:
    """What the aggregations need of one instruction (JSON-serialisable). ``answered=False``: the model gave no
    answer (counts as failed, or is dropped with ``missing="drop"``)."""
    out = {
        "main_id": record["main_id"],
        "category": record["category"],
        "task_types": record["task_types"],
        "composition_types": list(record["composition_types"]),
        "questions": [{"constraint_dimensions": list(q["constraint_dimensions"]),
                       "composition_types": list(q["composition_types"])} for q in record["scoring_questions"]],
        "rely": rely(record, raw if answered else None),
        "missing": missing_count(record, raw),
        "answered": answered,
    }
    if "group" in record:  # data_release.json predates the coherent-test groups
        out["group"], out["idx_in_group"] = record["group"], record.get("idx_in_group")
    return out


# --- aggregation ------------------------------------------------------------------------------------------------

Row = dict[str, Any]


def kept(rows: Iterable[Row], missing: str = "fail") -> list[Row]:
    """The rows an aggregate uses: all of them (``fail``: missing judgments already count False), or (``drop``,
    RAIF) only instructions with an answer and every judgment."""
    if missing not in MISSING_MODES:
        raise RaifError(f"ComplexBench missing must be one of {', '.join(MISSING_MODES)}, not {missing!r}")
    rows = list(rows)
    if missing == "drop":
        return [r for r in rows if r["answered"] and not r["missing"]]
    return rows


def _satisfied(value: bool | int) -> bool:
    return value is True  # upstream `== True`: an unknown rule's 2 fails here


def _rates(rows: Iterable[Row], key: Callable[[Row], str]) -> dict[str, float]:
    met: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for r in rows:
        k = key(r)
        count[k] += len(r["rely"])
        met[k] += sum(_satisfied(v) for v in r["rely"])
    return {k: met[k] / count[k] for k in sorted(count)}


def overall_drfr(rows: Iterable[Row], missing: str = "fail") -> float:
    """The headline DRFR: satisfied questions over all questions, pooled."""
    return drfr(r["rely"] for r in kept(rows, missing))


def categorized_drfr(rows: Iterable[Row], missing: str = "fail") -> dict[str, float]:
    return _rates(kept(rows, missing), lambda r: r["category"])


def categorized_avg_drfr(rows: Iterable[Row], missing: str = "fail") -> dict[str, float]:
    """By ``category.split("_")[0]``: And, Chain, Selection (Selection_and_Chain_k pools into Selection)."""
    return _rates(kept(rows, missing), lambda r: r["category"].split("_")[0])


def task_types_drfr(rows: Iterable[Row], missing: str = "fail") -> dict[str, float]:
    return _rates(kept(rows, missing), lambda r: r["task_types"])


def nested_method(composition_types: Sequence[str]) -> str:
    return "_".join(sorted(composition_types))


def nested_methods_drfr(rows: Iterable[Row], missing: str = "fail") -> dict[str, float]:
    return _rates(kept(rows, missing), lambda r: nested_method(r["composition_types"]))


def constraint_type(dimension: str) -> str:
    return next((t for t, dims in CONSTRAINT_TYPES.items() if dimension in dims), "Others")


def _label_acc(rows: Iterable[Row], labels: Callable[[dict[str, Any]], list[str]]) -> dict[str, float]:
    # Once per listed label (repeats count again), satisfied iff the dependent judgment is truthy: 2 passes.
    met: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for r in rows:
        for question, value in zip(r["questions"], r["rely"]):
            for label in labels(question):
                count[label] += 1
                met[label] += bool(value)
    return {k: met[k] / count[k] for k in count}


def constraint_types_and_composition_types_acc(rows: Iterable[Row], missing: str = "fail") -> dict[str, float]:
    """Per constraint type (Lexical, Structure, Semantic, Utillity, Others) and per composition type."""
    return _label_acc(kept(rows, missing), lambda q: [constraint_type(d) for d in q["constraint_dimensions"]]
                      + list(q["composition_types"]))


def each_constraint_dimensions_and_composition_types_acc(rows: Iterable[Row],
                                                         missing: str = "fail") -> dict[str, float]:
    """Per constraint dimension and per composition type."""
    return _label_acc(kept(rows, missing), lambda q: list(q["constraint_dimensions"]) + list(q["composition_types"]))


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def coherent_test(rows: Iterable[Row], missing: str = "fail") -> dict[str, float]:
    """Upstream's coherent test for Selection.

    Records are grouped by ``group`` (file order); a group whose first record has exactly one question with
    Selection among its composition types is "single", two or more "multiple", none is left out. ``origin``: the
    share of the groups' records with no dependent judgment False (upstream's ``== False``: 2 passes);
    ``coherent``: the share of groups whose records all pass; ``relative_drop``: (origin − coherent) / origin.
    NaN where upstream would divide by zero; empty when no record has a group (data_release.json).
    """
    groups: dict[Any, list[Row]] = {}
    for r in kept(rows, missing):
        if "group" in r:
            groups.setdefault(r["group"], []).append(r)
    if not groups:
        return {}
    trees: dict[str, list[list[Row]]] = {"single": [], "multiple": []}
    for members in groups.values():
        depth = sum("Selection" in q["composition_types"] for q in members[0]["questions"])
        if depth == 1:
            trees["single"].append(members)
        elif depth >= 2:
            trees["multiple"].append(members)
    out = {}
    for name, tree in trees.items():
        passed = [[not any(v == False for v in r["rely"]) for r in members] for members in tree]  # noqa: E712
        origin = _ratio(sum(sum(p) for p in passed), sum(len(p) for p in passed))
        coherent = _ratio(sum(all(p) for p in passed), len(passed))
        out[f"{name}_origin_test"] = origin
        out[f"{name}_coherent_test"] = coherent
        out[f"{name}_relative_drop"] = _ratio(origin - coherent, origin)
    return out


def table2(rows: Iterable[Row], missing: str = "fail") -> dict[str, float]:
    """RAIF Table 2, row label → DRFR (NaN for a category with no instructions)."""
    rows = kept(rows, missing)
    cells, avg = categorized_drfr(rows), categorized_avg_drfr(rows)
    both = [cells[c] for c in ("Selection_and_Chain_2", "Selection_and_Chain_3") if c in cells]
    values = {
        **cells,
        CHAIN_AVG: avg.get("Chain", math.nan),
        SELECTION_AVG: avg.get("Selection", math.nan),
        SELECTION_CHAIN_AVG: sum(both) / len(both) if both else math.nan,
        OVERALL: overall_drfr(rows),
    }
    return {label: values.get(label, math.nan) for label in TABLE2_ROWS}


def aggregate(rows: Iterable[Row], missing: str = "fail") -> dict[str, Any]:
    """Every upstream statistic, RAIF's Table 2, and the bookkeeping of missing and dropped judgments."""
    rows = list(rows)
    used = kept(rows, missing)
    return {
        "overall_drfr": overall_drfr(used),
        "categorized_drfr": categorized_drfr(used),
        "categorized_avg_drfr": categorized_avg_drfr(used),
        "task_types_drfr": task_types_drfr(used),
        "nested_methods_drfr": nested_methods_drfr(used),
        "constraint_types_and_composition_types_acc": constraint_types_and_composition_types_acc(used),
        "each_constraint_dimensions_and_composition_types_acc":
            each_constraint_dimensions_and_composition_types_acc(used),
        **coherent_test(used),
        "table2": table2(used),
        "missing_judgments": sum(r["missing"] for r in rows),
        "unanswered": sum(not r["answered"] for r in rows),
        "unknown_rule_results": sum(v is not True and v == UNKNOWN for r in used for v in r["rely"]),
        "dropped_instructions": len(rows) - len(used),
        "instructions": len(used),
        "questions": sum(len(r["rely"]) for r in used),
    }


# --- the task -------------------------------------------------------------------------------------------------

CATEGORIES = ("And", "Chain_1", "Chain_2", "Selection_1", "Selection_2", "Selection_3", "Selection_and_Chain_2",
              "Selection_and_Chain_3")


def documents(settings: dict[str, Any], data_dir: str | None) -> list[dict[str, Any]]:
    records = load_records(settings["complexbench_language"], settings["complexbench_data_file"], data_dir)
    return [document(r["main_id"], prompt(r), r, category=r["category"]) for r in records]


def score_doc(doc: dict[str, Any], answer: str, judged: Judged, settings: Settings) -> dict[str, Any]:
    record, raw = doc_record(doc), judged.verdicts
    values = row(record, raw)
    # Verdicts after dependency propagation (True / False / 2 for an unknown rule, which DRFR counts as failed);
    # an instruction left out under complexbench_missing=drop contributes no question.
    verdicts = values["rely"] if kept([values], settings["complexbench_missing"]) else []
    out: dict[str, Any] = {"raif_score": verdicts, "drfr": verdicts}
    for category in CATEGORIES:  # a category's DRFR pools only its own instructions' questions
        out[f"drfr_{category}"] = verdicts if doc["category"] == category else []
    out["judge_unknown_rules"] = sum(1 for v in (raw or []) if v is not None and v is not True and v is not False)
    out["judge_missing"] = values["missing"]
    return out


# --- from logged samples: Table 2 and the breakdown -------------------------------------------------------------

def sample_rows(samples: Sequence[dict[str, Any]]) -> list[Row]:
    """Per-instruction rows from ``raif_complexbench`` samples, as the task's scoring builds them."""
    out = []
    for sample in scored(samples):
        judged = judged_of(sample)
        if judged is not None and judged.skipped:
            raise ValueError(f"raif_complexbench sample {sample.get('doc_id')} was never judged (--predict_only); "
                             "run `raif-eval judge` on the results folder first")
        out.append(row(sample_record(sample), judged.verdicts if judged is not None else None))
    return out


def _question_counts(rows: Iterable[Row], key: Callable[[Row], str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[key(r)] += len(r["rely"])
    return counts


def _label_counts(rows: Iterable[Row], labels: Callable[[dict[str, Any]], list[str]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        for question in r["questions"]:
            for label in labels(question):
                counts[label] += 1
    return counts


def by_structure(samples: list[dict[str, Any]], settings: Settings):
    """Upstream's statistics beyond Table 2: DRFR per composition category, task type and nested composition
    (questions pooled), the accuracy per constraint type, constraint dimension and composition type (a question
    counts once per listed label; an unknown rule's 2 passes there, as upstream), and the coherent test of
    Selection, all under the run's ``complexbench_missing``. Columns: table, label, metric, value, n (questions,
    labels, or instructions)."""
    used = kept(sample_rows(samples), settings["complexbench_missing"])
    rows = []

    def add(table: str, values: dict[str, float], counts: dict[str, int], metric: str) -> None:
        for label in sorted(values):
            rows.append({"table": table, "label": label, "metric": metric, "value": percent(values[label]),
                         "n": counts[label]})

    add("category", categorized_drfr(used), _question_counts(used, lambda r: r["category"]), "DRFR")
    add("task type", task_types_drfr(used), _question_counts(used, lambda r: r["task_types"]), "DRFR")
    add("nested composition", nested_methods_drfr(used),
        _question_counts(used, lambda r: nested_method(r["composition_types"])), "DRFR")
    types = constraint_types_and_composition_types_acc(used)
    add("constraint or composition type", types, _label_counts(
        used, lambda q: [constraint_type(d) for d in q["constraint_dimensions"]] + list(q["composition_types"])),
        "accuracy")
    add("constraint dimension or composition type", each_constraint_dimensions_and_composition_types_acc(used),
        _label_counts(used, lambda q: list(q["constraint_dimensions"]) + list(q["composition_types"])), "accuracy")
    for name, value in coherent_test(used).items():
        rows.append({"table": "coherent test", "label": name, "metric": "share", "value": percent(value),
                     "n": len(used)})
    return frame(rows, ("table", "label"))


# --- the taxonomy ----------------------------------------------------------------------------------------------

# The 19 constraint dimensions of ComplexBench's taxonomy (Lexical, Structure, Semantic, Utility) → type; the
# module docstring of raif_eval.core.taxonomy says where the two taxonomies differ.
TAXONOMY = {
    "Word Matching": "lexical", "Keywords": "lexical",
    "JSON Format": "format", "Markdown Format": "format", "Bullets Format": "format", "Start with": "format",
    "End with": "format", "Punctuation": "format", "Template": "format",
    "Length": "length",
    "Language Style": "style", "Sentiment": "style", "Personalization": "situation", "Topic": "content",
    "Helpfulness": "utility", "Supportiveness": "utility", "Consistency": "utility", "Factuality": "utility",
    "Target Language": "language",
}
COMPOSITION = {"And": "And", "Chain": "Chain", "Selection": "Selection", "Selection_and_Chain": "nested",
               "Single": "single"}


def composition(category: str) -> tuple[str, int]:
    """An instruction's category as (composition, depth): ``Chain_2`` → (Chain, 2), ``And`` → (And, 1)."""
    name, _, depth = str(category).rpartition("_")
    if not depth.isdigit():
        name, depth = str(category), "1"
    return COMPOSITION.get(name, taxonomy.UNMAPPED), int(depth)


def structure(doc: dict[str, Any], settings: Settings) -> taxonomy.Structure:
    record = doc_record(doc)
    kind, depth = composition(record["category"])
    return taxonomy.Structure(kind, depth, tuple(
        taxonomy.Constraint(str(q["point_id"]), tuple(q["constraint_dimensions"]), "rule" if q.get("rule") else "judge")
        for q in record["scoring_questions"]))


def check_verdicts(doc: dict[str, Any], values: dict[str, Any], judged: Judged | None,
                   settings: Settings) -> list[bool]:
    """Verdicts after the dependencies, met only when exactly True (DRFR's reading of an unknown rule's 2); an
    instruction left out under ``complexbench_missing=drop`` has none (its checks are logged unscored)."""
    return [v is True for v in values.get("drfr") or []]


CONSTRAINTS = taxonomy.ConstraintMap(TAXONOMY, structure, check_verdicts,
                                     "one check per scoring question (each of its dimensions), the category's "
                                     "composition and nesting depth")

BENCHMARK = Benchmark(
    key=BENCH, name="ComplexBench", column="Complex Bench",
    documents=documents, score=score_doc, judge=judge, max_gen_toks=2048,
    metrics=(
        Metric("raif_score", drfr),
        Metric("drfr", drfr),
        *(Metric(f"drfr_{category}", drfr) for category in CATEGORIES),
        Metric("judge_unknown_rules", total, higher_is_better=False),
        Metric("judge_missing", total, higher_is_better=False),
    ),
    options=(Option("complexbench_language", LANGUAGES, "zh", "Chinese instructions and questions, or English ones "
                    "(the judge prompt stays Chinese, as upstream)"),
             Option("complexbench_data_file", tuple(DATA_FILES), "data_final", "data_release: the older "
                    "Chinese-only file RAIF evaluated"),
             Option("complexbench_missing", MISSING_MODES, "fail", "a question without a judgment counts as failed, "
                    "or its instruction is left out as RAIF did")),
    breakdowns=(Breakdown("ComplexBench by category, task type, constraint type and dimension", by_structure),),
    protocols=(OFFICIAL, paper_protocol(judge_profile="paper", model_system=RAIF_SYSTEM, generation_budget_divisor=1.3,
                                  defaults={"complexbench_data_file": "data_release", "complexbench_missing": "drop"})),
    constraints=CONSTRAINTS,
)
