"""Multi-turn tasks (CELLO with histories, FB-Bench): the model receives the dialogue as real chat turns."""

from __future__ import annotations

import json

import pytest

from fake_judge import FakeJudge
from helpers import run_cli
from raif_eval.benchmarks import cello, fbbench

MODEL = "loopback-model"


def _chat_model(tmp_path):
    """An OpenAI-compatible model on loopback that logs every request (lm-eval's local-chat-completions)."""
    return FakeJudge(reply=lambda body: f"answer {len(body['messages'])}", model=MODEL,
                     log_path=tmp_path / "requests.jsonl").start()


def _requests(tmp_path):
    return [json.loads(line)["body"] for line in (tmp_path / "requests.jsonl").read_text().splitlines()]


def test_histories_reach_a_chat_endpoint_as_turns(tmp_path, task_manager):
    import lm_eval

    records = cello.load_records()
    multi = [i for i, r in enumerate(records) if len(r["histories"]) >= 2][:2]
    single = [i for i, r in enumerate(records) if not r["histories"]][:1]
    server = _chat_model(tmp_path)
    try:
        out = lm_eval.simple_evaluate(
            model="local-chat-completions",
            model_args={"model": MODEL, "base_url": f"{server.url}/chat/completions", "tokenizer_backend": None,
                        "num_concurrent": 1, "max_retries": 1},
            tasks=["raif_cello", "raif_fbbench"], task_manager=task_manager, apply_chat_template=True,
            system_instruction="Be brief.", samples={"raif_cello": multi + single, "raif_fbbench": [0, 1]},
            log_samples=True)
    finally:
        server.stop()
    sent = {body["messages"][-1]["content"]: body["messages"] for body in _requests(tmp_path)}
    for i in multi + single:
        record = records[i]
        expected = [{"role": "system", "content": "Be brief."}]
        for user, assistant in record["histories"]:
            expected += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
        expected.append({"role": "user", "content": record["Instruction"]})
        assert sent[record["Instruction"]] == expected
    for record in fbbench.load_records()[:2]:
        assert [(m["role"], m["content"]) for m in sent[record["feedback"]]] == [
            ("system", "Be brief."), ("user", record["user_query"]),
            ("assistant", record["origin_first_response"]), ("user", record["feedback"])]
    # the answer scored is the endpoint's reply to the full dialogue
    samples = out["samples"]["raif_cello"]
    assert {s["resps"][0][0] for s in samples} >= {f"answer {2 + 2 * len(records[i]['histories'])}" for i in multi}


def test_multi_turn_task_without_chat_template_is_a_one_line_error(tmp_path):
    server = _chat_model(tmp_path)
    try:
        proc = run_cli("run", "--model", "local-completions", "--model_args",
                       f"model={MODEL},base_url={server.url}/completions,tokenizer_backend=None",
                       "--tasks", "raif_cello", "--limit", "1")
    finally:
        server.stop()
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = [x for x in proc.stderr.splitlines() if x.startswith("raif-eval: error: ")]
    assert len(lines) == 1 and "--apply_chat_template" in lines[0], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_embedded_model_answers_the_dialogue_it_was_given(tmp_path):
    """The real model, the three new tasks, multi-turn documents included; a scripted judge keeps it quick."""
    records = cello.load_records()
    multi = [i for i, r in enumerate(records) if r["histories"]][:1]
    judge = FakeJudge().start()
    try:
        proc = run_cli("run", "--tasks", "raif_cello,raif_cfbench,raif_fbbench", "--gen_kwargs", "max_gen_toks=24",
                       "--samples", json.dumps({"raif_cello": multi + [0], "raif_cfbench": [0, 1],
                                                "raif_fbbench": [0, 1]}),
                       "--judge_url", judge.url, "--judge_model", "fake-judge", "--output_path", str(tmp_path),
                       "--log_samples", env={"RAIF_JUDGE_CACHE": str(tmp_path / "judge.sqlite")})
    finally:
        judge.stop()
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(next(tmp_path.rglob("results_*.json")).read_text())["results"]
    for task in ("raif_cello", "raif_cfbench", "raif_fbbench"):
        assert results[task]["sample_len"] == 2
    samples = {task: [json.loads(x) for x in next(tmp_path.rglob(f"samples_{task}_*.jsonl")).read_text().splitlines()]
               for task in ("raif_cello", "raif_fbbench")}
    record = records[multi[0]]
    prompt = next(s["arguments"]["gen_args_0"]["arg_0"] for s in samples["raif_cello"]
                  if s["doc"]["doc_id"] == record["Instruction_id"])
    user, assistant = record["histories"][-1]
    assert f"<|im_start|>user\n{user}<|im_end|>" in prompt
    assert f"<|im_start|>assistant\n{assistant}<|im_end|>" in prompt  # the history turn, as an assistant turn
    assert prompt.endswith(f"<|im_start|>user\n{record['Instruction']}<|im_end|>\n<|im_start|>assistant\n")
    for sample in samples["raif_fbbench"]:
        fb = json.loads(sample["doc"]["raw"])
        prompt = sample["arguments"]["gen_args_0"]["arg_0"]
        assert f"<|im_start|>assistant\n{fb['origin_first_response']}<|im_end|>" in prompt
        assert prompt.endswith(f"<|im_start|>user\n{fb['feedback']}<|im_end|>\n<|im_start|>assistant\n")
    answers = [s["resps"][0][0] for s in samples["raif_fbbench"]]
    assert all(a.strip() for a in answers) and answers[0] != answers[1]  # real generations, one per dialogue
