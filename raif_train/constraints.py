"""Verifiable rule constraints for data synthesis: one small class per type, a registry from id to class.

Each type samples its parameters (``build``), says them in English or Chinese (``describe``) and can write a
response that satisfies or violates it (``example``, for tests). The *checking* is not here: every id is checked
by the ``training`` profile of raif-eval's IFEval verifier module (:func:`raif_eval.benchmarks.ifeval.score`), the
same code the rewards run. Types that do not work for a language (word counts and ``\\b`` matching on Chinese) are
not offered for it; ``group`` keeps two constraints on the same aspect (two length limits) out of one record.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from raif_train import bank as banks


class Constraint:
    id: ClassVar[str]
    group: ClassVar[str]
    languages: ClassVar[tuple[str, ...]] = ("en", "zh")

    def build(self, rng: random.Random, lang: str) -> dict[str, Any]:
        return {}

    def describe(self, kwargs: dict[str, Any], lang: str) -> str:
        raise NotImplementedError

    def example(self, kwargs: dict[str, Any], ok: bool, lang: str) -> str:
        raise NotImplementedError


def _words(lang: str, key: str) -> list[str]:
    return banks.load()[lang][key]


class Keywords(Constraint):
    id, group = "keywords:existence", "keywords"

    def build(self, rng, lang):
        return {"keywords": rng.sample(_words(lang, "keywords"), 2)}

    def describe(self, kwargs, lang):
        a, b = kwargs["keywords"]
        return f"Include the keywords \"{a}\" and \"{b}\"." if lang == "en" else f"回答中必须包含关键词“{a}”和“{b}”。"

    def example(self, kwargs, ok, lang):
        a, b = kwargs["keywords"]
        if lang == "en":
            return f"A short note about the {a} and the {b}." if ok else "A short note about nothing in particular."
        return f"这是一段关于{a}和{b}的说明。" if ok else "这是一段普通的说明。"


class ForbiddenWords(Constraint):
    id, group, languages = "keywords:forbidden_words", "forbidden", ("en",)

    def build(self, rng, lang):
        return {"forbidden_words": rng.sample(_words(lang, "forbidden"), 2)}

    def describe(self, kwargs, lang):
        return "Do not use the words " + " or ".join(f"\"{w}\"" for w in kwargs["forbidden_words"]) + "."

    def example(self, kwargs, ok, lang):
        return "A plain and careful sentence." if ok else f"This is {kwargs['forbidden_words'][0]} a sentence."


class ForbiddenWordsZh(Constraint):
    """ComplexBench's forbidden-word rule: plain substring matching, which works for Chinese."""

    id, group, languages = "complexbench:rule", "forbidden", ("zh",)
    name = "forbidden"

    def build(self, rng, lang):
        words = rng.sample(_words(lang, "forbidden"), 2)
        return {"rule": f"model_forbidden_word:[{','.join(words)}]"}

    def describe(self, kwargs, lang):
        words = kwargs["rule"].split(":", 1)[1].strip("[]").split(",")
        return "回答中不要出现" + "或".join(f"“{w}”" for w in words) + "。"

    def example(self, kwargs, ok, lang):
        word = kwargs["rule"].split(":", 1)[1].strip("[]").split(",")[0]
        return "这是一段平实的文字。" if ok else f"这段文字{word}很平实。"


class KeywordFrequency(Constraint):
    id, group, languages = "keywords:frequency", "frequency", ("en",)

    def build(self, rng, lang):
        return {"keyword": rng.choice(_words(lang, "keywords")), "frequency": rng.choice([2, 3]),
                "relation": "at least"}

    def describe(self, kwargs, lang):
        return f"Use the word \"{kwargs['keyword']}\" at least {kwargs['frequency']} times."

    def example(self, kwargs, ok, lang):
        n = kwargs["frequency"] if ok else kwargs["frequency"] - 1
        return " ".join([f"The {kwargs['keyword']}."] * n) + " The end."


