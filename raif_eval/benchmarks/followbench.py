"""FollowBench (Jiang et al., ACL 2024): six constraint categories, five levels, English and Chinese.

Each level-L instruction adds L constraints to a seed instruction (level 0). Some sources are checked in code
(:mod:`followbench_rules`); the rest go to the judge, which sees the seed, the instructions of levels 1..L and the
answer, and ends its reply with a list of L ``'YES'``/``'NO'``. A record scores a *hard* value (all L met) and a
*soft* one (the share met); an unreadable judge reply scores −1 for both, as upstream, unless the task asks for 0.

Metrics (``YJiangcm/FollowBench`` ``code/eval.py``): HSR(C, L) = hard values at level L of category C over the
number of groups of C, SSR likewise with soft values, CSL(C) = per group, the run of consecutive levels from 1
with a hard value of exactly 1, averaged over groups.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from raif_eval import data, verifiers
from raif_eval.core import Benchmark, Breakdown, Judged, Metric, Option, Tagged, hostile, mean, taxonomy, total
from raif_eval.core.benchmark import OFFICIAL, RAIF_SYSTEM, Settings, doc_record, document, paper_protocol
from raif_eval.core.judging import JudgeSession, Parsed
from raif_eval.core.tables import frame, percent, scored
from raif_eval.errors import RaifError
from raif_eval.core.templates import render
from raif_eval.verifiers import followbench_rules as rules

BENCH = "followbench"
LANG_DIRS = {"en": "data", "zh": "data_zh"}
# File order of the task (upstream's category order, `example` where its table puts it).
CATEGORIES = ("content", "situation", "style", "format", "example", "mixed")
JUDGED_CATEGORIES = ("content", "situation", "style", "format", "mixed")  # RAIF's averages leave out `example`
LEVELS = (1, 2, 3, 4, 5)
UNPARSED = -1
ON_UNPARSED = ("minus_one", "zero")


def load_records(lang: str = "en", data_dir: str | None = None) -> list[dict[str, Any]]:
    """Level >= 1 records of every category, in file order, each with what scoring needs: its native id, the
    instructions of levels 0..L of its group (for the judge prompt), its group and whether a rule checks it."""
    if lang not in LANG_DIRS:
        raise RaifError(f"FollowBench language must be one of {', '.join(LANG_DIRS)}, not {lang!r}")
    out = []
    for category in CATEGORIES:
        stem = f"{category}_constraints"
        path = data.resolve(BENCH, f"{LANG_DIRS[lang]}/{stem}.json", data_dir)
        records = json.loads(path.read_text(encoding="utf-8"))
        history: list[str] = []
        group, previous = -1, object()
        for position, record in enumerate(records):
            # A group is a run of records with one example_id (upstream builds the judge's history this way).
            if record["example_id"] != previous:
                group, previous, history = group + 1, record["example_id"], []
            history = history + [record["instruction"]]
            if record["level"] < 1:
                continue
            out.append({
                **record,
                "id": f"{stem}:{position}",
                "language": lang,
                "file_category": category,
                "group": f"{category}:{group}",
                "instructions": history,
                "rule": rules.is_rule_checked(record, lang, category),
            })
    return out


# --- judge ------------------------------------------------------------------------------------------------

ACCEPTED = {
    "en": {"YES": 1, "NO": 0, "PARTIAL": 0, "MAYBE": 0, "UNKNOWN": 0, "N/A": 0},
    "zh": {"YES": 1, "NO": 0, "PARTIAL": 0, "PARTIALLY": 0, "MAYBE": 0, "UNKNOWN": 0},
}


def _literal_list(text: str) -> Any:
    # Upstream eval()s the judge's bracketed text. literal_eval reads every list literal the same way and runs no
    # code; only an expression such as "['YES'] + ['NO']" (valid to eval, never seen from a judge) differs.
    return hostile.literal_eval(text)


def bracketed_span(line: str) -> str | None:
    """Upstream's ``re.search(r"\[.*\]", line).group()`` for a line without newlines: the first '[' to the last
    ']' after it (the regex rescans the line from every '[': quadratic on a reply of '[[[[')."""
    start, end = line.find("["), line.rfind("]")
    return line[start:end + 1] if 0 <= start < end else None


def parse_reply(text: str, level: int, lang: str = "en") -> Parsed:
    """Upstream's ``paring_discriminative_generation``: the last line of the reply holds the verdict.

    Returns ``Parsed((hard, soft))``, or ``Parsed((-1, -1), ok=False)`` for anything upstream cannot read.
    """
    unparsed = Parsed((UNPARSED, UNPARSED), ok=False)
    try:
        if lang == "zh":
            text = text.replace("“", '"').replace("”", '"')
            line = text.strip("```").strip(" ").strip("\n").split("\n")[-1].strip(" ")
        else:
            line = text.strip("```").strip().split("\n")[-1]
        if level == 1:
            if "YES" in line:
                return Parsed((1, 1.0))
            if "NO" in line:
                return Parsed((0, 0.0))
            return unparsed
        bracketed = bracketed_span(line)
        if bracketed is None:
            return unparsed
        if lang == "zh" and '"' not in bracketed and "'" not in bracketed:
            bracketed = bracketed.replace("YES", "'YES'").replace("NO", "'NO'")
        items = _literal_list(bracketed)
        if lang == "zh" and len(items) >= level:
            items = items[:level]
        elif len(items) != level:
            return unparsed
        accepted = ACCEPTED[lang]
        if not all(isinstance(item, str) and item in accepted for item in items):
            return unparsed
        met = sum(accepted[item] for item in items)
        return Parsed((int(met == level), met / level))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return unparsed


def judge_prompt(record: dict[str, Any], answer: str) -> str:
    return render(BENCH, record["language"], category=record["file_category"], level=record["level"],
                  instructions=record["instructions"], answer=answer)


async def judge(judge_: JudgeSession, record: dict[str, Any], answer: str) -> list[float] | None:
    """``[hard, soft]`` of one record: from its rule (checked here, in code), or from one judge request (single
    user turn).

    ``None`` if the request failed for good; :func:`score` reads that as upstream reads its ``error`` reply.
    """
    if record["rule"]:
        return rule_scores(record, answer)
    messages = judge_.messages({"role": "user", "content": judge_prompt(record, answer)})
    asked = await judge_.ask(messages, lambda text: parse_reply(text, record["level"], record["language"]))
    return None if asked.text is None else list(asked.value)


def rule_scores(record: dict[str, Any], answer: str) -> list[float]:
    """The rule's verdict as ``[hard, soft]`` (the registry's ``followbench:rule``)."""
    ok = verifiers.build("followbench:rule", record=record, lang=record["language"],
                         file_category=record["file_category"]).check(answer)
    return [int(ok), float(ok)]


def score(record: dict[str, Any], answer: str, verdicts: Sequence[float] | None,
          on_unparsed: str = "minus_one") -> tuple[float, float]:
    """(hard, soft) of one record from its verdicts. A rule-checked record whose judging stage never ran (judging
    deferred, or stopped by an endpoint error) is checked here, so it never depends on the judge."""
    if record["rule"]:
        hard, soft = verdicts if verdicts is not None else rule_scores(record, answer)
    elif verdicts is None:  # the judge never answered: upstream stores "error", which parses as unreadable
        hard, soft = UNPARSED, UNPARSED
    else:
        hard, soft = verdicts
    if hard == UNPARSED and on_unparsed == "zero":
        return 0, 0.0
    return hard, soft


# --- aggregation --------------------------------------------------------------------------------------------

def cell(value: float, category: str, level: int, group: str) -> Tagged:
    """A per-record value tagged with what the aggregations group by (it logs as the plain number)."""
    return Tagged(value, category=category, level=level, group=group)


def _cells(items: Iterable[Tagged | None]) -> list[Tagged]:
    return [c for c in items if c is not None]


def rates(items: Iterable[Tagged | None]) -> dict[tuple[str, int], float]:
    """HSR (hard cells) or SSR (soft cells) per (category, level), as fractions.

    Upstream divides a level's sum by the category's number of groups; every group has one record per level, so
    that is the mean over the level's records (and stays meaningful under ``--limit``).
    """
    sums: dict[tuple[str, int], list[float]] = defaultdict(list)
    for value in _cells(items):
        sums[value.tags["category"], value.tags["level"]].append(float(value))
    return {key: sum(values) / len(values) for key, values in sums.items()}


def level_curve(items: Iterable[Tagged | None], categories: Sequence[str] = CATEGORIES) -> dict[int, float]:
    """Per level, the mean over ``categories`` of the rate (categories without records at that level skipped)."""
    table = rates(items)
    return {level: mean([table[c, level] for c in categories if (c, level) in table]) for level in LEVELS
            if any((c, level) in table for c in categories)}


def overall(items: Iterable[Tagged | None], categories: Sequence[str] = CATEGORIES) -> float:
    """The mean over levels 1-5 of the level curve."""
    return mean(list(level_curve(items, categories).values()))


def raif_score(items: Iterable[Tagged | None]) -> float:
    """RAIF's Table 1 column (most likely): HSR averaged over levels 1-5 and the five judged categories."""
    return overall(items, JUDGED_CATEGORIES)


