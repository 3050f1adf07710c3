"""CFBench (Zhang et al., arXiv 2408.01122): 1,000 Chinese prompts, 4,237 criteria, scored by an LLM judge.

Official protocol (PKU-Baichuan-MLSystemLab/CFBench ``code/evalaute.py`` [sic], spec ``cfbench.md`` §4–§5): one
user turn holds the judge template filled with the prompt, the reference answer, the model's answer and the
criteria; the judge answers one ``<criterion>\\t<0|1>`` block per criterion. A reply that fails the strict parser
is judged afresh, 10 times in all; after that a lenient fallback reads the last reply (keeping only its 1-scores).

Per prompt: CSR (share of criteria met, rounded to 2 decimals), ISR (CSR == 1) and PSR (priority rule over
主需/次需 criteria). Per benchmark: ``round(np.mean(...), 2)`` over the easy, hard and all prompts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from raif_eval import data
from raif_eval.judge.runner import DocJudge, Parsed
from raif_eval.judge.templates import render

BENCH = "cfbench"
DATA_FILE = "data/cfbench_data.json"
SPLITS = ("easy", "hard")
PRIMARY, SECONDARY = "主需", "次需"
JUDGE_ROUNDS = 10  # upstream `_judged`: MAX_RETRY_NUM rounds of re-judging the unparsed items
ERROR_TEXT = "Error"  # what upstream stores as the judge reply when every request failed
PARSED, FALLBACK, UNPARSED = "1", "0", "-1"  # upstream `judge_parsing` values
COLUMNS = ("CSR_easy", "ISR_easy", "PSR_easy", "CSR_hard", "ISR_hard", "PSR_hard", "CSR", "ISR", "PSR")


def load_records(data_dir: str | None = None) -> list[dict[str, Any]]:
    """The 1,000 records in file order (``idx`` equals the position)."""
    path = data.resolve(BENCH, DATA_FILE, data_dir)
    return json.loads(path.read_text(encoding="utf-8"))


def criterion_texts(record: Mapping[str, Any]) -> list[str]:
    return [criterion[0] for criterion in record["criteria"]]


def judge_prompt(record: Mapping[str, Any], answer: str) -> str:
    """The official ``gpt_judge_for_cfbench(prompt, gold_ans, response, criteria)`` text for one answer."""
    return render(BENCH, "judge", prompt=record["prompt"], gold_ans=record.get("gold") or "", response=answer,
                  criteria="\n\n".join(criterion_texts(record)))


# --- parsing ------------------------------------------------------------------------------------------------

def parse_strict(reply: str, criteria: Sequence[str]) -> list[float] | None:
    """Upstream ``_get_judge_scores``: one ``text\\tscore`` block per criterion, or ``None``.

    Blocks are split on ``\\n\\n``; their number must equal the number of criteria, each must split on ``\\t``
    into exactly two parts, the text must equal the criterion byte for byte (no whitespace normalisation: spec
    §7.1), and ``float(score)`` must be 0 or 1 (so ``" 1"``, ``"1.0"``, ``"1\\n"`` pass, as upstream).
    """
    blocks = reply.split("\n\n")
    if len(blocks) != len(criteria):
        return None
    scores = []
    for block, criterion in zip(blocks, criteria):
        parts = block.split("\t")
        if len(parts) != 2 or parts[0] != criterion:
            return None
        try:
            score = float(parts[1])
        except ValueError:
            return None
        if score not in (0, 1):  # NaN and inf fail here too
            return None
        scores.append(score)
    return scores


def parse_fallback(reply: str) -> tuple[list[str], str]:
    """Upstream ``_get_judge_scores_guaranteed`` plus its caller's ``["0"]`` default: ``(scores, parsing)``.

    Every ``\\n``-separated line with exactly one tab whose score is a *non-zero* 0/1 value contributes its
    stripped score, so only 1-scores survive and zeros vanish (spec §5, §7.2) → parsing ``"0"``. Nothing left →
    ``(["0"], "-1")``. A non-numeric score raises in upstream (ending the whole run); here its line is dropped.
    """
    scores = []
    for line in reply.split("\n"):
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        try:
            value = float(parts[1])
        except ValueError:
            continue
        if value and value in (0, 1):
            scores.append(parts[1].strip())
    return (scores, FALLBACK) if scores else (["0"], UNPARSED)


def strict_parsed(reply: str, criteria: Sequence[str]) -> Parsed:
    """:func:`parse_strict` as :meth:`DocJudge.ask` wants it: a failed parse makes it ask afresh."""
    scores = parse_strict(reply, criteria)
    return Parsed(scores, ok=scores is not None)


# --- judge program ------------------------------------------------------------------------------------------

async def judge(judge_: DocJudge, record: Mapping[str, Any], answer: str) -> dict[str, Any] | None:
    """``{"scores": [0./1., ...], "parsing": "1"|"0"|"-1"}`` for one answer, or ``None`` if the endpoint failed.

    One user message (plus the profile's system message, if it has one). Upstream re-judges every unparsed item
    in up to 10 rounds of fresh requests; asking this item afresh up to 10 times in all is the same thing, since
    no round depends on another item. The fallback reads the last reply, as upstream reads the last round's.

    ``None`` means a request failed for good (after the client's own retries). Upstream would then store
    ``"Error"``, which parses as ``(["0"], "-1")``; :func:`verdicts_or_failure` maps ``None`` to exactly that and
    flags it, so an outage scores 0 on every metric and is still counted. (Upstream would also re-ask a failed
    item in its next round; we stop at the first request that fails for good.)
    """
    criteria = criterion_texts(record)
    messages = judge_.messages({"role": "user", "content": judge_prompt(record, answer)})
    asked = await judge_.ask(messages, lambda text: strict_parsed(text, criteria), attempts=JUDGE_ROUNDS)
    if asked.text is None:
        return None
    if asked.ok:
        return {"scores": asked.value, "parsing": PARSED}
    scores, parsing = parse_fallback(asked.text)
    return {"scores": [float(s) for s in scores], "parsing": parsing}


def verdicts_or_failure(verdicts: Mapping[str, Any] | None) -> dict[str, Any]:
    """What scoring reads: ``{"scores", "parsing", "judge_failed"}``; an endpoint failure (``None``) becomes
    upstream's reading of its ``"Error"`` reply, i.e. ``([0.0], "-1")``, with ``judge_failed`` set."""
    if verdicts is None:
        scores, parsing = parse_fallback(ERROR_TEXT)
        return {"scores": [float(s) for s in scores], "parsing": parsing, "judge_failed": True}
    return {"scores": list(verdicts["scores"]), "parsing": verdicts["parsing"], "judge_failed": False}


# --- metrics ------------------------------------------------------------------------------------------------

def _round2(values: Sequence[float]) -> float:
    # numpy's rounding of np.mean's float64 (x*100, round-half-even, /100) as upstream's `round(np.mean(v), 2)`;
    # Python's round(float) differs at ties such as 0.835 (numpy 0.84, Python 0.83), and np.mean's pairwise sum
    # decides on which side of a tie a long mean falls.
    return float(round(np.mean(values), 2))


def prompt_metrics(record: Mapping[str, Any], scores: Sequence[float | str], parsing: str) -> dict[str, float]:
    """Upstream ``_score_compute``: ``{"csr", "isr", "psr"}`` of one prompt from its parsed scores.

    PSR: parsing ``"-1"`` → 0; ``"0"`` (fallback, scores are not aligned with criteria) → CSR > 0.8; ``"1"`` → 0
    if any 主需 (primary) criterion failed, else all-次需 → CSR > 0.8, all-主需 → 1, mixed → 1 if
    0.5 + 0.5·round(mean(次需), 2) > 0.8 (i.e. secondary mean above 0.6).
    """
    values = [float(s) for s in scores]
    csr = _round2(values)
    isr = 0 if csr < 1 else 1  # from the rounded CSR
    if parsing == UNPARSED:
        psr = 0
    elif parsing == FALLBACK:
        psr = 1 if csr > 0.8 else 0
    elif parsing == PARSED:
        if len(values) != len(record["criteria"]):
            raise ValueError(f"{len(values)} scores for {len(record['criteria'])} criteria")
        primary, secondary = [], []
        for criterion, value in zip(record["criteria"], values):
            if criterion[1] == PRIMARY:
                primary.append(value)
            elif criterion[1] == SECONDARY:
                secondary.append(value)
            else:
                raise ValueError(f"criterion priority {criterion[1]!r} is neither {PRIMARY} nor {SECONDARY}")
        if 0 in primary:
            psr = 0
        elif not primary:
            psr = 1 if csr > 0.8 else 0
        elif not secondary:
            psr = 1
        else:
            psr = 1 if 0.5 + 0.5 * round(np.mean(secondary), 2) > 0.8 else 0  # same float arithmetic as upstream
    else:
        raise ValueError(f"judge parsing status {parsing!r} is not one of {PARSED!r}, {FALLBACK!r}, {UNPARSED!r}")
    return {"csr": csr, "isr": isr, "psr": psr}


def benchmark_score(values: Sequence[float]) -> float:
    """``round(np.mean(values), 2)``; NaN for no values (upstream's empty split, an empty xlsx cell)."""
    return _round2(values) if len(values) else math.nan


def benchmark_scores(rows: Iterable[tuple[str, Mapping[str, float]]]) -> dict[str, float]:
    """Upstream ``_scores``: the nine xlsx columns from ``(split, prompt_metrics(...))`` rows, in :data:`COLUMNS`
    order. A prompt whose split is neither easy nor hard counts in the all-prompt columns only."""
    columns: dict[str, list[float]] = {name: [] for name in COLUMNS}
    for split, metrics in rows:
        for metric in ("csr", "isr", "psr"):
            value = metrics[metric]
            columns[metric.upper()].append(value)
            if split in SPLITS:
                columns[f"{metric.upper()}_{split}"].append(value)
    return {name: benchmark_score(values) for name, values in columns.items()}


def raif_score(scores: Mapping[str, float]) -> float:
    """RAIF's "CF Bench" value (spec §8, medium confidence): mean of the all-prompt CSR, ISR and PSR, each
    already rounded to 2 decimals, as a fraction (the paper's table shows it × 100)."""
    return (scores["CSR"] + scores["ISR"] + scores["PSR"]) / 3
