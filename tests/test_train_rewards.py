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


def test_training_reading_differs_from_the_official_checkers_where_raif_does():
    record = {"key": 1, "prompt": "p", "instruction_id_list": ["keywords:existence"], "kwargs": [{"keywords": ["a+b"]}]}
    assert ifeval.score(record, "we know a+b well", reading="training").strict == [True]  # literal match
    assert ifeval.score(record, "we know a+b well").strict == [False]  # official: "a+b" is a regex
    xml = {**record, "instruction_id_list": ["detectable_format:xml_format"], "kwargs": [{}]}
    assert ifeval.score(xml, "```xml\n<a><b>1</b></a>\n```", reading="training").strict == [True]
    assert ifeval.score(xml, "no markup at all", reading="training").strict == [False]
    repeat = {**record, "instruction_id_list": ["combination:repeat_prompt"],
              "kwargs": [{"prompt_to_repeat": "Say hi"}]}
    assert ifeval.score(repeat, '"Say hi" then hi', reading="training").strict == [True]
    assert ifeval.score(repeat, '"Say hi" then hi').strict == [False]
    words = {**record, "instruction_id_list": ["length_constraints:number_words"],
             "kwargs": [{"num_words": 3, "relation": "少于"}]}
    assert ifeval.score(words, "two words", reading="training").strict == [True]
    chinese = {**record, "instruction_id_list": ["language:response_language"], "kwargs": [{"language": "zh-cn"}]}
    assert ifeval.score(chinese, "这是一个用中文写的回答，内容完整。", reading="training").strict == [True]


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


def test_judge_forced_choice_reads_the_first_tokens_log_probabilities(tmp_path, monkeypatch):
    """RAIF compared YES and NO by log-probability: where the endpoint returns top_logprobs the greedy text does
    not decide; without them (or with neither word among them) the text does."""
    from raif_eval.judge.server import Completion

    def top(**pairs):
        first = max(pairs, key=pairs.get)
        return {"content": [{"token": first, "logprob": pairs[first],
                             "top_logprobs": [{"token": t, "logprob": lp} for t, lp in pairs.items()]}]}

    def reply(body):
        if body.get("max_tokens") == 1:
            return "OK"
        assert body["logprobs"] is True and body["top_logprobs"] == 20
        question = body["messages"][-1]["content"].rsplit("Question:\n\n", 1)[1]
        return {"A?": Completion("NO", logprobs=top(NO=-0.9, YES=-0.6)),  # text says NO, YES more likely
                "B?": Completion("YES", logprobs=top(**{"YES": -0.7, " No": -0.4})),  # NO more likely
                "C?": Completion("YES(是)", logprobs=top(**{"**": -0.1, "Sure": -2.0})),  # neither: the text
                "D?": Completion("是"),  # no log-probabilities: the text
                "E?": Completion("YES", logprobs=top(**{"否": -0.2}))}[question]  # only NO listed

    judge = FakeJudge(reply=reply).start()
    monkeypatch.setenv("RAIF_JUDGE_URL", judge.url)
    monkeypatch.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "cache.sqlite"))
    target = json.dumps({"scoring_questions": ["A?", "B?", "C?", "D?", "E?"]})
    logged = []
    try:
        for _ in range(2):  # the second time from the cache, log-probabilities included
            out = asyncio.run(rewards.raif_judge_reward([QWEN], ["t</think><answer>x</answer>"], task=["complex"],
                                                        target=[target], raif_uid=["lp"],
                                                        log_metric=lambda name, value: logged.append((name, value))))
            assert out == [pytest.approx(3 / 5)]
            outcome = rewards.OUTCOMES.pop("lp")
            assert (outcome.k, outcome.n) == (3, 5)  # A yes, B no, C yes, D yes, E no
    finally:
        judge.stop()
    assert logged == [("judge/failed", 0.0)] * 2


def test_failed_judge_requests_are_counted_and_logged(monkeypatch, caplog):
    from raif_eval.judge.client import Reply
    from raif_train import judge

    async def replies(self, requests):
        return [Reply("YES"), Reply(None, error="gave up"), Reply("YES"), Reply(None, error="gave up")][:len(requests)]

    monkeypatch.setattr(judge.YesNoJudge, "_complete", replies)
    target = json.dumps({"scoring_questions": ["A?", "B?"]})
    logged = []
    reward = rewards.judge_reward(judge.YesNoJudge())
    out = asyncio.run(reward([QWEN, QWEN], ["t</think><answer>x</answer>"] * 2, task=["complex"] * 2,
                             target=[target] * 2, log_metric=lambda name, value: logged.append((name, value))))
    assert out == [pytest.approx(0.5), pytest.approx(0.5)]  # a failed request is a NO
    assert logged == [("judge/failed", 0.5)]
    assert "2 of 4 judge requests failed" in caplog.text


