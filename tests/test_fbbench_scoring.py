"""FB-Bench scoring core against the official fixtures (shared/specs/fbbench.md §5-§7).

Expectations come from upstream's files: the GPT-4o judgment lines of Qwen2.5-7B-Instruct (591, each with its
stored ``score``), the ``model_analysis`` xlsx tables, the verbatim judge templates (judge_prompts.json) and the
spec's counts — never from our own output.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import Counter
from functools import cache

import openpyxl
import pytest

from helpers import SHARED
from raif_eval.benchmarks import fbbench
from raif_eval.errors import RaifError
from raif_eval.judge.client import Reply
from raif_eval.core.judging import JudgeProfile
from raif_eval.judge.runner import DocJudge
from test_judge_templates_a import fbbench_fields, fbbench_official

FB_DIR = SHARED / "fbbench" / "data" / "feedback-benchmark"
JUDGMENTS = FB_DIR / "model_judgment" / "gpt-4o-2024-08-06" / "Qwen2.5-7B-Instruct.jsonl"
ANALYSIS = FB_DIR / "model_analysis" / "gpt-4o-2024-08-06"
MODEL = "Qwen2.5-7B-Instruct"


@cache
def judged() -> tuple[dict, ...]:
    lines = JUDGMENTS.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


@cache
def xlsx_rows(name: str, sheet: str | None = None) -> tuple[tuple, ...]:
    book = openpyxl.load_workbook(ANALYSIS / name, read_only=True)
    rows = tuple(book[sheet or book.sheetnames[0]].iter_rows(values_only=True))
    book.close()
    return rows


def xlsx_table(name: str) -> dict[str, tuple]:
    """label -> (EC, RM, all) of the model's sheet."""
    return {row[0]: tuple(row[1:4]) for row in xlsx_rows(name, MODEL)[1:]}


def pct(value: float | None) -> float | None:
    """Our 0-1 fraction as the tables print it (x100, 2 decimals); None stays None."""
    return None if value is None else round(value * 100, 2)


