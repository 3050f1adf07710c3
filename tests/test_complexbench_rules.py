"""ComplexBench rule questions: extractor-reply post-processing and the rule check (spec complexbench.md §3).

Every expected value below is what upstream's ``rule_based_evaluation.preprocess`` and ``con_rule.decompose_judge``
(thu-coai/ComplexBench @ 749f4575) return for the same input, run outside this repository and written here as
literals. Cases marked "quirk" pin upstream behaviour that a clean re-implementation would likely get wrong.
"""

from __future__ import annotations

import pytest

from raif_eval.verifiers import complexbench_rules as cb

# (rule, spans, expected verdict)
CHECK_CASES = [
    # model_length: inclusive bounds, first span only, unwrapped or as is
    ("model_length:[300,10000]", ["a" * 300], True),
    ("model_length:[300,10000]", ["a" * 299], False),
    ("model_length:[1,100]", ["字" * 100], True),
    ("model_length:[1,100]", ["字" * 101], False),
    ("model_length:[1,5]", ['"abcde"'], True),  # 7 as is, 5 unwrapped
    ("model_length:[7,7]", ['"abcde"'], True),  # 7 as is
    ("model_length:[1,3]", ["\n\nabc"], True),  # leading newlines dropped
    ("model_length:[1,3]", ["abc", "abcdefgh"], True),
    ("model_length:[1,3]", ["abcdefgh", "abc"], False),
    ("model_length:[0,10]", [], False),
    ("model_length:[0,10]", [""], False),
    ("model_length:[0,10]", ["", "abc"], True),  # quirk: [""] alone is "no span", ["", x] is not
    # model_length_word: whitespace tokens
    ("model_length_word:[2,3]", ["a b\tc"], True),
    ("model_length_word:[2,3]", ["a b c d"], False),
    ("model_length_word:[2,3]", ["a"], False),
    ("model_length_word:[1,1]", [], False),
    # model_length_each / model_length_word_each: every non-empty span
    ("model_length_each:[2,3]", ["ab", "abc"], True),
    ("model_length_each:[2,3]", ["ab", "abcd"], False),
    ("model_length_each:[2,3]", ["ab", ""], True),
    ("model_length_each:[2,3]", ['"ab"'], True),
    ("model_length_each:[2,3]", [], False),
    ("model_length_each:[2,3]", ["", ""], True),  # quirk: only [] and [""] count as no span
    ("model_length_word_each:[1,2]", ["a b", "c"], True),
    ("model_length_word_each:[1,2]", ["a b c", "d"], False),
    ("model_length_word_each:[1,2]", [""], False),
    # model_keyword: first span as is (not mapped), keywords mapped to full width
    ("model_keyword:[你好, 世界]", ["你好，世界"], True),
    ("model_keyword:[你好, 世界]", ["你好"], False),
    ("model_keyword:[完成.]", ["完成。"], True),
    ("model_keyword:[完成.]", ["完成."], False),  # quirk: span not mapped
    ("model_keyword:[a]", ["b", "a"], False),
    ("model_keyword:[a]", [], False),
    # model_keyword_each: spans mapped
    ("model_keyword_each:[a]", ["xa", "ya"], True),
    ("model_keyword_each:[a]", ["xa", "y"], False),
    ("model_keyword_each:[完成.]", ["完成."], True),
    ("model_keyword_each:[a]", [""], False),
    ("model_keyword_each:[a]", ["", ""], True),
    # model_keyword_num[_each]: number of listed keywords present in [L, R]
    ("model_keyword_num:[1,2,a,b,c]", ["ab"], True),
    ("model_keyword_num:[1,2,a,b,c]", ["a"], True),
    ("model_keyword_num:[1,2,a,b,c]", ["abc"], False),
    ("model_keyword_num:[1,2,a,b,c]", ["x"], False),
    ("model_keyword_num:[0,0,a]", [], False),
    ("model_keyword_num_each:[1,1,a,b]", ["a", "b"], True),
    ("model_keyword_num_each:[1,1,a,b]", ["a", "ab"], False),
    ("model_keyword_num_each:[1,1,a, b]", ["b"], False),  # quirk: keyword " b" keeps its space
    ("model_keyword_num_each:[1,1,a, b]", ["x b"], True),
    ("model_keyword_num_each:[1,1,a]", [], False),
    # model_keyword_num_each + model_forbidden_word_each
    ("model_keyword_num_each:[1,2,a,b]\nmodel_forbidden_word_each:[c]", ["ab", "a"], True),
    ("model_keyword_num_each:[1,2,a,b]\nmodel_forbidden_word_each:[c]", ["ab", "ac"], False),
    ("model_keyword_num_each:[1,2,a,b]\nmodel_forbidden_word_each:[c]", ["ab", "x"], False),
    ("model_keyword_num_each:[1,2,a,b]\nmodel_forbidden_word_each:[]", ["a"], False),  # quirk: [] forbids ""
    # model_forbidden_word[_each]: no span passes
    ("model_forbidden_word:[坏]", ["好"], True),
    ("model_forbidden_word:[坏]", ["坏"], False),
    ("model_forbidden_word:[坏]", ["好", "坏"], True),
    ("model_forbidden_word:[坏]", [], True),
    ("model_forbidden_word:[坏]", [""], True),
    ("model_forbidden_word:[!]", ["wow!"], True),  # quirk: span not mapped, word mapped to ！
    ("model_forbidden_word:[!]", ["wow！"], False),
    ("model_forbidden_word_each:[坏]", ["好", "坏"], False),
    ("model_forbidden_word_each:[坏]", ["好", "好的"], True),
    ("model_forbidden_word_each:[!]", ["wow!"], False),
    ("model_forbidden_word_each:[坏]", [], True),
    ("model_forbidden_word_each:[]", ["a"], False),  # quirk: [] forbids ""
    # model_number_each: number of spans (empty ones included)
    ("model_number_each:[2,3]", ["a", "b"], True),
    ("model_number_each:[2,3]", ["a", "b", "c"], True),
    ("model_number_each:[2,3]", ["a"], False),
    ("model_number_each:[2,3]", ["a", "b", "c", "d"], False),
    ("model_number_each:[2,3]", ["a", ""], True),
    ("model_number_each:[0,3]", [], False),
    ("model_number_each:[0,3]", [""], False),
    # model_startswith / _each / model_starts_with_list_each
    ("model_startswith:你好", ["你好，世界"], True),
    ("model_startswith:你好", ["世界你好"], False),
    ("model_startswith:Hi!", ["Hi!there"], True),
    ("model_startswith:你好", ["世界", "你好"], False),
    ("model_startswith:你好", [], False),
    ("model_startswith_each:第", ["第一", "第二"], True),
    ("model_startswith_each:第", ["第一", "二"], False),
    ("model_startswith_each:第", ["第一", ""], True),
    ("model_starts_with_list_each:[一,二]", ["一a", "二b"], True),
    ("model_starts_with_list_each:[一,二]", ["一a", "三b"], False),
    ("model_starts_with_list_each:[一,二]", ["一a"], False),  # one span per listed start
    ("model_starts_with_list_each:[一,二]", ["一a", ""], True),
    ("model_starts_with_list_each:[一]", [], False),
    # model_startswith + model_endswith
    ("model_startswith:你好\nmodel_endswith:再见", ["你好呀再见"], True),
    ("model_startswith:你好\nmodel_endswith:再见", ["你好呀再见。"], True),
    ("model_startswith:你好\nmodel_endswith:再见", ["你好呀"], False),
    ("model_startswith:你好\nmodel_endswith:再见", ["呀再见"], False),
    # model_endswith / _each: target, target + 。, target + ？
    ("model_endswith:完成", ["任务完成"], True),
    ("model_endswith:完成", ["任务完成。"], True),
    ("model_endswith:完成", ["任务完成？"], True),
    ("model_endswith:完成", ["任务完成."], True),  # "." mapped to 。
    ("model_endswith:完成", ["任务完成!"], False),
    ("model_endswith:完成", ["任务完成。。"], False),
    ("model_endswith:完成。", ["任务完成."], True),
    ("model_endswith:完成", [], False),
    ("model_endswith_each:完", ["a完", "b完", "c"], True),  # quirk: the last of several spans is ignored
    ("model_endswith_each:完", ["a完", "b", "c完"], False),
    ("model_endswith_each:完", ["c"], False),
    ("model_endswith_each:完", ['"a完"'], True),
    ("model_endswith_each:完", ["", "b"], True),
    # model_constraint_punc / _each: only the listed marks may appear
    ("model_constraint_punc:[，]", ["a，b"], True),
    ("model_constraint_punc:[，]", ["a。b"], False),
    ("model_constraint_punc:[，]", ["a.b"], True),  # quirk: span not mapped, ASCII marks not looked for
    ("model_constraint_punc:[]", ['"ab"'], True),
    ("model_constraint_punc:[]", ["a+b"], False),
    ("model_constraint_punc:[，]", [], False),
    ("model_constraint_punc_each:[，]", ["a,b"], True),
    ("model_constraint_punc_each:[，]", ["a.b"], False),
    ("model_constraint_punc_each:[，]", ["a，b", "c"], True),
    ("model_constraint_punc_each:[，]", ["a，b", "c！"], False),
    ("model_constraint_punc_each:[，, .]", ["a，b。"], True),
    ("model_constraint_punc_each:[,, .]", ["a，b。"], False),  # quirk: an ASCII comma cannot be listed
    ("model_constraint_punc_each:[]", ['"ab"'], True),
    ("model_constraint_punc_each:[]", [""], False),
    # model_not_startswith / model_not_endswith[_each]: no span passes
    ("model_not_startswith:不", ["不要"], False),
    ("model_not_startswith:不", ["要不"], True),
    ("model_not_startswith:不", [], True),
    ("model_not_startswith:不", [""], True),
    ("model_not_endswith:吗", ["好吗"], False),
    ("model_not_endswith:吗", ["好吗？"], False),
    ("model_not_endswith:吗", ["好吗?"], False),
    ("model_not_endswith:吗", ["好"], True),
    ("model_not_endswith:吗", [], True),
    ("model_not_endswith_each:吗", ["好", "行吗"], False),
    ("model_not_endswith_each:吗", ["好", "行"], True),
    ("model_not_endswith_each:吗", [], True),
    ("model_not_endswith_each:吗", ["", ""], True),
    # first-span rules: keyword
    ("keyword:[你好]", ["你好世界"], True),
    ("keyword:[你好]", ["世界"], False),
    ("keyword:[你好]", ["世界", "你好"], False),
    ("keyword:[完成.]", ["完成."], True),
    ('keyword:["a"]', ['"a"'], True),  # fails unwrapped, passes as is
    ("keyword:[None]", ["None"], False),  # a span containing None counts as empty
    ("keyword:[a]", [], False),
    # forbidden_word
    ("forbidden_word:[坏]", ["好"], True),
    ("forbidden_word:[坏]", ["坏"], False),
    ("forbidden_word:[坏]", ["None 坏"], True),
    ("forbidden_word:[坏]", [], True),
    ("forbidden_word:[坏]", [""], True),
    # startswith / endswith / not endswith / both
    ("startswith:你好", ["你好呀"], True),
    ("startswith:你好", ["\n\n你好呀"], True),
    ("startswith:你好", ["“你好”"], True),
    ("startswith:你好", ["呀你好"], False),
    ("startswith:你好", [], False),
    ("not startswith:你好", ["你好呀"], True),  # quirk: read as "startswith:你好", not negated
    ("endswith:再见", ["好的再见。"], True),
    ("endswith:再见", ['"好的再见"'], True),
    ("endswith:再见", ["再见了"], False),
    ("endswith:再见", [], False),
    ("not endswith:吗", ["好吗"], False),
    ("not endswith:吗", ["好"], True),
    ("not endswith:吗", ['"好吗"'], True),  # fails unwrapped, passes as is
    ("not endswith:吗", [], True),
    ("not endswith:吗", ["None"], True),
    ("startswith:开\nendswith:完", ["开始完"], True),
    ("startswith:开\nendswith:完", ["开始"], False),
    ("startswith:开\nendswith:完", ["始完"], False),
    # length / length_word
    ("length:[2,3]", ["abc"], True),
    ("length:[2,3]", ["ab"], True),
    ("length:[2,3]", ["abcd"], False),
    ("length:[2,3]", ['"ab"'], True),
    ("length:[2,3]", [], False),
    ("length:[0,9]", ["None"], False),
    ("length_word:[2,2]", ["a b"], True),
    ("length_word:[2,2]", ["a"], False),
    ("length_word:[0,2]", [], False),
    # match: whole span, optionally + 。
    ("match:是", ["是"], True),
    ("match:是", ["是。"], True),
    ("match:是", ["是."], True),
    ("match:是", ["不是"], False),
    ("match:是", ['"是"'], True),
    ("match:Yes.", ["Yes."], False),  # quirk: span mapped to "Yes。", target not
    ("match:是", [], False),
    # Json: first balanced {…} with exactly the listed keys
    ('Json:["a","b"]', ['{"a": 1, "b": 2}'], True),
    ('Json:["a","b"]', ['{"b": 1, "a": 2}'], True),
    ('Json:["a","b"]', ['{"a": 1}'], False),
    ('Json:["a","b"]', ['{"a": 1, "b": 2, "c": 3}'], False),
    ('Json:["a","b"]', ['x {"a": 1, "b": {"c": 2}} y {"d": 1}'], True),
    ('Json:["a","b"]', ['{"d": 1} {"a": 1, "b": 2}'], False),
    ('Json:["a","b"]', ['```json\n{"a": [1], "b": "x"}\n```'], True),
    ('Json:["a"]', ['{"a": "}"}'], False),  # braces inside strings are counted
    ('Json:["a"]', ['{"a": 1}'], True),
    ('Json:["a"]', ["{a: 1}"], False),
    ('Json:["a"]', ['{"a": None}'], False),
    ('Json:["a"]', [], False),
    ('Json:["a","a"]', ['{"a": 1}'], False),
    ('Json:["a",""]', ['{"a": 1}'], True),
    ("Json:[]", ['{"z": 1}'], True),
    ("Json:[]", ["[1, 2]"], False),
    ("Json:['a']", ['{"a": 1}'], True),
    ('Json:["a"]\n', ['{"a": 1}'], True),
    # constraint_punc (first span, mapped)
    ("constraint_punc:[，]", ["a,b"], True),
    ("constraint_punc:[，]", ["a.b"], False),
    ("constraint_punc:[，]", ["a，b"], True),
    ("constraint_punc:[,]", ["a，b"], False),  # quirk: the list splits on ",", leaving ["", ""]
    ("constraint_punc:[，]", [], False),
    # some _each families read their parameter only at a non-empty span: a malformed one is never read
    ("model_keyword_each:[a] ", ["", ""], True),
    ("model_endswith_each", ["", "x"], True),
    ("model_not_endswith_each", ["", ""], True),
    # unknown rules
    ("foo", ["x"], 2),
    ("foo", [], 2),
    ("", [], 2),
    ("model_foo:[1]", ["x"], 2),
    ("model_foo", [], 2),
    ("xx_each:[1]", ["x"], 2),
    ("keyword_num:[1,2,a]", ["a"], 2),
    ("not_endswith:a", ["b"], False),  # quirk: read as "endswith:a"
    ("not_endswith:a", ["ba"], True),
]


