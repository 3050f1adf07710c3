"""CELLO scoring: the official GPT-4 rows of the upstream score tables from the shipped GPT-4 answers, and every
criterion kind and known trap on real records with hand-made answers (expectations worked out from upstream's
``code/scorers/*.py`` and spec §4/§7, not read off our own output)."""

from __future__ import annotations

import copy
import json
import math
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from helpers import SHARED
from raif_eval.benchmarks import cello
from raif_eval.verifiers import cello_rules

CELLO = SHARED / "cello"


@lru_cache(maxsize=1)
def records() -> tuple[dict, ...]:
    return tuple(cello.load_records())


def rec(task_file: str, index: int) -> dict:
    """The index-th record (0-based, file order) of one task file, as a fresh copy."""
    return copy.deepcopy([r for r in records() if r["task_file"] == task_file][index])


def fixture_rows(revise_against: str) -> list[tuple[str, dict]]:
    """Upstream score.py over results/gpt4: every result record as it is (the two duplicate keywords_extraction
    answers included), its criteria from the data record with the same Instruction_id."""
    by_id = {r["Instruction_id"]: r for r in records()}
    rows = []
    for stem in cello.TASK_FILES:
        for result in json.loads((CELLO / "results" / "gpt4" / f"res_{stem}.json").read_text(encoding="utf-8")):
            record = by_id[result["Instruction_id"]]
            assert record["task_file"] == stem
            rows.append((stem, cello.score(record, result["model_answer"], revise_against)))
    return rows


@lru_cache(maxsize=2)
def fixture_columns(revise_against: str) -> tuple[dict, dict, dict]:
    rows = fixture_rows(revise_against)
    return cello.task_columns(rows), cello.criterion_columns(rows), cello.task_table(rows)


def official_row(kind: str) -> pd.Series:
    table = pd.read_csv(CELLO / "scores" / f"Eg_scores_by_{kind}.csv")
    row = table[table["model_name"] == "GPT-4"]
    assert len(row) == 1
    return row.iloc[0]


# --- data and prompts ---------------------------------------------------------------------------------------

def test_records_files_and_halves():
    counts = {stem: sum(r["task_file"] == stem for r in records()) for stem in cello.TASK_FILES}
    assert counts == {"extraction": 49, "Planning": 52, "meta_prompt": 20, "brainstorming_single_round": 20,
                      "writing_single_round": 23, "keywords_extraction": 15, "closed_qa": 89, "Summarization": 108,
                      "Structure_hard": 18, "Structure_simple": 18, "Structure_None": 2,
                      "brainstorming_multi_rounds": 52, "writing_multi_rounds": 57}
    assert len(records()) == 523 and len({r["Instruction_id"] for r in records()}) == 523
    assert [r["task_file"] for r in records()] == sorted((r["task_file"] for r in records()),
                                                         key=cello.TASK_FILES.index)  # grouped, in TASK_FILES order
    assert cello.COMPLEX_INSTRUCTION == ("extraction", "Planning", "meta_prompt", "brainstorming_single_round",
                                         "writing_single_round")
    assert set(cello.COMPLEX_INPUT) == {"keywords_extraction", "closed_qa", "Summarization", "Structure",
                                        "brainstorming_multi_rounds", "writing_multi_rounds"}
    first = rec("extraction", 0)
    assert first["Instruction_id"] == records()[0]["Instruction_id"] and first["Answer_format"] == [
        {"criterion": "keywords", "limit": ["|"]}]  # spec §2's example record
    assert sum(bool(r["histories"]) for r in records()) == 89


def test_messages_alternate_history_then_instruction():
    record = rec("writing_multi_rounds", 8)  # two earlier turns
    (u1, a1), (u2, a2) = record["histories"]
    assert cello.messages(record) == [
        {"role": "user", "content": u1}, {"role": "assistant", "content": a1},
        {"role": "user", "content": u2}, {"role": "assistant", "content": a2},
        {"role": "user", "content": record["Instruction"]},
    ]
    single = rec("extraction", 0)
    assert cello.messages(single) == [{"role": "user", "content": single["Instruction"]}]


# --- golden: the official GPT-4 rows ---------------------------------------------------------------------------

def test_fixture_scored_as_is_with_duplicates():
    rows = fixture_rows("self")
    assert len(rows) == 525  # 523 ids, keywords_extraction has 17 answers for 15 ids (trap 4)
    assert sum(stem == "keywords_extraction" for stem, _ in rows) == 17


