"""IFEval's instructions in the registry: Google's checkers (lm-eval's port), and RAIF's training variants.

:class:`IFEvalInstruction` wraps one of lm-eval's instruction classes (``build_description`` with the record's
kwargs, ``check_following``), unchanged: the ``official`` reading. The ``training`` reading is the checker set RAIF
trains with (raif-training.md §3), a subclass per difference:

* ``relation`` also accepts 至少 / 少于 (:class:`TrainingInstruction`, the base of the training classes that keep
  IFEval's checker);
* keywords, keyword frequency and forbidden words are matched literally (``re.escape``), not as regular
  expressions;
* ``combination:repeat_prompt`` accepts an answer that opens with a quote and tolerates a missing
  ``prompt_to_repeat``;
* ``language:response_language`` knows ``zh-cn`` and ``zh-tw``;
* ``detectable_format:xml_format`` exists (parsed with ElementTree, else RAIF's tag-pair pattern; RAIF's own
  version raised ``NameError`` and stripped characters instead of the code fence).

The types ``raif-train synth`` draws carry their wording here too, beside the check they are scored by.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from raif_eval.assets import ensure_punkt_tab
from raif_eval.core import hostile
from raif_eval.verifiers.base import Verifier

TRAINING_RELATIONS = {"至少": "at least", "少于": "less than"}
TRAINING_LANGUAGES = ("zh-cn", "zh-tw")
REPEAT_PLACEHOLDER = "x" * 21  # RAIF's stand-in for a missing prompt_to_repeat: never matches a real answer
XML_PATTERN = re.compile(r"(<\?xml\s.*\?>)?.*<.*>.*</.*>", re.S)  # RAIF's; checked as tag_pair

_langdetect_lock = threading.Lock()
_langdetect_ready = False


@cache
def instruction_classes() -> dict[str, type]:
    """lm-eval's ``INSTRUCTION_DICT``: IFEval instruction id -> checker class."""
    ensure_punkt_tab()  # before lm-eval's instructions_util is imported: it would try nltk.download otherwise
    from lm_eval.tasks.ifeval import instructions_registry

    return dict(instructions_registry.INSTRUCTION_DICT)


def init_langdetect() -> None:
    """Seed langdetect (``DetectorFactory.seed = 0``) and load its profiles once, under a lock."""
    global _langdetect_ready
    if _langdetect_ready:
        return
    with _langdetect_lock, hostile.uninterrupted():  # a half-loaded profile table would stay for the run
        if not _langdetect_ready:
            from langdetect import DetectorFactory, detector_factory

            DetectorFactory.seed = 0
            detector_factory.init_factory()
            _langdetect_ready = True


def detect_language(text: str) -> str | None:
    import langdetect

    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return None