@pytest.mark.parametrize(("rule", "spans", "expected"), CHECK_CASES)
def test_check(rule, spans, expected):
    got = cb.check(rule, spans)
    assert got == expected and type(got) is type(expected)


def test_every_family_is_covered():
    prefixes = {rule.split(":")[0] for rule, _, _ in CHECK_CASES}
    assert {
        "model_length", "model_length_word", "model_length_each", "model_length_word_each", "model_keyword",
        "model_keyword_each", "model_keyword_num", "model_keyword_num_each", "model_forbidden_word",
        "model_forbidden_word_each", "model_number_each", "model_startswith", "model_startswith_each",
        "model_starts_with_list_each", "model_endswith", "model_endswith_each", "model_constraint_punc",
        "model_constraint_punc_each", "model_not_startswith", "model_not_endswith", "model_not_endswith_each",
        "keyword", "forbidden_word", "startswith", "endswith", "not endswith", "length", "length_word", "match",
        "Json", "constraint_punc",
    } <= prefixes
    verdicts = {(rule.split(":")[0], expected) for rule, _, expected in CHECK_CASES}
    for prefix in prefixes - {"foo", "", "model_foo", "xx_each", "keyword_num", "not_endswith", "not startswith"}:
        assert (prefix, True) in verdicts and (prefix, False) in verdicts, prefix


