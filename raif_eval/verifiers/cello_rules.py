"""CELLO's criterion checks (Abbey4799/CELLO @ 5430aa1, ``code/scorers/*.py``), branch for branch.

Each record carries four criterion lists (``Answer_format``, ``Input_depdent_query`` [sic],
``Task_prescribed_phrases``, ``Count_limit``); an entry ``{"criterion": "NULL", ...}`` marks a list as not
applicable. One answer gets four scores in [0, 1] or ``None`` (upstream's ``nan``):

- format: mean of *resolve* (the whole answer parses as the requested type) and keyword coverage;
- input: keyword coverage × (1 − character BLEU against ``input_text``), i.e. use the input's facts, do not copy it;
- task: keyword coverage;
- count: mean of the word, sample, sentence and revise checks that apply.

Upstream's quirks are kept (noted where they happen). Two deliberate departures, neither of which moves the
official GPT-4 numbers: ``ast.literal_eval`` instead of ``eval`` for resolve, and a non-string answer scores 0 only
on the criteria that apply to its record (upstream zeroes all four, but its sample filter never lets such an answer
through).

The verifiers at the end put these checks in the registry: the four criteria (``cello:format`` … ``cello:count``,
graded) for the benchmark, and two all-or-nothing rule types for training data (``cello:keywords``: every
prescribed phrase present; ``cello:word_count``: a CJK-character limit met).
"""

from __future__ import annotations

import math
import re
import string
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from raif_eval.core import hostile
from raif_eval.verifiers.base import Verifier

NULL = "NULL"
WORD_KINDS = ("word-max", "word-min", "word-exact", "word-min-max")
SAMPLE_KINDS = ("sample-table", "sample-min", "sample-number")  # sample-exact / sample-mins: never implemented
SENTENCE_KINDS = ("sentence-max", "sentence-min", "sentence-min-max", "sentence-exact")
RESOLVE_TYPES = {"json": dict, "dict": dict, "list": list, "tuple": tuple}

_CJK = re.compile("[\u4e00-\u9fa5]")
# upstream counts re.findall(r"[^。！？；\n]+[。！？；\n]"): each match is a run of other characters and the mark
# that ends it, so the count is that of marks right after another character — the same number, found without
# upstream's rescan to the end of the text from every character (minutes on 256 KB without a mark)
_ZH_SENTENCE = re.compile(r"[^。！？；\n][。！？；\n]")
_NUMBER = re.compile(r"\d+")

Criteria = Sequence[Mapping[str, Any]]


def _lookup(criteria: Criteria, kinds: Sequence[str]) -> Mapping[str, Any] | None:
    """Upstream's lookup: the first entry of a wanted kind, or None when a NULL entry (or nothing) comes first."""
    for entry in criteria:
        if entry["criterion"] in kinds:
            return entry
        if entry["criterion"] == NULL:
            return None
    return None


def nanmean(values: Iterable[float | None]) -> float | None:
    """np.nanmean with None for "no value"; sums in order, as numpy does here (same floats, not just close)."""
    kept = [v for v in values if v is not None and not math.isnan(v)]
    if not kept:
        return None
    total = 0.0
    for v in kept:
        total += v
    return total / len(kept)


def _keywords(criteria: Criteria) -> Sequence[str] | str | None:
    entry = _lookup(criteria, ("keywords",))
    if entry is None:
        if not any(e["criterion"] == NULL for e in criteria):
            raise ValueError(f"CELLO keyword list without keywords or NULL entry: {criteria!r}")  # upstream asserts
        return None
    keywords = entry["limit"]
    if isinstance(keywords, float) or len(keywords) == 0:
        raise ValueError(f"CELLO keyword entry without keywords: {entry!r}")
    return keywords


def cover(answer: str, keywords: Sequence[str] | str) -> float:
    """Share of keywords found in the answer: plain, case-sensitive ``in``. Two records give a string instead of a
    list (Planning #5, meta_prompt #9); upstream iterates it, so there each character counts as a keyword."""
    return sum(keyword in answer for keyword in keywords) / len(keywords)


def task_score(answer: Any, criteria: Criteria) -> float | None:
    keywords = _keywords(criteria)
    if keywords is None:
        return None
    return cover(answer, keywords) if isinstance(answer, str) else 0.0


def input_score(answer: Any, criteria: Criteria, input_text: Any) -> float | None:
    keywords = _keywords(criteria)
    if keywords is None:
        return None
    if not isinstance(answer, str):
        return 0.0
    value = cover(answer, keywords)
    if isinstance(input_text, str) and input_text != NULL:  # input_text is NaN on the tasks without an input
        value = (1 - char_bleu(answer, input_text)) * value
    return value


def char_bleu(candidate: str, reference: str) -> float:
    """Upstream's BLEU: nltk ``corpus_bleu`` on the raw strings, so its n-grams are characters; no smoothing."""
    from nltk.translate.bleu_score import corpus_bleu  # nltk's translate package pulls in scipy: import on use

    with warnings.catch_warnings():  # nltk warns on every zero n-gram overlap; the value (0) is what counts
        warnings.simplefilter("ignore")
        return corpus_bleu([[reference]], [candidate], weights=(0.25, 0.25, 0.25, 0.25))