def test_golden_tasks_csv_gpt4():
    ours, _, _ = fixture_columns("self")
    official = official_row("tasks")
    assert list(ours) == list(official.index[1:])  # same columns, same order
    for column in cello.TASK_COLUMNS:
        assert np.round(ours[column], 3) == official[column], column


def test_golden_constraints_csv_gpt4():
    _, ours, _ = fixture_columns("self")
    official = official_row("constraints")
    assert list(ours) == list(official.index[1:])
    for column in cello.CRITERION_COLUMNS:
        assert np.round(ours[column], 3) == official[column], column


def test_golden_unrounded_average():
    tasks, criteria, _ = fixture_columns("self")
    assert tasks["Average"] == pytest.approx(0.8224476861655865, abs=1e-12)
    assert criteria["Average"] == tasks["Average"]
    # trap 8: the mean of the four criterion columns is a different number
    four = [criteria[c] for c in ("format_score", "input_score", "task_score", "count_limit_score")]
    assert round(sum(four) / 4, 3) != round(tasks["Average"], 3)


# spec §6, per-task criterion means (format, input, task, count), None = nan
SPEC_TASK_MEANS = {
    "Planning": (0.981, 0.797, 0.858, None), "Structure_None": (None, 0.5, None, None),
    "Structure_hard": (1.0, 0.679, None, None), "Structure_simple": (1.0, 0.685, None, None),
    "Summarization": (None, 0.911, None, None), "brainstorming_multi_rounds": (0.907, 1.0, 0.666, 0.894),
    "brainstorming_single_round": (0.85, 1.0, 0.578, 0.884), "closed_qa": (None, 0.889, None, None),
    "extraction": (0.718, 0.708, 0.786, None), "keywords_extraction": (0.676, 0.968, 0.941, None),
    "meta_prompt": (0.981, 0.824, 0.857, 0.0), "writing_multi_rounds": (1.0, 0.867, 0.82, 0.953),
    "writing_single_round": (1.0, 0.524, 0.828, 0.888),
}


def test_golden_per_task_criterion_means():
    _, _, table = fixture_columns("self")
    assert list(table) == list(cello.TASK_FILES)
    for stem, expected in SPEC_TASK_MEANS.items():
        got = tuple(None if table[stem][c] is None else round(table[stem][c], 3) for c in cello.CRITERIA)
        assert got == expected, stem


def test_golden_previous_turn_mode():
    tasks, criteria, _ = fixture_columns("previous_turn")
    assert round(criteria["count_limit_score"], 3) == 0.691
    assert round(tasks["writing_multi_rounds"], 3) == 0.869
    assert round(tasks["Ave_complex_input"], 3) == 0.854
    assert round(tasks["Average"], 3) == 0.819
    # only revise differs: the other criterion columns and every complex-instruction task keep the official value
    official_c, official_t = official_row("constraints"), official_row("tasks")
    for column in ("format_score", "input_score", "task_score"):
        assert np.round(criteria[column], 3) == official_c[column]
    for column in (*cello.COMPLEX_INSTRUCTION, "Ave_complex_ins"):  # no revise entries there
        assert np.round(tasks[column], 3) == official_t[column]


# --- answer format -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("task_file, index, answer, expected", [
    # json, keywords [":"]: Python literal that is a dict
    ("extraction", 3, '{"事件时间": "4月10日", "人物": "徐立"}', 1.0),
    ("extraction", 3, '{"人物": "徐立", "在职": true}', 0.5),  # JSON true is no Python literal: resolve 0
    ("extraction", 3, '{"人物": "徐立", "在职": True}', 1.0),
    ("extraction", 3, '[1, 2]', 0.0),  # a list is not a dict, and no ":"
    ("extraction", 3, 'dict(a=1)', 0.0),  # eval() would build a dict; literal_eval runs no code
    ("extraction", 3, '结果：{"人物": "徐立"}', 0.5),  # the whole answer must parse
    # dict, keywords ["{", "}", '"', ":"]
    ("extraction", 38, '{"姓名": "陈香兰", "性别": "女"}', 1.0),
    # list, keywords ["[", "]"]
    ("extraction", 1, "['《My Way》', '《断点》']", 1.0),
    ("extraction", 1, '["2001年", false]', 0.5),  # JSON false fails
    ("extraction", 1, "('《My Way》',)", 0.0),
    # tuple, keywords ["(", ")"]
    ("extraction", 2, "('陈奕迅', '1974年7月27日')", 1.0),
    ("extraction", 2, "['陈奕迅']", 0.0),
    # xml, keywords ["<", ">", "/"]
    ("extraction", 28, "<person><name>刘瓦利</name><gender>女</gender></person>", 1.0),
    ("extraction", 28, "<person><name>刘瓦利</person>", 0.5),  # mismatched tag: resolve 0, keywords 3/3
    ("extraction", 28, "<a>1</a><b>2</b>", 0.5),  # two roots is no XML document
    # limit ["xml"] (a list): upstream matches no type branch, so resolve is 0 even for valid XML
    ("brainstorming_single_round", 18, "<root><关键词>x</关键词></root>", 0.5),
])
def test_format_resolve(task_file, index, answer, expected):
    assert cello.score(rec(task_file, index), answer)["format"] == expected


