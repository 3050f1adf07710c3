"""FollowBench's rule-checked instructions, scored as upstream's ``rule_based_evaluation.py`` (en and zh) does.

A rule gives one 0/1 for a whole instruction (all of its L added constraints at once). Where upstream spells a
level as a chain of conditions that grows by one per level (the summarisation sources, format example 30), the
chain is written here once, as the list of per-level constraints, and level L asks the first L of them: the
same conjunction, and the per-constraint verdicts come for free. Language differences (sentence punctuation,
lengths in characters, keywords) live in :class:`Lang`.

Behaviour kept on purpose, because it decides scores: sentences are split on punctuation only, English word
counts use ``split(' ')`` in some checks and ``split()`` in others, Chinese "words" are characters, Chinese
keyword checks are regular-expression searches, and ``example`` templates match without DOTALL.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from raif_eval.verifiers.base import Verifier

RULE_SOURCES = frozenset({
    "E2E", "WIKIEVENTS", "CONLL2003", "text_editing", "cnn_dailymail", "xsum", "samsum", "gigaword", "arxiv",
    "BBH_logical", "BBH_time", "self_made_space", "gsm_8k",
})
# `format` examples checked in code; Chinese 30 is judged since upstream issue #8.
FORMAT_RULE_IDS = {"en": frozenset({22, 30}), "zh": frozenset({22})}
ZH_PUNCTUATION = string.punctuation + "，。：’“”"

Check = Callable[[str], bool]


@dataclass(frozen=True)
class Lang:
    """What the English and Chinese rule modules do differently."""

    sentence_end: str  # character class that ends a sentence
    keyword: Callable[[str, str], bool]  # does the text contain the keyword
    length: Callable[[str], int]  # the length a sentence limit counts

    def sentences(self, text: str) -> list[str]:
        return [s for s in re.split(self.sentence_end, text) if s]

    def n_sentences(self, text: str) -> int:
        return len(self.sentences(text))

    def sentences_shorter_than(self, text: str, n: int) -> bool:
        return all(self.length(s) < n for s in self.sentences(text))

    def sentences_longer_than(self, text: str, n: int) -> bool:
        return all(self.length(s) > n for s in self.sentences(text))

    def nth_sentence(self, text: str, n: int) -> str | None:
        sentences = self.sentences(text)
        return sentences[n - 1] if len(sentences) >= n else None

    def nth_sentence_has(self, text: str, n: int, word: str) -> bool:
        sentence = self.nth_sentence(text, n)
        return sentence is not None and self.keyword(sentence, word)


EN = Lang(r"[.!?]", lambda text, word: re.search(r"\b" + re.escape(word) + r"\b", text) is not None,
          lambda s: len(s.split()))
ZH = Lang(r"[。！？]", lambda text, word: re.search(word, text) is not None, len)
LANGS = {"en": EN, "zh": ZH}


def _words(text: str) -> int:
    """Word count of the length limits: split on single spaces, as upstream."""
    return len(text.split(" "))


def _present_perfect(sentence: str | None) -> bool:
    return sentence is not None and re.search(r"\b(has|have)\s+\w+", sentence) is not None


# --- sources whose level-L check is the first L constraints of a fixed chain -------------------------------

def _chains(lang: str) -> dict[str, Sequence[Check]]:
    L = LANGS[lang]
    kw = L.keyword
    if lang == "en":
        return {
            "cnn_dailymail": [
                lambda g: L.n_sentences(g) == 3,
                lambda g: L.sentences_shorter_than(g, 15),
                lambda g: L.nth_sentence_has(g, 1, "Potter") and L.nth_sentence_has(g, 2, "actor")
                and L.nth_sentence_has(g, 3, "films"),
                lambda g: not L.nth_sentence_has(g, 2, "lavish"),
                lambda g: _present_perfect(L.nth_sentence(g, 3)),
            ],
            "xsum": [
                lambda g: L.n_sentences(g) == 1,
                lambda g: _words(g) < 20,
                lambda g: not kw(g, "Newton Stewart"),
                lambda g: re.search(r"\b(am|is|are)\s+\w+ing\b", g) is not None,
                lambda g: kw(g, "operation"),
            ],
            "samsum": [
                lambda g: L.n_sentences(g) == 1,
                lambda g: _words(g) < 15,
                lambda g: kw(g, "stuff"),
                lambda g: re.search(r"procrast", g, re.IGNORECASE) is None,
                lambda g: sum(ch in string.punctuation for ch in g) == 1,
            ],
            "gigaword": [
                lambda g: _words(g) == 8,
                lambda g: not any(ch in string.punctuation for ch in g),
                lambda g: g.islower(),
                lambda g: not kw(g, "bus"),
                lambda g: kw(g, "in"),
            ],
            "arxiv": [
                lambda g: L.n_sentences(g) == 1,
                lambda g: _words(g) <= 20,
                lambda g: g[:2] == "We",
                lambda g: kw(g, "activations"),
                lambda g: not kw(g, "transformer"),
            ],
        }
    return {
        "cnn_dailymail": [
            lambda g: L.n_sentences(g) == 3,
            lambda g: L.sentences_shorter_than(g, 15),
            lambda g: L.nth_sentence_has(g, 1, "波特") and L.nth_sentence_has(g, 2, "演员")
            and L.nth_sentence_has(g, 3, "电影"),
            lambda g: not L.nth_sentence_has(g, 2, "奢侈"),
            lambda g: L.nth_sentence_has(g, 3, "了"),
        ],
        "xsum": [
            lambda g: L.n_sentences(g) == 1,
            lambda g: len(g) < 20,
            lambda g: not kw(g, "牛顿斯图尔特"),
            lambda g: kw(g, "在"),
            lambda g: kw(g, "操作"),
        ],
        "samsum": [
            lambda g: L.n_sentences(g) == 1,
            lambda g: len(g) < 15,
            lambda g: kw(g, "琐碎的"),
            lambda g: not kw(g, "拖沓的"),
            lambda g: sum(ch in ZH_PUNCTUATION for ch in g) == 1,
        ],
        "gigaword": [
            lambda g: len(g) == 8,
            lambda g: not any(ch in ZH_PUNCTUATION for ch in g),
            lambda g: not any(ch.isnumeric() for ch in g),
            lambda g: not kw(g, "公交车"),
            lambda g: kw(g, "在"),
        ],
        "arxiv": [
            lambda g: L.n_sentences(g) == 1,
            lambda g: len(g) <= 20,
            lambda g: g[:2] == "我们",
            lambda g: kw(g, "激活"),
            lambda g: not kw(g, "transformer"),
        ],
    }


CHAINS = {lang: _chains(lang) for lang in LANGS}


def constraint_verdicts(source: str, lang: str, generation: str, level: int) -> list[bool] | None:
    """Per-constraint verdicts of a chained source (levels 1..``level``), or None for other sources."""
    chain = CHAINS[lang].get(source)
    return None if chain is None else [check(generation) for check in chain[:level]]


# --- sources with one answer check, whatever the level ------------------------------------------------------

def _last(pattern: str, generation: str) -> str | None:
    found = re.findall(pattern, generation)
    return found[-1] if found else None


def _answer_checks(lang: str) -> dict[str, Callable[[str, str], bool]]:
    money = r"\$\d+" if lang == "en" else r"\d+美元"
    return {
        "E2E": lambda g, t: g == t,
        "text_editing": lambda g, t: g == t,
        "WIKIEVENTS": lambda g, t: all(line in t.split("\n") for line in g.split("\n")),
        "CONLL2003": lambda g, t: g in ast.literal_eval(t),
        "BBH_logical": lambda g, t: _last(r"\([A-Z]\)", g) == t,
        "BBH_time": lambda g, t: _last(r"\d{2}/\d{2}/\d{4}", g) == t,
        "gsm_8k": lambda g, t: _last(money, g) == t,
        "self_made_space": lambda g, t: t in g,
    }


ANSWER_CHECKS = {lang: _answer_checks(lang) for lang in LANGS}


# --- format example 22 and 30 ----------------------------------------------------------------------------

def _format_22(generation: str, level: int, lang: str) -> bool:
    L = LANGS[lang]
    paragraphs = generation.split("\n\n")
    closing = "Those are suggestions" if lang == "en" else "这些是建议"
    checks: list[Check] = [
        lambda g: len(paragraphs) == (3 if level < 5 else 4),
        # Only reached when there are 3 or 4 paragraphs (the check above comes first, as upstream's `and`).
        lambda g: all(L.n_sentences(p) < 3 for p in paragraphs[:3]),
        lambda g: L.sentences_longer_than(g, 20),
        _paragraphs_numbered,
        lambda g: g[-len(closing):] == closing,
    ]
    return all(check(generation) for check in checks[:level])


def _paragraphs_numbered(text: str) -> bool:
    return all(re.match(r"\d+\.", p.lstrip()) for p in text.split("\n\n") if p.lstrip())


def format_30_verdicts(generation: str, level: int) -> list[bool]:
    """English format example 30: markers, five ``**N. keyword:`` points, short points, 10-15 words a sentence,
    no ``-ly`` word."""
    sentences = re.split(r"(?<!\w\.\w.)(?<![A-Z][a-z]\.)(?<=\.|\?)\s", generation)
    points = [s for s in sentences if any(f"{n}." in s for n in range(1, 6))]
    constraints = [
        "**" in generation,
        len(re.findall(r"\*\*[\d].+?:", generation)) == 5,
        all(len(s.split(".")) < 3 for s in points),
        all(10 <= len(s.split()) <= 15 for s in sentences),
        all(not word.endswith("-ly") for s in sentences for word in s.split()),
    ]
    return constraints[:level]


# --- example category ---------------------------------------------------------------------------------------

def template_matches(target: str, generation: str) -> bool:
    """``example`` records: the whole generation must fit the target template, ``{answer}`` matching any text
    on one line (no DOTALL)."""
    template = target.replace("{instruction}\n", "")
    pattern = template.replace("{{", "{").replace("}}", "}").replace("{answer}", ".*")
    pattern = re.escape(pattern).replace("\\.\\*", ".*")
    return re.fullmatch(pattern, generation) is not None


# --- dispatch ---------------------------------------------------------------------------------------------

def is_rule_checked(record: dict, lang: str, file_category: str) -> bool:
    """Whether upstream scores this level >= 1 record in code (else the judge scores it)."""
    return (file_category == "example" or record["source"] in RULE_SOURCES
            or (record["category"] == "format" and record["example_id"] in FORMAT_RULE_IDS[lang]))


def verdict(record: dict, generation: str, lang: str, file_category: str) -> bool:
    """The 0/1 of a rule-checked record (all of its level's constraints)."""
    level, source = record["level"], record["source"]
    if file_category == "example":
        return template_matches(record["target"], generation)
    if source in ANSWER_CHECKS[lang]:
        return bool(ANSWER_CHECKS[lang][source](generation, record["target"]))
    chained = constraint_verdicts(source, lang, generation, level)
    if chained is not None:
        return all(chained)
    if record["category"] == "format" and record["example_id"] in FORMAT_RULE_IDS[lang]:
        if record["example_id"] == 22:
            return _format_22(generation, level, lang)
        return all(format_30_verdicts(generation, level))
    raise ValueError(f"FollowBench record (source {source!r}) is not rule-checked")


class FollowBenchRule(Verifier):
    """A rule-checked FollowBench record (``record``: its ``level``, ``source``, ``category``, ``example_id`` and
    ``target``; ``lang``; ``file_category``): 1/0 for all of its level's constraints at once."""

    id = "followbench:rule"

    def check(self, text: Any) -> bool:
        return verdict(self.kwargs["record"], text, self.kwargs["lang"], self.kwargs["file_category"])
