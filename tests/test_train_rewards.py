"""raif_train rewards on hand-made completions: every branch of the format check, the gate and the shaping, for
rule constraints and for judge constraints (through a loopback judge); prompt recovery for each template."""

from __future__ import annotations

import asyncio
import json

import pytest

from fake_judge import FakeJudge
from raif_eval.benchmarks import ifeval
from raif_train import prompts, rewards

RAIF_SYSTEM = ("You are a helpful assistant. The assistant first thinks about the reasoning process in the mind and "
               "then provides the user with the answer. The reasoning process and answer are enclosed within <think> "
               "</think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think>"
               "<answer> answer here </answer>.")
QWEN = (f"<|im_start|>system\n{RAIF_SYSTEM}<|im_end|>\n<|im_start|>user\nWrite about cats.<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n")
DEEPSEEK = f"<｜begin▁of▁sentence｜>{RAIF_SYSTEM}<｜User｜>Write about cats.<｜Assistant｜><think>\n"
RULES = json.dumps({"instruction_id_list": ["keywords:existence", "keywords:forbidden_words",
                                            "length_constraints:number_words"],
                    "kwargs": [{"keywords": ["cat"]}, {"forbidden_words": ["dog"]},
                               {"num_words": 4, "relation": "至少"}]})


def rule_reward(completion, prompt=QWEN, template="qwen", wocot=False, uid="u"):
    return rewards.raif_ifeval_reward([prompt], [completion], task=["ifeval"], target=[RULES], template=[template],
                                      raif_wocot=[wocot], raif_uid=[uid])[0]


@pytest.mark.parametrize(("completion", "fmt", "ans", "k", "gated"), [
    # the prefill <think>\n is part of the scored text
    ("plan</think>\n<answer>a cat sat on the mat</answer><|im_end|>", 1, 2.0, 3, False),  # all met: +2
    ("plan</think><answer>a cat and a dog play</answer>", 1, 2 / 3, 2, False),  # 2 of 3: k/n
    ("plan</think><answer>dog dog</answer>", 1, -2.0, 0, False),  # none met: −2
    ("plan</think><answer>a cat sat here</answer>junk</answer>", -1, -2.0, 0, True),  # tag twice: format fails, gated
    ("</think><answer>a cat sat on the mat</answer>", 1, -2.0, 0, True),  # empty reasoning: gated
    ("Reasoning process here</think><answer>a cat sat on the mat</answer>", 1, -2.0, 0, True),  # placeholder: gated
    ("plan</think><answer>   </answer>", 1, -2.0, 0, True),  # empty answer: gated
    ("plan</think>a cat sat on the mat", -1, -2.0, 0, True),  # no answer tags
    ("<answer>a cat sat on the mat</answer></think>", -1, -2.0, 0, True),  # tags out of order
    ("plan</think><answer>a cat sat on the mat</answer><|im_end|><answer>x</answer>", 1, 2.0, 3, False),  # cut at stop
])
def test_rule_reward_branches(completion, fmt, ans, k, gated):
    assert rewards.raif_format_reward([QWEN], [completion]) == [fmt]
    assert rule_reward(completion) == pytest.approx(ans)
    outcome = rewards.OUTCOMES.pop("u")
    assert (outcome.k, outcome.n, outcome.gated) == (k, 3, gated)
    assert fmt + ans in (-3, -1, 1 + 2 / 3, 3)  # RAIF's reward table for instruction rows


def test_no_reasoning_rollouts_skip_the_think_gate():
    wocot = prompts.close_think(QWEN)
    assert wocot.endswith("<think>\n\n</think>\n")
    assert rewards.raif_format_reward([wocot], ["<answer>a cat sat on the mat</answer>"]) == [1.0]
    assert rule_reward("<answer>a cat sat on the mat</answer>", prompt=wocot, wocot=True) == 2.0
    assert rewards.OUTCOMES.pop("u").wocot