def raif_score_paper(items: Iterable[Tagged | None]) -> float:
    """What RAIF's ``eval.py`` computes for the column: each (category, level) HSR as it writes it
    (``"{:.2f}%".format(r / n * 100)``, read back as a float), ``np.mean`` over the five judged categories per level
    (``level{k}_avg``), then over the levels; as a fraction."""
    table = rates(items)
    per_level = [float(np.mean([float(f"{table[c, k] * 100:.2f}") for c in JUDGED_CATEGORIES if (c, k) in table]))
                 for k in LEVELS if any((c, k) in table for c in JUDGED_CATEGORIES)]
    return float(np.mean(per_level)) / 100 if per_level else math.nan


def at_level(level: int):
    def aggregate(items: Iterable[Tagged | None]) -> float:
        return level_curve(items).get(level, math.nan)

    aggregate.__name__ = f"level_{level}"
    return aggregate


def weighted(items: Iterable[Tagged | None]) -> float:
    """Upstream ``aggregator.py``: per judged category (L1 + 2·L2 + 3·L3 + 4·L4 + 5·L5) / 15, then the mean."""
    table = rates(items)
    per_category = [sum(k * table[c, k] for k in LEVELS) / 15 for c in JUDGED_CATEGORIES
                    if all((c, k) in table for k in LEVELS)]
    return mean(per_category)


