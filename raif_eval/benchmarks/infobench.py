"""InFoBench: 500 instructions, 2,250 decomposed YES/NO questions, judged in one conversation per instruction.

Official protocol (qinyiwei/InfoBench ``evaluation.py``): the first user turn holds the judge instructions, the
input (if any), the model's output and the first question; each later turn is the next question, after the judge's
previous reply. A reply that is neither YES nor NO ends the conversation: its question counts as not satisfied, and
the questions never asked leave the denominator. DRFR pools every asked question of every instruction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from raif_eval import data
from raif_eval.core import Benchmark, Breakdown, Judged, Metric, drfr, taxonomy, tokens
from raif_eval.core.benchmark import OFFICIAL, RAIF_SYSTEM, Settings, doc_record, document, paper_protocol
from raif_eval.core.judging import JudgeSession, Parsed
from raif_eval.core.tables import frame, percent, sample_record, scored
from raif_eval.core.templates import render

BENCH = "infobench"
DATA_FILE = "InfoBench.json"
EASY, HARD = "Easy_set", "Hard_set"


def load_records(data_dir: str | None = None) -> list[dict[str, Any]]:
    path = data.resolve(BENCH, DATA_FILE, data_dir)
    with path.open(encoding="utf-8") as fh:  # JSON lines despite the extension
        return [json.loads(line) for line in fh if line.strip()]


def prompt(record: dict[str, Any]) -> str:
    """The user turn: the instruction, then the input after a blank line when there is one (RAIF's format;
    upstream leaves it open)."""
    instruction = record["instruction"].strip()
    return f"{instruction}\n\n{record['input']}" if record["input"] else instruction


def parse_reply(text: str) -> Parsed:
    """The official reading of one judge reply: True (YES), False (NO), or unparsed."""
    if text.lower().startswith("yes"):
        return Parsed(True)
    if text.lower().startswith("no"):
        return Parsed(False)
    if "YES" in text and "NO" not in text:
        return Parsed(True)
    if "NO" in text and "YES" not in text:
        return Parsed(False)
    return Parsed(None, ok=False)


def question_turn(record: dict[str, Any], answer: str, index: int, question: str) -> str:
    """The user turn asking question ``index``: the first holds the judge instructions, the input and the
    output (official and RAIF alike)."""
    if index == 0:
        return render(BENCH, "first_turn", input=record["input"], output=answer, question=question)
    return render(BENCH, "later_turn", question=question)


async def judge(judge_: JudgeSession, record: dict[str, Any], answer: str) -> list[bool | None] | None:
    """One conversation: a verdict per asked question, ``None`` for an unreadable reply (which ends it).

    Returns ``None`` if a request failed for good (the endpoint, not the reply): see :func:`drfr_values`.
    """
    messages = judge_.messages()
    verdicts: list[bool | None] = []
    for index, question in enumerate(record["decomposed_questions"]):
        messages = messages + [{"role": "user", "content": question_turn(record, answer, index, question)}]
        asked = await judge_.ask(messages, parse_reply)
        if asked.text is None:
            return None
        verdicts.append(asked.value)
        if not asked.ok:
            break
        messages = messages + [{"role": "assistant", "content": asked.text}]
    return verdicts


# --- RAIF's protocol ---------------------------------------------------------------------------------------

TRUNCATE_TOKENS, TRUNCATE_STEP = 12000, 1000  # RAIF cuts the output 1,000 characters at a time above 12,000 tokens


def parse_paper(text: str) -> Parsed:
    """RAIF's reading (its driver drops a leading ``<answer>``; ``evaluation.py`` tests substrings): "yes"
    anywhere → True, else "no" anywhere ("not", "know", "cannot" too) → False, else unreadable (counted False)."""
    if text.startswith("<answer>"):
        text = text[len("<answer>"):].lstrip()
    reply = text.strip().lower()
    if "yes" in reply:
        return Parsed(True)
    if "no" in reply:
        return Parsed(False)
    return Parsed(None, ok=False)


async def judge_paper(judge_: JudgeSession, record: dict[str, Any], answer: str) -> list[bool | None] | None:
    """RAIF's protocol: one request per question, whose history is the earlier question turns *without* the
    judge's replies (consecutive user turns, no system message), every question asked; the output truncated as
    RAIF does first. ``None`` if a request failed for good."""
    # RAIF counts the output with the largest of its three tokenizers here
    output = tokens.truncate_while(answer, lambda text: judge_.count_tokens_max(text) > TRUNCATE_TOKENS,
                                   TRUNCATE_STEP)
    turns: list[dict[str, str]] = []
    verdicts: list[bool | None] = []
    for index, question in enumerate(record["decomposed_questions"]):
        turns.append({"role": "user", "content": question_turn(record, output, index, question)})
        asked = await judge_.ask(judge_.messages(*turns), parse_paper)
        if asked.text is None:
            return None
        verdicts.append(asked.value)
    return verdicts


def true_share(items: list[list[bool | None]]) -> float:
    """RAIF's ``bool_ratio``: true / (true + false + 1e-4) over every question (an unreadable reply is false)."""
    values = [v for doc in items for v in doc]
    return sum(1 for v in values if v) / (len(values) + 1e-4)