def test_format_resolve_yaml():
    record = rec("extraction", 3)  # no record asks for yaml; same list with the limit swapped
    record["Answer_format"] = [{"criterion": "resolve", "limit": "yaml"}, {"criterion": "keywords", "limit": [":"]}]
    assert cello_rules.resolve_score("a: [1, 2]", record["Answer_format"]) == 1.0
    assert cello_rules.resolve_score("just prose", record["Answer_format"]) == 1.0  # safe_load reads it as a string
    assert cello_rules.resolve_score("a: [1, 2", record["Answer_format"]) == 0.0
    assert cello.score(record, "a: [1, 2")["format"] == 0.5


def test_format_keywords_only_and_null():
    record = rec("extraction", 0)  # keywords ["|"], no resolve: format = keyword coverage
    assert cello.score(record, "陈奕迅|获奖|金曲奖")["format"] == 1.0
    assert cello.score(record, "陈奕迅-获奖")["format"] == 0.0
    assert cello.score(rec("writing_single_round", 0), "任何回答")["format"] is None  # NULL first


def test_keyword_limit_given_as_string_counts_characters():
    record = rec("meta_prompt", 9)  # Answer_format keywords limit is the string "<Prompt>", not a list
    assert record["Answer_format"] == [{"criterion": "keywords", "limit": "<Prompt>"}]
    assert cello.score(record, "<Prompt>")["format"] == 1.0
    assert cello.score(record, "<P>")["format"] == 3 / 8  # "<", "P", ">" of 8 characters


# --- keywords, task and input ---------------------------------------------------------------------------------

def test_task_keywords_case_sensitive_plain_substring():
    record = rec("brainstorming_single_round", 0)
    assert record["Task_prescribed_phrases"][0]["limit"] == [
        "Keywords", "Description", "Steps", "keywords", "description", "step"]
    assert cello.score(record, "keywords, description, steps")["task"] == 3 / 6  # "step" in "steps"
    assert cello.score(record, "KEYWORDS DESCRIPTION STEPS")["task"] == 0.0
    assert cello.score(record, "ｋｅｙｗｏｒｄｓ")["task"] == 0.0  # no width folding


def test_task_first_keywords_entry_only():
    record = rec("brainstorming_single_round", 18)  # two keyword entries: Chinese, then English
    assert cello.score(record, "Keyword keyword Description description Advantage advantage")["task"] == 0.0
    assert cello.score(record, "关键词")["task"] == 1 / 3


def test_input_keywords_times_one_minus_char_bleu():
    record = rec("extraction", 0)
    text = record["input_text"]
    assert len(text) == 254
    # No shared character 4-gram ("陈奕迅" is only a 3-gram here): unsmoothed BLEU is 0, the score is the coverage.
    assert cello.score(record, "陈奕迅ABCD")["input"] == 0.25
    # Copying the input: BLEU 1, whatever the coverage.
    assert cello.score(record, text)["input"] == 0.0
    # A prefix of the input: every character n-gram matches, so BLEU = brevity penalty exp(1 - 254/127) = 1/e;
    # the prefix holds 1 of the 4 keywords. (Word-level BLEU would see ~6 tokens and give another number.)
    assert cello.score(record, text[:127])["input"] == pytest.approx(0.25 * (1 - math.exp(-1)), abs=1e-12)


