"""Answer extraction for every mode and for reasoning models: crafted outputs, reasoning_content, no_answer."""

from __future__ import annotations

import json

import lm_eval
import pytest

from fake_judge import FakeJudge
from helpers import write_replay
from raif_eval.core.answers import has_answer, join_reasoning, reasoning_of, split_reasoning, strip_reasoning
from raif_eval.judge.server import Completion

MODEL = "loopback-model"


@pytest.mark.parametrize(
    ("raw", "answer", "unclosed"),
    [
        # nested and repeated think blocks: everything up to the last close is reasoning
        ("<think>outer <think>inner</think> still thinking</think>\nThe answer.", "The answer.", False),
        ("<think>a</think>draft<think>b</think>final", "final", False),
        # a missing close tag: cut off while reasoning, nothing to score (or the raw text with "keep")
        ("<think>I need 3 paragraphs, so", "", True),
        ("  \n<think>never closed <answer>x</answer>", "", True),
        # answer tags only, with or without reasoning, with prose around them, the last block winning
        ("<answer>Only the answer.</answer>", "Only the answer.", False),
        ("<think>plan</think>\n<answer>\nBody line 1\nBody line 2\n</answer>\n", "Body line 1\nBody line 2", False),
        ("Here it is: <answer>first</answer> and <answer>second</answer> end", "second", False),
        ("<answer>unterminated body  ", "unterminated body", False),
        ("prefilled answer text</answer>", "prefilled answer text", False),
        # Chinese text keeps every character
        ("<think>先列出约束：字数、格式。</think>\n\n春眠不觉晓，处处闻啼鸟。", "春眠不觉晓，处处闻啼鸟。", False),
        ("<think>思考</think><answer>答案：四十二。</answer>", "答案：四十二。", False),
        # think-only output and empty answer tags: an empty answer, scored as such
        ("<think>all reasoning, no answer</think>", "", False),
        ("<think>x</think><answer></answer>", "", False),
        ("", "", False),
        # a template that opened <think> in the prompt: the output starts inside the reasoning
        ("the plan is simple</think>Answer.", "Answer.", False),
        # no tags: unchanged byte for byte
        ("  Plain text, 2 lines\n", "  Plain text, 2 lines\n", False),
    ],
)
def test_extraction_policy(raw, answer, unclosed):
    assert strip_reasoning(raw) == (answer, unclosed)
    assert has_answer(strip_reasoning(raw)[0]) == bool(answer.strip())


def test_unclosed_think_can_be_kept():
    assert strip_reasoning("<think>half", unclosed_think="keep") == ("<think>half", True)


def test_reasoning_content_round_trip():
    assert reasoning_of({"content": "a", "reasoning_content": "r"}) == "r"
    assert reasoning_of({"content": "a", "reasoning": "r2"}) == "r2"  # newer vLLM
    assert reasoning_of({"content": "a", "reasoning_content": None}) is None
    joined = join_reasoning("答案", "思考过程")
    assert strip_reasoning(joined) == ("答案", False)
    assert split_reasoning(joined) == ("思考过程", "答案")
    assert join_reasoning("answer", None) == "answer"
    assert split_reasoning("no reasoning here") == (None, "no reasoning here")


def test_server_reasoning_is_logged_raw_and_stripped_for_scoring(tmp_path, task_manager, ifeval_records):
    """A vLLM-style server returns reasoning_content apart from content: the sample keeps both, the score sees
    only the content, and no_answer counts the think-only replies."""
    import raif_eval.harness  # noqa: F401  (registers raif-chat-completions)

    keys = {r["prompt"]: r["key"] for r in ifeval_records[:4]}

    def reply(body):
        key = keys[body["messages"][-1]["content"]]
        if key == ifeval_records[0]["key"]:  # thinks and never answers
            return Completion("", reasoning="thinking only")
        return Completion(f"answer {key}", reasoning=f"reasoning about {key}")

    server = FakeJudge(reply=reply, model=MODEL).start()
    try:
        out = lm_eval.simple_evaluate(
            model="raif-chat-completions",
            model_args={"model": MODEL, "base_url": f"{server.url}/chat/completions", "tokenizer_backend": None,
                        "num_concurrent": 1, "max_retries": 1},
            tasks=["raif_ifeval"], task_manager=task_manager, apply_chat_template=True, limit=4, log_samples=True)
    finally:
        server.stop()
    samples = {int(s["doc"]["doc_id"]): s for s in out["samples"]["raif_ifeval"]}
    for key, sample in samples.items():
        if key == ifeval_records[0]["key"]:
            assert sample["resps"][0][0] == "<think>\nthinking only\n</think>\n\n"
            assert sample["filtered_resps"][0] == "" and sample["no_answer"] == 1.0
        else:
            assert sample["resps"][0][0] == f"<think>\nreasoning about {key}\n</think>\n\nanswer {key}"
            assert sample["filtered_resps"][0] == f"answer {key}" and sample["no_answer"] == 0.0
    assert out["results"]["raif_ifeval"]["no_answer,raif"] == pytest.approx(0.25)


def test_no_answer_counts_judged_tasks_too(tmp_path, task_manager, monkeypatch):
    """Judged tasks wrap the answer in the judge filter's JSON; no_answer still looks at the answer."""
    from raif_eval.benchmarks import infobench

    ids = [r["id"] for r in infobench.load_records()[:3]]
    path = write_replay(tmp_path / "r.jsonl", "raif_infobench", ids,
                        ["<think>never closed", "<think>x</think>An answer.", "<answer></answer>"])
    judge = FakeJudge().start()
    monkeypatch.setenv("RAIF_JUDGE_URL", judge.url)
    monkeypatch.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "cache.sqlite"))
    try:
        out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(path)}, tasks=["raif_infobench"],
                                      task_manager=task_manager, limit=3, log_samples=True)
    finally:
        judge.stop()
    by_id = {s["doc"]["doc_id"]: s for s in out["samples"]["raif_infobench"]}
    assert [by_id[i]["no_answer"] for i in ids] == [1.0, 0.0, 1.0]
    assert json.loads(by_id[ids[1]]["filtered_resps"][0])["answer"] == "An answer."
    assert out["results"]["raif_infobench"]["no_answer,raif"] == pytest.approx(2 / 3)
