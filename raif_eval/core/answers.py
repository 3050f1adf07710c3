"""Answer extraction: the part of a model's output that is scored, for every mode and for reasoning models.

The policy (the raw output is always kept in the logged samples; only the answer is scored):

1. **Reasoning.** Everything up to the *last* ``</think>`` is reasoning and is dropped, with the whitespace after
   it. This covers several or nested think blocks and chat templates that open ``<think>`` in the prompt.
2. **Unclosed think.** An output that starts with ``<think>`` and never closes it was cut off while reasoning: it
   has no answer and scores as ``""`` (``unclosed_think="keep"`` scores the raw text instead).
3. **Answer tags.** If ``<answer>`` occurs, the answer is the text after the *last* ``<answer>`` up to the next
   ``</answer>`` (or the end), stripped — as RAIF's own extraction takes the last answer block. A lone trailing
   ``</answer>`` (the opening tag was prefilled) is removed.
4. **Empty answers** (think-only output, ``<answer></answer>``, an empty reply) are scored as the empty response
   they are, and counted: every task reports ``no_answer``, the fraction of outputs with nothing to score.

An output with none of these tags is returned unchanged, byte for byte.

RAIF's own extraction (the ``*_paper`` tasks' default, ``answer_extraction: raif``) scores what its driver saved:
``message.content`` as the server returned it, with a *leading* ``<answer>`` removed (and the whitespace after it)
and everything else kept — a think block the model wrote into its content, and a trailing ``</answer>``. Reasoning
the server returned separately is not part of ``message.content``: raif-eval's API backends log it joined in front
of the content (:func:`join_reasoning`), and the RAIF extraction leaves it out again (re-judging tells the two
apart by the run's own answer: :func:`raif_eval.harness.rejudge.replay_row`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
UNCLOSED_CHOICES = ("empty", "keep")


_SURROGATES = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates (a broken UTF-16 or ``surrogateescape`` decoding) as U+FFFD: such a string
    cannot be written as UTF-8, so one would cost a run its samples or a judge request."""
    return _SURROGATES.sub("\ufffd", text) if _SURROGATES.search(text) else text


def strip_reasoning(text: str, unclosed_think: str = "empty") -> tuple[str, bool]:
    """The answer part of ``text``, and whether it opened ``<think>`` without closing it."""
    if THINK_CLOSE in text:
        text = text.rsplit(THINK_CLOSE, 1)[1].lstrip()
    elif text.lstrip().startswith(THINK_OPEN):
        return ("" if unclosed_think == "empty" else text), True
    if ANSWER_OPEN in text:
        body = text.rsplit(ANSWER_OPEN, 1)[1]
        text = body.split(ANSWER_CLOSE, 1)[0].strip()
    elif text.rstrip().endswith(ANSWER_CLOSE):
        text = text.rstrip()[: -len(ANSWER_CLOSE)].strip()
    return text, False


class WithReasoning(str):
    """An output whose reasoning the server returned separately: the joined text, knowing its parts."""

    content: str
    reasoning: str


def raif_answer(text: str, unclosed_think: str = "empty") -> tuple[str, bool]:
    """RAIF's reading of an output (``run_local_model_openai.py``: ``message.content``, a leading ``<answer>``
    removed), and whether it is an unclosed think block (never, here: RAIF scores the content as it is)."""
    if isinstance(text, WithReasoning):
        text = text.content
    text = str(text)
    if text.startswith(ANSWER_OPEN):
        text = text[len(ANSWER_OPEN):].lstrip()
    return text, False


def extract_answer(text: str, policy: str = "fixed", unclosed_think: str = "empty") -> tuple[str, bool]:
    """The scored answer under ``policy`` (``fixed``: :func:`strip_reasoning`; ``raif``: :func:`raif_answer`)."""
    return (raif_answer if policy == "raif" else strip_reasoning)(text, unclosed_think)


INVISIBLE = ("Cc", "Cf", "Cs", "Cn", "Zs", "Zl", "Zp")  # control, format (zero-width, BOM), surrogate, unassigned, space


def visible(text: str) -> bool:
    """Whether ``text`` has a character a reader sees (not only whitespace, control, zero-width, BOM or direction
    marks): what the training gate asks of an answer, so a policy cannot pass it with ``'\u200b'``."""
    return any(unicodedata.category(ch) not in INVISIBLE for ch in text)


def has_answer(answer: str) -> bool:
    """Whether an extracted answer has anything to score."""
    return bool(answer.strip())


def reasoning_of(message: dict[str, Any]) -> str | None:
    """The separate reasoning of a chat completion message: ``reasoning_content`` (DeepSeek API, vLLM before
    0.10, SGLang) or ``reasoning`` (newer vLLM); None when the server returned none."""
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def join_reasoning(content: str, reasoning: str | None) -> str:
    """One text holding both: the reasoning as a leading think block, which :func:`strip_reasoning` removes."""
    if not reasoning:
        return content
    joined = WithReasoning(f"{THINK_OPEN}\n{reasoning}\n{THINK_CLOSE}\n\n{content}")
    joined.content, joined.reasoning = content, reasoning
    return joined


def split_reasoning(text: str) -> tuple[str | None, str]:
    """(reasoning, answer) of an output; the reasoning is None when the output has no think block."""
    if THINK_CLOSE not in text:
        return None, text
    before = text.rsplit(THINK_CLOSE, 1)[0]
    reasoning = before.split(THINK_OPEN, 1)[1] if THINK_OPEN in before else before
    return reasoning.strip(), strip_reasoning(text)[0]