class IFEvalInstruction(Verifier):
    """One IFEval instruction with its kwargs, checked by lm-eval's checker (``prompt``: the record's prompt, for
    a checker whose arguments name one; none does today)."""

    def __init__(self, prompt: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        init_langdetect()
        self.instruction = instruction_classes()[self.id](self.id)
        self.instruction.build_description(**self.kwargs)
        args = self.instruction.get_instruction_args()
        if args and "prompt" in args:  # as upstream
            self.instruction.build_description(prompt=prompt)

    def check(self, text: str) -> bool:
        bounded = BOUNDED.get(self.id)
        try:
            if bounded is not None:
                return bounded(self.instruction.get_instruction_args(), text)
            return bool(self.instruction.check_following(text))
        except RecursionError:  # e.g. '[' * 1500 through json_format, whose upstream catches only ValueError:
            hostile.note("nesting deeper than Python's parsers read")  # not followed (upstream crashed the run)
            return False


# --- bounded equivalents --------------------------------------------------------------------------------------
# Four of Google's checkers cost far more than their verdict needs on a long degenerate response (a model looping
# to its token limit): two regexes that rescan to the end of the line from every '[' or '<<' (quadratic on
# '[[[[…'), and two nltk counts that tokenise all of a 256 KB text to compare with a threshold of a few dozen.
# Each function below gives the checker's verdict for every text (tests/test_fuzz.py compares them with the
# checkers on the fuzz corpus and the fixtures) in time linear in the text, or bounded by the threshold.

def _placeholders(args: dict[str, Any], text: str) -> bool:
    """``len(re.findall(r"\[.*?\]", text)) >= num_placeholders``: a match runs from a '[' to the next ']' on the
    same line; a '[' whose line has no later ']' starts none, nor does any '[' after it on that line."""
    count, i = 0, 0
    while True:
        start = text.find("[", i)
        if start < 0:
            break
        end = text.find("]", start + 1)
        if end < 0:
            break
        newline = text.find("\n", start + 1, end)
        if newline >= 0:
            i = newline + 1
            continue
        count, i = count + 1, end + 1
    return count >= args["num_placeholders"]


def _title(args: dict[str, Any], text: str) -> bool:
    """``any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", text))``: on each line the one
    match (if any) runs from the first '<<' to the last '>>' that leaves at least one character between."""
    for line in text.split("\n"):
        start = line.find("<<")
        if start < 0:
            continue
        end = line.rfind(">>")
        if end >= start + 3 and line[start:end + 2].lstrip("<").rstrip(">").strip():
            return True
    return False


def _sentence_spans(tokenizer: Any, text: str) -> Iterator[tuple[int, int]]:
    """``tokenizer.span_tokenize(text)``, lazily, with the sentence-break test memoised per candidate context for
    this text (it is a pure function of the context; a looping response repeats a few contexts thousands of
    times)."""
    memo: dict[str, bool] = {}
    test = tokenizer.text_contains_sentbreak

    def contains_sentbreak(context: str) -> bool:
        verdict = memo.get(context)
        if verdict is None:
            verdict = memo[context] = test(context)
        return verdict

    local = copy.copy(tokenizer)
    local.text_contains_sentbreak = contains_sentbreak
    return local.span_tokenize(text)


def _compare(count: int, relation: str, threshold: int) -> bool:
    """Upstream's comparison: "less than", else "at least"."""
    return count < threshold if relation == "less than" else count >= threshold


def _sentences(args: dict[str, Any], text: str) -> bool:
    """lm-eval's ``count_sentences`` compared with ``num_sentences``, counting only as far as the threshold (a
    relation other than its two is not followed, as upstream's checker returns None)."""
    from lm_eval.tasks.ifeval import instructions_util

    relation, threshold = args["relation"], args["num_sentences"]
    if relation not in ("less than", "at least"):
        return False
    # the very tokenizer upstream's count_sentences loads, loaded on first use
    with hostile.uninterrupted():
        tokenizer = instructions_util._get_sentence_tokenizer()  # noqa: SLF001
    spans = _sentence_spans(tokenizer, text)
    return _compare(sum(1 for _ in itertools.islice(spans, max(threshold, 0))), relation, threshold)


@cache
def _word_tokenizers() -> tuple[Any, Any]:
    """``nltk.word_tokenize``'s two tokenizers: English punkt for sentences, then NLTK's Treebank variant."""
    from nltk.tokenize import NLTKWordTokenizer, PunktTokenizer

    with hostile.uninterrupted():
        return PunktTokenizer("english"), NLTKWordTokenizer()


def _capital_words(args: dict[str, Any], text: str) -> bool:
    """The count of all-capital words of ``nltk.word_tokenize(text)`` against ``capital_frequency``: none to count
    where the text has fewer upper-case characters than the threshold; else sentence by sentence as word_tokenize
    goes, each distinct sentence tokenised once, stopping at the threshold."""
    relation, threshold = args["capital_relation"], args["capital_frequency"]
    # a capital word holds an upper-case character, and tokens never share one: with fewer upper-case characters
    # than the threshold, so are the capital words
    if sum(map(str.isupper, text)) < threshold:
        return _compare(0, relation, threshold)
    sentences, words = _word_tokenizers()
    counts: dict[str, int] = {}
    count = 0
    for start, end in _sentence_spans(sentences, text):
        if count >= threshold:
            break
        sentence = text[start:end]
        found = counts.get(sentence)
        if found is None:
            found = counts[sentence] = sum(word.isupper() for word in words.tokenize(sentence))
        count += found
    return _compare(count, relation, threshold)


BOUNDED: dict[str, Callable[[dict[str, Any], str], bool]] = {
    "detectable_content:number_placeholders": _placeholders,
    "detectable_format:title": _title,
    "length_constraints:number_sentences": _sentences,
    "change_case:capital_word_frequency": _capital_words,
}


class TrainingInstruction(IFEvalInstruction):
    """The training reading of an instruction: RAIF's relation words."""

    def __init__(self, prompt: str | None = None, **kwargs: Any) -> None:
        if "relation" in kwargs:
            kwargs["relation"] = TRAINING_RELATIONS.get(kwargs["relation"], kwargs["relation"])
        super().__init__(prompt, **kwargs)


def instruction_class(instruction_id: str, base: type[IFEvalInstruction]) -> type[IFEvalInstruction]:
    """The registry's class of an IFEval id that needs nothing but ``base``."""
    return type(f"{base.__name__}[{instruction_id}]", (base,), {"id": instruction_id})


# --- training variants ----------------------------------------------------------------------------------------

class KeywordsExistence(TrainingInstruction):
    id, group, languages = "keywords:existence", "keywords", ("en", "zh")
    taxonomy_type = "lexical"

    def check(self, text: str) -> bool:
        words = [re.escape(w) for w in self.instruction.get_instruction_args()["keywords"]]
        return all(re.search(w, text, flags=re.IGNORECASE) for w in words)

    @classmethod
    def sample(cls, rng, lang, words):
        return {"keywords": rng.sample(words["keywords"], 2)}

    def describe(self, lang):
        a, b = self.kwargs["keywords"]
        return f"Include the keywords \"{a}\" and \"{b}\"." if lang == "en" else f"回答中必须包含关键词“{a}”和“{b}”。"

    def example(self, ok, lang):
        a, b = self.kwargs["keywords"]
        if lang == "en":
            return f"A short note about the {a} and the {b}." if ok else "A short note about nothing in particular."
        return f"这是一段关于{a}和{b}的说明。" if ok else "这是一段普通的说明。"


class ForbiddenWords(TrainingInstruction):
    id, group, languages = "keywords:forbidden_words", "forbidden", ("en",)
    taxonomy_type = "lexical"

    def check(self, text: str) -> bool:
        words = [re.escape(w) for w in self.instruction.get_instruction_args()["forbidden_words"]]
        return not any(re.search(rf"\b{w}\b", text, flags=re.IGNORECASE) for w in words)

    @classmethod
    def sample(cls, rng, lang, words):
        return {"forbidden_words": rng.sample(words["forbidden"], 2)}

    def describe(self, lang):
        return "Do not use the words " + " or ".join(f"\"{w}\"" for w in self.kwargs["forbidden_words"]) + "."

    def example(self, ok, lang):
        return "A plain and careful sentence." if ok else f"This is {self.kwargs['forbidden_words'][0]} a sentence."


class KeywordFrequency(TrainingInstruction):
    id, group, languages = "keywords:frequency", "frequency", ("en",)
    taxonomy_type = "lexical"

    def check(self, text: str) -> bool:
        args = self.instruction.get_instruction_args()
        count = len(re.findall(re.escape(args["keyword"]), text, flags=re.IGNORECASE))
        return count >= args["frequency"] if args["relation"] == "at least" else count < args["frequency"]

    @classmethod
    def sample(cls, rng, lang, words):
        return {"keyword": rng.choice(words["keywords"]), "frequency": rng.choice([2, 3]), "relation": "at least"}

    def describe(self, lang):
        return f"Use the word \"{self.kwargs['keyword']}\" at least {self.kwargs['frequency']} times."

    def example(self, ok, lang):
        n = self.kwargs["frequency"] if ok else self.kwargs["frequency"] - 1
        return " ".join([f"The {self.kwargs['keyword']}."] * n) + " The end."


class ResponseLanguage(TrainingInstruction):
    """``zh-cn`` / ``zh-tw`` as langdetect names them; other languages as IFEval checks them."""

    id = "language:response_language"

    def __init__(self, prompt: str | None = None, **kwargs: Any) -> None:
        self.language = kwargs.get("language")
        if self.language in TRAINING_LANGUAGES:
            Verifier.__init__(self, **kwargs)
            init_langdetect()
        else:
            super().__init__(prompt, **kwargs)

    def check(self, text: str) -> bool:
        if self.language in TRAINING_LANGUAGES:
            return detect_language(text) == self.language
        return super().check(text)


class RepeatPrompt(Verifier):
    """The answer opens with the prompt to repeat, possibly after a quote (case-insensitive)."""

    id = "combination:repeat_prompt"

    def check(self, text: str) -> bool:
        prompt = (self.kwargs.get("prompt_to_repeat") or REPEAT_PLACEHOLDER).strip().lower()
        return any(text.strip().lower().startswith(q + prompt) for q in ("", "'", '"'))


class XmlFormat(Verifier):
    id = "detectable_format:xml_format"

    def check(self, text: str) -> bool:
        body = text.strip()
        for fence in ("```xml", "```Xml", "```XML", "```"):
            if body.startswith(fence):
                body = body[len(fence):]
                break
        body = body.removesuffix("```").strip()
        try:
            ElementTree.fromstring(body)
            return True
        except (ElementTree.ParseError, UnicodeEncodeError):  # a lone surrogate is no XML character either
            return tag_pair(body)


def tag_pair(text: str) -> bool:
    """``XML_PATTERN.match(text) is not None`` — RAIF's fallback, a '<…>' then a '</…>' — in linear time (the
    pattern's four dot-stars backtrack polynomially: 10 s on 60 KB of '<a>'): the earliest '<', the first '>'
    after it, the first '</' after that, and a '>' after its slash."""
    start = text.find("<")
    close = text.find(">", start + 1) if start >= 0 else -1
    end_tag = text.find("</", close + 1) if close >= 0 else -1
    return end_tag >= 0 and text.rfind(">") >= end_tag + 2


# --- instructions checked as IFEval checks them, with synthesis wording --------------------------------------

class WordCount(TrainingInstruction):
    id, group, languages = "length_constraints:number_words", "length", ("en",)
    taxonomy_type = "length"

    @classmethod
    def sample(cls, rng, lang, words):
        if rng.random() < 0.5:
            return {"num_words": rng.choice([50, 80, 120]), "relation": "at least"}
        return {"num_words": rng.choice([200, 300]), "relation": "less than"}

    def describe(self, lang):
        return f"Answer with {self.kwargs['relation']} {self.kwargs['num_words']} words."

    def example(self, ok, lang):
        n, at_least = self.kwargs["num_words"], self.kwargs["relation"] == "at least"
        count = (n if at_least else n - 1) if ok else (n - 1 if at_least else n)
        return " ".join(["word"] * count)


class Paragraphs(TrainingInstruction):
    id, group, languages = "length_constraints:number_paragraphs", "layout", ("en", "zh")
    taxonomy_type = "length"

    @classmethod
    def sample(cls, rng, lang, words):
        return {"num_paragraphs": rng.choice([2, 3, 4])}

    def describe(self, lang):
        n = self.kwargs["num_paragraphs"]
        return (f"Write exactly {n} paragraphs, separated from each other by the markdown divider ***." if lang == "en"
                else f"回答恰好分为{n}段，段与段之间用 markdown 分隔线 *** 隔开。")

    def example(self, ok, lang):
        n = self.kwargs["num_paragraphs"] + (0 if ok else 1)
        return "\n\n***\n\n".join(["A paragraph of text." if lang == "en" else "一段文字。"] * n)


class Bullets(TrainingInstruction):
    id, group, languages = "detectable_format:number_bullet_lists", "layout", ("en", "zh")
    taxonomy_type = "format"

    @classmethod
    def sample(cls, rng, lang, words):
        return {"num_bullets": rng.choice([3, 4, 5])}

    def describe(self, lang):
        n = self.kwargs["num_bullets"]
        return (f"Format the answer as exactly {n} markdown bullet points, each starting with \"* \"." if lang == "en"
                else f"回答恰好包含{n}个 markdown 列表项，每项以“* ”开头。")

    def example(self, ok, lang):
        n = self.kwargs["num_bullets"] + (0 if ok else 1)
        return "\n".join(["* an item" if lang == "en" else "* 一项"] * n)


class Title(TrainingInstruction):
    id, group, languages = "detectable_format:title", "title", ("en", "zh")
    taxonomy_type = "format"

    def describe(self, lang):
        return ("Give the answer a title wrapped in double angular brackets, such as <<my title>>." if lang == "en"
                else "为回答加一个标题，用双尖括号括起来，例如<<我的标题>>。")

    def example(self, ok, lang):
        body = "Some text." if lang == "en" else "一些文字。"
        return (("<<A title>>\n" if lang == "en" else "<<标题>>\n") + body) if ok else body


class Ending(TrainingInstruction):
    id, group, languages = "startend:end_checker", "end", ("en", "zh")
    taxonomy_type = "format"

    @classmethod
    def sample(cls, rng, lang, words):
        return {"end_phrase": rng.choice(words["endings"])}

    def describe(self, lang):
        phrase = self.kwargs["end_phrase"]
        return (f"Finish your response with the exact phrase \"{phrase}\"; nothing may follow it." if lang == "en"
                else f"回答必须以“{phrase}”结尾，其后不能再有任何内容。")

    def example(self, ok, lang):
        phrase = self.kwargs["end_phrase"]
        body = "Some text." if lang == "en" else "一些文字。"
        return f"{body} {phrase}" if ok else f"{phrase} {body}"


class Postscript(TrainingInstruction):
    id, group, languages = "detectable_content:postscript", "end", ("en", "zh")
    taxonomy_type = "format"

    @classmethod
    def sample(cls, rng, lang, words):
        return {"postscript_marker": "P.S."}

    def describe(self, lang):
        return ("At the end of your response, add a postscript starting with P.S." if lang == "en"
                else "在回答末尾加一段以 P.S. 开头的附言。")

    def example(self, ok, lang):
        body = "Some text." if lang == "en" else "一些文字。"
        return f"{body}\n\nP.S. One more thing." if ok else body


class NoComma(TrainingInstruction):
    id, group, languages = "punctuation:no_comma", "comma", ("en",)
    taxonomy_type = "format"

    def describe(self, lang):
        return "Do not use any commas in your response."

    def example(self, ok, lang):
        return "No commas appear in this text." if ok else "Yes, a comma appears here."


TRAINING = (KeywordsExistence, ForbiddenWords, KeywordFrequency, ResponseLanguage, RepeatPrompt, XmlFormat, WordCount,
            Paragraphs, Bullets, Title, Ending, Postscript, NoComma)