def format_score(answer: Any, criteria: Criteria) -> float | None:
    # the keyword half is the same first-keywords-entry coverage as the task criterion
    return nanmean([resolve_score(answer, criteria), task_score(answer, criteria)])


def resolve_score(answer: Any, criteria: Criteria) -> float | None:
    """1 if the whole answer parses as the requested type, else 0; None without a resolve entry.

    Upstream ``eval()``s the answer for json/dict/list/tuple; ``ast.literal_eval`` accepts the same literals
    (so JSON ``true``/``false``/``null`` still fail) without running model output. A limit that is none of the six
    type names scores 0 (upstream falls through every branch): three records give ``["xml"]``, a list.
    """
    entry = _lookup(criteria, ("resolve",))
    if entry is None:
        return None
    if not isinstance(answer, str):
        return 0.0
    wanted = entry["limit"]
    try:
        if isinstance(wanted, str) and wanted in RESOLVE_TYPES:
            return float(isinstance(hostile.literal_eval(answer), RESOLVE_TYPES[wanted]))
        if wanted == "xml":
            ET.fromstring(answer)
            return 1.0
        if wanted == "yaml":
            yaml.safe_load(answer)
            return 1.0
    except Exception:  # upstream: bare except -> 0 (syntax errors, deep nesting, bad markup alike)
        return 0.0
    return 0.0


def count_score(answer: Any, criteria: Criteria, lang: str = "ch",
                previous: tuple[bool, Any] = (False, None)) -> float | None:
    """Mean of the word, sample, sentence and revise checks that apply. ``previous`` = (has a previous turn,
    its answer): upstream only tries revise when ``histories`` is non-empty."""
    return nanmean([word_score(answer, criteria, lang), sample_score(answer, criteria),
                     sentence_score(answer, criteria, lang), revise_score(answer, criteria, *previous)])


def _count_words(answer: str, lang: str) -> int:
    if lang == "ch":
        return len(_CJK.findall(answer))
    if lang == "eg":  # upstream's English count (no CELLO record uses it): tokens with a letter or digit
        valid = set(string.ascii_letters + string.digits)
        return sum(any(ch in valid for ch in word) for word in answer.split())
    return 0


def word_score(answer: Any, criteria: Criteria, lang: str = "ch") -> float | None:
    """word-max L: 1 if length <= L else max(1 - (length - L)/length, 0); word-min L: 1 if length >= L else
    length/L; word-exact and word-min-max are recognised but always pass. Length = CJK characters."""
    entry = _lookup(criteria, WORD_KINDS)
    if entry is None:
        return None
    if not isinstance(answer, str):
        return 0.0
    mode, limit, length = entry["criterion"], entry["limit"], _count_words(answer, lang)
    if mode == "word-max" and length > limit:
        return float(max(1 - abs(limit - length) / length, 0))
    if mode == "word-min" and length < limit:
        return float(max(length / limit, 0))
    return 1.0


def sample_score(answer: Any, criteria: Criteria) -> float | None:
    """The best of the sample checks, walking every entry as upstream does.

    Quirks kept: any NULL entry makes it None; a non-sample entry before the first sample entry makes it None
    (e.g. sample-exact then sample-number); a non-sample entry after one re-runs the previous sample check;
    sample-table cuts the answer to its table span, and later checks see the cut answer.
    """
    if not criteria:
        return None  # upstream would fail on max([]); no record has an empty list
    text, mode, limit, results = answer, None, None, []
    for entry in criteria:
        if entry["criterion"] in SAMPLE_KINDS:
            mode, limit = entry["criterion"], entry["limit"]
        elif entry["criterion"] == NULL:
            return None
        if mode is None:
            return None
        if isinstance(text, str):
            value, text = _sample_check(mode, limit, text)
            results.append(value)
    return float(max(results)) if isinstance(answer, str) else 0.0


def _sample_check(mode: str, limit: Any, text: str) -> tuple[float, str]:
    """One sample check: (score, the answer as later checks see it)."""
    if mode == "sample-min":  # limit = [[substring, minimum count], ...]
        return sum(text.count(sub) >= n for sub, n in limit) / len(limit), text
    if mode == "sample-table":  # N rows: the span from the first to the last "|" holds exactly N + 1 newlines
        if "|" not in text:
            return 0.0, text
        text = text[text.index("|"):text.rfind("|") + 1]
        return float(text.count("\n") == limit + 1), text
    # sample-number N: over the distinct numbers written, one equals N and none exceeds it
    numbers = [_to_int(s) for s in set(_NUMBER.findall(text))]
    return float(limit in numbers and all(n <= limit for n in numbers)), text


def _to_int(digits: str) -> float:
    try:
        return int(digits)  # \d also matches non-ASCII decimal digits, which int() reads as upstream did
    except ValueError:  # over Python's int-string length limit: far above any count limit
        return math.inf


