"""Response filters applied before scoring (the first step of every task's ``raif`` filter pipeline).

The extraction policy is :mod:`raif_eval.core.answers`.
"""

from __future__ import annotations

import logging

from lm_eval.api.filter import Filter
from lm_eval.api.registry import register_filter

from raif_eval.core.answers import UNCLOSED_CHOICES, strip_reasoning

log = logging.getLogger(__name__)


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