def xl(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# ------------------------------------------------------------------ (a) the sample score


def test_fixture_is_the_official_judgment_file():
    lines = judged()
    assert len(lines) == 591
    assert {line["infer_model"] for line in lines} == {MODEL}
    assert {line["judge_model"] for line in lines} == {"gpt-4o-2024-08-06"}


def test_sample_score_recomputes_every_stored_score_exactly():
    mismatched = [(i, line["score"], fbbench.sample_score(line["judgement"]))
                  for i, line in enumerate(judged()) if fbbench.sample_score(line["judgement"]) != line["score"]]
    assert not mismatched, mismatched[:5]
    scores = Counter(line["score"] for line in judged())
    assert scores[0] and scores[1] and any(0 < s < 1 for s in scores)  # the fixture exercises all three cases


def item(result: str, weight: float | None, reason: str = "理由") -> dict:
    return {"评判理由": reason, "评判结果": result, "weight": weight}


def test_sample_score_rules_of_get_score():
    # EC: the sum of the echoed weights of the 是 items (the dataset's weights play no part).
    assert fbbench.sample_score({"a": item("是", 0.3), "b": item("否", 0.4), "c": item("是", 0.3)}) == 0.3 + 0.3
    assert fbbench.sample_score({"a": item("否", 0.5), "b": item("否", 0.5)}) == 0
    # A 是 item with a null weight returns 1 at once, whatever came before or after (RM, and the EC quirk).
    assert fbbench.sample_score({"a": item("否", None), "b": item("是", None), "c": item("否", None)}) == 1
    assert fbbench.sample_score({"a": item("是", 0.2), "b": item("是", None), "c": item("否", 0.5)}) == 1
    assert fbbench.sample_score({"a": item("否", None), "b": item("否", None)}) == 0
    # Upstream's stored API-refusal record scores 0.
    assert fbbench.sample_score({"API fialed": "$REPETITIVE PATTERNS$"}) == 0


# ------------------------------------------------------------------ (b) aggregation vs the official tables


def test_overall_matches_overall_score_xlsx():
    header, *rows = xlsx_rows("overall_score.xlsx")
    assert header[:4] == ("Model", "Error Correction", "Response Maintenance", "Overall")
    expected = next(row for row in rows if row[0] == MODEL)[1:4]
    assert tuple(xl(v) for v in expected) == (57.09, 58.62, 57.85)  # the spec's numbers
    got = fbbench.aggregate(fbbench.rows_of(judged()))
    assert (pct(got.error_correction), pct(got.response_maintenance), pct(got.overall)) == tuple(
        xl(v) for v in expected)
    # upstream's round(x, 4) on the fraction
    assert got == (0.5709, 0.5862, 0.5785)


def test_wrong_aggregations_are_rejected():
    lines = judged()
    item_mean = sum(line["score"] for line in lines) / len(lines)
    assert round(item_mean, 4) == 0.5547  # the spec's plain item mean of this file
    got = fbbench.aggregate(fbbench.rows_of(lines))
    assert got.overall != round(item_mean, 4)
    # Overall is the mean of the 16 cells, not the mean of EC and RM (0.57855 -> 0.5786).
    assert got.overall != round((got.error_correction + got.response_maintenance) / 2, 4)


def test_per_task_type_matches_per_task_score_xlsx():
    expected = xlsx_table("per_task_score.xlsx")
    got = fbbench.per_task_type(judged())
    assert set(got) == set(expected) == set(fbbench.TASK_TYPES)
    for task, scores in got.items():
        assert tuple(pct(v) for v in scores) == tuple(xl(v) for v in expected[task]), task
    assert tuple(xl(v) for v in expected["Reasoning"]) == (31.79, 35.71, 33.75)  # spec §7


def test_per_error_type_matches_per_error_score_xlsx():
    expected = xlsx_table("per_error_score.xlsx")
    got = fbbench.per_error_type(judged())
    assert set(got) == set(expected) == set(fbbench.ERROR_TYPES)
    for label, scores in got.items():
        assert tuple(pct(v) for v in scores) == tuple(xl(v) for v in expected[label]), label
    assert pct(got["Logical Error"].error_correction) == 46.35 and got["Logical Error"].response_maintenance is None


@pytest.mark.parametrize("bench_type, name", [("Error Correction", "per_feedback_score_correct.xlsx"),
                                              ("Response Maintenance", "per_feedback_score_antisyco.xlsx")])
def test_per_feedback_type_matches_per_feedback_xlsx(bench_type, name):
    expected = xlsx_table(name)
    got = fbbench.per_feedback_type(judged(), bench_type)
    assert set(got) == set(expected)
    for label, scores in got.items():
        assert tuple(pct(v) for v in scores) == tuple(xl(v) for v in expected[label]), label


def test_aggregate_on_a_hand_computed_fixture():
    ec, rm = "Error Correction", "Response Maintenance"
    rows = [(ec, "Coding", 1.0), (ec, "Coding", 0.0), (ec, "Mathematics", 0.25),
            (rm, "Coding", 1.0), (rm, "Coding", 1.0), (rm, "Coding", 0.0), (rm, "Coding", None)]
    got = fbbench.aggregate(rows)
    # EC: cells 0.5 and 0.25 -> 0.375; RM: one cell 2/3 (None rows are absent); Overall: (0.5+0.25+2/3)/3
    assert got == (0.375, round(2 / 3, 4), round((0.5 + 0.25 + 2 / 3) / 3, 4))
    # A true 0 stays 0.0 (upstream's `x * 100 if x else None` would print None); no sample at all is None.
    assert fbbench.aggregate([(ec, "Coding", 0.0)]) == (0.0, None, 0.0)
    assert fbbench.aggregate([]) == (None, None, None)
    with pytest.raises(RaifError):
        fbbench.aggregate([("Something Else", "Coding", 1.0)])


def test_score_or_default():
    assert fbbench.score_or_default({"judgement": {}, "score": 0.7}) == 0.7
    assert fbbench.score_or_default(None) is None  # upstream's: the record leaves the averages
    assert fbbench.score_or_default(None, on_failure="zero") == 0.0
    with pytest.raises(RaifError):
        fbbench.score_or_default(None, on_failure="skip")


# ------------------------------------------------------------------ (c) the validator


def test_every_stored_judgement_validates():
    for i, line in enumerate(judged()):
        text = json.dumps(line["judgement"], ensure_ascii=False)
        assert fbbench.validate(text) == line["judgement"], i
        assert fbbench.validate(json.dumps(line["judgement"], indent=4)) == line["judgement"], i


def corrupted(judgement: dict) -> list[tuple[str, str]]:
    first = next(iter(judgement))

    def variant(change) -> str:
        j = copy.deepcopy(judgement)
        change(j)
        return json.dumps(j, ensure_ascii=False)

    return [
        ("missing 评判理由", variant(lambda j: j[first].pop("评判理由"))),
        ("empty 评判理由", variant(lambda j: j[first].update({"评判理由": ""}))),
        ("评判理由 not a string", variant(lambda j: j[first].update({"评判理由": ["x"]}))),
        ("missing 评判结果", variant(lambda j: j[first].pop("评判结果"))),
        ("评判结果 部分", variant(lambda j: j[first].update({"评判结果": "部分"}))),
        ("评判结果 yes", variant(lambda j: j[first].update({"评判结果": "yes"}))),
        ("missing weight", variant(lambda j: j[first].pop("weight"))),
        ("weight 0", variant(lambda j: j[first].update({"weight": 0}))),
        ("weight negative", variant(lambda j: j[first].update({"weight": -0.5}))),
        ("weight > 1", variant(lambda j: j[first].update({"weight": 1.5}))),
        ("weight a string", variant(lambda j: j[first].update({"weight": "0.5"}))),
        ("non-dict value", variant(lambda j: j.update({first: "是"}))),
        ("empty key", variant(lambda j: j.update({"": item("是", None)}))),
        ("top-level list", json.dumps([judgement], ensure_ascii=False)),
        ("empty object", "{}"),
        ("not JSON", "评判结果：是"),
        ("fenced JSON", "```json\n" + json.dumps(judgement, ensure_ascii=False) + "\n```"),
        ("truncated JSON", json.dumps(judgement, ensure_ascii=False)[:-1]),
        ("empty reply", ""),
    ]


def test_corrupted_judgements_are_rejected():
    lines = judged()
    samples = [next(line for line in lines if line["bench_type"] == "Error Correction" and len(line["judgement"]) > 1),
               next(line for line in lines if line["bench_type"] == "Response Maintenance")]
    for line in samples:
        assert fbbench.validate(json.dumps(line["judgement"], ensure_ascii=False)) is not None
        for what, text in corrupted(line["judgement"]):
            assert fbbench.validate(text) is None, what


def test_validator_rejects_a_score_above_one_and_ignores_item_keys():
    # gen_judgment asserts 0 <= score <= 1: echoed weights that sum past 1 fail the attempt.
    assert fbbench.validate(json.dumps({"a": item("是", 0.6), "b": item("是", 0.6)})) is None
    assert fbbench.validate(json.dumps({"a": item("是", 0.6), "b": item("否", 0.6)})) is not None
    # Item keys are not compared with the checklist.
    assert fbbench.validate(json.dumps({"whatever": item("否", None)})) == {"whatever": item("否", None)}


# ------------------------------------------------------------------ (d) the judge program


class StubClient:
    """A judge endpoint that replays scripted texts (None: the request failed for good)."""

    def __init__(self, texts):
        self.texts, self.calls = list(texts), []

    async def complete(self, messages, params, attempt=0):
        self.calls.append((messages, dict(params), attempt))
        text = self.texts[len(self.calls) - 1]
        return Reply(text, error=None if text is not None else "gave up")


def run_judge(texts, record, answer, version=None, system=None):
    client = StubClient(texts)
    profile = JudgeProfile(name="official", system=system, params=dict(fbbench.JUDGE_PARAMS))
    doc_judge = DocJudge(client, profile)
    verdicts = asyncio.run(fbbench.judge(doc_judge, record, answer, version))
    return verdicts, client.calls, doc_judge.transcript


OFFICIAL_PARAMS = {"temperature": 0, "max_tokens": 4096, "response_format": {"type": "json_object"}}


def test_judge_program_sends_the_official_request_and_scores_the_reply():
    line = next(line for line in judged() if 0 < line["score"] < 1)
    reply = json.dumps(line["judgement"], ensure_ascii=False, indent=4)
    verdicts, calls, transcript = run_judge([reply], line, line["second_response"], "v3")
    assert verdicts == {"judgement": line["judgement"], "score": line["score"]}
    assert len(calls) == 1
    messages, params, attempt = calls[0]
    expected = fbbench_official("judge_v3", fbbench_fields(line, line["second_response"], reference=False))
    assert messages == [{"role": "user", "content": expected}]
    assert params == OFFICIAL_PARAMS and attempt == 0
    assert transcript.parse_failures == 0


def test_judge_program_reasks_invalid_replies_three_times_in_all():
    line = judged()[0]
    valid = json.dumps(line["judgement"], ensure_ascii=False)
    bad = ["not json", json.dumps({"a": item("部分", None)}, ensure_ascii=False), "{}"]
    verdicts, calls, transcript = run_judge([bad[0], bad[1], valid], line, line["second_response"], "v3")
    assert verdicts == {"judgement": line["judgement"], "score": line["score"]}
    assert [c[2] for c in calls] == [0, 1, 2] and transcript.parse_failures == 2
    assert all(c[0] == calls[0][0] and c[1] == OFFICIAL_PARAMS for c in calls)

    verdicts, calls, transcript = run_judge([*bad, valid], line, line["second_response"], "v3")
    assert verdicts is None and len(calls) == 3 and transcript.parse_failures == 3
    assert fbbench.score_or_default(verdicts, "zero") == 0.0 and fbbench.score_or_default(verdicts) is None


def test_judge_program_endpoint_failure_is_none():
    line = judged()[0]
    verdicts, calls, _ = run_judge([None, json.dumps(line["judgement"])], line, "answer", "v3")
    assert verdicts is None and len(calls) == 1


def test_judge_program_v1_uses_the_reference_prompt_and_the_record_version():
    records = fbbench.load_records("v1")
    record = next(r for r in records if r["bench_type"] == "Response Maintenance")
    reply = json.dumps({item_: item("是", None) for item_ in record["checklist"]}, ensure_ascii=False)
    verdicts, calls, _ = run_judge([reply], record, "第二轮回答")  # version from the record's tag
    expected = fbbench_official("judge_v1", fbbench_fields(record, "第二轮回答", reference=True))
    assert calls[0][0] == [{"role": "user", "content": expected}]
    assert verdicts["score"] == 1
    untagged = {k: v for k, v in record.items() if k != "version"}
    with pytest.raises(RaifError):
        run_judge([reply], untagged, "x")


def test_judge_fields_are_the_official_ones():
    for line in judged():
        assert fbbench.judge_fields(line, line["second_response"], "v3") == fbbench_fields(
            line, line["second_response"], reference=False)
    for record in fbbench.load_records("v1")[:50]:
        assert fbbench.judge_fields(record, "s", "v1") == fbbench_fields(record, "s", reference=True)
    line = judged()[0]
    assert fbbench.judge_prompt(line, "s", "v3") == fbbench_official(
        "judge_v3", fbbench_fields(line, "s", reference=False))


# ------------------------------------------------------------------ (e) data and generation


@pytest.mark.parametrize("version, total, ec, rm, file", [
    ("v3", 591, 281, 310, "fb_bench_dataset_v3.json"),
    ("v1", 734, 346, 388, "fb_bench_dataset.json"),
])
def test_load_records_counts_and_order(version, total, ec, rm, file):
    records = fbbench.load_records(version)
    raw = json.loads((FB_DIR / file).read_text(encoding="utf-8"))
    assert len(records) == total
    assert Counter(r["bench_type"] for r in records) == {"Error Correction": ec, "Response Maintenance": rm}
    assert [r["user_query"] for r in records] == [r["user_query"] for r in raw]  # file order
    assert {r["version"] for r in records} == {version}
    cells = Counter((r["bench_type"], r["task_type"]) for r in records)
    assert len(cells) == 16


def test_v3_task_type_counts_match_the_spec():
    records = fbbench.load_records("v3")
    assert Counter(r["task_type"] for r in records) == {
        "Mathematics": 95, "Text Creation": 93, "Coding": 88, "Reasoning": 81, "Text Error Correction": 68,
        "Text Translation": 56, "Text Extraction": 55, "Knowledge Q&A": 55}
    cells = Counter((r["bench_type"], r["task_type"]) for r in records)
    assert cells["Error Correction", "Text Translation"] == 9 and cells["Error Correction", "Knowledge Q&A"] == 12


def test_unknown_version_is_an_error():
    with pytest.raises(RaifError):
        fbbench.load_records("v2")


def test_messages_and_generation_temperature():
    record = fbbench.load_records("v3")[0]
    assert fbbench.messages(record) == [
        {"role": "user", "content": record["user_query"]},
        {"role": "assistant", "content": record["origin_first_response"]},
        {"role": "user", "content": record["feedback"]},
    ]
    expected = {"Mathematics": 0.0, "Reasoning": 0.0, "Coding": 0.0, "Text Extraction": 0.0,
                "Text Error Correction": 0.0, "Knowledge Q&A": 0.1, "Text Creation": 0.7, "Text Translation": 0.7}
    for task, temperature in expected.items():
        assert fbbench.generation_temperature({"task_type": task}) == temperature