def test_deepseek_template_needs_only_think_tags():
    assert rewards.raif_format_reward([DEEPSEEK], ["plan</think>a cat sat on the mat"], template=["deepseek"]) == [1]
    assert rule_reward("plan</think>a cat sat on the mat", prompt=DEEPSEEK, template="deepseek") == 2.0
    assert rewards.raif_format_reward([DEEPSEEK], ["plan</think><answer>x</answer></think>"],
                                      template=["deepseek"]) == [-1]


def test_rows_of_another_kind_get_none_and_conversational_completions_work():
    out = rewards.raif_ifeval_reward([QWEN, QWEN], [[{"role": "assistant", "content": "x"}], "y"],
                                     task=["default", "complex_zh"], target=["4", "{}"])
    assert out == [None, None]


def test_shaping_table():
    assert [rewards.shape(k, 4) for k in range(5)] == [-2.0, 0.25, 0.5, 0.75, 2.0]
    with pytest.raises(ValueError):
        rewards.shape(0, 0)


def test_training_profile_differs_from_the_official_checkers_where_raif_does():
    record = {"key": 1, "prompt": "p", "instruction_id_list": ["keywords:existence"], "kwargs": [{"keywords": ["a+b"]}]}
    assert ifeval.score(record, "we know a+b well", profile="training").strict == [True]  # literal match
    assert ifeval.score(record, "we know a+b well").strict == [False]  # official: "a+b" is a regex
    xml = {**record, "instruction_id_list": ["detectable_format:xml_format"], "kwargs": [{}]}
    assert ifeval.score(xml, "```xml\n<a><b>1</b></a>\n```", profile="training").strict == [True]
    assert ifeval.score(xml, "no markup at all", profile="training").strict == [False]
    repeat = {**record, "instruction_id_list": ["combination:repeat_prompt"],
              "kwargs": [{"prompt_to_repeat": "Say hi"}]}
    assert ifeval.score(repeat, '"Say hi" then hi', profile="training").strict == [True]
    assert ifeval.score(repeat, '"Say hi" then hi').strict == [False]
    words = {**record, "instruction_id_list": ["length_constraints:number_words"],
             "kwargs": [{"num_words": 3, "relation": "少于"}]}
    assert ifeval.score(words, "two words", profile="training").strict == [True]
    chinese = {**record, "instruction_id_list": ["language:response_language"], "kwargs": [{"language": "zh-cn"}]}
    assert ifeval.score(chinese, "这是一个用中文写的回答，内容完整。", profile="training").strict == [True]


# ------------------------------------------------------------------------------------------- templates


@pytest.mark.parametrize(("prompt", "instruction"), [
    (QWEN, "Write about cats."),
    ("<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
     "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\n", "Be terse.\n\nQ2"),
    (DEEPSEEK, "Write about cats."),
    (f"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{RAIF_SYSTEM}<|eot_id|><|start_header_id|>user"
     "<|end_header_id|>\n\nWrite about cats.<|eot_id|><|start_header_id|>assistant<|end_header_id|><think>\n",
     "Write about cats."),
    (f"<s>[INST]{RAIF_SYSTEM}\n\nWrite about cats.[/INST]<think>\n", "\n\nWrite about cats."),
    (f"System: {RAIF_SYSTEM} Here is the task definition:\n\nTASK\nUser: do X\nAssistant:<think>\n",
     "TASK\n\n\ndo X"),
])
def test_judge_instruction_recovered_from_each_template(prompt, instruction):
    assert prompts.judge_instruction(prompt) == instruction


def test_judge_prompt_is_raifs(tmp_path):
    text = prompts.judge_user_message("INSTR", "ANS", "Q1?")
    assert text.startswith('Based on the provided <Input> and <Generated Text>, answer the ensuing <Question> with '
                           'either a "YES(是)" or "NO(否)" choice.')
    assert text.endswith("should be 'NO(否)'.\n\n\nInput:\n\nINSTR\n\n\nGenerated Text:\n\nANS\n\n\nQuestion:\n\nQ1?")
    assert len(text) == 1147 + len("\n\n\nInput:\n\nINSTR\n\n\nGenerated Text:\n\nANS\n\n\nQuestion:\n\nQ1?")


