"""Token counts for RAIF's token budgets (generation caps, judge ``max_tokens``, response truncation).

RAIF counts with local Hugging Face tokenizers, loaded with ``use_fast=False``, that are not on the package
registries: for most budgets one (Qwen2.5-7B-Instruct), for some the largest count of three (Qwen2.5, Llama-3.1,
Mistral). A paper task names its tokenizers in an option (``paper_tokenizer`` for the model's side,
``paper_judge_tokenizer`` for the judge's; Hugging Face names or paths joined by ``,``, RAIF's one first): each
count then uses the first or the maximum over all, as RAIF's script for it does. Without one the budgets use the
**approximate count** below — one token per word, number, punctuation mark or CJK character — a documented,
deterministic stand-in (real tokenizers give about 1.3 tokens per English word, so budgets come out somewhat
larger than RAIF's).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import cache

log = logging.getLogger(__name__)

APPROXIMATE = "approx"
_PIECE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W\d_]+|\d+|[^\w\s]|_")


class ApproxTokenizer:
    """The approximate count with the two call shapes RAIF's scripts use (``encode`` and ``__call__``)."""

    name = APPROXIMATE

    def encode(self, text: str, **kwargs) -> list[int]:
        return [0] * len(_PIECE.findall(text))

    def __call__(self, text: str, **kwargs) -> dict[str, list[list[int]]]:
        return {"input_ids": [self.encode(text)]}


@cache
def _tokenizer(name: str):
    if name == APPROXIMATE:
        return ApproxTokenizer()
    from transformers import AutoTokenizer  # the hf extra; only for a named tokenizer

    try:
        return AutoTokenizer.from_pretrained(name, use_fast=False)  # as RAIF loads them
    except (ImportError, ValueError, OSError):  # no slow implementation here (e.g. sentencepiece missing)
        log.warning("tokenizer %s: no slow (use_fast=False) tokenizer here, counting with the fast one", name)
        return AutoTokenizer.from_pretrained(name)


def counter(names: str | None, use: str = "first") -> Callable[[str], int]:
    """``text -> token count`` with the comma-separated tokenizers ``names``: the first one's (``use="first"``),
    or the largest count over all (``"max"``, RAIF's ``count_token_max``); the approximate count when none is
    named."""
    tokenizers = [_tokenizer(n.strip()) for n in (names or APPROXIMATE).split(",") if n.strip()]
    if use == "first":
        tokenizers = tokenizers[:1]
    return lambda text: max(len(t.encode(text)) for t in tokenizers)


def rlmo_max_tokens(prompt_tokens: int, divisor: float = 1.3) -> int:
    """RAIF's completion budget for a 16,384-token context: ``max(int((16384 - prompt) // divisor - 100), 1)``
    (``// 1.3`` in its shared OpenAI driver, ``// 1.1`` in FB-Bench's scripts)."""
    return max(int((16384 - prompt_tokens) // divisor - 100), 1)


def messages_text(messages: list[dict[str, str]]) -> str:
    """What RAIF counts for a request: every message's content followed by a newline."""
    return "".join(m["content"] + "\n" for m in messages if m.get("content") is not None)


# Cuts tried one by one (what real responses need: RAIF's budgets stop generation near 64 K characters), for texts
# up to EXACT_CHARS; beyond, bisection keeps an enormous (untrusted) text cheap.
EXACT_CUTS, EXACT_CHARS = 64, 65_536


def truncate_while(text: str, too_long: Callable[[str], bool], step: int) -> str:
    """RAIF's ``while too_long(text): text = text[:-step]``, stopping at ``""`` (where RAIF would loop forever).

    The first :data:`EXACT_CUTS` cuts of a text up to :data:`EXACT_CHARS` are tried in order, exactly as RAIF;
    past them the number of cuts is found by bisection, which gives the same text whenever the count does not grow
    as text is cut from the end (true of the approximate count, and of real tokenizers but for rare merges)."""
    if not too_long(text):
        return text

    def cut(k: int) -> str:
        return text[:max(len(text) - k * step, 0)]

    last = -(-len(text) // step)  # cut(last) == ""
    exact = min(EXACT_CUTS, last) if len(text) <= EXACT_CHARS else 0
    for k in range(1, exact + 1):
        if not too_long(cut(k)):
            return cut(k)
    low, high = max(exact, 0), last
    if high <= low or too_long(cut(high)):
        return cut(high)
    while high - low > 1:  # too_long(cut(low)) and not too_long(cut(high))
        middle = (low + high) // 2
        low, high = (middle, high) if too_long(cut(middle)) else (low, middle)
    return cut(high)
