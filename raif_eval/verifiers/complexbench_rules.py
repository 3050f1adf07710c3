"""ComplexBench's rule-checked scoring questions, scored as upstream's ``rule_based_evaluation.py`` does.

A question with a ``rule`` is scored in two steps (spec ``complexbench.md`` §3): an LLM extractor copies the
span(s) of the response the question is about, :func:`spans_from_extraction` turns its reply into a span list
(upstream ``preprocess``), and :func:`check` applies the rule to the spans (upstream ``con_rule.decompose_judge``).
The result is ``True``/``False``, or :data:`UNKNOWN` (the integer 2) for a rule no branch recognises. 2 is passed
on as it is: the aggregation (not this module) counts it as a fail in DRFR and the category rates (``== True``)
and as a pass in the per-dimension tables (truthy), and it never zeroes dependants (spec §6 trap 2).

Dispatch is on substrings of the rule, first match wins, in upstream's order: the ``model_*`` families work on the
whole span list (``_each`` ones on every non-empty span), every other rule on the first span only, tried once with
leading newlines and one pair of surrounding quotes/backticks removed and once as is (either passing is a pass).

Behaviour kept on purpose, because it decides scores:

- Span lists: only ``[]`` and ``[""]`` count as "no span" (forbidden-word and "not" families pass, the others
  fail); ``_each`` families skip empty spans, so ``["", ""]`` passes them. ``model_number_each`` counts empty
  spans too.
- ASCII punctuation is mapped to full-width forms (``,.:;?!()`` …, and curly double quotes to ``"``) in keywords
  and targets always, but in spans only where upstream does it: not for ``model_keyword``,
  ``model_keyword_num[_each]``, ``model_forbidden_word``, ``model_constraint_punc`` and ``Json:``. So an ASCII
  ``,`` in those spans neither matches a keyword ``,`` nor breaks a punctuation limit.
- List parameters are split on ASCII ``,``, so an ASCII comma can never be listed (``[,]`` lists ``""`` twice).
- ``startswith`` is a plain prefix test (upstream's extra ``target + "。"``/``"？"`` tries are implied by it);
  ``endswith``/``not endswith`` accept the target followed by ``。`` or ``？``. ``match:`` compares the mapped
  span with the unmapped target (+ ``。``), so a target with ASCII punctuation never matches.
- Substring dispatch reads ``not startswith:X`` as ``startswith:X`` and ``not_endswith:X`` as ``endswith:X``.
- ``model_endswith_each`` ignores the last span when there are several.
- ``model_constraint_punc`` (one span) tries only the unwrapped span; the ``_each`` form tries both.
- ``model_keyword_num_each`` keeps spaces around its keywords (``[1,2,a, b]`` looks for ``" b"``), as do the
  forbidden words of its combination with ``model_forbidden_word_each``, where ``[]`` forbids ``""``, i.e. always
  fails; ``model_forbidden_word[_each]:[]`` likewise fails every non-empty span.
- First-span rules treat a span that contains ``None`` like an empty one.
- ``Json:[keys]``: the first balanced ``{…}`` (braces counted inside strings too) must parse to a dict with
  exactly the listed non-empty keys; ``Json:[]`` accepts any dict.

Deliberate differences, none of which changes a verdict upstream produces: bounds and key lists are read with
``ast.literal_eval`` instead of ``eval``; a rule whose parameters cannot be read raises :class:`ValueError` where
upstream raises ``IndexError``/``AttributeError``/``NameError`` (a bounds list shorter than two raises
``IndexError`` when its upper bound is needed, as upstream; a parameter upstream never reads is not read here
either); unwrapping a span made only of newlines gives ``""`` where upstream crashes with ``IndexError``; the
caller's span list is not modified.
"""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from raif_eval.verifiers.base import Verifier

UNKNOWN = 2  # upstream's verdict for a rule it does not recognise

# --- extractor reply → spans (upstream `rule_based_evaluation.preprocess`) -------------------------------------

SPANS_MARKER = "【模型回复中评分问题的评测对象】\n"
NOTE_CUTS = ("\n\n请注意", "\n\n**注意", "\n\n注意")  # each cut at its last occurrence, in this order
SPAN_LABELS = ("评分对象：", "评测对象：", "：")  # the first one present is cut at its last occurrence
SPAN_SEPARATOR = "||"


