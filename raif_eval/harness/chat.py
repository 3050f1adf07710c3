"""``--model raif-chat-completions``: lm-eval's ``local-chat-completions`` that keeps the reasoning.

vLLM and SGLang servers started with a reasoning parser, and the DeepSeek API, return a reasoning model's thinking
in ``reasoning_content`` (``reasoning`` in newer vLLM) apart from ``content``; lm-eval's backend drops it. This one
keeps it as a leading ``<think>`` block of the logged response, which the ``raif`` filter strips before scoring,
so samples show what the model thought and the score is of its answer. ``raif-eval run --model
local-chat-completions`` uses this backend; everything else (model args, concurrency, retries) is lm-eval's.
"""

from __future__ import annotations

import lm_eval.models  # noqa: F401  (lm-eval fills its lazy built-in registry only while it is empty)
from lm_eval.api.registry import register_model
from lm_eval.models.openai_completions import LocalChatCompletion

from raif_eval.core.answers import join_reasoning, reasoning_of


@register_model("raif-chat-completions")
class ReasoningChatCompletion(LocalChatCompletion):
    def parse_generations(self, outputs: dict | list[dict], **kwargs) -> list[str]:
        texts = super().parse_generations(outputs, **kwargs)
        choices = [c for out in (outputs if isinstance(outputs, list) else [outputs])
                   for c in sorted((out or {}).get("choices") or [], key=lambda c: c.get("index", 0))]
        if len(choices) != len(texts):  # a reply lm-eval could not parse: nothing to add
            return texts
        return [text if text is None else join_reasoning(text, reasoning_of(choice.get("message") or {}))
                for text, choice in zip(texts, choices)]
