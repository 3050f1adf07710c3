"""What the fuzz suite attacks, shared by ``tests/test_fuzz.py`` (hypothesis, bounded) and ``bench/fuzz.py`` (a
large corpus in capped subprocesses).

A *target* is one untrusted-text entry point, called with real benchmark documents: every benchmark's scorer
(rule checks, official and training readings), every judge program (official and paper protocols: the request
it builds from a hostile answer and the parser of a hostile reply, through a scripted in-process client), answer
extraction, the judged-value decoder and the training rewards. ``make(name)`` returns ``call(text, i)``, where
``i`` picks the document. The *families* are the hostile shapes the first fuzz run found problems with.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from raif_eval import benchmarks
from raif_eval.core import Judged, Transcript
from raif_eval.core.answers import extract_answer, has_answer, visible, without_surrogates
from raif_eval.core.benchmark import doc_record
from raif_eval.errors import DataError
from raif_eval.judge import cache as judge_cache
from raif_eval.judge.client import Reply
from raif_eval.judge.runner import DocJudge

Call = Callable[[str, int], Any]

RULE_SCORED = ("ifeval", "cello")
JUDGED = ("cfbench", "complexbench", "fbbench", "followbench", "infobench")


@cache
def documents(key: str, protocol: str = "official") -> tuple[dict[str, Any], ...]:
    """The benchmark's documents (ComplexBench, whose data file is not shipped: the hand-made fixture records
    where the real ones cannot be had)."""
    benchmark = benchmarks.get(key)
    settings = benchmark.settings({"protocol": protocol})
    try:
        return tuple(benchmark.documents(settings, None))
    except DataError:
        if key != "complexbench":
            raise
    from helpers import data_dir_with_complexbench_fixture

    env = data_dir_with_complexbench_fixture(Path(tempfile.mkdtemp(prefix="raif-fuzz-")) / "data")
    os.environ["RAIF_DATA_VERIFY"] = env["RAIF_DATA_VERIFY"]
    return tuple(benchmark.documents(settings, env["RAIF_DATA_DIR"]))


class ScriptedClient:
    """A judge client that answers every request with one text: the request is encoded the way the real client
    encodes it (cache key, UTF-8 body), the reply goes through the same sanitising."""

    model = "fuzz"

    def __init__(self, reply: str) -> None:
        self.reply = without_surrogates(reply)

    async def complete(self, messages, params=None, attempt=0, progress=None) -> Reply:
        judge_cache.request_key(self.model, messages if isinstance(messages, list) else [messages], params or {},
                                attempt)
        without_surrogates(json.dumps({"messages": messages, **(params or {})}, ensure_ascii=False)).encode("utf-8")
        return Reply(self.reply, prompt_tokens=1, completion_tokens=1)


def _scorer(key: str, protocol: str) -> Call:
    benchmark = benchmarks.get(key)
    docs = documents(key, protocol)
    settings = benchmark.settings({"protocol": protocol})

    def call(text: str, i: int) -> Any:
        return benchmark.score(docs[i % len(docs)], text, None, settings)
    return call


def _judged(key: str, protocol: str) -> Call:
    """The judge program of one protocol on a hostile answer, its replies hostile too, then the scorer."""
    benchmark = benchmarks.get(key)
    docs = documents(key, protocol)
    settings = benchmark.settings({"protocol": protocol})
    program = benchmark.judge_program(settings)
    profile = benchmark.judge_profile(settings)

    def call(text: str, i: int) -> Any:
        doc = docs[i % len(docs)]
        judge = DocJudge(ScriptedClient(text[::-1] if i % 2 else text), profile, max_asks=2)
        verdicts = asyncio.run(program(judge, doc_record(doc), text))
        return benchmark.score(doc, text, Judged(text, verdicts, judge.transcript), settings)
    return call


def _training(text: str, i: int) -> Any:
    from raif_eval.benchmarks import ifeval
    docs = documents("ifeval")
    return ifeval.score(doc_record(docs[i % len(docs)]), text, reading="training").strict


def _rewards(text: str, i: int) -> Any:
    from raif_train import rewards
    docs = documents("ifeval")
    record = doc_record(docs[i % len(docs)])
    target = json.dumps({"instruction_id_list": record["instruction_id_list"], "kwargs": record["kwargs"]})
    prompt = f"<|im_start|>user\n{record['prompt']}<|im_end|>\n<|im_start|>assistant\n<think>\n"
    completion = (f"reasoning</think>\n<answer>{text}</answer>" if i % 3 == 0 else
                  f"{text}</think><answer>{text}</answer>" if i % 3 == 1 else text)
    return (rewards.raif_format_reward([prompt], [completion]),
            rewards.raif_ifeval_reward([prompt], [completion], task=["ifeval"], target=[target]),
            rewards.ifeval_reward([prompt], [completion], raw=[docs[i % len(docs)]["raw"]]))


def _answers(text: str, i: int) -> Any:
    out = [extract_answer(text, policy, unclosed) for policy in ("fixed", "raif") for unclosed in ("empty", "keep")]
    return out, has_answer(text), visible(text), Judged.decode(text), Judged(text, None, Transcript()).encode()


def targets() -> dict[str, Callable[[], Call]]:
    """Every target by name, each built on first use (documents load then)."""
    out: dict[str, Callable[[], Call]] = {}
    for key in RULE_SCORED:
        for protocol in ("official", "paper"):
            out[f"score:{key}:{protocol}"] = lambda k=key, p=protocol: _scorer(k, p)
    for key in JUDGED:
        for protocol in ("official", "paper"):
            out[f"judge:{key}:{protocol}"] = lambda k=key, p=protocol: _judged(k, p)
    out["verifiers:training"] = lambda: _training
    out["rewards"] = lambda: _rewards
    out["answers"] = lambda: _answers
    return out


def make(name: str) -> Call:
    return targets()[name]()


# ------------------------------------------------------------------------------------------------ families

def _repeat(unit: str, size: int) -> str:
    return (unit * (size // max(1, len(unit.encode("utf-8", "surrogatepass"))) + 1))[:size]


WORDS = ("the", "cat", "P.S.", "*", "**", "#", "-", "1.", "<<", ">>", "[", "]", "{", "}", "\n", "\n\n", ",", ".",
         "<think>", "</think>", "<answer>", "</answer>", "***", "```", "SECTION", "Section 1", "JSON", '"', ":",
         "\u200b", "\ufeff", "\x00", "\ud800", "\udfff", "é", "中文", "。", "！", "🙂", "\u202e", "\t", "?", "!")

# name -> (rng, size in bytes) -> text
FAMILIES: dict[str, Callable[[random.Random, int], str]] = {
    "random_unicode": lambda rng, n: "".join(chr(rng.choice((rng.randrange(32, 127), rng.randrange(0x110000))))
                                             for _ in range(max(1, n // 3))),
    "surrogates": lambda rng, n: _repeat(rng.choice(("\ud800", "a\udfffb", "\udc80\udcff", "x\ud83d")), n),
    "controls": lambda rng, n: "".join(chr(rng.randrange(0, 32)) for _ in range(n)),
    "invisible": lambda rng, n: _repeat(rng.choice(("\u200b", "\ufeff", "\x7f", "\u200d\u2060", "\u202e")), n),
    "deep_brackets": lambda rng, n: _repeat(rng.choice(("[", "{", "(", '{"a":', "[[{", "<think>", "<answer>",
                                                        "<<", "[[", "<a>")), n),
    "angle_runs": lambda rng, n: _repeat(rng.choice(("<<<<", "[[[[", "<<a", "[[a", "<<a>>", "[a]", "*", "**a")), n),
    "newlines": lambda rng, n: _repeat(rng.choice(("\n", "\n\n", "\r\n", "\n* ", "\n- ", "\n1. ", "\n# ",
                                                   "\n***\n")), n),
    "one_word": lambda rng, n: _repeat(rng.choice(("the ", "a", "中", "P.S. ", "word, ", "ok. ", "Yes! ")), n),
    "sentences": lambda rng, n: _repeat(rng.choice(("Dr. A. B. said. ", "Hi!! ", "e.g. i.e. ", "1.2.3. ",
                                                    "... ", "?!?! ")), n),
    "word_soup": lambda rng, n: "".join(rng.choice(WORDS) + rng.choice((" ", "", "\n")) for _ in range(n // 3 + 1))[:n],
    "json_like": lambda rng, n: json.dumps({"k": _repeat("v", n // 2), "n": 1e308, "l": [1] * (n // 16)})[:n],
    "numbers": lambda rng, n: _repeat(rng.choice(("9", "1e999 ", "Infinity ", "NaN ", "-0 ", "0x")), n),
    "markdown": lambda rng, n: _repeat(rng.choice(("*a*", "**b**", "# T\n", "<<t>>", "P.P.S ", "[x] ", "SECTION 1\n",
                                                   "Paragraph 1\n\n", "***\n")), n),
}

SIZES = (0, 1, 2, 10, 100, 1_000, 10_000, 65_536, 262_144)  # bytes; ≤ 256 KB is the bounded-time range


def hostile(rng: random.Random, family: str | None = None, size: int | None = None) -> tuple[str, str, int]:
    """One hostile text: (family, text, size asked for)."""
    family = family or rng.choice(tuple(FAMILIES))
    size = rng.choice(SIZES) if size is None else size
    return family, FAMILIES[family](rng, size), size