def test_input_bleu_skipped_without_input_text():
    record = rec("extraction", 0)
    text = record["input_text"]
    record["input_text"] = "NULL"
    assert cello.score(record, text)["input"] == 1.0
    nan_input = rec("brainstorming_single_round", 10)  # input_text NaN, keywords ["秦始皇"]
    assert isinstance(nan_input["input_text"], float) and math.isnan(nan_input["input_text"])
    assert cello.score(nan_input, "秦始皇")["input"] == 1.0
    assert cello.score(rec("Planning", 8), "任何回答")["input"] is None  # NULL entry with limit ["NULL"]


# --- count limit ----------------------------------------------------------------------------------------------

def test_word_max_counts_cjk_characters():
    record = rec("writing_single_round", 2)  # word-max 150
    assert record["Count_limit"] == [{"criterion": "word-max", "limit": 150}]
    # punctuation, Latin letters and digits count 0
    assert cello.score(record, "字" * 150 + "，。！abc 123 ｘｙｚ")["count"] == 1.0
    assert cello.score(record, "字" * 200)["count"] == 1 - 50 / 200
    assert cello.score(record, "字" * 100 + "a" * 1000)["count"] == 1.0


def test_word_min():
    record = rec("writing_single_round", 0)  # word-min 50
    assert cello.score(record, "字" * 40 + "word " * 40)["count"] == 40 / 50
    assert cello.score(record, "字" * 60)["count"] == 1.0
    assert cello.score(record, "")["count"] == 0.0


def test_word_exact_and_min_max_always_pass_and_english_count():
    assert cello_rules.word_score("", [{"criterion": "word-exact", "limit": 5}]) == 1.0
    assert cello_rules.word_score("", [{"criterion": "word-min-max", "limit": [5, 9]}]) == 1.0
    # English: whitespace tokens with at least one ASCII letter or digit ("---" is not one)
    assert cello_rules.word_score("hello, world! 42 ---", [{"criterion": "word-max", "limit": 2}], "eg") == 1 - 1 / 3


def test_sample_min():
    record = rec("meta_prompt", 7)  # sample-min [["<DRAW>", 10]]
    assert cello.score(record, "<DRAW>" * 10)["count"] == 1.0
    assert cello.score(record, "<DRAW>" * 9)["count"] == 0.0
    two = rec("brainstorming_single_round", 18)  # two sample-min entries: the better one counts
    assert cello.score(two, "<Keyword>" * 5 + "<描述>" * 4)["count"] == 1 / 8


TABLE5 = "|编号|问题描述|\n|---|---|\n|1|a|\n|2|b|\n|3|c|\n|4|d|\n|5|e|"


def test_sample_table_and_number():
    record = rec("brainstorming_single_round", 3)  # sample-table 5, then sample-number 5
    assert record["Count_limit"] == [{"criterion": "sample-table", "limit": 5},
                                     {"criterion": "sample-number", "limit": 5}]
    # header + separator + 5 rows: 6 newlines between the first and the last "|"; text around the table ignored
    assert cello_rules.sample_score("如下：\n" + TABLE5 + "\n以上。\n\n", record["Count_limit"]) == 1.0
    assert cello.score(record, TABLE5 + "\n|6|f|")["count"] == 0.0  # 7 newlines; and 6 > 5 fails the number
    # Table fails (4 rows); the number check then sees only the cut table, so the "5" after it is gone.
    four_rows = "|编号|问题描述|\n|---|---|\n|1|a|\n|2|b|\n|3|c|\n|4|d|\n共5个"
    assert cello.score(record, four_rows)["count"] == 0.0
    assert cello_rules.sample_score(four_rows, [record["Count_limit"][1]]) == 1.0  # number check alone: sees the 5


@pytest.mark.parametrize("answer, expected", [
    ("1. 甲\n2. 乙\n3. 丙\n4. 丁\n5. 戊", 1.0),  # no "|": table 0, numbers {1..5}
    ("1 2 3 4", 0.0),  # no number equals 5
    ("1 2 3 4 5 6", 0.0),  # one exceeds 5
    ("5 05 005", 1.0),  # distinct strings, all equal to 5
    ("第５条", 1.0),  # \d matches full-width digits, int() reads them
    ("共15个", 0.0),
    ("9" * 5000, 0.0),  # beyond Python's int-string limit: still "exceeds"
])
def test_sample_number(answer, expected):
    assert cello.score(rec("brainstorming_single_round", 3), answer)["count"] == expected


