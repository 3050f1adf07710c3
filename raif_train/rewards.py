"""Reward functions as plain callables in trl's signature: ``f(prompts, completions, **columns) -> list[float]``.

They call the same scorer as the ``raif_ifeval`` task, so a reward of 1.0 is exactly a prompt that the
benchmark counts as followed.
"""

from __future__ import annotations

import json
from typing import Any

from raif_eval.benchmarks import ifeval
from raif_eval.core.answers import strip_reasoning


def _text(completion: Any) -> str:
    """A completion as trl passes it: a string, or a conversational list of messages (the last is the answer)."""
    if isinstance(completion, list):
        return completion[-1]["content"] if completion else ""
    return completion


def ifeval_reward(prompts: list[Any], completions: list[Any], raw: list[str], **_columns: Any) -> list[float]:
    """Fraction of the prompt's IFEval instructions that the completion follows (strict checkers).

    ``raw`` is the dataset column holding each IFEval record as JSON (as raif-eval's documents carry it).
    Reasoning before ``</think>`` is not scored.
    """
    rewards = []
    for completion, record_json in zip(completions, raw):
        answer, _ = strip_reasoning(_text(completion))
        verdicts = ifeval.score(json.loads(record_json), answer).strict
        rewards.append(sum(verdicts) / len(verdicts))
    return rewards