def spans_from_extraction(reply: str | None, response: str | None) -> list[str]:
    """The spans an extractor ``reply`` names in ``response``.

    ``response`` is the full model response (upstream pairs the reply with the untruncated ``generated`` text,
    although the extractor only saw its first 4,000 characters), so ``all`` gives ``[response]`` whatever its
    length. A null reply or a null response gives ``[]``; so does ``"None"``, which upstream stores as the reply
    after 30 failed extraction attempts.
    """
    if reply is None or response is None:
        return []
    text = reply.rsplit(SPANS_MARKER, 1)[-1]
    for cut in NOTE_CUTS:
        text = text.rsplit(cut, 1)[0]
    for label in SPAN_LABELS:
        if label in text:
            text = text.rsplit(label, 1)[1]
            break
    if text.startswith("all"):
        return [response]
    if "None" in text:
        return []
    return [part.strip() for part in text.split(SPAN_SEPARATOR)]


# --- text helpers ---------------------------------------------------------------------------------------------

# Upstream `extract_and_replace_punctuation_zh`: its table maps the other ASCII marks to themselves.
_FULL_WIDTH = str.maketrans({
    "!": "！", "#": "＃", "$": "＄", "%": "％", "&": "＆", "(": "（", ")": "）", "*": "＊", ",": "，", ".": "。",
    ":": "：", ";": "；", "?": "？", "\\": "＼", "^": "＾", "“": '"', "”": '"',
})
# The 32 marks `constraint_punc` looks for: string.punctuation after the mapping.
_PUNCTUATION_MARKS = tuple(p.translate(_FULL_WIDTH) for p in string.punctuation)
_END_SUFFIXES = ("", "。", "？")


def full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def unwrap(span: str) -> str:
    """Upstream ``decom``: drop leading newlines, then one pair of surrounding quotes or backticks."""
    span = span.lstrip("\n")
    if span and span[0] in '"“`' and span[-1] in '"”`':
        return span[1:-1]
    return span


def first_json_object(text: str) -> str:
    """The first balanced ``{…}`` of ``text`` (braces are counted everywhere, strings included), or ``""``."""
    depth = start = 0
    for i, char in enumerate(text):
        if char == "{":
            if depth == 0:
                start = i
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return ""


def _has_all(text: str, words: Sequence[str]) -> bool:
    return all(full_width(w) in text for w in words)


def _has_none(text: str, words: Sequence[str]) -> bool:
    return not any(full_width(w) in text for w in words)


def _n_present(text: str, words: Sequence[str]) -> int:
    return sum(full_width(w) in text for w in words)


def _starts(text: str, target: str) -> bool:
    return text.startswith(full_width(target))


def _ends(text: str, target: str) -> bool:
    target = full_width(target)
    return text.endswith(tuple(target + suffix for suffix in _END_SUFFIXES))


def _within(n: int, bounds: Sequence[Any]) -> bool:
    return bounds[0] <= n <= bounds[1]  # the upper bound is read only when the lower one holds, as upstream


def _n_words(text: str) -> int:
    return len(text.split())


def _punctuation_allowed(text: str, allowed: Sequence[str]) -> bool:
    allowed = [full_width(p) for p in allowed]
    return all(mark not in text or mark in allowed for mark in _PUNCTUATION_MARKS)


def _json_with_keys(text: str, keys: Sequence[Any]) -> bool:
    wanted = [k for k in keys if k != ""]
    try:
        obj = json.loads(first_json_object(text))
        if type(obj) is not dict or any(k not in obj for k in wanted):
            return False
        return not wanted or len(obj) == len(wanted)
    except (ValueError, TypeError, RecursionError):  # upstream: bare `except`
        return False


# --- reading rule parameters ----------------------------------------------------------------------------------

def _malformed(rule: str) -> ValueError:
    return ValueError(f"ComplexBench rule with unreadable parameters: {rule!r}")


