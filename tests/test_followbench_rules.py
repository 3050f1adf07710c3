"""FollowBench's rule-checked instructions and judge-reply parser, on the real records (spec §3, §5, §7).

Generations are hand-made; the expected verdicts are those of upstream's ``rule_based_evaluation.py`` and
``paring_discriminative_generation`` (YJiangcm/FollowBench @ 6278f4c1, ``code/`` and ``code_zh/``), written
here as literals. A chained source (summaries, format 22/30) gets one generation per k = 0..5 that meets its
constraints 1..k and breaks k+1: it must pass levels <= k and fail the others.
"""

from __future__ import annotations

import ast
import functools
from collections import Counter

import pytest

from raif_eval.benchmarks import followbench as fb
from raif_eval.verifiers import followbench_rules as rules

LANGS = ("en", "zh")


@functools.cache
def records(lang: str) -> tuple[dict, ...]:
    return tuple(fb.load_records(lang))


def pick(lang: str, **fields) -> list[dict]:
    found = [r for r in records(lang) if all(r[k] == v for k, v in fields.items())]
    assert found, (lang, fields)
    return found


SOURCE_CATEGORY = {
    "E2E": "content", "WIKIEVENTS": "content", "CONLL2003": "content",
    "BBH_logical": "situation", "BBH_time": "situation", "self_made_space": "situation", "gsm_8k": "situation",
    "text_editing": "mixed", "cnn_dailymail": "mixed", "xsum": "mixed", "samsum": "mixed", "gigaword": "mixed",
    "arxiv": "mixed",
}


def source_records(lang: str, source: str, **fields) -> list[dict]:
    """Rule-checked records of a source (the `example` file reuses source names, but is template-matched)."""
    return pick(lang, source=source, file_category=SOURCE_CATEGORY[source], **fields)


def by_level(recs: list[dict]) -> dict[int, dict]:
    levels = {r["level"]: r for r in recs}
    assert sorted(levels) == [1, 2, 3, 4, 5] and len(recs) == 5
    return levels


def verdict(record: dict, generation: str) -> bool:
    return rules.verdict(record, generation, record["language"], record["file_category"])


def family(record: dict) -> str:
    if record["file_category"] == "example":
        return "example"
    if record["file_category"] == "format":
        return f"format_{record['example_id']}"
    return record["source"]


# --- rule vs judged split (spec §3) -------------------------------------------------------------------------

SPLIT = {  # category: (rule, judged)
    "en": {"content": (60, 65), "situation": (40, 70), "style": (0, 150), "format": (10, 140),
           "example": (200, 0), "mixed": (40, 45)},
    "zh": {"content": (50, 65), "situation": (40, 70), "style": (0, 150), "format": (5, 145),
           "example": (200, 0), "mixed": (35, 30)},
}
RULE_PER_SOURCE = {
    "en": {("content", "E2E"): 25, ("content", "WIKIEVENTS"): 10, ("content", "CONLL2003"): 25,
           ("situation", "BBH_logical"): 25, ("situation", "BBH_time"): 5, ("situation", "self_made_space"): 5,
           ("situation", "gsm_8k"): 5, ("mixed", "text_editing"): 15, ("mixed", "cnn_dailymail"): 5,
           ("mixed", "xsum"): 5, ("mixed", "samsum"): 5, ("mixed", "gigaword"): 5, ("mixed", "arxiv"): 5},
    "zh": {("content", "E2E"): 25, ("content", "CONLL2003"): 25,
           ("situation", "BBH_logical"): 25, ("situation", "BBH_time"): 5, ("situation", "self_made_space"): 5,
           ("situation", "gsm_8k"): 5, ("mixed", "text_editing"): 10, ("mixed", "cnn_dailymail"): 5,
           ("mixed", "xsum"): 5, ("mixed", "samsum"): 5, ("mixed", "gigaword"): 5, ("mixed", "arxiv"): 5},
}


