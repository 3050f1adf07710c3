"""Response filters applied before scoring (the first step of every task's ``raif`` filter pipeline)."""

from __future__ import annotations

import logging

from lm_eval.api.filter import Filter
from lm_eval.api.registry import register_filter

log = logging.getLogger(__name__)

UNCLOSED_CHOICES = ("empty", "keep")


def strip_reasoning(text: str, unclosed_think: str = "empty") -> tuple[str, bool]:
    """The answer part of a response, and whether it had an unclosed ``<think>``.

    * Everything up to the last ``</think>`` is dropped, with the whitespace after it (also when the opening
      tag was part of the prompt, as with chat templates that open the reasoning block themselves).
    * A response that opens ``<think>`` and never closes it has no answer: it scores as ``""`` by default
      (``unclosed_think="keep"`` scores the raw text instead).
    * A leading ``<answer>`` and its closing ``</answer>`` are removed, keeping the body.

    A response with none of these tags is returned unchanged, byte for byte.
    """
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1].lstrip()
    elif text.lstrip().startswith("<think>"):
        return ("" if unclosed_think == "empty" else text), True
    head = text.lstrip()
    if head.startswith("<answer>"):
        body = head[len("<answer>"):]
        text = body.split("</answer>", 1)[0] if "</answer>" in body else body
        text = text.strip()
    return text, False


@register_filter("raif_strip_think")
class StripThinkFilter(Filter):
    """Scores the answer, not the reasoning; the raw output stays in the logged ``resps``."""

    def __init__(self, unclosed_think: str = "empty", **kwargs) -> None:
        if unclosed_think not in UNCLOSED_CHOICES:
            raise ValueError(f"unclosed_think must be one of {UNCLOSED_CHOICES}, not {unclosed_think!r}")
        self.unclosed_think = unclosed_think
        super().__init__(**kwargs)

    def apply(self, resps, docs):
        out, unclosed, total = [], 0, 0
        for doc_resps in resps:
            kept = []
            for resp in doc_resps:
                text, was_unclosed = strip_reasoning(resp, self.unclosed_think)
                kept.append(text)
                unclosed += was_unclosed
                total += 1
            out.append(kept)
        if unclosed:
            action = "scored as empty answers" if self.unclosed_think == "empty" else "scored as they are"
            log.warning("%d of %d responses open <think> without closing it; %s (raise max_gen_toks for "
                        "reasoning models)", unclosed, total, action)
        return out
