"""InFoBench: 500 instructions, 2,250 decomposed YES/NO questions, judged in one conversation per instruction.

Official protocol (qinyiwei/InfoBench ``evaluation.py``): the first user turn holds the judge instructions, the
input (if any), the model's output and the first question; each later turn is the next question, after the judge's
previous reply. A reply that is neither YES nor NO ends the conversation: its question counts as not satisfied, and
the questions never asked leave the denominator. DRFR pools every asked question of every instruction.
"""

from __future__ import annotations

import json
from typing import Any

from raif_eval import data
from raif_eval.core import pooled_mean
from raif_eval.judge.runner import DocJudge, Parsed
from raif_eval.judge.templates import render

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


async def judge(judge_: DocJudge, record: dict[str, Any], answer: str) -> list[bool | None] | None:
    """One conversation: a verdict per asked question, ``None`` for an unreadable reply (which ends it).

    Returns ``None`` if a request failed for good (the endpoint, not the reply): see :func:`drfr_values`.
    """
    messages = judge_.messages()
    verdicts: list[bool | None] = []
    for index, question in enumerate(record["decomposed_questions"]):
        if index == 0:
            turn = render(BENCH, "first_turn", input=record["input"], output=answer, question=question)
        else:
            turn = render(BENCH, "later_turn", question=question)
        messages = messages + [{"role": "user", "content": turn}]
        asked = await judge_.ask(messages, parse_reply)
        if asked.text is None:
            return None
        verdicts.append(asked.value)
        if not asked.ok:
            break
        messages = messages + [{"role": "assistant", "content": asked.text}]
    return verdicts


def drfr_values(record: dict[str, Any], verdicts: list[bool | None] | None) -> list[bool | None]:
    """Per-question values for DRFR. An instruction the judge could not finish (endpoint failure) counts as
    failing every question, so an outage can only lower the score, never raise it; it is reported separately."""
    if verdicts is None:
        return [False] * len(record["decomposed_questions"])
    return verdicts


def drfr(per_doc: list[list[bool | None]]) -> float:
    """Satisfied questions over asked questions, pooled; unreadable replies (``None``) count as not satisfied."""
    return pooled_mean([[v is True for v in doc] for doc in per_doc])
