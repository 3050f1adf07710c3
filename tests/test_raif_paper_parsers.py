"""RAIF's readers of judge replies, on the quirks they meet (the RAIF-script goldens cover them in bulk:
tests/test_raif_paper.py)."""

from __future__ import annotations

import json

import pytest

from raif_eval.benchmarks import cfbench, fbbench, infobench

CRITERIA = ["生成唐代诗人李白的诗句。", "诗句主题是友情。", "输出结果应为JSON格式。"]


@pytest.mark.parametrize(("reply", "scores"), [
    ("生成唐代诗人李白的诗句。\t1\n\n诗句主题是友情。\t0\n\n输出结果应为JSON格式。\t1", ["1", "0", "1"]),
    # single newlines, stray whitespace, spaces instead of tabs
    ("  生成唐代诗人李白的诗句。 1 \n诗句主题是友情。\t 0\n输出结果应为JSON格式。   1  \n", ["1", "0", "1"]),
    # an embedded newline inside a criterion block: still one block per criterion, matched by ROUGE-L
    ("生成唐代诗人\n李白的诗句。\t1\n\n诗句主题是友情。\t1\n\n输出结果应为JSON格式。\t1", ["1", "1", "1"]),
    # N/A and 2 are not 0/1: scored 0
    ("生成唐代诗人李白的诗句。\tN/A\n\n诗句主题是友情。\t2\n\n输出结果应为JSON格式。\t1", ["0", "0", "1"]),
    # a criterion split over two blocks: the counts differ, and every matching criterion takes the LAST block's
    # score (RAIF's reused loop variable), here 1 — also for the criterion whose own block says 0
    ("生成唐代诗人\t0\n\n李白的诗句。\t0\n\n诗句主题是友情。\t0\n\n输出结果应为JSON格式。\t1", ["1", "1", "1"]),
    # prose: no block matches a criterion, every criterion 0, and it counts as parsed
    ("无法评估。", ["0", "0", "0"]),
])
def test_cfbench_lenient_parser(reply, scores):
    assert cfbench.parse_lenient(reply, CRITERIA) == scores


def test_cfbench_lenient_parser_unparsed_only_on_error():
    assert cfbench.parse_lenient("Error", CRITERIA) is None
    assert cfbench.parse_lenient(None, CRITERIA) is None
    assert cfbench.parse_lenient("x\t1", []) is None  # no criteria: nothing to score, judged again


CHECKLIST = {"要点一": {"评判理由": "对", "评判结果": "是", "weight": 0.4},
             "要点二": {"评判理由": "错", "评判结果": "否", "weight": 0.6}}


@pytest.mark.parametrize("reply", [
    "评估如下：\n```json\n" + json.dumps(CHECKLIST, ensure_ascii=False, indent=2) + "\n```\n以上。",
    "```\n" + json.dumps(CHECKLIST, ensure_ascii=False) + "\n```",
    json.dumps(CHECKLIST, ensure_ascii=False, indent=2).replace("\n", "\n\n"),  # blank lines collapsed
    "{'要点一': {'评判理由': '对', '评判结果': '是', 'weight': 0.4,}, '要点二': {'评判理由': '错', '评判结果': '否', "
    "'weight': 0.6}}",  # JSON5: single quotes, trailing comma
    "要点一:\n  评判理由: 对\n  评判结果: 是\n  weight: 0.4\n要点二:\n  评判理由: 错\n  评判结果: 否\n  weight: 0.6",  # YAML
])
def test_fbbench_lenient_reader(reply):
    parsed = fbbench.parse_paper(reply)
    assert parsed.ok and parsed.value == CHECKLIST and fbbench.sample_score(parsed.value) == 0.4


def test_fbbench_lenient_reader_rejects_what_raif_rejects_and_executes_nothing():
    assert not fbbench.parse_paper("这不是JSON").ok  # YAML reads a string: not a judgement
    assert not fbbench.parse_paper(json.dumps({"要点一": {**CHECKLIST["要点一"], "评判结果": "部分"}})).ok
    assert not fbbench.parse_paper(repr({"要点一": {**CHECKLIST["要点一"], "weight": None}})).ok  # 'None' str
    assert fbbench.parse_paper("{}").ok and fbbench.parse_paper("{}").value == {}  # RAIF scores it 0
    assert fbbench.read_lenient("__import__('os').system('echo hacked')") == "__import__('os').system('echo hacked')"
    # a missing closing fence: RAIF's slice drops the last character, which breaks the JSON
    assert not fbbench.parse_paper("```json\n" + json.dumps(CHECKLIST, ensure_ascii=False)).ok


@pytest.mark.parametrize(("reply", "verdict"), [
    ("YES", True), ("yes, it does", True), ("No.", False), ("I cannot know.", False), ("NO, but almost YES", True),
    ("<answer>YES", True), ("Unclear.", None), ("", None),
])
def test_infobench_substring_reader(reply, verdict):
    parsed = infobench.parse_paper(reply)
    assert parsed.value is verdict and parsed.ok is (verdict is not None)


def test_fbbench_lenient_reader_refuses_yaml_alias_bombs():
    bomb = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi")])
    assert fbbench.read_lenient(bomb) is None  # 9**9 nodes if expanded; json5, YAML and a literal all refuse it