def _arg(rule: str, name: str, *, listed: bool = True, dotall: bool = False) -> str:
    """The parameter after ``name:`` up to the end of the rule (upstream's per-family regexes and ``findall``)."""
    value = r"(\[.*?\])" if listed else r"(.*?)"
    found = re.findall(rf"{name}:{value}$", rule, re.DOTALL if dotall else 0)
    if not found:
        raise _malformed(rule)
    return found[0]


def _args(rule: str, pattern: str) -> tuple[str, str]:
    """The two parameters of a two-line combination rule."""
    match = re.search(pattern, rule, re.DOTALL)
    if match is None:
        raise _malformed(rule)
    return match.group(1), match.group(2)


def _items(arg: str, *, strip: bool = True) -> list[str]:
    parts = arg.strip("[]").split(",")
    return [p.strip() for p in parts] if strip else parts


def _literal(arg: str, rule: str) -> Any:
    try:
        return ast.literal_eval(arg)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise _malformed(rule) from exc


def _bounds(arg: str, rule: str) -> Sequence[Any]:
    bounds = _literal(arg, rule)
    if not isinstance(bounds, list):
        raise _malformed(rule)
    return bounds


def _count_range(items: list[str], rule: str) -> tuple[int, int, list[str]]:
    """``[L,R,k1,…]``: how many of the keywords must be present."""
    if len(items) < 2:
        raise _malformed(rule)
    return int(items[0]), int(items[1]), items[2:]


# --- model_* families (the whole span list) -------------------------------------------------------------------

Spans = Sequence[str]
_KEYWORD_NUM_AND_FORBIDDEN_EACH = r"model_keyword_num_each:(\[.*?\])\nmodel_forbidden_word_each:(\[.*?\])$"
_STARTSWITH_AND_ENDSWITH = r"model_startswith:(.*?)\nmodel_endswith:(.*?)$"


def _every(spans: Spans, passes: Callable[[str], bool]) -> bool:
    """An ``_each`` family: every non-empty span passes (all are checked, as upstream, which matters only for
    which malformed rules raise)."""
    return all([passes(span) for span in spans if span != ""])


def _all_empty(spans: Spans) -> bool:
    """Some ``_each`` families read their parameter only when they meet a non-empty span."""
    return all(span == "" for span in spans)


def _keyword_each(rule: str, spans: Spans) -> bool:
    if _all_empty(spans):
        return True
    words = _items(_arg(rule, "model_keyword_each"))
    return _every(spans, lambda s: _has_all(full_width(s), words))


def _keyword_num_and_forbidden_each(rule: str, spans: Spans) -> bool:
    counted, forbidden = _args(rule, _KEYWORD_NUM_AND_FORBIDDEN_EACH)
    lo, hi, words = _count_range(_items(counted, strip=False), rule)
    banned = _items(forbidden, strip=False)
    return _every(spans, lambda s: lo <= _n_present(s, words) <= hi and _has_none(s, banned))


def _keyword_num_each(rule: str, spans: Spans) -> bool:
    counted = _arg(rule, "model_keyword_num_each", dotall=True)
    lo, hi, words = _count_range(_items(counted, strip=False), rule)
    return _every(spans, lambda s: lo <= _n_present(s, words) <= hi)


def _keyword_num(rule: str, spans: Spans) -> bool:
    lo, hi, words = _count_range(_items(_arg(rule, "model_keyword_num")), rule)
    return lo <= _n_present(spans[0], words) <= hi


def _keyword(rule: str, spans: Spans) -> bool:
    return _has_all(spans[0], _items(_arg(rule, "model_keyword")))


def _forbidden_word_each(rule: str, spans: Spans) -> bool:
    if _all_empty(spans):
        return True
    words = _items(_arg(rule, "model_forbidden_word_each"))
    return _every(spans, lambda s: _has_none(full_width(s), words))


def _forbidden_word(rule: str, spans: Spans) -> bool:
    return _has_none(spans[0], _items(_arg(rule, "model_forbidden_word")))


def _number_each(rule: str, spans: Spans) -> bool:
    return _within(len(spans), _bounds(_arg(rule, "model_number_each"), rule))


def _length_each(rule: str, spans: Spans) -> bool:
    bounds = _bounds(_arg(rule, "model_length_each"), rule)
    return _every(spans, lambda s: _within(len(s), bounds) or _within(len(unwrap(s)), bounds))