def drfr_values(record: dict[str, Any], verdicts: list[bool | None] | None) -> list[bool | None]:
    """Per-question values for DRFR. An instruction the judge could not finish (endpoint failure) counts as
    failing every question, so an outage can only lower the score, never raise it; it is reported separately."""
    if verdicts is None:
        return [False] * len(record["decomposed_questions"])
    return verdicts


# --- the task -------------------------------------------------------------------------------------------------

def documents(settings: dict[str, Any], data_dir: str | None) -> list[dict[str, Any]]:
    return [document(r["id"], prompt(r), r) for r in load_records(data_dir)]


def score_doc(doc: dict[str, Any], answer: str, judged: Judged, settings: Settings) -> dict[str, Any]:
    rec = doc_record(doc)
    values = drfr_values(rec, judged.verdicts)
    # Easy/Hard DRFR pool only their own subset's questions: the other subset's samples contribute nothing.
    easy = rec["subset"] == EASY
    return {"raif_score": values, "drfr": values, "drfr_easy": values if easy else [],
            "drfr_hard": [] if easy else values}


# --- breakdowns -----------------------------------------------------------------------------------------------

SUBSETS = {EASY: "Easy", HARD: "Hard"}
LABELS = ("Content", "Format", "Number", "Style", "Linguistic")


def by_subset(samples: list[dict[str, Any]], settings: Settings | None = None):
    """DRFR (pooled over asked questions: questions left unasked after an unreadable reply are out of the
    denominator, an unreadable reply counts as not met — :func:`raif_eval.core.drfr`) for Easy, Hard and all, and
    per question label (a question with several labels counts once for each). Columns: by (``subset`` |
    ``label``), label, metric, value, n (questions)."""
    per_subset: dict[str, list[list[bool | None]]] = defaultdict(list)
    per_label: dict[str, list[bool | None]] = defaultdict(list)
    for sample in scored(samples):
        rec = sample_record(sample)
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
                         "value": percent(drfr(per_subset[subset])), "n": sum(len(v) for v in per_subset[subset])})
    everything = [v for docs in per_subset.values() for v in docs]
    rows.append({"by": "subset", "label": "all", "metric": "DRFR", "value": percent(drfr(everything)),
                 "n": sum(len(v) for v in everything)})
    for label in [*(x for x in LABELS if x in per_label), *sorted(set(per_label) - set(LABELS))]:
        rows.append({"by": "label", "label": label, "metric": "DRFR",
                     "value": percent(drfr([per_label[label]])), "n": len(per_label[label])})
    return frame(rows, ("by", "label"))


# --- the taxonomy ----------------------------------------------------------------------------------------------

# InfoBench's five question labels → type (a question may carry several).
TAXONOMY = {"Content": "content", "Format": "format", "Number": "length", "Style": "style",
            "Linguistic": "language"}


def structure(doc: dict[str, Any], settings: Settings) -> taxonomy.Structure:
    record = doc_record(doc)
    labels = record.get("question_label") or [[] for _ in record["decomposed_questions"]]
    return taxonomy.flat([taxonomy.Constraint(str(i), tuple(labels[i]) if i < len(labels) else (), "judge")
                          for i in range(len(record["decomposed_questions"]))])


def check_verdicts(doc: dict[str, Any], values: dict[str, Any], judged: Judged | None,
                   settings: Settings) -> list[bool | None]:
    """DRFR's reading: an unreadable verdict fails; questions never asked (an unreadable reply ends the official
    conversation) are unscored, as DRFR leaves them out."""
    asked = [v is True for v in values.get("drfr") or []]
    return asked + [None] * (len(doc_record(doc)["decomposed_questions"]) - len(asked))


CONSTRAINTS = taxonomy.ConstraintMap(TAXONOMY, structure, check_verdicts,
                                     "one check per decomposed question (each of its labels); And by count")

BENCHMARK = Benchmark(
    key=BENCH, name="InFoBench", column="Info Bench",
    documents=documents, score=score_doc, judge=judge,
    metrics=(Metric("raif_score", drfr), Metric("drfr", drfr), Metric("drfr_easy", drfr), Metric("drfr_hard", drfr)),
    breakdowns=(Breakdown("InFoBench by subset and question label", by_subset),),
    protocols=(OFFICIAL, paper_protocol(judge_profile="paper", judge=judge_paper, model_system=RAIF_SYSTEM,
                                        generation_budget_divisor=1.3,
                                        metrics=tuple(Metric(n, true_share)
                                                      for n in ("raif_score", "drfr", "drfr_easy", "drfr_hard")))),
    constraints=CONSTRAINTS,
)
