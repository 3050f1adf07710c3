"""The judge of RAIF's judge-constrained rows: one YES/NO request per scoring question, through raif-eval's client.

RAIF scored these with a frozen Qwen2.5-7B-Instruct by forced choice (log-probability of "YES(是)" vs "NO(否)").
Here the judge is any OpenAI-compatible endpoint (``raif-train``'s ``judge_url``/``judge_model``, else
``RAIF_JUDGE_URL``, ``RAIF_JUDGE_MODEL``; the embedded toy judge by default), asked greedily with RAIF's prompt;
the reply counts as YES when it starts with YES or 是 (after whitespace and markdown emphasis), otherwise as NO —
an unreadable reply does not earn the constraint. Requests are concurrent, retried and cached like every judge
call of raif-eval.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from raif_eval.judge import config as judge_config
from raif_eval.judge.preflight import preflight
from raif_eval.judge.runner import complete_many
from raif_train import prompts

SYSTEM = "You are a helpful assistant."
PARAMS = {"temperature": 0, "max_tokens": 8}
YES = re.compile(r"^[\s*_`\"'(\[]*(YES|是)", re.I)


def messages(instruction: str, answer: str, question: str) -> list[dict[str, str]]:
    """RAIF's judge conversation for one scoring question (the reasoning is never shown)."""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": prompts.judge_user_message(instruction, answer, question)}]


def is_yes(reply: str | None) -> bool:
    return bool(reply) and YES.match(reply) is not None


async def ask_all(asks: list[tuple[Any, list[list[dict[str, str]]]]]) -> dict[Any, list[bool]]:
    """``{row: [verdict per question]}`` for ``[(row, [messages per question]), …]``, all asked concurrently."""
    if not asks:
        return {}
    config = await asyncio.to_thread(preflight, judge_config.active())
    replies = iter(await complete_many(config, [(m, PARAMS) for _, conversations in asks for m in conversations]))
    return {key: [is_yes(next(replies).text) for _ in conversations] for key, conversations in asks}