def test_judge_prompt_in_the_actors_template_goes_to_completions(tmp_path, monkeypatch):
    """judge_uses_actor_template: the conversation rendered with the policy's template, sent as a raw prompt."""
    from raif_eval.judge.config import JudgeConfig
    from raif_eval.judge.server import ChatHandler, ChatServer
    from raif_train import judge

    seen = []

    class Handler(ChatHandler):
        def do_POST(self):
            body = self.read_body()
            seen.append((self.path, body))
            if self.path.endswith("/chat/completions"):  # the preflight probe
                self.send_json(200, {"choices": [{"message": {"content": "OK"}}], "usage": {}})
                return
            self.send_json(200, {"choices": [{"text": "NO", "logprobs": {"tokens": ["NO"], "top_logprobs": [
                {"YES": -0.1, "NO": -1.0}]}}], "usage": {"prompt_tokens": 5, "completion_tokens": 1}})

    class Template:
        def apply_chat_template(self, conversation, tokenize, add_generation_prompt):
            assert not tokenize and add_generation_prompt
            return "".join(f"[{m['role']}]{m['content']}" for m in conversation) + "[assistant]"

    server = ChatServer(lambda body: None, ["m"])
    server.RequestHandlerClass = Handler
    server.start()
    config = JudgeConfig(url=server.url, model="m", cache=str(tmp_path / "cache.sqlite"))
    reward = rewards.judge_reward(judge.YesNoJudge(config, actor_tokenizer=Template()))
    try:
        out = asyncio.run(reward([QWEN], ["t</think><answer>x</answer>"], task=["complex"],
                                 target=[json.dumps({"scoring_questions": ["Q?"]})]))
    finally:
        reward.judge.close()
        server.stop()
    assert out == [2.0]  # YES by log-probability
    path, body = seen[-1]
    assert path.endswith("/v1/completions") and body["logprobs"] == 20
    assert body["prompt"].startswith("[system]You are a helpful assistant.[user]Based on the provided")
    assert body["prompt"].endswith("Question:\n\nQ?[assistant]")


# ---------------------------------------------------------------------------------------------- maths


@pytest.mark.parametrize(("completion", "truth", "ans"), [
    ("work</think><answer>so \\boxed{4}</answer>", "4", 2.0),  # equal
    ("work</think><answer>\\boxed{\\dfrac{2}{4}}</answer>", "\\frac{1}{2}", 2.0),  # equal after simplification
    ("work</think><answer>\\boxed{0.5}</answer>", "\\frac12", 2.0),
    ("work</think><answer>\\boxed{x^2+2x+1}</answer>", "(x+1)^2", 2.0),
    ("work</think><answer>\\boxed{5}</answer>", "4", -1.5),  # wrong
    ("work</think><answer>\\boxed{9}, no: \\boxed{10}</answer>", "10", 2.0),  # the last box counts
    ("work</think><answer>\\boxed{10}, no: \\boxed{9}</answer>", "10", -1.5),
    ("work</think><answer>4</answer>", "4", -2.0),  # no \boxed at all (RAIF): −2, even when right
    ("work</think><answer>\\boxed{}</answer>", "4", -2.0),  # nothing parses
    ("</think><answer>\\boxed{4}</answer>", "4", -2.0),  # gated: empty reasoning
    ("work</think>\\boxed{4}", "4", -2.0),  # gated: no answer tags
])
def test_math_reward_shaping(completion, truth, ans):
    assert rewards.raif_math_reward([QWEN], [completion], task=["default"], target=[truth]) == [ans]


def test_math_reward_skips_other_rows_and_needs_a_ground_truth():
    assert rewards.raif_math_reward([QWEN, QWEN], ["x", "y"], task=["ifeval", "complex"], target=["{}", "{}"]) == [
        None, None]
    assert rewards.raif_math_reward([QWEN], ["w</think><answer>\\boxed{3}</answer>"], task=None, target=["3"]) == [2.0]
    with pytest.raises(ValueError, match="ground-truth answer"):
        rewards.raif_math_reward([QWEN], ["w</think><answer>\\boxed{3}</answer>"], task=["default"], target=[None])


def test_math_check_off_the_main_thread_is_bounded_and_survives_a_dead_worker():
    import threading

    from raif_train import maths

    def off_main(*calls):
        out = []
        thread = threading.Thread(target=lambda: out.append([maths.check(a, t) for a, t in calls]))
        thread.start()
        thread.join(120)
        return out[0]

    assert off_main(("\\boxed{4}", "4"), ("\\boxed{3}", "4")) == [True, False]
    for process in list(maths._pool._processes.values()):
        process.kill()  # an OOM-killed worker
        process.join()
    assert off_main(("\\boxed{3}", "3")) in ([False], [True])  # the broken pool is replaced, not fatal
    assert off_main(("\\boxed{3}", "3")) == [True]


