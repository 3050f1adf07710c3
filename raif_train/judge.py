"""The judge of RAIF's judge-constrained rows: one YES/NO request per scoring question, through raif-eval's client.

RAIF scored these with a frozen Qwen2.5-7B-Instruct by forced choice: the log-probability of "YES(是)" against
"NO(否)". Here the judge is any OpenAI-compatible endpoint (``raif-train``'s ``judge_url``/``judge_model``, else
``RAIF_JUDGE_URL``, ``RAIF_JUDGE_MODEL``; the embedded toy judge by default), asked with RAIF's prompt for the first
token's ``top_logprobs``:

* **forced choice** where the endpoint returns them (vLLM, OpenAI, llama.cpp): YES wins when the best YES/是 token
  of the first position is more likely than the best NO/否 token (a missing side counts as impossible);
* **greedy text** otherwise, or when neither appears among the alternatives: YES when the reply starts with YES or
  是 (after whitespace and markdown emphasis). An endpoint that rejects the ``logprobs`` parameter is asked
  without it from then on (with a warning).

A request that fails for good is a NO and is counted (``raif_judge_reward`` logs the share as ``judge/failed``).
Requests are concurrent, retried and cached like every judge call of raif-eval. With
``judge_uses_actor_template`` (RAIF's released behaviour) the conversation is rendered with the *policy's* chat
template and sent as a raw completion.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from raif_eval.judge import config as judge_config
from raif_eval.judge.client import JudgeFatalError, Reply
from raif_eval.judge.preflight import preflight
from raif_eval.judge.runner import complete_many
from raif_train import prompts

SYSTEM = "You are a helpful assistant."
TOP_LOGPROBS = 20
PARAMS = {"temperature": 0, "max_tokens": 8, "logprobs": True, "top_logprobs": TOP_LOGPROBS}
RAW_PARAMS = {"temperature": 0, "max_tokens": 8, "logprobs": TOP_LOGPROBS}  # /completions: an int
GREEDY = {"temperature": 0, "max_tokens": 8}
YES = re.compile(r"^[\s*_`\"'(\[]*(YES|是)", re.I)
YES_TOKEN = re.compile(r"^[\s▁Ġ*_`\"'(\[]*(yes(?![a-z])|是)", re.I)
NO_TOKEN = re.compile(r"^[\s▁Ġ*_`\"'(\[]*(no(?![a-z])|否)", re.I)
log = logging.getLogger(__name__)

_actor_tokenizer: Any = None
_no_logprobs = False


def use_actor_template(tokenizer: Any) -> None:
    """Render judge prompts with this (the policy's) tokenizer's chat template, as RAIF did; None: the judge's own."""
    global _actor_tokenizer
    _actor_tokenizer = tokenizer


def messages(instruction: str, answer: str, question: str) -> list[dict[str, str]]:
    """RAIF's judge conversation for one scoring question (the reasoning is never shown)."""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": prompts.judge_user_message(instruction, answer, question)}]


def is_yes(reply: str | None) -> bool:
    return bool(reply) and YES.match(reply) is not None


def verdict(reply: Reply) -> bool:
    """YES or NO for one reply: forced choice on the first token's log-probabilities when present, else the
    greedy text. A failed request (no text) is NO."""
    if reply.text is None:
        return False
    if reply.top_logprobs:
        yes = max((lp for t, lp in reply.top_logprobs.items() if YES_TOKEN.match(t)), default=None)
        no = max((lp for t, lp in reply.top_logprobs.items() if NO_TOKEN.match(t)), default=None)
        if yes is not None or no is not None:
            return (yes if yes is not None else float("-inf")) > (no if no is not None else float("-inf"))
    return is_yes(reply.text)


def _request(conversation: list[dict[str, str]]) -> tuple[Any, dict[str, Any]]:
    params = GREEDY if _no_logprobs else None
    if _actor_tokenizer is None:
        return conversation, params or PARAMS
    text = _actor_tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
    return text, params or RAW_PARAMS


async def ask_all(asks: list[tuple[Any, list[list[dict[str, str]]]]]) -> tuple[dict[Any, list[bool]], int]:
    """(``{row: [verdict per question]}``, failed requests) for ``[(row, [messages per question]), …]``, all
    asked concurrently."""
    if not asks:
        return {}, 0
    config = await asyncio.to_thread(preflight, judge_config.active())
    conversations_flat = [m for _, conversations in asks for m in conversations]
    global _no_logprobs
    try:
        replies = await complete_many(config, [_request(m) for m in conversations_flat])
    except JudgeFatalError as exc:
        if _no_logprobs or "logprob" not in str(exc).lower():
            raise
        _no_logprobs = True  # an endpoint that refuses the parameter: greedy text from now on
        log.warning("the judge endpoint refuses log-probabilities (%s); verdicts come from the greedy reply", exc)
        replies = await complete_many(config, [_request(m) for m in conversations_flat])
    failed = sum(reply.text is None for reply in replies)
    stream = iter(replies)
    return {key: [verdict(next(stream)) for _ in conversations] for key, conversations in asks}, failed