def _length_word_each(rule: str, spans: Spans) -> bool:
    bounds = _bounds(_arg(rule, "model_length_word_each"), rule)
    return _every(spans, lambda s: _within(_n_words(s), bounds) or _within(_n_words(unwrap(s)), bounds))


def _length_word(rule: str, spans: Spans) -> bool:
    bounds = _bounds(_arg(rule, "model_length_word"), rule)
    return _within(_n_words(spans[0]), bounds) or _within(_n_words(unwrap(spans[0])), bounds)


def _length(rule: str, spans: Spans) -> bool:
    bounds = _bounds(_arg(rule, "model_length"), rule)
    return _within(len(unwrap(spans[0])), bounds) or _within(len(spans[0]), bounds)


def _startswith_each(rule: str, spans: Spans) -> bool:
    if _all_empty(spans):
        return True
    target = _arg(rule, "model_startswith_each", listed=False, dotall=True)
    return _every(spans, lambda s: _starts(full_width(s), target))


def _starts_with_list_each(rule: str, spans: Spans) -> bool:
    targets = _items(_arg(rule, "model_starts_with_list_each"))
    if len(spans) != len(targets):
        return False
    return all(_starts(full_width(s), t) for s, t in zip(spans, targets) if s != "")


def _startswith_and_endswith(rule: str, spans: Spans) -> bool:
    start, end = _args(rule, _STARTSWITH_AND_ENDSWITH)
    span = full_width(spans[0])
    return _starts(span, start) and _ends(span, end)


def _startswith(rule: str, spans: Spans) -> bool:
    return _starts(full_width(spans[0]), _arg(rule, "model_startswith", listed=False, dotall=True))


def _endswith_each(rule: str, spans: Spans) -> bool:
    checked = spans if len(spans) == 1 else spans[:-1]  # upstream drops the last of several spans
    if _all_empty(checked):
        return True
    target = _arg(rule, "model_endswith_each", listed=False, dotall=True)
    return _every(checked, lambda s: _ends(unwrap(full_width(s)), target) or _ends(full_width(s), target))


def _endswith(rule: str, spans: Spans) -> bool:
    return _ends(full_width(spans[0]), _arg(rule, "model_endswith", listed=False, dotall=True))


def _constraint_punc_each(rule: str, spans: Spans) -> bool:
    if _all_empty(spans):
        return True
    allowed = _items(_arg(rule, "model_constraint_punc_each"))
    return _every(spans, lambda s: _punctuation_allowed(unwrap(full_width(s)), allowed)
                  or _punctuation_allowed(full_width(s), allowed))


def _constraint_punc(rule: str, spans: Spans) -> bool:
    return _punctuation_allowed(unwrap(spans[0]), _items(_arg(rule, "model_constraint_punc")))


def _not_startswith(rule: str, spans: Spans) -> bool:
    return not _starts(full_width(spans[0]), _arg(rule, "model_not_startswith", listed=False, dotall=True))


def _not_endswith_each(rule: str, spans: Spans) -> bool:
    if _all_empty(spans):
        return True
    target = _arg(rule, "model_not_endswith_each", listed=False, dotall=True)
    return _every(spans, lambda s: not _ends(full_width(s), target))


def _not_endswith(rule: str, spans: Spans) -> bool:
    return not _ends(full_width(spans[0]), _arg(rule, "model_not_endswith", listed=False, dotall=True))


# --- first-span rules (upstream `rule`) --------------------------------------------------------------------------

def _first_keyword_and_forbidden(rule: str, span: str) -> bool:
    words, banned = _items(_arg(rule, "keyword")), _items(_arg(rule, "forbidden_word"))
    return _has_all(full_width(span), words) and _has_none(full_width(span), banned)


def _first_keyword(rule: str, span: str) -> bool:
    return _has_all(full_width(span), _items(_arg(rule, "keyword")))


def _first_match(rule: str, span: str) -> bool:
    target = _arg(rule, "match", listed=False)
    # The "." form can never match: the span has been mapped to full width. Kept as upstream writes it.
    return full_width(span) in (target, target + "。", target + ".")


def _first_constraint_punc(rule: str, span: str) -> bool:
    return _punctuation_allowed(full_width(span), _items(_arg(rule, "constraint_punc")))