# ---------------------------------------------------------------------------------------------- judge


def test_judge_reward_branches_through_a_loopback_judge(tmp_path, monkeypatch):
    questions = ["Is it about cats?", "Is it in English?", "Does it rhyme?"]
    target = json.dumps({"scoring_questions": questions})

    def reply(body):
        if body.get("max_tokens") == 1:
            return "OK"
        text = body["messages"][-1]["content"]
        answer = text.split("Generated Text:\n\n", 1)[1].split("\n\n\nQuestion:", 1)[0]
        question = text.rsplit("Question:\n\n", 1)[1]
        if "rhyme" in question:
            return "NO(否)" if "cat" in answer else "**YES(是)**"
        if "cats" in question:
            return "YES(是)" if "cat" in answer else "NO"
        return "是" if "everything" in answer else "Maybe?"  # an unreadable reply does not earn the constraint

    judge = FakeJudge(reply=reply, log_path=tmp_path / "judge.jsonl").start()
    monkeypatch.setenv("RAIF_JUDGE_URL", judge.url)
    monkeypatch.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "cache.sqlite"))
    completions = ["plan</think><answer>a cat</answer>",  # cats yes, english maybe->no, rhyme no: 1/3
                   "plan</think><answer>cat everything</answer>",  # yes, yes, no: 2/3
                   "plan</think><answer>dogs</answer>",  # no, no, yes(**YES**): 1/3
                   "</think><answer>cat</answer>",  # gated: no judge call
                   "plan</think><answer>everything cat rhymes</answer>"]  # wait: rhyme question sees "cat": 2/3
    n = len(completions)
    try:
        out = asyncio.run(rewards.raif_judge_reward([QWEN] * n + [QWEN], completions + ["x"],
                                                    task=["complex"] * n + ["ifeval"], target=[target] * n + [RULES],
                                                    raif_uid=[f"j{i}" for i in range(n + 1)]))
    finally:
        judge.stop()
    assert out == pytest.approx([1 / 3, 2 / 3, 1 / 3, -2.0, 2 / 3, None][: n + 1])
    assert rewards.OUTCOMES.pop("j3").gated and "j5" not in rewards.OUTCOMES
    bodies = [json.loads(line)["body"] for line in (tmp_path / "judge.jsonl").read_text().splitlines()]
    asked = [b for b in bodies if b.get("max_tokens") != 1]
    assert len(asked) == 4 * 3  # three questions for each ungated row
    first = asked[0]["messages"]
    assert first[0] == {"role": "system", "content": "You are a helpful assistant."}
    assert "\n\n\nInput:\n\nWrite about cats.\n\n\nGenerated Text:\n\n" in first[1]["content"]
    assert all("plan" not in b["messages"][1]["content"] for b in asked)  # the reasoning is never shown
    for i in range(n):
        rewards.OUTCOMES.pop(f"j{i}", None)


def test_judge_reward_all_yes_and_all_no(tmp_path, monkeypatch):
    target = json.dumps({"scoring_questions": ["A?", "B?"]})
    judge = FakeJudge(reply=lambda body: "OK" if body.get("max_tokens") == 1 else (
        "YES" if "good" in body["messages"][-1]["content"] else "NO")).start()
    monkeypatch.setenv("RAIF_JUDGE_URL", judge.url)
    monkeypatch.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "cache.sqlite"))
    try:
        out = asyncio.run(rewards.raif_judge_reward([QWEN, QWEN], ["t</think><answer>good</answer>",
                                                                   "t</think><answer>bad</answer>"],
                                                    task=["complex", "complex"], target=[target, target]))
    finally:
        judge.stop()
    assert out == [2.0, -2.0]