def test_sample_walk_quirks():
    # a non-sample entry first: upstream returns nan before reaching sample-number
    record = rec("brainstorming_multi_rounds", 28)
    assert [c["criterion"] for c in record["Count_limit"]] == ["sample-exact", "sample-number"]
    assert cello.score(record, "1 2 3 4 5")["count"] is None
    assert cello.score(rec("brainstorming_single_round", 1), "<type>" * 4)["count"] is None  # sample-mins alone
    # a non-sample entry after a sample one re-runs it; a NULL anywhere makes it nan
    assert cello_rules.sample_score("3", [{"criterion": "sample-min", "limit": [["3", 1]]},
                                    {"criterion": "revise", "limit": "longer"}]) == 1.0
    assert cello_rules.sample_score("3", [{"criterion": "sample-min", "limit": [["3", 1]]},
                                    {"criterion": "NULL", "limit": "NULL"}]) is None


@pytest.mark.parametrize("answer, expected", [
    ("春天来了。花开了！你看到了吗？", 1.0),
    ("春天来了。花开了！你看到了吗？真美；", 0.0),
    ("春天来了。花开了\n你看到了吗", 0.0),  # the last piece has no terminator: 2 sentences
    ("春天来了。花开了\n你看到了吗\n", 1.0),  # newline ends a sentence
    ("Spring. Flowers. Look.", 0.0),  # ASCII full stops are no terminators
])
def test_sentence_exact(answer, expected):
    record = rec("writing_multi_rounds", 0)  # sentence-exact 3, no earlier turns
    assert record["Count_limit"] == [{"criterion": "sentence-exact", "limit": 3}] and not record["histories"]
    assert cello.score(record, answer)["count"] == expected


def test_sentence_other_modes():
    three = "一。二。三。"
    assert cello_rules.sentence_score(three, [{"criterion": "sentence-max", "limit": 1}]) is None  # upstream bug
    assert cello_rules.sentence_score(three, [{"criterion": "sentence-min", "limit": 4}]) == 3 / 4
    assert cello_rules.sentence_score(three, [{"criterion": "sentence-min", "limit": 2}]) == 1.0
    assert cello_rules.sentence_score(three, [{"criterion": "sentence-min-max", "limit": [2, 3]}]) == 1.0
    assert cello_rules.sentence_score(three, [{"criterion": "sentence-min-max", "limit": [4, 6]}]) == 0.0


def test_revise_self_always_passes_previous_turn_compares():
    shorter = rec("writing_multi_rounds", 5)  # revise "shorter", previous answer 49 characters
    assert shorter["Count_limit"] == [{"criterion": "revise", "limit": "shorter"}]
    assert len(shorter["histories"][-1][1]) == 49
    long_answer, short_answer = "长" * 100, "短" * 49
    assert cello.score(shorter, long_answer)["count"] == 1.0  # self (official): compared with itself
    assert cello.score(shorter, long_answer, revise_against="previous_turn")["count"] == 0.0
    assert cello.score(shorter, short_answer, revise_against="previous_turn")["count"] == 1.0  # <= passes

    longer = rec("writing_multi_rounds", 10)  # revise "longer", previous answer 107 characters
    assert len(longer["histories"][-1][1]) == 107
    assert cello.score(longer, "x" * 107, revise_against="previous_turn")["count"] == 1.0  # >= passes
    assert cello.score(longer, "x" * 106, revise_against="previous_turn")["count"] == 0.0
    assert cello.score(longer, "x", revise_against="self")["count"] == 1.0

    mixed = rec("writing_multi_rounds", 1)  # sentence-exact 3, revise longer (previous 87 characters)
    three = "一。二。三。"
    assert cello.score(mixed, three)["count"] == 1.0
    assert cello.score(mixed, three, revise_against="previous_turn")["count"] == 0.5  # mean(1, 0)


def test_revise_needs_an_entry_and_previous_turn_needs_history():
    record = rec("writing_multi_rounds", 5)
    record["histories"] = []
    assert cello.score(record, "x")["count"] == 1.0  # self: upstream's appended turn is always there
    assert cello.score(record, "x", revise_against="previous_turn")["count"] is None
    multi_no_revise = rec("writing_multi_rounds", 8)  # has histories, revise "shorter"
    multi_no_revise["Count_limit"] = [{"criterion": "NULL", "limit": "NULL"}]
    assert cello.score(multi_no_revise, "x", revise_against="previous_turn")["count"] is None
    with pytest.raises(ValueError):
        cello.score(record, "x", revise_against="previous")