# ------------------------------------------------------------------------------- RAIF's bugs on request


def test_reproduction_switches_b1_and_b2():
    wocot = prompts.close_think(QWEN)
    good = "plan</think><answer>a cat sat on the mat</answer>"
    # B1: RAIF parsed tags from the target JSON, so every rule row was gated
    swapped = rewards.raif_ifeval_reward([QWEN], [good], task=["ifeval"], target=[RULES], raif_uid=["b1"],
                                         raif_compat=[{"ifeval_swapped_args": True}])
    assert swapped == [-2.0] and rewards.OUTCOMES.pop("b1").gated
    assert rule_reward(good) == 2.0
    # B2: no-reasoning answers through the think gate: always −2
    gated = rewards.raif_ifeval_reward([wocot], ["<answer>a cat sat on the mat</answer>"], task=["ifeval"],
                                       target=[RULES], raif_wocot=[True], raif_compat=[{"wocot_gate": True}])
    assert gated == [-2.0]
    assert rule_reward("<answer>a cat sat on the mat</answer>", prompt=wocot, wocot=True) == 2.0
    rewards.OUTCOMES.pop("u", None)


def test_judge_endpoint_refusing_logprobs_falls_back_to_greedy_and_bad_logprobs_do_not_fail(tmp_path, monkeypatch):
    from raif_eval.judge.server import ChatHandler, ChatServer
    from raif_train import judge

    class Handler(ChatHandler):
        def do_POST(self):
            body = self.read_body()
            if "logprobs" in body:
                self.send_json(400, {"error": {"message": "logprobs is not supported by this model"}})
                return
            text = "OK" if body.get("max_tokens") == 1 else "YES"
            self.send_json(200, {"choices": [{"message": {"content": text}, "logprobs": {"content": [[1]]}}],
                                 "usage": {"prompt_tokens": 10 ** 400}})  # hostile, and still a readable reply

    server = ChatServer(lambda body: None, ["m"])
    server.RequestHandlerClass = Handler
    server.start()
    monkeypatch.setenv("RAIF_JUDGE_URL", server.url)
    monkeypatch.setenv("RAIF_JUDGE_MAX_RETRIES", "1")
    monkeypatch.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "cache.sqlite"))
    reward = rewards.judge_reward(judge.YesNoJudge())  # the variables' judge, as the module's reward
    try:
        out = asyncio.run(reward([QWEN], ["t</think><answer>x</answer>"], task=["complex"],
                                 target=[json.dumps({"scoring_questions": ["Q?"]})]))
    finally:
        reward.judge.close()
        server.stop()
    assert reward.judge.no_logprobs and not rewards.judge_of(rewards.raif_judge_reward).no_logprobs
    assert out == [2.0]


def test_hostile_logprob_blocks_leave_the_text_to_decide():
    from raif_eval.judge.client import _first_top_logprobs

    for logprobs in ({"content": [[1]]}, {"content": [{"top_logprobs": 5}]}, {"top_logprobs": [7]},
                     {"content": [{"token": "YES", "logprob": -10 ** 400}]}, "x", None,
                     {"content": [{"token": "\ud800", "logprob": float("nan")}]}):
        assert _first_top_logprobs({"choices": [{"logprobs": logprobs}]}) is None
    alternatives = [{"token": "YES", "logprob": -3}, {"token": "NO", "logprob": -0.1}]
    body = {"choices": [{"logprobs": {"content": [{"token": "NO", "logprob": -0.1, "top_logprobs": alternatives}]}}]}
    assert _first_top_logprobs(body) == {"YES": -3.0, "NO": -0.1}


@pytest.mark.parametrize("invisible", ["\u200b", "\x7f", "\ufeff", "\u200b\u200d \ufeff\n", "\u2066\u2069"])
def test_an_invisible_answer_is_gated_like_an_empty_one(invisible):
    empty = rule_reward("plan</think><answer></answer>")
    hidden = rule_reward(f"plan</think><answer>{invisible}</answer>")
    assert rewards.OUTCOMES.pop("u").gated
    some = rule_reward("plan</think><answer>a cat</answer>")  # 2 of 3 constraints
    assert empty == hidden == -2.0 < some
    assert rule_reward(f"{invisible}</think><answer>a cat sat on the mat</answer>") == -2.0  # invisible reasoning
    assert rewards.OUTCOMES.pop("u").gated