def test_unknown_is_the_integer_2():
    assert cb.UNKNOWN == 2 and type(cb.UNKNOWN) is int
    assert cb.check("no such rule", ["x"]) is cb.UNKNOWN


def test_spans_are_not_modified():
    spans = ["Hi!", "a."]
    cb.check("model_startswith:Hi!", spans)
    cb.check("model_not_endswith_each:x", spans)
    assert spans == ["Hi!", "a."]


@pytest.mark.parametrize("rule", [
    "model_length:[1,5] ",  # the parameter must run to the end of the rule
    "model_length:1,5",
    "model_keyword_num:[1]",
    "keyword:[a]\nforbidden_word:[b]",  # upstream's per-line patterns do not match a two-line combination
    "Json:[a]",
])
def test_malformed_rule_raises(rule):
    with pytest.raises(ValueError):
        cb.check(rule, ["a"])


def test_full_width_mapping():
    assert cb.full_width("!#$%&()*,.:;?\\^“”") == '！＃＄％＆（）＊，。：；？＼＾""'
    unchanged = "+-/<=>@[]_`{|}~'\" abc你好"
    assert cb.full_width(unchanged) == unchanged


@pytest.mark.parametrize(("span", "expected"), [
    ("\n\n“abc”", "abc"), ('"abc`', "abc"), ('"abc', '"abc'), ('"', ""), ("abc", "abc"), ("", ""),
    ("\n\n", ""),  # upstream raises IndexError here; we give ""
])
def test_unwrap(span, expected):
    assert cb.unwrap(span) == expected