class WordCount(Constraint):
    id, group, languages = "length_constraints:number_words", "length", ("en",)

    def build(self, rng, lang):
        if rng.random() < 0.5:
            return {"num_words": rng.choice([50, 80, 120]), "relation": "at least"}
        return {"num_words": rng.choice([200, 300]), "relation": "less than"}

    def describe(self, kwargs, lang):
        return f"Answer with {kwargs['relation']} {kwargs['num_words']} words."

    def example(self, kwargs, ok, lang):
        n, at_least = kwargs["num_words"], kwargs["relation"] == "at least"
        count = (n if at_least else n - 1) if ok else (n - 1 if at_least else n)
        return " ".join(["word"] * count)


class CharLength(Constraint):
    """ComplexBench's character-length rule (counts characters, so it suits Chinese)."""

    id, group = "complexbench:rule", "length"
    name = "length"

    def build(self, rng, lang):
        low = rng.choice([100, 150, 200])
        return {"rule": f"model_length:[{low},{low * 4}]"}

    def describe(self, kwargs, lang):
        low, high = kwargs["rule"].split(":", 1)[1].strip("[]").split(",")
        return (f"The response must be between {low} and {high} characters long." if lang == "en"
                else f"回答的长度在{low}到{high}个字符之间。")

    def example(self, kwargs, ok, lang):
        low, high = (int(x) for x in kwargs["rule"].split(":", 1)[1].strip("[]").split(","))
        return ("字" if lang == "zh" else "a") * (low if ok else high + 1)


class CjkCount(Constraint):
    """CELLO's count limit: Chinese characters, at most or at least a number."""

    id, group, languages = "cello:word_count", "length", ("zh",)

    def build(self, rng, lang):
        if rng.random() < 0.5:
            return {"criterion": "word-min", "limit": rng.choice([50, 100, 150])}
        return {"criterion": "word-max", "limit": rng.choice([300, 500])}

    def describe(self, kwargs, lang):
        return (f"回答不少于{kwargs['limit']}个汉字。" if kwargs["criterion"] == "word-min"
                else f"回答不超过{kwargs['limit']}个汉字。")

    def example(self, kwargs, ok, lang):
        limit, at_least = kwargs["limit"], kwargs["criterion"] == "word-min"
        return "字" * (limit if ok else (limit - 5 if at_least else limit + 5))


class Paragraphs(Constraint):
    id, group = "length_constraints:number_paragraphs", "layout"

    def build(self, rng, lang):
        return {"num_paragraphs": rng.choice([2, 3, 4])}

    def describe(self, kwargs, lang):
        n = kwargs["num_paragraphs"]
        return (f"Write exactly {n} paragraphs, separated from each other by the markdown divider ***." if lang == "en"
                else f"回答恰好分为{n}段，段与段之间用 markdown 分隔线 *** 隔开。")

    def example(self, kwargs, ok, lang):
        n = kwargs["num_paragraphs"] + (0 if ok else 1)
        return "\n\n***\n\n".join(["A paragraph of text." if lang == "en" else "一段文字。"] * n)


class Bullets(Constraint):
    id, group = "detectable_format:number_bullet_lists", "layout"

    def build(self, rng, lang):
        return {"num_bullets": rng.choice([3, 4, 5])}

    def describe(self, kwargs, lang):
        n = kwargs["num_bullets"]
        return (f"Format the answer as exactly {n} markdown bullet points, each starting with \"* \"." if lang == "en"
                else f"回答恰好包含{n}个 markdown 列表项，每项以“* ”开头。")

    def example(self, kwargs, ok, lang):
        n = kwargs["num_bullets"] + (0 if ok else 1)
        return "\n".join(["* an item" if lang == "en" else "* 一项"] * n)


class Title(Constraint):
    id, group = "detectable_format:title", "title"

    def describe(self, kwargs, lang):
        return ("Give the answer a title wrapped in double angular brackets, such as <<my title>>." if lang == "en"
                else "为回答加一个标题，用双尖括号括起来，例如<<我的标题>>。")

    def example(self, kwargs, ok, lang):
        body = "Some text." if lang == "en" else "一些文字。"
        return (("<<A title>>\n" if lang == "en" else "<<标题>>\n") + body) if ok else body


