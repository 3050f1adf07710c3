"""ComplexBench scoring core: loading, the official prompts, the verdict reading, the judge program's requests,
dependency zeroing and every aggregate, against values worked out by hand in this file.

The data file is not shipped (spec §1): the tests use hand-written records in the upstream schema under
``tests/fixtures/complexbench`` (8 instructions, 33 scoring questions, one per category of RAIF's Table 2).
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from helpers import SHARED
from raif_eval.benchmarks import complexbench as cb
from raif_eval.errors import DataError, RaifError
from raif_eval.judge.client import Reply
from raif_eval.core.judging import judge_profile
from raif_eval.judge.runner import DocJudge

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIX = FIXTURES / "complexbench"
PROMPTS = json.loads((SHARED / "complexbench" / "judge_prompts.json").read_text(encoding="utf-8"))
EVAL_T = PROMPTS["EVALUATION_PROMPT"]["template"]
EXTRACT_T = PROMPTS["EXTRACTION_PROMPT"]["template"]
EXTRACT_EACH_T = PROMPTS["EXTRACTION_PROMPT_EACH"]["template"]
RESPONSES = [json.loads(line) for line in (FIX / "responses.jsonl").read_text(encoding="utf-8").splitlines()]
ANSWERS = [r["generated"] for r in RESPONSES]
T, F, U = True, False, 2  # U: an unknown rule's result


def load(language: str = "zh") -> list[dict]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAIF_DATA_VERIFY", "0")  # a hand-made fixture stands in for the unshipped file
        return cb.load_records(language, data_dir=str(FIXTURES))


ZH, EN = load("zh"), load("en")


# ---------------------------------------------------------------- (a) loading

def test_fixture_covers_what_the_spec_asks():
    assert [r["category"] for r in ZH] == [
        "And", "Chain_1", "Chain_2", "Selection_1", "Selection_2", "Selection_3", "Selection_and_Chain_2",
        "Selection_and_Chain_3"]
    rules = [q["rule"] for r in ZH for q in r["scoring_questions"] if q["rule"]]
    assert any("each" in rule for rule in rules) and any(rule.startswith("Json:") for rule in rules)
    assert any(rule.startswith("model_forbidden_word:") for rule in rules)
    assert "model_count_items:[3,3]" in rules  # not a rule upstream knows
    assert sum(len(r["scoring_questions"]) for r in ZH) == 33
    # README example main_id 899's structure, renumbered to position 4
    sdr = ZH[4]["scoring_questions"]
    assert [q["dep"] for q in sdr] == [[], [], [0], [0], [0], [0], [1], [1], [1]]
    assert [q["rule"] for q in sdr if q["rule"]] == ["model_length:[300,10000]", "model_length:[1,100]"]
    assert [r["main_id"] for r in RESPONSES] == list(range(8))
    assert [r["instruction"] for r in RESPONSES] == [r["instruction"] for r in ZH]


def test_load_records_adds_the_language_and_keeps_the_file_order():
    assert [r["main_id"] for r in ZH] == list(range(8))
    assert {r["language"] for r in ZH} == {"zh"} and {r["language"] for r in EN} == {"en"}
    raw = json.loads((FIX / "data" / "data_final.json").read_text(encoding="utf-8"))
    assert [{k: v for k, v in r.items() if k != "language"} for r in EN] == raw


def test_prompt_is_the_instruction_in_the_records_language():
    assert cb.prompt(ZH[4]) == ZH[4]["instruction"] and cb.prompt(ZH[4]).startswith("请依次判断")
    assert cb.prompt(EN[4]) == EN[4]["instruction_en"] and cb.prompt(EN[4]).startswith("Decide in turn")


def test_missing_data_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RAIF_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DataError, match=r"complexbench/data/data_final\.json not found.*raif-eval data pull"):
        cb.load_records()  # RAIF_DATA_DIR (shared benchmarks) lacks it; tests are offline


def test_data_release_is_read_from_its_own_file(tmp_path, monkeypatch):
    target = tmp_path / "complexbench" / "data" / "data_release.json"
    target.parent.mkdir(parents=True)
    zh_only = [{k: v for k, v in r.items() if k not in ("instruction_en", "group", "idx_in_group")}
               for r in json.loads((FIX / "data" / "data_final.json").read_text(encoding="utf-8"))]
    for r in zh_only:
        r["scoring_questions"] = [{k: v for k, v in q.items() if k != "question_en"} for q in r["scoring_questions"]]
    target.write_text(json.dumps(zh_only, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("RAIF_DATA_VERIFY", "0")
    records = cb.load_records("zh", "data_release", data_dir=str(tmp_path))
    assert len(records) == 8 and "group" not in records[0]
    with pytest.raises(RaifError, match="no English text"):
        cb.load_records("en", "data_release", data_dir=str(tmp_path))
    with pytest.raises(RaifError, match="data_file must be one of"):
        cb.load_records("zh", "data_v3", data_dir=str(tmp_path))
    with pytest.raises(RaifError, match="language must be one of"):
        cb.load_records("fr", data_dir=str(FIXTURES))


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop(3), "position 3 has main_id 4"),
    (lambda d: d[0].update(main_id=899), "position 0 has main_id 899"),
    (lambda d: d[4]["scoring_questions"].pop(2), "position 2 has point_id 3"),
    (lambda d: d[2]["scoring_questions"][1].update(dep=[7]), "depends on unknown point_ids"),
])
def test_ids_must_be_positions(tmp_path, monkeypatch, mutate, message):
    records = json.loads((FIX / "data" / "data_final.json").read_text(encoding="utf-8"))
    mutate(records)
    target = tmp_path / "complexbench" / "data" / "data_final.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("RAIF_DATA_VERIFY", "0")
    with pytest.raises(RaifError, match=message):
        cb.load_records(data_dir=str(tmp_path))


# ---------------------------------------------------------------- (b) prompt fidelity

def official_evaluation(instruction, question, output):
    """llm_based_evaluation.get_payload, written out again here."""
    return EVAL_T.format(input=instruction[:6000], output="None" if output is None else output[:4000],
                         question=question)


def official_extraction(instruction, question, output, rule):
    template = EXTRACT_EACH_T if "each" in rule else EXTRACT_T
    return template.format(instruction=instruction[:6000], response="None" if output is None else output[:4000],
                           question=question)


def official_prompt(record, point, output):
    q = record["scoring_questions"][point]
    en = record["language"] == "en"
    instruction = record["instruction_en"] if en else record["instruction"]
    question = q["question_en"] if en else q["question"]
    if q["rule"] is None:
        return official_evaluation(instruction, question, output)
    return official_extraction(instruction, question, output, q["rule"])


@pytest.mark.parametrize("records", [ZH, EN], ids=["zh", "en"])
def test_prompts_are_the_official_templates_filled(records):
    for record, answer in zip(records, ANSWERS):
        for q in record["scoring_questions"]:
            made = (cb.evaluation_prompt if q["rule"] is None else cb.extraction_prompt)(record, q, answer)
            assert made == official_prompt(record, q["point_id"], answer)


def test_prompt_truncations_and_a_null_response():
    record = {**EN[2], "instruction_en": "i" * 5999 + "JK" + "x" * 500}
    answer = "a" * 3999 + "BC" + "y" * 900
    judged, each = record["scoring_questions"][2], record["scoring_questions"][1]
    assert "each" in each["rule"]
    evaluation = cb.evaluation_prompt(record, judged, answer)
    assert evaluation == EVAL_T.format(input="i" * 5999 + "J", output="a" * 3999 + "B", question=judged["question_en"])
    assert "JK" not in evaluation and "BC" not in evaluation
    extraction = cb.extraction_prompt(record, each, answer)
    assert extraction == EXTRACT_EACH_T.format(instruction="i" * 5999 + "J", response="a" * 3999 + "B",
                                               question=each["question_en"])
    assert '{\n  "名字"' in extraction  # the escaped braces of the each-template's JSON example
    plain = record["scoring_questions"][0]  # model_count_items: no "each" → the plain extraction template
    assert cb.extraction_prompt(record, plain, None) == EXTRACT_T.format(
        instruction="i" * 5999 + "J", response="None", question=plain["question_en"])
    assert "**模型回复**\nNone\n\n**问题**" in cb.evaluation_prompt(record, judged, None)


def test_english_texts_use_the_chinese_template():
    made = cb.evaluation_prompt(EN[4], EN[4]["scoring_questions"][0], ANSWERS[4])
    assert made.startswith("\n请你作为一个客观公正的评委")
    assert EN[4]["instruction_en"] in made and "Does the model correctly decide that Country A" in made
    assert ZH[4]["instruction"] not in made


# ---------------------------------------------------------------- (c) reading a verdict

@pytest.mark.parametrize("reply, verdict", [
    ("分析：回复满足要求。\n答案：是", True),
    ("分析：回复未满足要求。\n答案：否", False),
    ("分析：模型回复是否分点？是的，但字数不够。\n答案：否", False),  # one match decides, whatever else is said
    ("答案：是\n答案：否", False),  # two matches: the fallback, which sees 否
    ("答案：是\n答案：是", True),  # two matches: the fallback, no 否 anywhere
    ("答案: 是", True),  # ASCII colon: no match; 是 without 否
    ("答案：\n是", True),
    ("不是", True),  # the fallback's quirk: 不是 contains 是 and no 否
    ("I cannot judge this.", False),
    ("", False),
])
def test_parse_verdict(reply, verdict):
    parsed = cb.parse_verdict(reply)
    assert parsed.value is verdict
    assert parsed.ok  # upstream reads every reply; nothing is re-asked for its content


# ---------------------------------------------------------------- (d) dependency zeroing and aggregates

# Fixed raw results per instruction (True/False, 2 = unknown rule, None = the request failed for good).
RAW = [
    [T, T, F],  # And: q2 depends on q0
    [F, T],  # Chain_1: q1 depends on q0
    [U, T, F, T, T],  # Chain_2: q1←q0 (2: not zeroed), q2←q0, q3←q2, q4←q3 only
    [T, T, T],  # Selection_1
    [T, F, T, T, T, F, T, T, None],  # Selection_2 (README 899 structure): q2-q5←q0, q6-q8←q1
    [T, T, T, T],  # Selection_3
    [T, T, T],  # Selection_and_Chain_2
    [T, T, F, T],  # Selection_and_Chain_3: q3←[q0, q2]
]
RELY = [
    [T, T, F],
    [F, F],
    [U, T, F, F, T],  # q4 keeps True: its prerequisite q3 was *judged* True (one level, not transitive)
    [T, T, T],
    [T, F, T, T, T, F, F, F, F],  # q6, q7 zeroed by q1; q8 missing (False) and zeroed anyway
    [T, T, T, T],
    [T, T, T],
    [T, T, F, F],
]


def rows(missing_raw=RAW, records=ZH):
    return [cb.row(r, raw) for r, raw in zip(records, missing_raw)]


def test_rely_after_dependency_zeroing():
    for record, raw, expected in zip(ZH, RAW, RELY):
        got = cb.rely(record, raw)
        assert got == expected
        assert [type(v) for v in got] == [type(v) for v in expected]  # 2 stays the integer 2
    assert [cb.missing_count(r, raw) for r, raw in zip(ZH, RAW)] == [0, 0, 0, 0, 1, 0, 0, 0]


def test_rely_of_a_document_without_results():
    assert cb.rely(ZH[2], None) == [F] * 5
    assert cb.missing_count(ZH[2], None) == 5
    with pytest.raises(ValueError):
        cb.rely(ZH[2], [T, T])


def test_missing_result_zeroes_its_dependents():
    # A failed request counts False before the zeroing, as upstream records False after its 30 attempts.
    assert cb.rely(ZH[4], [None, T, T, T, T, T, T, T, T]) == [F, T, F, F, F, F, T, T, T]


def test_overall_drfr():
    # satisfied (is True) per instruction: 2, 0, 2, 3, 4, 4, 3, 2 = 20 of 3+2+5+3+9+4+3+4 = 33
    assert cb.overall_drfr(rows()) == pytest.approx(20 / 33)
    assert cb.overall_drfr(rows(), missing="drop") == pytest.approx(16 / 24)  # Selection_2 (9 q, 4 met) dropped


def test_categorized_drfr():
    assert cb.categorized_drfr(rows()) == pytest.approx({
        "And": 2 / 3, "Chain_1": 0 / 2, "Chain_2": 2 / 5, "Selection_1": 3 / 3, "Selection_2": 4 / 9,
        "Selection_3": 4 / 4, "Selection_and_Chain_2": 3 / 3, "Selection_and_Chain_3": 2 / 4})


def test_categorized_avg_drfr_pools_selection_and_chain_into_selection():
    assert cb.categorized_avg_drfr(rows()) == pytest.approx({
        "And": 2 / 3,
        "Chain": (0 + 2) / (2 + 5),
        "Selection": (3 + 4 + 4 + 3 + 2) / (3 + 9 + 4 + 3 + 4),
    })


def test_task_types_and_nested_methods():
    assert cb.task_types_drfr(rows()) == pytest.approx({
        "Creative Writing": 2 / 3, "Fundamental Language Ability": 0 / 2, "Practical Writing": 2 / 5,
        "Logical Reasoning": (3 + 3) / (3 + 3), "Professional Writing": 4 / 9, "Open-ended Questions": 4 / 4,
        "Task-oriented Role Play": 2 / 4})
    assert cb.nested_methods_drfr(rows()) == pytest.approx({
        "And": 2 / 3, "Chain": 0 / 2, "And_Chain": 2 / 5, "Selection": 3 / 3,
        "And_Selection": (4 + 4) / (9 + 4), "Chain_Selection": (3 + 2) / (3 + 4)})


# Per dimension / composition type, satisfied iff truthy: Chain_2's q0 (2) passes here although it fails DRFR.
EACH = {
    "Topic": 1 / 1, "Word Matching": 1 / 1, "Language Style": 0 / 1, "JSON Format": 0 / 1, "Bullets Format": 0 / 1,
    "Start with": 1 / 1, "Keywords": 0 / 1,
    "Length": 2 / 3,  # Chain_2 q1 T, S2 q4 T, S2 q8 F
    "Helpfulness": 6 / 10,  # C1 q0 F, C2 q0 2, q2 F, q3 F, q4 T, S1 q1 T, S2 q2 T, q6 F, S3 q2 T, SC3 q1 T
    "Factuality": 10 / 13,  # S1 q0 q2, S2 q0 q3 (q1 q7 F), S3 q0 q1, SC2 q0-q2, SC3 q0 (q2 F)
    "And": 3 / 4,  # And q1 T, q2 F, C2 q1 T, S3 q3 T
    "Chain": 4 / 7,  # C1 q1 F, C2 q0 2, q2 F, q3 F, SC2 q1 q2 T, SC3 q1 T
    "Selection": 6 / 8,  # S1 q0, S2 q0 (q1 F), S3 q0 q1, SC2 q0, SC3 q0 (q2 F)
}


def test_each_dimension_and_composition_type_counts_2_as_a_pass():
    got = cb.each_constraint_dimensions_and_composition_types_acc(rows())
    assert got == pytest.approx(EACH)
    assert got["Helpfulness"] != pytest.approx(5 / 10) and got["Chain"] != pytest.approx(3 / 7)  # not `is True`


def test_constraint_types_and_composition_types():
    assert cb.constraint_types_and_composition_types_acc(rows()) == pytest.approx({
        "Lexical": (1 + 0) / 2,  # Word Matching, Keywords
        "Structure": (0 + 2 + 0 + 1) / (1 + 3 + 1 + 1),  # JSON, Length, Bullets, Start with
        "Semantic": (1 + 0) / 2,  # Topic, Language Style
        "Utillity": (6 + 10) / (10 + 13),  # Helpfulness, Factuality (upstream's spelling)
        "And": 3 / 4, "Chain": 4 / 7, "Selection": 6 / 8})
    assert cb.constraint_type("Emoji") == "Others" and cb.constraint_type("Template") == "Structure"


def test_coherent_test():
    # Groups: parity = [Selection_1 (1 Selection question: single), Selection_and_Chain_2];
    # sdr = [Selection_2 (2: multiple)]; branching = [Selection_3 (2: multiple), Selection_and_Chain_3];
    # the And/Chain groups have no Selection question and are left out.
    # Fully correct records: S1 yes, SC2 yes | S2 no | S3 yes, SC3 no.
    got = cb.coherent_test(rows())
    assert got == pytest.approx({
        "single_origin_test": 2 / 2, "single_coherent_test": 1 / 1, "single_relative_drop": 0.0,
        "multiple_origin_test": 1 / 3, "multiple_coherent_test": 0 / 2, "multiple_relative_drop": 1.0})
    dropped = cb.coherent_test(rows(), missing="drop")  # S2 has a missing judgment: its group disappears
    assert dropped["multiple_origin_test"] == pytest.approx(1 / 2) and dropped["multiple_coherent_test"] == 0


def test_coherent_test_counts_2_as_correct_and_divides_by_zero_as_nan():
    record = {**ZH[3], "scoring_questions": [{**q, "dep": []} for q in ZH[3]["scoring_questions"]]}
    got = cb.coherent_test([cb.row(record, [T, U, T])])  # 2 is not == False: fully correct upstream
    assert got["single_origin_test"] == 1.0 and got["single_coherent_test"] == 1.0
    assert math.isnan(got["multiple_origin_test"]) and math.isnan(got["multiple_relative_drop"])
    assert cb.overall_drfr([cb.row(record, [T, U, T])]) == pytest.approx(2 / 3)  # but DRFR fails it
    no_groups = [{k: v for k, v in r.items() if k not in ("group", "idx_in_group")} for r in ZH]
    assert cb.coherent_test(rows(records=no_groups)) == {}  # data_release.json: no groups


def test_table2_rows():
    got = cb.table2(rows())
    assert list(got) == [
        "And", "Chain_1", "Chain_2", "Chain Avg.", "Selection_1", "Selection_2", "Selection_3",
        "Selection Avg. (incl. Selection_and_Chain)", "Selection_and_Chain_2", "Selection_and_Chain_3",
        "Selection & Chain Avg. (mean of the two cells)", "Overall"]
    expected = {
        "And": 2 / 3, "Chain_1": 0.0, "Chain_2": 2 / 5, "Chain Avg.": 2 / 7,
        "Selection_1": 1.0, "Selection_2": 4 / 9, "Selection_3": 1.0,
        "Selection Avg. (incl. Selection_and_Chain)": 16 / 23,
        "Selection_and_Chain_2": 1.0, "Selection_and_Chain_3": 1 / 2,
        "Selection & Chain Avg. (mean of the two cells)": (1.0 + 1 / 2) / 2,
        "Overall": 20 / 33,
    }
    assert got == pytest.approx(expected)
    # The two averages are defined differently: pooled (Chain, Selection) vs plain mean (Selection & Chain).
    assert got["Chain Avg."] != pytest.approx((0 + 2 / 5) / 2)
    assert got["Selection Avg. (incl. Selection_and_Chain)"] != pytest.approx((3 + 4 + 4) / (3 + 9 + 4))
    assert got["Selection & Chain Avg. (mean of the two cells)"] != pytest.approx((3 + 2) / (3 + 4))
    dropped = cb.table2(rows(), missing="drop")
    assert math.isnan(dropped["Selection_2"]) and dropped["Overall"] == pytest.approx(16 / 24)
    assert dropped["Selection Avg. (incl. Selection_and_Chain)"] == pytest.approx((3 + 4 + 3 + 2) / (3 + 4 + 3 + 4))


def test_missing_fail_versus_drop():
    raw = list(RAW)
    raw[0] = None  # And: the document's judging failed (3 questions)
    every = [cb.row(r, v) for r, v in zip(ZH, raw)]
    every[1] = cb.row(ZH[1], [T, T], answered=False)  # Chain_1: no answer from the model
    assert every[1]["rely"] == [F, F]  # fail: counts False whatever was judged
    fail, drop = cb.aggregate(every), cb.aggregate(every, missing="drop")
    # fail: And 0/3, Chain_1 0/2, the rest as before (20 - 2 = 18 of 33)
    assert fail["overall_drfr"] == pytest.approx(18 / 33)
    assert fail["missing_judgments"] == 3 + 1 and fail["unanswered"] == 1 and fail["dropped_instructions"] == 0
    # drop (RAIF): And, Chain_1 and Selection_2 leave; 2 + 3 + 4 + 3 + 2 = 14 of 5 + 3 + 4 + 3 + 4 = 19
    assert drop["overall_drfr"] == pytest.approx(14 / 19)
    assert drop["dropped_instructions"] == 3 and drop["instructions"] == 5 and drop["questions"] == 19
    assert set(drop["categorized_drfr"]) == {"Chain_2", "Selection_1", "Selection_3", "Selection_and_Chain_2",
                                             "Selection_and_Chain_3"}
    assert math.isnan(drop["table2"]["And"])
    with pytest.raises(RaifError, match="missing must be one of"):
        cb.overall_drfr(every, missing="zero")


def test_aggregate_has_every_upstream_statistic():
    got = cb.aggregate(rows())
    assert got["overall_drfr"] == pytest.approx(20 / 33)
    assert got["each_constraint_dimensions_and_composition_types_acc"] == pytest.approx(EACH)
    assert got["multiple_origin_test"] == pytest.approx(1 / 3)
    assert got["unknown_rule_results"] == 1 and got["missing_judgments"] == 1
    assert {"categorized_drfr", "categorized_avg_drfr", "task_types_drfr", "nested_methods_drfr",
            "constraint_types_and_composition_types_acc", "single_coherent_test", "table2"} <= set(got)
    json.dumps(got)  # serialisable


# ---------------------------------------------------------------- (e) the judge program against a stub endpoint

class StubClient:
    """Stands in for JudgeClient: serves the reply scripted for each exact prompt (None: failed for good)."""

    def __init__(self, replies: dict[str, str | None]):
        self.replies, self.calls = replies, []

    async def complete(self, messages, params, attempt):
        self.calls.append((messages, dict(params), attempt))
        prompt = messages[-1]["content"]
        assert prompt in self.replies, "a request that is not one of the official prompts"
        text = self.replies[prompt]
        return Reply(text, error=None if text is not None else "gave up")


def extracted(span: str) -> str:
    """An extractor reply in the official output format."""
    return f"【解释】\n该评分问题的评分对象如下。\n\n【模型回复中评分问题的评测对象】\n评分对象：{span}"


SLOGANS = "一杯咖啡，一段好时光||街角的香气，等你来闻||每天清晨，从这里醒来，开始属于你自己的温柔一天"
# Per instruction, per point_id: the scripted judge/extractor reply and the raw result it must give.
SCRIPT = [
    [("分析：是一首春天的现代诗。\n答案：是", T),
     (extracted("all"), T),  # model_forbidden_word:[花] on the whole answer, which has no 花
     ("分析：语言平淡。\n答案：否", F)],
    [("答案：是", T),
     (extracted("all"), T)],  # Json:["人名"] on the fenced JSON answer: exactly the one key
    [(extracted("all"), U),  # model_count_items: unknown rule
     (extracted(SLOGANS), F),  # model_length_each:[1,20]: the third slogan has 23 characters
     ("答案：是", T), ("答案：是", T), ("我无法判断。", F)],  # no verdict: False, never re-asked
    [("答案：是", T), ("答案：是", T), ("答案：否", F)],
    [("答案：是", T), ("分析：模型认为国家B拥有特别提款权，判断错误。\n答案：否", F), ("答案：是", T), ("答案：否", F),
     (extracted("1. 申请背景：……\n2. 申请理由：……"), F),  # model_length:[300,10000]: far too short
     ("答案：是", T), ("答案：否", F), ("答案：否", F),
     (extracted("None"), F)],  # model_length:[1,100] with no span
    [("答案：是", T), ("答案：是", T), ("答案：是", T),
     (extracted("出行建议：今天有小雨，气温只有8度，请带伞并穿上外套。"), T)],  # model_startswith:出行建议：
    [("答案：是", T), ("答案：是", T), ("答案：是", T)],
    [("答案：是", T), ("答案：是", T), ("答案：是", T),
     (extracted("非常抱歉给您带来不好的体验，我们将为您免费换货。"), T)],  # model_keyword:[免费换货]
]
OFFICIAL = judge_profile("complexbench", "official")


def scripted(record, answer, script, replace=None):
    replies = {official_prompt(record, i, answer): reply for i, (reply, _) in enumerate(script)}
    for point, text in (replace or {}).items():
        replies[official_prompt(record, point, answer)] = text
    return replies


def run_judge(record, answer, replies):
    client = StubClient(replies)
    doc = DocJudge(client, OFFICIAL)
    verdicts = asyncio.run(cb.judge(doc, record, answer))
    return verdicts, client.calls, doc.transcript


def test_official_profile():
    assert OFFICIAL.reference_model == "gpt-4-1106-preview"
    assert OFFICIAL.system is None and OFFICIAL.params == {"temperature": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("index", range(8))
def test_judge_sends_the_official_requests_and_reads_them(index, language):
    record, answer, script = (ZH if language == "zh" else EN)[index], ANSWERS[index], SCRIPT[index]
    verdicts, calls, transcript = run_judge(record, answer, scripted(record, answer, script))
    assert verdicts == [result for _, result in script]
    assert [type(v) for v in verdicts] == [type(result) for _, result in script]
    # one request per scoring question: one user message holding the official prompt, temperature 0, asked once
    assert sorted(c[0][0]["content"] for c in calls) == sorted(
        official_prompt(record, i, answer) for i in range(len(script)))
    for messages, params, attempt in calls:
        assert len(messages) == 1 and messages[0]["role"] == "user"
        assert params == {"temperature": 0} and attempt == 0
    assert transcript.parse_failures == 0 and transcript.errors == 0
    json.dumps(verdicts)


def test_english_requests_carry_english_texts_in_the_chinese_template():
    record, answer = EN[4], ANSWERS[4]
    _, calls, _ = run_judge(record, answer, scripted(record, answer, SCRIPT[4]))
    for messages, _, _ in calls:
        content = messages[0]["content"]
        assert record["instruction_en"] in content and record["instruction"] not in content
        assert content.startswith(("\n请你作为一个客观公正的评委", "你是一个信息抽取专家。"))
    asked = {m[0]["content"] for m, _, _ in calls}
    for q in record["scoring_questions"]:
        assert any(q["question_en"] in c for c in asked) and not any(q["question"] in c for c in asked)


def test_failed_requests_give_none_and_count_false():
    record, answer = ZH[4], ANSWERS[4]
    # q1 (judge) and q4 (extraction) fail for good
    verdicts, _, transcript = run_judge(record, answer, scripted(record, answer, SCRIPT[4], {1: None, 4: None}))
    assert verdicts == [T, None, T, F, None, T, F, F, F]
    assert transcript.errors == 2
    row = cb.row(record, verdicts)
    assert row["missing"] == 2
    assert row["rely"] == [T, F, T, F, F, T, F, F, F]  # q1 counts False and zeroes q6-q8
    assert cb.overall_drfr([row]) == pytest.approx(3 / 9)
    assert math.isnan(cb.overall_drfr([row], missing="drop"))  # RAIF drops the instruction: nothing left


def test_extraction_feeds_the_rule_check(monkeypatch):
    """The extractor's reply and the full (untruncated) answer go to spans_from_extraction; its spans and the
    question's rule go to check; check's 0/1 read as False/True and 2 stays 2."""
    record = ZH[2]
    answer = ANSWERS[2] + "。" * 5000  # longer than the 4000 characters the prompt keeps
    seen = []

    def spans_from_extraction(reply, response):
        seen.append(("spans", reply, response))
        return [f"span of {len(response)}"]

    results = {"model_count_items:[3,3]": 2, "model_length_each:[1,20]": 0}

    def check(rule, spans):
        seen.append(("check", rule, spans))
        return results[rule]

    monkeypatch.setattr(cb.rules, "spans_from_extraction", spans_from_extraction)
    monkeypatch.setattr(cb.rules, "check", check)
    verdicts, _, _ = run_judge(record, answer, scripted(record, answer, SCRIPT[2]))
    assert verdicts[:2] == [U, F] and verdicts[1] is False
    assert sorted(seen, key=repr) == sorted([
        ("spans", extracted("all"), answer), ("check", "model_count_items:[3,3]", [f"span of {len(answer)}"]),
        ("spans", extracted(SLOGANS), answer), ("check", "model_length_each:[1,20]", [f"span of {len(answer)}"]),
    ], key=repr)


def test_null_answer_is_judged_as_none_and_gives_no_spans(monkeypatch):
    record = ZH[0]
    checked = []
    monkeypatch.setattr(cb.rules, "spans_from_extraction", lambda reply, response: pytest.fail("not called"))
    monkeypatch.setattr(cb.rules, "check", lambda rule, spans: checked.append((rule, spans)) or True)
    replies = {official_prompt(record, 0, None): "答案：否", official_prompt(record, 1, None): extracted("all"),
               official_prompt(record, 2, None): "答案：否"}
    verdicts, calls, _ = run_judge(record, None, replies)
    assert verdicts == [F, T, F] and checked == [("model_forbidden_word:[花]", [])]
    assert all("None" in c[0][0]["content"] for c in calls)


def test_fixture_copy_is_unchanged_by_loading():
    # load_records returns new dicts; the fixture on disk keeps the upstream schema exactly (no `language`)
    raw = json.loads((FIX / "data" / "data_final.json").read_text(encoding="utf-8"))
    assert all("language" not in r for r in raw)
    assert set(raw[0]) == {"main_id", "group", "idx_in_group", "instruction", "instruction_en", "task_types",
                           "constraint_dimensions", "composition_types", "category", "scoring_questions"}
    assert set(raw[0]["scoring_questions"][0]) == {"point_id", "question", "question_en", "rule",
                                                   "constraint_dimensions", "composition_types", "dep"}