def _first_forbidden_word(rule: str, span: str) -> bool:
    return _has_none(full_width(span), _items(_arg(rule, "forbidden_word")))


def _first_startswith_and_endswith(rule: str, span: str) -> bool:
    start, end = _args(rule, r"startswith:(.*?)\nendswith:(.*?)$")
    return _starts(full_width(span), start) and _ends(full_width(span), end)


def _first_startswith(rule: str, span: str) -> bool:
    return _starts(full_width(span), _arg(rule, "startswith", listed=False, dotall=True))


def _first_not_endswith(rule: str, span: str) -> bool:
    return not _ends(full_width(span), _arg(rule, "not endswith", listed=False, dotall=True))


def _first_endswith(rule: str, span: str) -> bool:
    return _ends(full_width(span), _arg(rule, "endswith", listed=False, dotall=True))


def _first_length_word(rule: str, span: str) -> bool:
    return _within(_n_words(span), _bounds(_arg(rule, "length_word", dotall=True), rule))


def _first_length(rule: str, span: str) -> bool:
    return _within(len(span), _bounds(_arg(rule, "length", dotall=True), rule))


def _first_json(rule: str, span: str) -> bool:
    return _json_with_keys(span, _literal(_arg(rule.strip(), "Json", dotall=True), rule))


# --- dispatch ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Family:
    needs: tuple[str, ...]  # the rule must contain all of these
    check: Callable[[str, Any], bool]
    if_empty: bool = False  # the verdict without a span
    unless: str | None = None  # ... and must not contain this

    def applies(self, rule: str) -> bool:
        return all(n in rule for n in self.needs) and not (self.unless and self.unless in rule)


# Upstream `decompose_judge`, in order. Checked with the span list, unless it is [] or [""].
MODEL_FAMILIES = (
    _Family(("model_keyword_each",), _keyword_each),
    _Family(("model_keyword_num_each", "model_forbidden_word_each"), _keyword_num_and_forbidden_each),
    _Family(("model_keyword_num_each",), _keyword_num_each),
    _Family(("model_keyword_num",), _keyword_num),
    _Family(("model_keyword",), _keyword),
    _Family(("model_forbidden_word_each",), _forbidden_word_each, if_empty=True),
    _Family(("model_forbidden_word",), _forbidden_word, if_empty=True),
    _Family(("model_number_each",), _number_each),
    _Family(("model_length_each",), _length_each),
    _Family(("model_length_word_each",), _length_word_each),
    _Family(("model_length_word",), _length_word),
    _Family(("model_length:",), _length),
    _Family(("model_startswith_each",), _startswith_each),
    _Family(("model_starts_with_list_each",), _starts_with_list_each),
    _Family(("model_startswith", "model_endswith"), _startswith_and_endswith),
    _Family(("model_startswith",), _startswith),
    _Family(("model_endswith_each",), _endswith_each),
    _Family(("model_endswith",), _endswith),
    _Family(("model_constraint_punc_each",), _constraint_punc_each),
    _Family(("model_constraint_punc",), _constraint_punc),
    _Family(("model_not_startswith",), _not_startswith, if_empty=True),
    _Family(("model_not_endswith_each",), _not_endswith_each, if_empty=True),
    _Family(("model_not_endswith",), _not_endswith, if_empty=True),
)

# Upstream `rule`, in order. Checked with the first span, unless it is "" or contains "None".
FIRST_SPAN_FAMILIES = (
    _Family(("keyword", "forbidden_word"), _first_keyword_and_forbidden),
    _Family(("keyword",), _first_keyword, unless="keyword_num"),
    _Family(("match",), _first_match),
    _Family(("constraint_punc",), _first_constraint_punc),
    _Family(("forbidden_word",), _first_forbidden_word, if_empty=True),
    _Family(("startswith", "endswith"), _first_startswith_and_endswith),
    _Family(("startswith",), _first_startswith),
    _Family(("not endswith",), _first_not_endswith, if_empty=True),
    _Family(("endswith",), _first_endswith),
    _Family(("length_word:",), _first_length_word),
    _Family(("length:",), _first_length),
    _Family(("Json",), _first_json),
)