def csl_per_category(items: Iterable[Tagged | None]) -> dict[str, float]:
    """CSL per category: per group, how many levels from level 1 on have a hard value of exactly 1."""
    groups: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for value in _cells(items):
        groups[value.tags["category"], value.tags["group"]][value.tags["level"]] = float(value)
    per_category: dict[str, list[int]] = defaultdict(list)
    for (category, _), by_level in groups.items():
        run = 0
        for level in sorted(by_level):
            if level != run + 1 or by_level[level] != 1:
                break
            run += 1
        per_category[category].append(run)
    return {category: sum(runs) / len(runs) for category, runs in per_category.items()}


def csl(items: Iterable[Tagged | None]) -> float:
    """Mean CSL over the categories present (upstream reports CSL per category only)."""
    return mean(list(csl_per_category(items).values()))


# --- the task -------------------------------------------------------------------------------------------------

def documents(settings: dict[str, Any], data_dir: str | None) -> list[dict[str, Any]]:
    return [document(r["id"], r["instruction"], r, category=r["file_category"], level=r["level"],
                     rule_checked=r["rule"])
            for r in load_records(settings["language"], data_dir)]


def score_doc(doc: dict[str, Any], answer: str, judged: Judged, settings: Settings) -> dict[str, Any]:
    record = doc_record(doc)
    hard, soft = score(record, answer, judged.verdicts, settings["followbench_on_unparsed"])
    tags = (record["file_category"], record["level"], record["group"])
    h, s = cell(hard, *tags), cell(soft, *tags)
    metrics: dict[str, Any] = {"raif_score": h, "hsr": h, "ssr": s, "csl": h, "hsr_weighted": h, "ssr_weighted": s}
    for level in LEVELS:  # a level's metric is null on the other levels' samples
        metrics[f"hsr_level{level}"] = h if level == record["level"] else None
        metrics[f"ssr_level{level}"] = s if level == record["level"] else None
    # Records the judge left without a verdict (unreadable reply, or no reply at all): scored -1, or 0 if asked.
    verdicts = judged.verdicts
    unparsed = not record["rule"] and (verdicts is None or verdicts[0] == UNPARSED)
    return {**metrics, "judge_unparsed": int(unparsed)}


# --- breakdowns -----------------------------------------------------------------------------------------------