# --- NULL entries and failed generations ----------------------------------------------------------------------

def test_null_entry_first_is_not_applicable():
    record = rec("extraction", 0)  # Task and Count lists are NULL
    got = cello.score(record, "陈奕迅|获奖|金曲奖")
    assert got["task"] is None and got["count"] is None
    structure_none = rec("Structure_None", 0)  # only the input list applies
    got = cello.score(structure_none, "list int")
    assert (got["format"], got["task"], got["count"]) == (None, None, None) and got["input"] is not None


@pytest.mark.parametrize("answer", [None, float("nan"), 3, ["a"]])
def test_non_string_answer_scores_zero_where_applicable(answer):
    assert cello.score(rec("extraction", 3), answer) == {"format": 0.0, "input": 0.0, "task": 0.0, "count": None}
    for mode in cello.REVISE_AGAINST:
        assert cello.score(rec("writing_multi_rounds", 1), answer, mode)["count"] == 0.0
    assert cello.score(rec("brainstorming_single_round", 3), answer)["count"] == 0.0  # sample entries
    assert cello.score(rec("brainstorming_multi_rounds", 28), answer)["count"] is None  # nan for any answer


# --- aggregation ----------------------------------------------------------------------------------------------

def row(task_file: str, fmt=None, inp=None, task=None, count=None) -> tuple[str, dict]:
    return task_file, {"format": fmt, "input": inp, "task": task, "count": count}


def test_task_table_nanmeans():
    rows = [row("extraction", 1.0, 0.5), row("extraction", None, 0.0, 1.0), row("extraction", 0.0, float("nan"))]
    table = cello.task_table(rows)
    assert table == {"extraction": {"format": 0.5, "input": 0.25, "task": 1.0, "count": None,
                                    "score": (0.5 + 0.25 + 1.0) / 3}}


def test_structure_is_an_equal_weight_mean_of_its_three_files():
    rows = ([row("Structure_hard", inp=0.0)] * 18 + [row("Structure_simple", inp=0.0)] * 18
            + [row("Structure_None", inp=1.0)] * 2)
    columns = cello.task_columns(rows)
    assert columns["Structure"] == pytest.approx(1 / 3)  # not 2/38
    assert columns["Ave_complex_input"] == pytest.approx(1 / 3)


def test_columns_task_based_average_and_criterion_means_over_files():
    rows = ([row(stem, 1.0) for stem in cello.COMPLEX_INSTRUCTION]  # 5 files at 1.0 (format only)
            + [row(stem, inp=0.0) for stem in cello.TASK_FILES if stem not in cello.COMPLEX_INSTRUCTION]
            + [row("closed_qa", inp=1.0)] * 9)  # closed_qa: 10 samples, mean 0.9
    tasks = cello.task_columns(rows)
    assert tasks["Ave_complex_ins"] == 1.0
    assert tasks["Ave_complex_input"] == pytest.approx(0.9 / 6)  # Structure counts once
    assert tasks["Average"] == pytest.approx((1.0 + 0.9 / 6) / 2)
    criteria = cello.criterion_columns(rows)
    assert criteria["input_score"] == pytest.approx(0.9 / 8)  # over 8 task files with input, not 17 samples
    assert criteria["format_score"] == 1.0 and criteria["task_score"] is None
    assert criteria["Average"] == tasks["Average"]
    summary = cello.summary(rows)
    assert summary["average"] == tasks["Average"] and summary["input"] == criteria["input_score"]
    assert summary["closed_qa"] == pytest.approx(0.9) and summary["Structure"] == 0.0
    assert set(summary) == {"average", "ave_complex_ins", "ave_complex_input", *cello.CRITERIA,
                            *cello.TASK_FILES, "Structure"}


def test_subset_of_task_files():
    rows = [row("extraction", 1.0), row("Planning", 0.5)]  # what --limit may leave
    summary = cello.summary(rows)
    assert summary["ave_complex_ins"] == 0.75 and summary["ave_complex_input"] is None
    assert summary["average"] == 0.75  # the half present (upstream: NaN)
    assert summary["meta_prompt"] is None and summary["Structure"] is None
    with pytest.raises(ValueError):
        cello.task_table([row("Structure", 1.0)])