# --- extractor reply → spans -----------------------------------------------------------------------------------

MARK = "【模型回复中评分问题的评测对象】\n"
LONG = "长" * 5000

# (reply, response, expected spans); "RESPONSE" stands for the response itself
SPAN_CASES = [
    ("【解释】\n分析。\n\n" + MARK + "评分对象：智能未来的探索者", "r", ["智能未来的探索者"]),
    ("评分对象：旧\n" + MARK + "评分对象：新", "r", ["新"]),
    (MARK + "评分对象：甲" + MARK + "评分对象：乙", "r", ["乙"]),
    (MARK + "评测对象：甲", "r", ["甲"]),
    (MARK + "评分对象：甲：乙", "r", ["甲：乙"]),
    (MARK + "评测对象：甲：乙", "r", ["甲：乙"]),
    (MARK + "标题：智能未来", "r", ["智能未来"]),
    (MARK + "很抱歉，无法确定。", "r", ["很抱歉，无法确定。"]),
    ("abc", "r", ["abc"]),
    ("评分对象：一段话\n\n请注意：不要改写", "r", ["一段话"]),
    ("评分对象：一段话\n\n**注意**：x", "r", ["一段话"]),
    ("评分对象：一段话\n\n注意：x", "r", ["一段话"]),
    ("一段话\n\n注意：x", "r", ["一段话"]),  # cut before the last "："
    ("评分对象：a\n\n注意：b\n\n注意：c", "r", ["a\n\n注意：b"]),  # only the last note is cut
    ("评分对象：all", LONG, "RESPONSE"),  # the full response, not the 4,000 characters the extractor saw
    ("评分对象：allow me", "r", "RESPONSE"),
    ("all", "r", "RESPONSE"),
    ("评分对象：all None", "r", "RESPONSE"),
    ("评分对象： all", "r", ["all"]),
    ("评分对象：None", "r", []),
    ("评分对象：a None b", "r", []),
    ("None", "r", []),
    ("评分对象：a || b ||c", "r", ["a", "b", "c"]),
    ("评分对象：a||", "r", ["a", ""]),
    ("评分对象：", "r", [""]),
    ("评分对象：\n  a  \n", "r", ["a"]),
    (None, "r", []),
    ("评分对象：all", None, []),
    ("评分对象：a", None, []),
]


@pytest.mark.parametrize(("reply", "response", "expected"), SPAN_CASES)
def test_spans_from_extraction(reply, response, expected):
    got = cb.spans_from_extraction(reply, response)
    if expected == "RESPONSE":
        assert len(got) == 1 and got[0] is response
    else:
        assert got == expected


def test_spans_feed_check():
    reply = "【解释】\nx\n\n" + MARK + "评分对象：第一段 || 第二段\n\n请注意：y"
    spans = cb.spans_from_extraction(reply, "r")
    assert cb.check("model_number_each:[2,2]", spans) is True
    assert cb.check("model_startswith_each:第", spans) is True
    assert cb.check("model_forbidden_word:[第]", cb.spans_from_extraction("None", "r")) is True