def grid(samples: list[dict[str, Any]], settings: Settings | None = None):
    """HSR and SSR per (category, level) — :func:`rates` on the logged per-sample values re-tagged with their
    cell, so an unparsed judge reply (−1) lowers the rate as upstream — then per category the CSL (levels, not
    × 100; n = groups) and the number of unparsed judge replies (n = samples). Columns: category, level (1–5, or
    ``all``), metric, value, n."""
    hard, soft, per_category = [], [], defaultdict(list)
    for sample in scored(samples):
        doc = sample["doc"]
        tags = (doc["category"], doc["level"], doc_record(doc)["group"])
        hard.append(cell(sample["hsr"], *tags))  # -1 (unreadable judge reply) kept, as upstream
        soft.append(cell(sample["ssr"], *tags))
        per_category[doc["category"]].append(sample)
    hsr, ssr = rates(hard), rates(soft)
    csl_ = csl_per_category(hard)
    sizes: dict[tuple[str, int], int] = defaultdict(int)
    for c in hard:
        sizes[c.tags["category"], c.tags["level"]] += 1
    groups = {category: len({c.tags["group"] for c in hard if c.tags["category"] == category})
              for category in per_category}
    categories = [c for c in CATEGORIES if c in per_category] + sorted(set(per_category) - set(CATEGORIES))
    rows = []
    for category in categories:
        for level in sorted(level for c, level in hsr if c == category):
            for metric, table in (("HSR", hsr), ("SSR", ssr)):
                rows.append({"category": category, "level": level, "metric": metric,
                             "value": percent(table[category, level]), "n": sizes[category, level]})
        rows.append({"category": category, "level": "all", "metric": "CSL", "value": csl_[category],
                     "n": groups[category]})
        unparsed = sum(int(s.get("judge_unparsed") or 0) for s in per_category[category])
        rows.append({"category": category, "level": "all", "metric": "unparsed", "value": unparsed,
                     "n": len(per_category[category])})
    out = frame(rows, ("category", "level"))
    out["level"] = out["level"].astype(object)
    return out


# RAIF's generation wraps every instruction in FastChat's Vicuna template inside the user turn
# (FollowBench/code/model_inference.py).
VICUNA = ("A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
          "detailed, and polite answers to the user's questions. USER: {instruction} ASSISTANT:")


METRICS = (
    Metric("raif_score", raif_score),
    Metric("hsr", overall),
    Metric("ssr", overall),
    Metric("csl", csl),
    *(Metric(f"{kind}_level{level}", at_level(level)) for kind in ("hsr", "ssr") for level in LEVELS),
    Metric("hsr_weighted", weighted),
    Metric("ssr_weighted", weighted),
    Metric("judge_unparsed", total, higher_is_better=False),
)

# --- the taxonomy ----------------------------------------------------------------------------------------------

# FollowBench's own categories are taxonomy types one to one; a `mixed` record lists the category of each of its
# constraints (its `category` field, e.g. "format, content").
TAXONOMY = {"content": "content", "situation": "situation", "style": "style", "format": "format",
            "example": "example"}


def structure(doc: dict[str, Any], settings: Settings) -> taxonomy.Structure:
    """One check per record — its hard verdict, HSR's unit — at its level: ``single`` at level 1, else ``And``."""
    record = doc_record(doc)
    labels = (tuple(part.strip() for part in str(record["category"]).split(","))
              if record["file_category"] == "mixed" else (record["file_category"],))
    level = int(record["level"])
    return taxonomy.Structure("single" if level == 1 else "And", level, (
        taxonomy.Constraint("0", labels, "rule" if record["rule"] else "judge"),))


def check_verdicts(doc: dict[str, Any], values: dict[str, Any], judged: Judged | None,
                   settings: Settings) -> list[float | None]:
    hard = values.get("hsr")
    return [None if hard is None else max(0, hard)]  # an unreadable reply's -1 fails


CONSTRAINTS = taxonomy.ConstraintMap(TAXONOMY, structure, check_verdicts,
                                     "one check per record (all its constraints met), its level as depth")

BENCHMARK = Benchmark(
    key=BENCH, name="FollowBench", column="Follow Bench",
    documents=documents, score=score_doc, judge=judge, max_gen_toks=2048, metrics=METRICS,
    # `language` is the task's own (raif_followbench_en / _zh), not a run option named followbench_…: re-judging
    # and comparisons carry the run options over to every task.
    options=(Option("language", tuple(LANG_DIRS), "en", "the English (code/) or Chinese (code_zh/) benchmark"),
             Option("followbench_on_unparsed", ON_UNPARSED, "minus_one", "an unreadable judge reply scores -1 as "
                    "upstream, or 0")),
    judge_profile_of=lambda settings: ("official_zh" if settings["language"] == "zh"
                                       and settings["protocol"] == "official" else None),
    protocols=(OFFICIAL, paper_protocol(judge_profile="paper", model_system=RAIF_SYSTEM, model_wrap=VICUNA,
                                        generation_budget_divisor=1.3,
                                        metrics=(Metric("raif_score", raif_score_paper), *METRICS[1:]))),
    breakdowns=(Breakdown("FollowBench by category and level", grid),),
    constraints=CONSTRAINTS,
)
