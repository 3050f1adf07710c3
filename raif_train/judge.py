"""The judge of RAIF's judge-constrained rows: one YES/NO request per scoring question, through raif-eval's client.

RAIF scored these with a frozen Qwen2.5-7B-Instruct by forced choice: the log-probability of "YES(是)" against
"NO(否)". Here the judge is a :class:`YesNoJudge` over any OpenAI-compatible endpoint (``raif-train``'s
``judge_url``/``judge_model`` build one and hand it to the reward; the module's own reward reads ``RAIF_JUDGE_URL``,
``RAIF_JUDGE_MODEL``; the embedded toy judge by default), asked with RAIF's prompt for the first token's
``top_logprobs``:

* **forced choice** where the endpoint returns them (vLLM, OpenAI, llama.cpp): YES wins when the best YES/是 token
  of the first position is more likely than the best NO/否 token (a missing side counts as impossible);
* **greedy text** otherwise, or when neither appears among the alternatives: YES when the reply starts with YES or
  是 (after whitespace and markdown emphasis). An endpoint that rejects the ``logprobs`` parameter is asked
  without it from then on (with a warning).

A request that fails for good is a NO and is counted (``raif_judge_reward`` logs the share as ``judge/failed``).
Requests are concurrent, retried and cached like every judge call of raif-eval, through one judge pool per judge,
checked once. With ``actor_tokenizer`` (RAIF's released behaviour, ``judge_uses_actor_template``) the conversation
is rendered with the *policy's* chat template and sent as a raw completion.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from raif_eval.judge.client import JudgeFatalError, Reply
from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.runner import JudgePool
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


class YesNoJudge:
    """RAIF's YES/NO judge, bound to one judge configuration (None: the ``RAIF_JUDGE_*`` variables, read at each
    call, so the module's default reward follows the environment it runs in). Its pool (connections, cache, the
    start-up check) lives as long as the judge; ``actor_tokenizer`` renders prompts with the policy's template."""

    def __init__(self, config: JudgeConfig | None = None, actor_tokenizer: Any = None) -> None:
        self.config, self.actor_tokenizer = config, actor_tokenizer
        self.no_logprobs = False  # the endpoint refused log-probabilities: greedy text from then on
        self._pool: JudgePool | None = None
        self._checked: JudgeConfig | None = None

    def judge_config(self) -> JudgeConfig:
        return self.config if self.config is not None else JudgeConfig.from_env()

    @property
    def embedded(self) -> bool:
        return self.judge_config().embedded

    def use_actor_template(self, tokenizer: Any) -> None:
        """Render judge prompts with this (the policy's) tokenizer's chat template, as RAIF did; None: the judge's
        own."""
        self.actor_tokenizer = tokenizer

    def _request(self, conversation: list[dict[str, str]]) -> tuple[Any, dict[str, Any]]:
        params = GREEDY if self.no_logprobs else None
        if self.actor_tokenizer is None:
            return conversation, params or PARAMS
        text = self.actor_tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        return text, params or RAW_PARAMS

    async def _complete(self, requests: list[tuple[Any, dict[str, Any]]]) -> list[Reply]:
        config = self.judge_config()
        if self._pool is None or self._pool.judge != config:
            self.close()
            self._pool = JudgePool(config)
        pool = self._pool
        checked = await asyncio.to_thread(pool.check)  # once per pool: the start-up check
        return await asyncio.wrap_future(pool.call(pool.complete(checked, requests)))

    async def ask_all(self, asks: list[tuple[Any, list[list[dict[str, str]]]]]) -> tuple[dict[Any, list[bool]], int]:
        """(``{row: [verdict per question]}``, failed requests) for ``[(row, [messages per question]), …]``, all
        asked concurrently."""
        if not asks:
            return {}, 0
        conversations_flat = [m for _, conversations in asks for m in conversations]
        try:
            replies = await self._complete([self._request(m) for m in conversations_flat])
        except JudgeFatalError as exc:
            if self.no_logprobs or "logprob" not in str(exc).lower():
                raise
            self.no_logprobs = True
            log.warning("the judge endpoint refuses log-probabilities (%s); verdicts come from the greedy reply", exc)
            replies = await self._complete([self._request(m) for m in conversations_flat])
        failed = sum(reply.text is None for reply in replies)
        stream = iter(replies)
        return {key: [verdict(next(stream)) for _ in conversations] for key, conversations in asks}, failed

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
