"""Two-model reasoning ("deepclaude") against two loopback servers: the reasoning model's call, the evaluated
model's call with the rewritten last turn, and the score of the final answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lm_eval

from fake_judge import FakeJudge
from helpers import run_cli, write_replay
from raif_eval.benchmarks import cello
from raif_eval.judge.server import Completion

SECRET = "sk-reasoner-secret-123"
# RAIF's PROMPT_DEEPCLAUDE (COMPLEX_INSTRUCTIONS/run_local_model_openai.py), written out here.
REWRITE = ("Here's my original input request:\n```\n{original_content}\n```\n\nHere's my another model's reasoning "
           "process:\n{reasoning}\n\nBased on this reasoning, provide your response directly to me:")
ORIGINAL = re.compile(r"\AHere's my original input request:\n```\n(.*)\n```\n\nHere's my another", re.S)


def _bodies(path: Path) -> list[dict]:
    return [json.loads(line)["body"] for line in path.read_text(encoding="utf-8").splitlines()]


def _reasoning(last: str) -> str:
    return f"R1 thinks about: {last[:40]}"


def test_reasoner_thinks_then_the_model_answers_the_rewritten_turn(tmp_path, task_manager, ifeval_records,
                                                                   ifeval_gpt4_responses):
    gpt4 = dict(zip((r["prompt"] for r in ifeval_records), ifeval_gpt4_responses))
    records = cello.load_records()
    multi = next(i for i, r in enumerate(records) if len(r["histories"]) >= 2)

    reasoner = FakeJudge(reply=lambda body: "OK" if body.get("max_tokens") == 1 else Completion(
        "R1's own answer", reasoning=_reasoning(body["messages"][-1]["content"])), model="R1",
        log_path=tmp_path / "reasoner.jsonl").start()

    def answer(body):  # the evaluated model answers IFEval prompts as GPT-4 did, anything else plainly
        original = ORIGINAL.match(body["messages"][-1]["content"])
        return gpt4.get(original.group(1), "一个回答") if original else "not rewritten"

    model = FakeJudge(reply=answer, model="answerer", log_path=tmp_path / "model.jsonl").start()
    args = ["run", "--model", "local-chat-completions", "--model_args",
            f"model=answerer,base_url={model.url}/chat/completions,tokenizer_backend=None,num_concurrent=2",
            "--apply_chat_template", "--tasks", "raif_ifeval,raif_cello",
            "--samples", json.dumps({"raif_ifeval": [0, 1, 2], "raif_cello": [multi]}),
            "--cot_model_url", reasoner.url, "--cot_model", "R1", "--cot_model_api_key", SECRET,
            "--cot_max_tokens", "512", "--enable_thinking", "false",
            "--output_path", str(tmp_path / "out"), "--log_samples"]
    env = {"RAIF_JUDGE_CACHE": str(tmp_path / "cache.sqlite")}
    try:
        proc = run_cli(*args, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        first_reasoner_calls = len(_bodies(tmp_path / "reasoner.jsonl"))
        rerun = run_cli(*args, env=env)  # everything the reasoning model said is cached: it is not asked again
        assert rerun.returncode == 0, rerun.stderr[-3000:]
    finally:
        reasoner.stop()
        model.stop()

    thoughts = [b for b in _bodies(tmp_path / "reasoner.jsonl") if b.get("max_tokens") != 1]
    assert len(thoughts) == 4 == first_reasoner_calls - 1  # one preflight probe, then one call per document
    assert len([b for b in _bodies(tmp_path / "reasoner.jsonl") if b.get("max_tokens") == 1]) == 2
    assert all(b["model"] == "R1" and b["temperature"] == 0 and b["max_tokens"] == 512 for b in thoughts)
    assert reasoner.auth_headers == {f"Bearer {SECRET}"}

    # 1) the reasoning model gets the dialogue as it is
    record = records[multi]
    dialogue = []
    for user, assistant in record["histories"]:
        dialogue += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    dialogue.append({"role": "user", "content": record["Instruction"]})
    expected_first = [[{"role": "user", "content": r["prompt"]}] for r in ifeval_records[:3]] + [dialogue]
    assert sorted(map(json.dumps, (b["messages"] for b in thoughts))) == sorted(map(json.dumps, expected_first))

    # 2) the evaluated model gets the same dialogue with its last turn rewritten around that reasoning
    answers = _bodies(tmp_path / "model.jsonl")
    assert len(answers) == 8  # 4 documents, twice (lm-eval's own cache is off)
    expected_second = [[*m[:-1], {"role": "user", "content": REWRITE.format(
        original_content=m[-1]["content"], reasoning=_reasoning(m[-1]["content"]))}] for m in expected_first]
    assert sorted(map(json.dumps, (b["messages"] for b in answers[:4]))) == sorted(map(json.dumps, expected_second))
    assert all(b["chat_template_kwargs"] == {"enable_thinking": False} for b in answers)

    # 3) the final answer is scored as that answer would be on its own (replayed without any reasoning)
    run_dir = next((tmp_path / "out").iterdir())
    results = json.loads(sorted(run_dir.glob("results_*.json"))[0].read_text())
    samples = [json.loads(line) for line in sorted(run_dir.glob("samples_raif_ifeval_*.jsonl"))[0].open()]
    replay = write_replay(tmp_path / "replay.jsonl", "raif_ifeval", [r["key"] for r in ifeval_records[:3]],
                          ifeval_gpt4_responses[:3])
    plain = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(replay)}, tasks=["raif_ifeval"],
                                    task_manager=task_manager, samples={"raif_ifeval": [0, 1, 2]}, log_samples=True)
    for metric in ("prompt_level_strict_acc,raif", "inst_level_loose_acc,raif", "raif_score,raif"):
        assert results["results"]["raif_ifeval"][metric] == plain["results"]["raif_ifeval"][metric]
    assert sorted(s["filtered_resps"][0] for s in samples) == sorted(ifeval_gpt4_responses[:3])
    from raif_eval.reports.runs import method_label

    assert method_label(results) == "I/O + R1"  # how reports label the row
    meta = results["configs"]["raif_cello"]["metadata"]
    assert meta["raif_cot_model"] == "R1" and meta["raif_cot_model_url"] == reasoner.url
    text = proc.stdout + proc.stderr + "".join(p.read_text() for p in run_dir.iterdir())
    assert SECRET not in text


def test_unreachable_reasoning_model_fails_in_one_line_before_generation(tmp_path):
    model = FakeJudge(reply=lambda body: "answer", model="answerer", log_path=tmp_path / "model.jsonl").start()
    try:
        proc = run_cli("run", "--model", "local-chat-completions", "--model_args",
                       f"model=answerer,base_url={model.url}/chat/completions,tokenizer_backend=None",
                       "--apply_chat_template", "--tasks", "raif_ifeval", "--limit", "1",
                       "--cot_model_url", "http://127.0.0.1:9/v1", "--cot_model", "R1")
    finally:
        model.stop()
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("raif-eval: error: ")]
    assert len(errors) == 1 and "reasoning model endpoint" in errors[0] and "--cot_model_url" in errors[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "model.jsonl").exists()  # the evaluated model was never asked


def test_reasoning_flags_need_a_url():
    proc = run_cli("run", "--tasks", "raif_ifeval", "--cot_model", "R1")
    assert proc.returncode == 2 and "need --cot_model_url" in proc.stderr