def _family(families: Sequence[_Family], rule: str) -> _Family | None:
    return next((f for f in families if f.applies(rule)), None)


def _first_span_verdict(family: _Family, rule: str, span: str) -> bool:
    if span == "" or "None" in span:
        return family.if_empty
    return family.check(rule, span)


def check(rule: str, spans: Sequence[str]) -> bool | int:
    """Upstream ``decompose_judge(rule, spans)``: True, False, or :data:`UNKNOWN` for an unrecognised rule."""
    spans = list(spans)
    family = _family(MODEL_FAMILIES, rule)
    if family is not None:
        if len(spans) == 0 or spans == [""]:
            return family.if_empty
        return family.check(rule, spans)
    if "model" in rule or "each" in rule:
        return UNKNOWN
    family = _family(FIRST_SPAN_FAMILIES, rule)
    if family is None:
        return UNKNOWN
    if not spans:
        return _first_span_verdict(family, rule, "")
    return (_first_span_verdict(family, rule, unwrap(spans[0]))
            or _first_span_verdict(family, rule, spans[0]))


# --- the registry's ComplexBench verifier ----------------------------------------------------------------------

class ComplexBenchRule(Verifier):
    """A ComplexBench rule string (``rule``, e.g. ``model_length:[50,200]``). The benchmark applies it to the
    spans an extractor names (:meth:`verdict`, three-valued, as upstream); as a training constraint it checks the
    whole response (:meth:`check`)."""

    id = "complexbench:rule"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = kwargs["rule"]

    def verdict(self, spans: Sequence[str]) -> bool | int:
        return check(self.rule, spans)

    def check(self, text: Any) -> bool:
        return check(self.rule, [text]) is True


class TrainingRule(ComplexBenchRule):
    """The training reading: an unreadable rule fails when the verifier is built (a bad training row
    shows up at once, not as a crash in the middle of training)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check(self.rule, ["probe"])


def _listed(rule: str) -> list[str]:
    return rule.split(":", 1)[1].strip("[]").split(",")


class CharLength(TrainingRule):
    """The character-length rule (counts characters, so it suits Chinese)."""

    name, group, languages = "length", "length", ("en", "zh")
    taxonomy_type = "length"

    @classmethod
    def sample(cls, rng, lang, words):
        low = rng.choice([100, 150, 200])
        return {"rule": f"model_length:[{low},{low * 4}]"}

    def describe(self, lang):
        low, high = _listed(self.rule)
        return (f"The response must be between {low} and {high} characters long." if lang == "en"
                else f"回答的长度在{low}到{high}个字符之间。")

    def example(self, ok, lang):
        low, high = (int(x) for x in _listed(self.rule))
        return ("字" if lang == "zh" else "a") * (low if ok else high + 1)


class Opening(TrainingRule):
    """The starts-with rule (the phrase carries no ASCII punctuation, which the rule would remap)."""

    name, group, languages = "opening", "start", ("en", "zh")
    taxonomy_type = "format"

    @classmethod
    def sample(cls, rng, lang, words):
        return {"rule": f"model_startswith:{rng.choice(words['openings'])}"}

    def describe(self, lang):
        phrase = self.rule.split(":", 1)[1]
        return f"Begin your response with \"{phrase}\"." if lang == "en" else f"回答以“{phrase}”开头。"

    def example(self, ok, lang):
        phrase = self.rule.split(":", 1)[1]
        tail = " and the rest." if lang == "en" else "，后面是正文。"
        return phrase + tail if ok else ("Some words, then " if lang == "en" else "一些文字，然后") + phrase


class ForbiddenWordsZh(TrainingRule):
    """The forbidden-word rule: plain substring matching, which works for Chinese."""

    name, group, languages = "forbidden", "forbidden", ("zh",)
    taxonomy_type = "lexical"

    @classmethod
    def sample(cls, rng, lang, words):
        return {"rule": f"model_forbidden_word:[{','.join(rng.sample(words['forbidden'], 2))}]"}

    def describe(self, lang):
        return "回答中不要出现" + "或".join(f"“{w}”" for w in _listed(self.rule)) + "。"

    def example(self, ok, lang):
        word = _listed(self.rule)[0]
        return "这是一段平实的文字。" if ok else f"这段文字{word}很平实。"