def sentence_score(answer: Any, criteria: Criteria, lang: str = "ch") -> float | None:
    """sentence-exact: 1 iff the sentence count equals the limit; sentence-min: min(count/L, 1);
    sentence-min-max: 1 iff within. sentence-max is always None: upstream overwrites its score with nan."""
    entry = _lookup(criteria, SENTENCE_KINDS)
    if entry is None or entry["criterion"] == "sentence-max":
        return None
    if not isinstance(answer, str):
        return 0.0
    mode, limit = entry["criterion"], entry["limit"]
    if lang == "ch":
        count = len(_ZH_SENTENCE.findall(answer))
    elif lang == "eg":
        import nltk  # only upstream's English path needs the punkt tokenizer

        count = len(nltk.sent_tokenize(answer))
    else:
        count = 0
    if mode == "sentence-min":
        return 1.0 if count >= limit else float(max(count / limit, 0))
    if mode == "sentence-min-max":
        return float(limit[0] <= count <= limit[1])
    return float(count == limit)  # sentence-exact


def revise_score(answer: Any, criteria: Criteria, has_previous: bool, previous: Any) -> float | None:
    """``longer``: 1 iff len(answer) >= len(previous answer); ``shorter``: 1 iff <=. None without a revise entry
    or without a previous turn (upstream checks ``len(histories) > 0`` first)."""
    entry = _lookup(criteria, ("revise",)) if has_previous else None
    if entry is None:
        return None
    if entry["limit"] not in ("longer", "shorter"):
        raise ValueError(f"CELLO revise limit must be 'longer' or 'shorter': {entry!r}")  # upstream asserts
    if not isinstance(answer, str) or not isinstance(previous, str):
        return 0.0
    if entry["limit"] == "longer":
        return float(len(answer) >= len(previous))
    return float(len(answer) <= len(previous))


# --- the registry's CELLO verifiers ---------------------------------------------------------------------------

# The four criteria take the record's list (``criteria``) and score an answer in [0, 1], None if the list does not
# apply.

class CelloFormat(Verifier):
    id = "cello:format"

    def check(self, text: Any) -> float | None:
        return format_score(text, self.kwargs["criteria"])


class CelloInput(Verifier):
    id = "cello:input"

    def check(self, text: Any) -> float | None:
        return input_score(text, self.kwargs["criteria"], self.kwargs.get("input_text"))


class CelloTask(Verifier):
    id = "cello:task"

    def check(self, text: Any) -> float | None:
        return task_score(text, self.kwargs["criteria"])


class CelloCount(Verifier):
    """``previous``: (whether there is a previous answer, that answer), for the revise check."""

    id = "cello:count"

    def check(self, text: Any) -> float | None:
        return count_score(text, self.kwargs["criteria"], self.kwargs.get("lang", "ch"),
                           self.kwargs.get("previous", (False, None)))


class CelloKeywords(Verifier):
    """CELLO's task-prescribed phrases, all of them present as written (``keywords``)."""

    id, group, languages = "cello:keywords", "phrases", ("en", "zh")
    taxonomy_type = "lexical"

    def check(self, text: Any) -> bool:
        return cover(text, self.kwargs["keywords"]) == 1.0

    @classmethod
    def sample(cls, rng, lang, words):
        return {"keywords": [rng.choice(words["phrases"])]}

    def describe(self, lang):
        phrase = self.kwargs["keywords"][0]
        return f"Use the phrase \"{phrase}\" somewhere in the response." if lang == "en" else f"回答中要用到“{phrase}”一词。"

    def example(self, ok, lang):
        phrase = self.kwargs["keywords"][0]
        return (f"{phrase}: the text." if lang == "en" else f"{phrase}，这是正文。") if ok else (
            "Just the text." if lang == "en" else "只有正文。")


class CelloWordCount(Verifier):
    """CELLO's count limit: Chinese characters, at most (``word-max``) or at least (``word-min``) ``limit``."""

    id, group, languages = "cello:word_count", "length", ("zh",)
    taxonomy_type = "length"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if kwargs.get("criterion") not in ("word-max", "word-min"):
            raise ValueError(f"cello:word_count takes word-max or word-min, not {kwargs.get('criterion')!r}")

    def check(self, text: Any) -> bool:
        entry = {"criterion": self.kwargs["criterion"], "limit": self.kwargs["limit"]}
        return word_score(text, [entry]) == 1.0

    @classmethod
    def sample(cls, rng, lang, words):
        if rng.random() < 0.5:
            return {"criterion": "word-min", "limit": rng.choice([50, 100, 150])}
        return {"criterion": "word-max", "limit": rng.choice([300, 500])}

    def describe(self, lang):
        limit = self.kwargs["limit"]
        return f"回答不少于{limit}个汉字。" if self.kwargs["criterion"] == "word-min" else f"回答不超过{limit}个汉字。"

    def example(self, ok, lang):
        limit, at_least = self.kwargs["limit"], self.kwargs["criterion"] == "word-min"
        return "字" * (limit if ok else (limit - 5 if at_least else limit + 5))


VERIFIERS = (CelloFormat, CelloInput, CelloTask, CelloCount, CelloKeywords, CelloWordCount)
