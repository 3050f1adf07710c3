"""Two-model reasoning ("deepclaude"): a reasoning model thinks first, then the evaluated model answers.

RAIF's evaluation scripts send the dialogue to the reasoning model, take its reasoning, and rewrite the *last*
user turn with :data:`REWRITE` before the evaluated model answers; earlier turns and the system message are sent
unchanged. Here the reasoning model is any OpenAI-compatible endpoint (``--cot_model_url``, ``--cot_model``).
Its reasoning is the reply's ``reasoning_content`` / ``reasoning`` field; failing that, the ``<think>`` block of
its text; failing that (a model that does not separate its reasoning), its whole reply.

Calls go through the judge client: concurrent, retried, and cached in the judge cache, so an interrupted run
resumes where it stopped. They are made for all of a task's documents before the evaluated model generates.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from raif_eval.core.answers import split_reasoning
from raif_eval.errors import RaifError
from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.runner import complete_all

log = logging.getLogger(__name__)

# Verbatim from RAIF's COMPLEX_INSTRUCTIONS/run_local_model_openai.py (PROMPT_DEEPCLAUDE).
REWRITE = ("Here's my original input request:\n```\n{original_content}\n```\n\nHere's my another model's reasoning "
           "process:\n{reasoning}\n\nBased on this reasoning, provide your response directly to me:")
TIMEOUT_S = 600.0  # reasoning models think for minutes


@dataclass(frozen=True)
class Thought:
    reasoning: str
    answer: str  # the reasoning model's own answer, kept for the record
    separated: bool  # False when the reply had no reasoning apart from its text


def rewrite(messages: list[dict[str, str]], reasoning: str) -> list[dict[str, str]]:
    """The dialogue with its last (user) turn rewritten around ``reasoning``."""
    last = messages[-1]
    return [*messages[:-1], {**last, "content": REWRITE.format(original_content=last["content"], reasoning=reasoning)}]


def wanted(metadata: dict[str, Any] | None) -> bool:
    """Whether the task's metadata names a reasoning model (``--cot_model_url``)."""
    url = (metadata or {}).get("raif_cot_model_url")
    return bool(url) and str(url).upper() != "N/A"


def config_from(metadata: dict[str, Any] | None, judge: JudgeConfig, api_key: str | None = None) -> JudgeConfig | None:
    """The reasoning model's endpoint from task metadata (``--cot_model_url``/``--cot_model``), or None; its
    concurrency and cache are the run's ``judge``'s.

    The API key is ``api_key`` (``--cot_model_api_key``), else ``RAIF_COT_API_KEY``, then ``OPENAI_API_KEY``: never
    from metadata, which lands in the results file.
    """
    if not wanted(metadata):
        return None
    url = str(metadata["raif_cot_model_url"])
    if url == "embedded":
        raise RaifError("--cot_model_url needs an OpenAI-compatible endpoint (a URL or a preset such as vllm)")
    key = api_key or os.environ.get("RAIF_COT_API_KEY") or os.environ.get("OPENAI_API_KEY") or None
    config = JudgeConfig(url=url, model=metadata.get("raif_cot_model") or None, api_key=key, timeout=TIMEOUT_S,
                         concurrency=judge.concurrency, cache=judge.cache, role="reasoner")
    return config.resolved()


def params_from(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """Request parameters: greedy as RAIF; ``max_tokens`` only when given (the server's default otherwise)."""
    params: dict[str, Any] = {"temperature": 0}
    max_tokens = (metadata or {}).get("raif_cot_max_tokens")
    if max_tokens:
        params["max_tokens"] = int(max_tokens)
    return params


def think_all(dialogues: list[list[dict[str, str]]], config: JudgeConfig, params: dict[str, Any],
              desc: str = "reasoning model") -> list[Thought]:
    """The reasoning model's thought on each dialogue (same order).

    Raises a one-line :class:`RaifError` when any dialogue got no reply; those answered are cached, so a rerun
    asks only for the rest.
    """
    replies = complete_all(config, [(m, params) for m in dialogues], keep_reasoning=True, desc=desc)
    failed = [r for r in replies if r.text is None]
    if failed:
        raise RaifError(f"the reasoning model {config.model} at {config.host} gave no reply for {len(failed)} of "
                        f"{len(replies)} prompts ({failed[0].error}); rerun to ask again — the answered ones are "
                        "cached")
    thoughts = []
    for reply in replies:
        reasoning, answer = split_reasoning(reply.text)
        thoughts.append(Thought(reasoning if reasoning is not None else reply.text, answer, reasoning is not None))
    unseparated = sum(not t.separated for t in thoughts)
    if unseparated:
        log.warning("%d of %d replies of the reasoning model %s had no separate reasoning (no reasoning_content, "
                    "no <think> block); their whole text is used as the reasoning", unseparated, len(thoughts),
                    config.model)
    return thoughts