class Opening(Constraint):
    """ComplexBench's starts-with rule (the phrase carries no ASCII punctuation, which the rule would remap)."""

    id, group = "complexbench:rule", "start"
    name = "opening"

    def build(self, rng, lang):
        return {"rule": f"model_startswith:{rng.choice(_words(lang, 'openings'))}"}

    def describe(self, kwargs, lang):
        phrase = kwargs["rule"].split(":", 1)[1]
        return f"Begin your response with \"{phrase}\"." if lang == "en" else f"回答以“{phrase}”开头。"

    def example(self, kwargs, ok, lang):
        phrase = kwargs["rule"].split(":", 1)[1]
        tail = " and the rest." if lang == "en" else "，后面是正文。"
        return phrase + tail if ok else ("Some words, then " if lang == "en" else "一些文字，然后") + phrase


class Ending(Constraint):
    id, group = "startend:end_checker", "end"

    def build(self, rng, lang):
        return {"end_phrase": rng.choice(_words(lang, "endings"))}

    def describe(self, kwargs, lang):
        phrase = kwargs["end_phrase"]
        return (f"Finish your response with the exact phrase \"{phrase}\"; nothing may follow it." if lang == "en"
                else f"回答必须以“{phrase}”结尾，其后不能再有任何内容。")

    def example(self, kwargs, ok, lang):
        phrase = kwargs["end_phrase"]
        body = "Some text." if lang == "en" else "一些文字。"
        return f"{body} {phrase}" if ok else f"{phrase} {body}"


class Postscript(Constraint):
    id, group = "detectable_content:postscript", "end"

    def build(self, rng, lang):
        return {"postscript_marker": "P.S."}

    def describe(self, kwargs, lang):
        return ("At the end of your response, add a postscript starting with P.S." if lang == "en"
                else "在回答末尾加一段以 P.S. 开头的附言。")

    def example(self, kwargs, ok, lang):
        body = "Some text." if lang == "en" else "一些文字。"
        return f"{body}\n\nP.S. One more thing." if ok else body


class NoComma(Constraint):
    id, group, languages = "punctuation:no_comma", "comma", ("en",)

    def describe(self, kwargs, lang):
        return "Do not use any commas in your response."

    def example(self, kwargs, ok, lang):
        return "No commas appear in this text." if ok else "Yes, a comma appears here."


class Phrases(Constraint):
    """CELLO's task-prescribed phrases: each must appear as written."""

    id, group = "cello:keywords", "phrases"

    def build(self, rng, lang):
        return {"keywords": [rng.choice(_words(lang, "phrases"))]}

    def describe(self, kwargs, lang):
        phrase = kwargs["keywords"][0]
        return f"Use the phrase \"{phrase}\" somewhere in the response." if lang == "en" else f"回答中要用到“{phrase}”一词。"

    def example(self, kwargs, ok, lang):
        phrase = kwargs["keywords"][0]
        return (f"{phrase}: the text." if lang == "en" else f"{phrase}，这是正文。") if ok else (
            "Just the text." if lang == "en" else "只有正文。")


TYPES: list[Constraint] = [Keywords(), ForbiddenWords(), ForbiddenWordsZh(), KeywordFrequency(), WordCount(),
                           CharLength(), CjkCount(), Paragraphs(), Bullets(), Title(), Opening(), Ending(),
                           Postscript(), NoComma(), Phrases()]


def key(constraint: Constraint) -> str:
    """A name unique among TYPES (several ComplexBench rule strings share the id ``complexbench:rule``)."""
    return f"{constraint.id}/{constraint.name}" if hasattr(constraint, "name") else constraint.id


REGISTRY: dict[str, Constraint] = {key(c): c for c in TYPES}


def for_language(lang: str) -> list[Constraint]:
    return [c for c in TYPES if lang in c.languages]