@pytest.mark.parametrize("lang", LANGS)
def test_rule_and_judged_split_per_category(lang):
    got = {c: (0, 0) for c in SPLIT[lang]}
    for r in records(lang):
        rule, judged = got[r["file_category"]]
        got[r["file_category"]] = (rule + r["rule"], judged + (not r["rule"]))
    assert got == SPLIT[lang]
    assert sum(rule for rule, _ in got.values()) == {"en": 350, "zh": 330}[lang]
    assert len(records(lang)) == {"en": 820, "zh": 790}[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_rule_records_per_source(lang):
    answer_and_chained = Counter((r["file_category"], r["source"]) for r in records(lang)
                                 if r["rule"] and r["file_category"] not in ("example", "format"))
    assert dict(answer_and_chained) == RULE_PER_SOURCE[lang]
    formats = sorted((r["example_id"], r["level"]) for r in records(lang)
                     if r["rule"] and r["file_category"] == "format")
    ids = {"en": (22, 30), "zh": (22,)}[lang]
    assert formats == [(i, level) for i in ids for level in range(1, 6)]
    # a record of a rule source is never judged (the `example` file reuses source names too)
    for r in records(lang):
        if r["source"] in rules.RULE_SOURCES:
            assert r["rule"]


def test_chinese_format_30_is_judged_english_is_rule_checked():
    en30 = pick("en", file_category="format", example_id=30)
    zh30 = pick("zh", file_category="format", example_id=30)
    assert [r["rule"] for r in en30] == [True] * 5
    assert [r["rule"] for r in zh30] == [False] * 5
    assert not rules.is_rule_checked(zh30[0], "zh", "format")
    with pytest.raises(ValueError):
        rules.verdict(zh30[0], "**1. x:** y", "zh", "format")
    # a judged English record cannot be given a rule verdict either
    judged = next(r for r in records("en") if r["file_category"] == "style")
    with pytest.raises(ValueError):
        verdict(judged, "anything")


@pytest.mark.parametrize("lang", LANGS)
def test_every_conll2003_target_is_a_python_list(lang):
    conll = source_records(lang, "CONLL2003")
    assert len(conll) == 25
    for r in conll:
        entities = ast.literal_eval(r["target"])
        assert isinstance(entities, list) and entities and all(isinstance(e, str) for e in entities)


# --- sources with one answer check ----------------------------------------------------------------------------

EXACT_SOURCES = ("E2E", "text_editing")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("source", EXACT_SOURCES)
def test_exact_equality_sources(lang, source):
    for r in source_records(lang, source):
        t = r["target"]
        assert verdict(r, t) is True
        for wrong in (t + "\n", " " + t, t + " ", t[:-1], "Answer: " + t):
            assert verdict(r, wrong) is False, (r["id"], wrong)


@pytest.mark.parametrize("lang", LANGS)
def test_text_editing_known_record(lang):
    edit = source_records(lang, "text_editing", example_id=3, level=1)[0]
    assert edit["target"] == {"en": "apples love eating I", "zh": "小明爱吃苹果"}[lang]
    assert verdict(edit, edit["target"]) is True
    assert verdict(edit, {"en": "Apples love eating I", "zh": "小明爱吃苹果。"}[lang]) is False
    e2e = source_records(lang, "E2E", example_id=14, level=1)[0]
    target, spaced = {"en": ("name[The Phoenix], eatType[pub]", "name[The Phoenix],eatType[pub]"),
                      "zh": ("名字[The Phoenix]，类型[酒吧]", "名字[The Phoenix],类型[酒吧]")}[lang]
    assert e2e["target"] == target
    assert verdict(e2e, spaced) is False


def test_wikievents_every_line_must_be_a_target_line():
    recs = source_records("en", "WIKIEVENTS")
    assert len(recs) == 10
    for r in recs:
        lines = r["target"].split("\n")
        assert verdict(r, lines[0]) is True
        assert verdict(r, "\n".join(lines[-2:])) is True
        assert verdict(r, r["target"]) is True
        assert verdict(r, lines[1] + "\n" + lines[0] + "\n" + lines[1]) is True  # order and repeats are free
        assert verdict(r, lines[0] + "\n") is False  # the empty last line is no target line
        assert verdict(r, lines[0] + "\nsomething else") is False
        assert verdict(r, lines[0][:-1]) is False  # whole lines, not substrings
        assert verdict(r, "") is False
    first = source_records("en", "WIKIEVENTS", example_id=19, level=1)[0]
    assert verdict(first, "members died at <arg2> place from <arg4> medical issue, killed by The Taliban killer")
    assert not verdict(first, "The Taliban killed members")


@pytest.mark.parametrize("lang", LANGS)
def test_conll2003_is_membership_in_the_parsed_list(lang):
    for r in source_records(lang, "CONLL2003"):
        entities = ast.literal_eval(r["target"])
        for entity in entities:
            assert verdict(r, entity) is True
            assert verdict(r, entity + "\n") is False
            assert verdict(r, entity + "。") is False
            if entity[:-1] not in entities:
                assert verdict(r, entity[:-1]) is False  # `in` a list: no substring match on the target text
        assert verdict(r, r["target"]) is False
        assert verdict(r, "'" + entities[0] + "'") is False
        assert verdict(r, ", ".join(entities)) is (len(entities) == 1)
    first = source_records(lang, "CONLL2003", level=1)[0]
    city = {"en": "Bonn", "zh": "波恩"}[lang]
    assert verdict(first, city) is True
    assert verdict(first, city[:-1]) is False  # a substring of the target text, and of an entity


def _other(options: list[str], target: str) -> str:
    return next(o for o in options if o != target)


def _answer_cases(lang: str, source: str, t: str, others: list[str]) -> tuple[list[str], list[str]]:
    """(passing, failing) generations for an answer-checked record with target t."""
    o = _other(others, t)
    if source == "BBH_logical":
        return ([t, f"At first I thought {o}, but the answer is {t}", f"{o} is wrong. {t}.",
                 f"Answer: {t} The blue jay (A... no"],
                [f"The answer is {t}, not {o}", t[1], f"({t[1].lower()})", f"( {t[1]} )", "", f"{t}{o}"])
    if source == "BBH_time":
        return ([t, f"Today is 12/24/1937, so the answer is {t}.", f"{o} is wrong; it is {t}"],
                [f"{t}, not {o}", t.replace("/", "-"), t[1:], f"{t[:6]}{t[8:]}", ""])
    if source == "gsm_8k" and lang == "en":
        return ([t, f"She earns $12 an hour, so {t} in total.", f"Total: {t}.50", f"{o}? No: {t}"],
                [f"{t} minus $1", t[1:] + " dollars", "$ " + t[1:], t + "0", f"{t} then {o}"])
    if source == "gsm_8k":
        return ([t, f"时薪12美元，总共{t}。", f"{o}不对，是{t}"],
                [f"{t}，减去1美元", "$" + t[:-2], t[:-2] + " 美元", t[:-2] + "元", f"{t}.5美元", f"1{t}"])
    if source == "self_made_space":
        return ([t, f"He is on the {t} now." if lang == "en" else f"他现在在{t}。", f"{o}? No, {t}"],
                [t[:-1], t.replace(" ", "") if " " in t else t.replace("楼", "层"), "",
                 t.upper() if lang == "en" else t[1:]])
    raise AssertionError(source)


ANSWER_TESTS = ("BBH_logical", "BBH_time", "gsm_8k", "self_made_space")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("source", ANSWER_TESTS)
def test_answer_sources_on_every_record(lang, source):
    recs = source_records(lang, source)
    others = sorted({r["target"] for r in recs})
    assert len(others) > 1
    for r in recs:
        passing, failing = _answer_cases(lang, source, r["target"], others)
        for g in passing:
            assert verdict(r, g) is True, (r["id"], g)
        for g in failing:
            assert verdict(r, g) is False, (r["id"], g)


@pytest.mark.parametrize("lang", LANGS)
def test_last_occurrence_decides(lang):
    logical = source_records(lang, "BBH_logical", example_id=1, level=1)[0]
    assert logical["target"] == "(A)"
    assert verdict(logical, "(A) looks right, but the answer is (B)") is False
    assert verdict(logical, "(B) looks right, but the answer is (A)") is True
    time = source_records(lang, "BBH_time", example_id=6, level=1)[0]
    assert time["target"] == "12/29/1937"
    assert verdict(time, "12/29/1937 or maybe 12/30/1937") is False
    assert verdict(time, "12/30/1937 or maybe 12/29/1937") is True
    assert verdict(time, "112/29/19375") is True  # no anchors: the first dd/dd/dddd inside counts
    gsm = source_records(lang, "gsm_8k", example_id=8, level=1)[0]
    assert gsm["target"] == {"en": "$14", "zh": "14美元"}[lang]
    money = {"en": ("$14", "$12"), "zh": ("14美元", "12美元")}[lang]
    assert verdict(gsm, f"{money[0]}, then {money[1]}") is False
    assert verdict(gsm, f"{money[1]}, then {money[0]}") is True
    wrong_currency = {"en": "14美元", "zh": "$14"}[lang]
    assert verdict(gsm, wrong_currency) is False


def test_self_made_space_substring_trap():
    r = source_records("en", "self_made_space", example_id=7, level=1)[0]
    assert r["target"] == "20th floor"
    assert verdict(r, "the 120th floors") is True  # plain substring
    zh = source_records("zh", "self_made_space", example_id=7, level=1)[0]
    assert zh["target"] == "20楼"
    assert verdict(zh, "他在120楼") is True
    assert verdict(zh, "他在20层楼") is False


# --- chained sources ----------------------------------------------------------------------------------------

# generations[k] meets constraints 1..k and breaks k+1 (generations[5] meets all five)
CHAINED: dict[tuple[str, str], list[str]] = {
    ("en", "cnn_dailymail"): [
        "Potter is rich.",
        "Potter turned eighteen and gained access to a fortune worth about twenty million pounds in total. "
        "The actor is calm. He has made films.",
        "Radcliffe is rich. The actor is calm. He has made films.",
        "Potter is rich. The lavish actor is calm. He has made films.",
        "Potter is rich. The actor is calm. He made films.",
        "Potter is rich. The actor is calm. He has made films.",
    ],
    ("en", "xsum"): [
        "Floods hit. Roads closed.",
        "A clean-up operation is continuing across the Scottish Borders and Dumfries and Galloway after flooding "
        "was caused by Storm Frank this week.",
        "A clean-up operation is continuing in Newton Stewart.",
        "Flooding hit Dumfries and Galloway after heavy rain.",
        "Flooding is continuing in Dumfries and Galloway.",
        "A clean-up operation is continuing in Dumfries and Galloway.",
    ],
    ("en", "samsum"): [
        "Kim is tired. She stays home.",
        "Kim was in a bad mood because she wanted to do a lot of stuff but ended up doing nothing.",
        "Kim will clean her room tomorrow.",
        "Kim keeps procrastinating on uni stuff.",
        "Kim will do uni stuff, then clean tomorrow.",
        "Kim will do uni stuff tomorrow.",
    ],
    ("en", "gigaword"): [
        "two killed in bomb attack",
        "two killed in bomb attack, southern philippines military",
        "Two killed in bomb attack on southern philippines",
        "two killed in bus bomb attack southern philippines",
        "two killed by bomb attack on southern philippines",
        "two killed in bomb attack on southern philippines",
    ],
    ("en", "arxiv"): [
        "We edit facts. It works.",
        "We analyze the storage and recall of factual associations in autoregressive transformer language models "
        "and find evidence that these associations are localized.",
        "Our method locates factual activations in mid-layer modules.",
        "We locate factual associations in mid-layer modules.",
        "We locate factual activations in transformer language models.",
        "We locate factual activations in mid-layer feed-forward modules.",
    ],
    ("zh", "cnn_dailymail"): [
        "波特很有钱。",
        "波特年满十八岁后获得了一笔价值两千万英镑的巨额财富。演员很冷静。他拍了电影。",
        "哈利很有钱。演员很冷静。他拍了电影。",
        "波特很有钱。演员生活不奢侈。他拍了电影。",
        "波特很有钱。演员很冷静。他拍电影。",
        "波特很有钱。演员很冷静。他拍了电影。",
    ],
    ("zh", "xsum"): [
        "洪水来了。道路关闭。",
        "邓弗里斯和加洛韦以及边境地区的洪水造成了严重破坏。",
        "牛顿斯图尔特在清理洪水。",
        "洪水造成严重破坏。",
        "人们在清理洪水。",
        "人们在进行清理操作。",
    ],
    ("zh", "samsum"): [
        "金心情不好。她在家。",
        "金本来想做很多事情但最后却拖拖拉拉的。",
        "金明天打扫房间。",
        "金做琐碎的事很拖沓的。",
        "金，明天做琐碎的事。",
        "金明天做琐碎的事。",
    ],
    ("zh", "gigaword"): [
        "两人丧生",
        "两人在袭击中亡。",
        "2人在炸弹袭击亡",
        "公交车遭炸弹袭击",
        "菲南部遭炸弹袭击",
        "菲南部客车在遭袭",
    ],
    ("zh", "arxiv"): [
        "我们定位知识。效果很好。",
        "我们首先开发了一个因果干预用于识别在模型的事实预测中起决定性作用的神经元激活。",
        "本文定位神经元激活。",
        "我们定位事实关联。",
        "我们在transformer中定位激活。",
        "我们定位神经元激活。",
    ],
}


@pytest.mark.parametrize(("lang", "source"), list(CHAINED))
def test_chained_source_per_level(lang, source):
    levels = by_level(source_records(lang, source))
    assert {r["file_category"] for r in levels.values()} == {"mixed"}
    for k, generation in enumerate(CHAINED[lang, source]):
        for level, record in levels.items():
            assert verdict(record, generation) is (level <= k), (k, level, generation)
        per_constraint = rules.constraint_verdicts(source, lang, generation, 5)
        assert len(per_constraint) == 5
        assert per_constraint[:k] == [True] * k, (k, generation)
        if k < 5:
            assert per_constraint[k] is False, (k, generation)
        assert rules.constraint_verdicts(source, lang, generation, 2) == per_constraint[:2]


def test_chained_generations_have_the_intended_lengths():
    # guards on the hand-made tables: Chinese limits count characters, English ones words
    zh = {s: CHAINED["zh", s] for s in ("xsum", "samsum", "gigaword", "arxiv")}
    assert len(zh["xsum"][1]) >= 20 and len(zh["xsum"][5]) < 20
    assert len(zh["samsum"][1]) >= 15 and len(zh["samsum"][5]) < 15
    assert [len(g) for g in zh["gigaword"][1:]] == [8] * 5
    assert len(zh["arxiv"][1]) > 20 and len(zh["arxiv"][5]) <= 20
    assert len(CHAINED["zh", "cnn_dailymail"][1].split("。")[0]) >= 15
    assert len(CHAINED["en", "xsum"][1].split(" ")) >= 20
    assert len(CHAINED["en", "samsum"][1].split(" ")) >= 15
    assert len(CHAINED["en", "arxiv"][1].split(" ")) > 20
    assert [len(g.split(" ")) for g in CHAINED["en", "gigaword"][1:]] == [8] * 5


def test_chained_traps():
    en = {s: by_level(source_records("en", s)) for s in ("gigaword", "xsum", "samsum", "arxiv", "cnn_dailymail")}
    zh = {s: by_level(source_records("zh", s)) for s in ("gigaword", "xsum", "samsum", "arxiv", "cnn_dailymail")}
    # English length limits split on single spaces: a double space is one more "word"
    assert verdict(en["gigaword"][1], "two killed in bomb attack on southern  philippines") is False
    assert verdict(en["gigaword"][1], "two killed in bomb attack on southern\tphilippines too") is True  # tab: no split
    # English keywords are whole words, case-sensitive
    assert verdict(en["gigaword"][4], "two killed in buses bomb attack southern philippines") is True
    assert verdict(en["gigaword"][5], "two killed inside bomb attack on southern philippines") is False
    assert verdict(en["arxiv"][5], "We locate factual activations in transformers.") is True
    assert verdict(en["arxiv"][5], "We locate factual activations in Transformer models.") is True
    assert verdict(en["arxiv"][3], "we locate factual associations.") is False
    assert verdict(en["samsum"][4], "Kim hates PROCRASTINATION stuff.") is False  # case-insensitive, any form
    # English sentences are split on . ! ? only
    assert verdict(en["xsum"][1], "Floods hit; roads closed") is True
    assert verdict(en["xsum"][1], "Floods hit e.g. roads") is False
    assert verdict(en["cnn_dailymail"][5], "Potter is rich! The actor is calm? He has films") is True
    # Chinese keyword checks are regular-expression searches: no word boundaries, no negation handling
    assert verdict(zh["xsum"][4], "现在洪水已经退去。") is True  # 在 inside 现在
    assert verdict(zh["arxiv"][5], "我们在transformers中定位激活。") is False
    assert verdict(zh["arxiv"][5], "我们在Transformer中定位激活。") is True
    assert verdict(zh["cnn_dailymail"][4], "波特很有钱。演员并不奢侈。他拍了电影。") is False
    assert verdict(zh["cnn_dailymail"][5], "波特走了。演员很冷静。他拍电影。") is False  # 了 in sentence 3 only
    # Chinese sentence ends are 。！？ only; ASCII '.' does not end one
    assert verdict(zh["xsum"][1], "洪水来了. 道路关闭.") is True
    assert verdict(zh["xsum"][1], "洪水来了！道路关闭？") is False
    # Chinese gigaword: isnumeric() also flags Chinese numerals such as 二 and full-width digits
    assert verdict(zh["gigaword"][3], "二人在炸弹袭击亡") is False
    assert verdict(zh["gigaword"][3], "２人在炸弹袭击亡") is False
    assert verdict(zh["gigaword"][3], "两人在炸弹袭击亡") is True
    assert verdict(zh["gigaword"][2], "两人在炸弹袭击亡,") is False  # 9 characters
    assert verdict(zh["gigaword"][2], "两人在炸弹袭亡、") is True  # 、 is not in the punctuation set
    # level 5 asks the summary to avoid 在, upstream's check requires it: kept
    assert "不能出现“公交车”和“在”" in zh["gigaword"][5]["instruction"]
    assert verdict(zh["gigaword"][5], "菲南部客车遭遇袭") is False
    # Chinese samsum: exactly one punctuation mark out of string.punctuation + "，。：’“”"
    assert verdict(zh["samsum"][5], "金明天做琐碎的事") is False
    assert verdict(zh["samsum"][5], "金明天做琐碎的事?") is True
    assert verdict(zh["samsum"][5], "金明天做琐碎的事！") is False  # full-width ！ is not in the set
    assert verdict(zh["samsum"][5], "金：做琐碎的事。") is False
    assert verdict(en["samsum"][5], "Kim will do uni stuff tomorrow") is False
    assert verdict(en["samsum"][5], "Kim's uni stuff waits") is True  # the apostrophe is the one mark


def test_every_rule_family_is_tested_in_each_language():
    tested = {lang: {s for (l, s) in CHAINED if l == lang} | set(EXACT_SOURCES) | set(ANSWER_TESTS)
              | {"CONLL2003", "format_22", "example"} for lang in LANGS}
    tested["en"] |= {"WIKIEVENTS", "format_30"}  # by the tests below
    assert len(tested["en"]) == 16 and len(tested["zh"]) == 14
    for lang in LANGS:
        assert {family(r) for r in records(lang) if r["rule"]} == tested[lang]


# --- format example 22 and 30 -------------------------------------------------------------------------------

LONG_EN = ("Clean the wooden table gently with a soft dry cloth and a mild soap so that its finish stays beautiful "
           "and protected for many years")
LONG_ZH = "用柔软的干布和温和的清洁剂轻轻擦拭木桌表面以保持美观"


def _paragraphs(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


EN22 = [
    _paragraphs(LONG_EN + ".", LONG_EN + "."),
    _paragraphs(LONG_EN + ". " + LONG_EN + ". " + LONG_EN + ".", LONG_EN + ".", LONG_EN + "."),
    _paragraphs(LONG_EN + ".", "Dust it often.", LONG_EN + "."),
    _paragraphs(LONG_EN + ".", LONG_EN + ". " + LONG_EN + ".", LONG_EN + "."),
]
ZH22 = [
    _paragraphs(LONG_ZH + "。", LONG_ZH + "。"),
    _paragraphs(LONG_ZH + "。" + LONG_ZH + "。" + LONG_ZH + "。", LONG_ZH + "。", LONG_ZH + "。"),
    _paragraphs(LONG_ZH + "。", "经常除尘。", LONG_ZH + "。"),
    _paragraphs(LONG_ZH + "。", LONG_ZH + "！" + LONG_ZH + "。", LONG_ZH + "。"),
    _paragraphs("1. " + LONG_ZH + "。", "2. " + LONG_ZH + "。", "3. " + LONG_ZH + "。"),
]
ZH22_LEVEL5 = _paragraphs("1. " + LONG_ZH + "。", "2. " + LONG_ZH + "。", "3. " + LONG_ZH + "。",
                          "4. " + LONG_ZH + "，这些是建议")


def test_format_22_sentences_are_long_enough():
    assert len(LONG_EN.split()) == 25 and len(LONG_ZH) > 20


def test_format_22_english_per_level():
    levels = by_level(pick("en", file_category="format", example_id=22))
    for k, generation in enumerate(EN22):
        for level, record in levels.items():
            assert verdict(record, generation) is (level <= k), (k, level)


def test_format_22_english_number_markers_break_the_sentence_length_check():
    # "1." ends a one-word sentence ("1") under re.split('[.!?]'), so in English levels 3-5 fail once the
    # paragraphs are numbered, and levels 4-5 cannot be met at all (upstream behaviour, kept)
    levels = by_level(pick("en", file_category="format", example_id=22))
    numbered = _paragraphs("1. " + LONG_EN + ".", "2. " + LONG_EN + ".", "3. " + LONG_EN + ".")
    assert [verdict(levels[k], numbered) for k in range(1, 6)] == [True, True, False, False, False]
    closing = _paragraphs("1. " + LONG_EN + ".", "2. " + LONG_EN + ".", "3. " + LONG_EN + ".",
                          "4. " + LONG_EN + " and Those are suggestions")
    assert [verdict(levels[k], closing) for k in range(1, 6)] == [False] * 5


def test_format_22_chinese_per_level():
    levels = by_level(pick("zh", file_category="format", example_id=22))
    for k, generation in enumerate(ZH22):
        for level in (1, 2, 3, 4):
            assert verdict(levels[level], generation) is (level <= k), (k, level)
        assert verdict(levels[5], generation) is False  # three paragraphs: level 5 wants four
    assert [verdict(levels[k], ZH22_LEVEL5) for k in range(1, 6)] == [False, False, False, False, True]


def test_format_22_level_5_needs_four_paragraphs_and_the_closing_phrase():
    level5 = pick("zh", file_category="format", example_id=22, level=5)[0]
    assert verdict(level5, ZH22_LEVEL5) is True
    assert verdict(level5, ZH22_LEVEL5 + "。") is False  # the phrase must be the very end
    assert verdict(level5, ZH22_LEVEL5.replace("，这些是建议", "。")) is False
    assert verdict(level5, ZH22_LEVEL5.replace("，这些是建议", "。这些是建议")) is False  # a 5-character sentence
    assert verdict(level5, ZH22[4] + "这些是建议") is False  # three paragraphs
    assert verdict(level5, ZH22_LEVEL5 + "\n\n这些是建议") is False  # five paragraphs
    assert verdict(level5, ZH22_LEVEL5.replace("4. ", "")) is False  # the fourth is not numbered
    # only the first three paragraphs are held to fewer than three sentences
    long_last = ZH22_LEVEL5.replace("4. ", "4. " + LONG_ZH + "。" + LONG_ZH + "。")
    assert verdict(level5, long_last) is True
    en5 = pick("en", file_category="format", example_id=22, level=5)[0]
    four = _paragraphs(LONG_EN + ".", LONG_EN + ".", LONG_EN + ".", LONG_EN + " and Those are suggestions")
    assert verdict(en5, four) is False  # not numbered
    assert verdict(en5, four.replace("Those are suggestions", "those are suggestions")) is False


KEYWORDS = ("Growth", "Jobs", "Exports", "Skills", "Health")
EN30 = [
    "Innovation matters for Australia and for every Australian worker in every single region.",
    "**Innovation** brings many benefits to the Australian economy today and in the years ahead.",
    "\n".join(f"**{i}. {kw}:** Innovation lifted output by {i}.5 percent across our national economy last year."
              for i, kw in enumerate(KEYWORDS, 1)),
    "\n".join(f"**{i}** {kw}: Short point." for i, kw in enumerate(KEYWORDS, 1)),
    "\n".join(f"**{i}** {kw}: Innovation helps our economy grow quick-ly across every region."
              for i, kw in enumerate(KEYWORDS, 1)),
    "\n".join(f"**{i}** {kw}: Innovation helps our economy grow fast across every single region."
              for i, kw in enumerate(KEYWORDS, 1)),
]


def test_format_30_per_level():
    levels = by_level(pick("en", file_category="format", example_id=30))
    for k, generation in enumerate(EN30):
        for level, record in levels.items():
            assert verdict(record, generation) is (level <= k), (k, level)
        constraints = rules.format_30_verdicts(generation, 5)
        assert constraints[:k] == [True] * k
        if k < 5:
            assert constraints[k] is False
        assert rules.format_30_verdicts(generation, 3) == constraints[:3]


def test_format_30_traps():
    level5 = pick("en", file_category="format", example_id=30, level=5)[0]
    level2 = pick("en", file_category="format", example_id=30, level=2)[0]
    # '-ly' is matched literally: ordinary adverbs pass
    assert verdict(level5, EN30[5].replace("fast", "quickly")) is True
    # four or six "**<digit>...:" markers are not five
    assert verdict(level2, EN30[5].rsplit("\n", 1)[0]) is False
    six = EN30[5] + "\n**6** Trade: Innovation helps our economy grow fast across every region."
    assert verdict(level2, six) is False
    # "**1. Growth:** text." puts "**1." in a one-word sentence, failing the 10-15 words check
    numbered = "\n".join(f"**{i}. {kw}:** Innovation helps our economy grow fast across every single region."
                         for i, kw in enumerate(KEYWORDS, 1))
    assert [verdict(pick("en", file_category="format", example_id=30, level=k)[0], numbered)
            for k in range(1, 6)] == [True, True, True, False, False]


# --- example category (template match) ----------------------------------------------------------------------

def _fill(target: str, answer: str) -> str:
    return target.replace("{instruction}\n", "").replace("{{", "{").replace("}}", "}").replace("{answer}", answer)


@pytest.mark.parametrize("lang", LANGS)
def test_example_templates_on_every_record(lang):
    recs = pick(lang, file_category="example")
    assert len(recs) == 200
    assert all(r["rule"] and r["target"].startswith("{instruction}\n") and r["target"].count("{answer}") == 1
               for r in recs)
    for r in recs:
        t = r["target"]
        assert verdict(r, _fill(t, "x")) is True
        assert verdict(r, _fill(t, "")) is True
        assert verdict(r, _fill(t, "a (b) [c] {d} * + ? ^ $ | \\")) is True
        assert verdict(r, _fill(t, "first line\nsecond line")) is False  # {answer} cannot span lines
        assert verdict(r, _fill(t, "x") + "\n") is False  # the whole generation must match
        assert verdict(r, "Sure!\n" + _fill(t, "x")) is False
        assert verdict(r, r["instruction"] + "\n" + _fill(t, "x")) is False  # the {instruction} slot is dropped
        if "{{" in t:
            raw = t.replace("{instruction}\n", "").replace("{answer}", "x")
            assert verdict(r, raw) is False  # escaped braces stand for single ones
        assert rules.template_matches(t, _fill(t, "x"))


@pytest.mark.parametrize("lang", LANGS)
def test_example_known_templates(lang):
    braces_id = {"en": "example_constraints:0", "zh": "example_constraints:20"}[lang]
    braces = pick(lang, file_category="example", id=braces_id)[0]
    key = {"en": "AI assistant", "zh": "答案"}[lang]
    assert braces["target"] == "{instruction}\n{{'" + key + "': '{answer}'}}"
    assert verdict(braces, "{'" + key + "': 'Legal Anywhere.com'}") is True
    assert verdict(braces, "{{'" + key + "': 'Legal Anywhere.com'}}") is False
    assert verdict(braces, "{'" + key + "': 'Legal\nAnywhere.com'}") is False  # no DOTALL
    assert verdict(braces, "{\"" + key + "\": 'x'}") is False
    assert verdict(braces, "{'" + key + "': 'x'} ") is False
    assert verdict(braces, "{'" + key + "': ''}") is True
    if lang == "en":
        assert verdict(braces, str(braces["answer"])) is True  # the record's own reference answer
        bot = pick("en", file_category="example", id="example_constraints:7")[0]
        assert bot["target"] == "{instruction}\nBOT: {answer}"
        assert verdict(bot, "BOT: anything at all") is True
        assert verdict(bot, "BOT:anything") is False
        assert verdict(bot, "BOT: two\nlines") is False
    else:
        multi = pick("zh", file_category="example", id="example_constraints:7")[0]
        assert multi["target"] == "{instruction}\n[回复]\n{answer}"
        assert verdict(multi, "[回复]\n一行回答") is True  # a newline written in the template is literal
        assert verdict(multi, "[回复] 一行回答") is False
        assert verdict(multi, "[回复]\n两行\n回答") is False


def test_template_matches_dots_and_stars():
    # `{answer}` becomes `.*`; everything else is escaped, so regex characters in the template are literal
    assert rules.template_matches("{instruction}\nQ? (A) {answer} [end]", "Q? (A) yes [end]")
    assert not rules.template_matches("{instruction}\nQ? (A) {answer} [end]", "Q (A) yes [end]")
    assert not rules.template_matches("{instruction}\nA.B {answer}", "AxB yes")
    assert rules.template_matches("{instruction}\n{{{answer}}}", "{x}")
    assert not rules.template_matches("{instruction}\n{{{answer}}}", "x")


# --- judge-reply parser (spec §5, §7) -----------------------------------------------------------------------

U = (-1, -1)
PARSER_CASES = [  # (reply, level, expected en, expected zh); values from upstream's two functions
    # spec §7 table
    ("Analysis...\n['YES', 'NO', 'YES']", 3, (0, 2 / 3), (0, 2 / 3)),
    ("```\n['YES','YES']\n```", 2, (1, 1.0), (1, 1.0)),
    ("['YES','MAYBE']", 2, (0, 0.5), (0, 0.5)),
    ("['YES']", 2, U, U),
    ("I think YES", 1, (1, 1), (1, 1)),
    ("['YES', 'PARTIALLY']", 2, U, (0, 0.5)),
    # level 1
    ("The answer misses the constraint.\nNO", 1, (0, 0), (0, 0)),
    ("It is NOT satisfied", 1, (0, 0), (0, 0)),
    ("['NO'] because it is not YES", 1, (1, 1), (1, 1)),  # 'YES' is looked for first
    ("['YES']", 1, (1, 1), (1, 1)),
    ("['no']", 1, U, U),
    ("", 1, U, U),
    ("error", 1, U, U),
    ("YES\nThe answer is incomplete.", 1, U, U),
    # where the list is
    ("All constraints met: YES, YES", 2, U, U),
    ("['YES', 'YES']\nDone.", 2, U, U),  # not on the last line
    ("Final answer: ['YES', 'NO'] (2 constraints)", 2, (0, 0.5), (0, 0.5)),
    ("['YES'] and ['NO']", 2, U, U),  # greedy match: one span, not a list
    ("['YES', 'NO'] (see [1])", 2, U, U),
    ("error", 2, U, U),
    # length
    ("['YES', 'NO', 'YES']", 2, U, (0, 0.5)),  # zh keeps the first L
    ("['YES', 'YES', 'NO']", 2, U, (1, 1.0)),
    ("['YES', 'NO']", 3, U, U),
    ("[]", 2, U, U),
    ("['YES', 'YES', 'YES', 'YES', 'YES']", 5, (1, 1.0), (1, 1.0)),
    # elements
    ("['YES', 'MAYBE NOT']", 2, U, U),
    ("['YES', 'yes']", 2, U, U),
    ("['YES', 1]", 2, U, U),
    ("['YES', True]", 2, U, U),
    ("['YES', ['NO']]", 2, U, U),
    ("['YES', 'N/A']", 2, (0, 0.5), U),
    ("['YES', 'UNKNOWN']", 2, (0, 0.5), (0, 0.5)),
    ("['YES', 'PARTIAL']", 2, (0, 0.5), (0, 0.5)),
    # Chinese: curly quotes, bare words
    ("[“YES”, “NO”]", 2, U, (0, 0.5)),
    ("[“YES”, 'NO']", 2, U, (0, 0.5)),
    ("[YES, NO]", 2, U, (0, 0.5)),
    ("[YES, 'NO']", 2, U, U),  # a quote anywhere: no bare-word quoting
    ("[YES, YES, YES]", 2, U, (1, 1.0)),
    ("[NO, NO, NO]", 2, U, (0, 0.0)),
    ("[YES, UNKNOWN]", 2, U, U),  # UNKNOWN becomes UNK'NO'WN
    # unparseable
    ("['YES', 'NO'", 2, U, U),
    ("[YES', 'NO']", 2, U, U),
    ("['YES' 'NO' ,,]", 2, U, U),
    # wrapping and whitespace
    ("```\nreasoning\n['YES', 'NO']\n```", 2, (0, 0.5), (0, 0.5)),
    ("```python\n['YES','YES']\n```", 2, (1, 1.0), (1, 1.0)),
    ("```['YES', 'NO']```", 2, (0, 0.5), (0, 0.5)),
    ("['YES','YES']\n```\n", 2, U, U),  # backticks not at the very end are kept
    ("['YES','YES'] \n ", 2, (1, 1.0), (1, 1.0)),
    ("['YES', 'NO']\r\n", 2, (0, 0.5), (0, 0.5)),
    ("['YES','NO']\n\t", 2, (0, 0.5), U),  # zh strips spaces and newlines only
    ("['YES','NO']\n \n", 2, (0, 0.5), U),
    ("x\n['YES','NO']\r\n\r\n", 2, (0, 0.5), U),
    ("YES\n\t", 1, (1, 1), U),
    ("NO\n \n", 1, (0, 0), U),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("reply", "level", "en", "zh"), PARSER_CASES)
def test_parse_reply(reply, level, en, zh, lang):
    expected = {"en": en, "zh": zh}[lang]
    parsed = fb.parse_reply(reply, level, lang)
    assert parsed.ok is (expected != U)
    hard, soft = parsed.value
    assert hard == expected[0] and isinstance(hard, int)
    assert soft == pytest.approx(expected[1], abs=1e-12)


def test_parse_reply_defaults_to_english():
    assert fb.parse_reply("['YES', 'N/A']", 2) == fb.parse_reply("['YES', 'N/A']", 2, "en")
    assert tuple(fb.parse_reply("['YES', 'N/A']", 2).value) == (0, 0.5)
