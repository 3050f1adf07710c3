"""The official outputs through the real tasks: replayed answers, a loopback judge that answers with the official
judge's stored replies, lm-eval's own filters and aggregations. Our numbers must be the official ones, and the
judge requests the official ones, byte for byte."""

from __future__ import annotations

import json
import math

import pytest

from fake_judge import MODEL, FakeJudge
from helpers import SHARED, write_replay
from raif_eval.benchmarks import cello, fbbench
from test_cfbench_scoring import EVAL_FILES, load_json, official_prompt, xlsx_last_rows
from test_fbbench_scoring import xlsx_table
from test_judge_templates_a import fbbench_fields, fbbench_official


def _evaluate(task_manager, task, replay, reply, tmp_path, samples=None, metadata=None):
    """One task through lm-eval, judged by a loopback server answering ``reply(prompt)``; returns (output, bodies)."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    from raif_eval.tasks import TASKS_DIR

    manager = task_manager if metadata is None else TaskManager(
        include_path=[str(TASKS_DIR)], include_defaults=False, metadata=metadata)
    server = FakeJudge(reply=lambda body: "OK" if body.get("max_tokens") == 1  # the start-up probe
                       else reply(body["messages"][-1]["content"])).start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("RAIF_JUDGE_URL", server.url)
            mp.setenv("RAIF_JUDGE_MODEL", MODEL)
            mp.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "judge.sqlite"))
            out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(replay)}, tasks=[task],
                                          task_manager=manager, samples=samples, log_samples=True,
                                          apply_chat_template=True)
    finally:
        server.stop()
    probe = [e for e in server.log.entries if e["body"].get("max_tokens") == 1]
    return out, [e["body"] for e in server.log.entries if e not in probe]


# ---------------------------------------------------------------- CFBench

@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name.removesuffix("_eval.json"))
def test_cfbench_task_reproduces_the_official_scores(path, tmp_path, task_manager):
    """Every model's answers and GPT-4o replies (idx 0-3) give the model's last scores.xlsx row."""
    items = load_json(path)
    records = {item["idx"]: item for item in items}
    replies = {official_prompt(item, item["response"]): item["judge_response"] for item in items}
    replay = write_replay(tmp_path / "r.jsonl", "raif_cfbench", list(records), [records[i]["response"] for i in records])
    out, bodies = _evaluate(task_manager, "raif_cfbench", replay, replies.__getitem__, tmp_path,
                            samples={"raif_cfbench": sorted(records)})
    for body in bodies:  # the official request: one user turn, temperature 0.01, nothing else
        assert set(body) == {"model", "messages", "temperature"} and body["temperature"] == 0.01
        assert len(body["messages"]) == 1 and body["messages"][0]["content"] in replies
    assert {b["messages"][0]["content"] for b in bodies} == set(replies)
    got = out["results"]["raif_cfbench"]
    official = xlsx_last_rows()[path.name.removesuffix("_eval.json")]
    for column in ("CSR", "ISR", "PSR", "CSR_hard", "ISR_hard", "PSR_hard"):
        assert got[f"{column.lower()},raif"] == official[column], column
    assert all(math.isnan(got[f"{m}_easy,raif"]) for m in ("csr", "isr", "psr"))  # all four items are hard
    assert got["raif_score,raif"] == pytest.approx((official["CSR"] + official["ISR"] + official["PSR"]) / 3)
    fallback = sum(item["judge_parsing"] == "0" for item in items)
    assert got["judge_fallback,raif"] == fallback and got["judge_unparsed,raif"] == 0
    assert got["judge_parse_failures,raif"] == 10 * fallback  # each fallback item was asked ten times


# ---------------------------------------------------------------- FB-Bench

FB = SHARED / "fbbench" / "data" / "feedback-benchmark"


def test_fbbench_task_reproduces_the_official_leaderboard_row(tmp_path, task_manager):
    """Qwen2.5-7B-Instruct's 591 second answers and GPT-4o judgements give overall_score.xlsx and the per-task
    table; every request is the official v3 prompt with JSON mode."""
    judged = [json.loads(x) for x in (FB / "model_judgment" / "gpt-4o-2024-08-06" / "Qwen2.5-7B-Instruct.jsonl")
              .read_text(encoding="utf-8").splitlines() if x.strip()]
    by_query = {j["user_query"]: j for j in judged}
    records = fbbench.load_records("v3")
    answers = [by_query[r["user_query"]]["second_response"] for r in records]
    replies = {fbbench_official("judge_v3", fbbench_fields(r, a, reference=False)):
               json.dumps(by_query[r["user_query"]]["judgement"], ensure_ascii=False)
               for r, a in zip(records, answers)}
    replay = write_replay(tmp_path / "r.jsonl", "raif_fbbench", range(len(records)), answers)
    out, bodies = _evaluate(task_manager, "raif_fbbench", replay, replies.__getitem__, tmp_path)
    assert len(bodies) == 591 and {b["messages"][0]["content"] for b in bodies} == set(replies)
    for body in bodies:
        assert body["temperature"] == 0 and body["max_tokens"] == 4096
        assert body["response_format"] == {"type": "json_object"} and len(body["messages"]) == 1
    got = out["results"]["raif_fbbench"]
    assert round(got["fb_error_correction,raif"] * 100, 2) == 57.09
    assert round(got["fb_response_maintenance,raif"] * 100, 2) == 58.62
    assert round(got["fb_overall,raif"] * 100, 2) == 57.85 == round(got["raif_score,raif"] * 100, 2)
    assert got["judge_failed_docs,raif"] == 0
    # the per-task table from the logged samples alone (what the reports read)
    samples = [{"bench_type": s["doc"]["bench_type"], "task_type": s["doc"]["task_type"], "score": s["fb_score"]}
               for s in out["samples"]["raif_fbbench"]]
    for task_type, scores in fbbench.per_task_type(samples).items():
        ec, rm, both = xlsx_table("per_task_score.xlsx")[task_type]
        assert (round(scores.error_correction * 100, 2), round(scores.response_maintenance * 100, 2),
                round(scores.overall * 100, 2)) == (ec, rm, both), task_type


def test_fbbench_v1_sends_the_v1_prompt_and_drop_leaves_failures_out(tmp_path):
    records = fbbench.load_records("v1")[:6]
    answers = [f"第二轮回答 {i}" for i in range(len(records))]
    expected = {fbbench_official("judge_v1", fbbench_fields(r, a, reference=True)): r for r, a in zip(records, answers)}

    def reply(prompt):
        record = expected[prompt]
        if record is records[0]:
            return "not json"  # never valid: the record fails all three attempts
        items = fbbench.checklist_items(record)
        return json.dumps({item: {"评判理由": "理由", "评判结果": "是", "weight": weight} for item, weight in items},
                          ensure_ascii=False)

    replay = write_replay(tmp_path / "r.jsonl", "raif_fbbench", range(len(records)), answers)
    out, bodies = _evaluate(None, "raif_fbbench", replay, reply, tmp_path, samples={"raif_fbbench": list(range(6))},
                            metadata={"fbbench_version": "v1", "fbbench_on_failure": "drop"})
    assert {b["messages"][0]["content"] for b in bodies} == set(expected)
    assert sum(b["messages"][0]["content"] == list(expected)[0] for b in bodies) == 3  # three attempts
    got = out["results"]["raif_fbbench"]
    assert got["judge_failed_docs,raif"] == 1
    samples = {s["doc"]["doc_id"]: s for s in out["samples"]["raif_fbbench"]}
    assert samples["0"]["fb_score"] is None  # dropped, as upstream leaves the line out
    # every item 是: an EC record scores the sum of its weights (1 up to float addition), an RM record 1
    assert [samples[str(i)]["fb_score"] for i in range(1, 6)] == pytest.approx([1.0] * 5)
    assert got["fb_overall,raif"] == 1.0  # rounded to 4 digits, as upstream


# ---------------------------------------------------------------- CELLO

def test_cello_task_scores_the_gpt4_answers_like_the_official_scorer(tmp_path, task_manager):
    """One answer per record (the fixture's first, where it holds two): the task's numbers equal the scoring core
    on the same answers, and the official CSV for every task file whose fixture has no duplicate."""
    import lm_eval
    import pandas as pd

    answers: dict[str, str] = {}
    for task_file in cello.TASK_FILES:
        for row in json.loads((SHARED / "cello" / "results" / "gpt4" / f"res_{task_file}.json").read_text("utf-8")):
            answers.setdefault(row["Instruction_id"], row["model_answer"])
    records = cello.load_records()
    replay = write_replay(tmp_path / "r.jsonl", "raif_cello", [r["Instruction_id"] for r in records],
                          [answers[r["Instruction_id"]] for r in records])
    out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(replay)}, tasks=["raif_cello"],
                                  task_manager=task_manager, log_samples=True, apply_chat_template=True)
    got = out["results"]["raif_cello"]
    expected = cello.summary((r["task_file"], cello.score(r, answers[r["Instruction_id"]])) for r in records)
    assert got["cello_average,raif"] == got["raif_score,raif"] == pytest.approx(expected["average"], abs=1e-12)
    for criterion in cello.CRITERIA:
        assert got[f"cello_{criterion},raif"] == pytest.approx(expected[criterion], abs=1e-12)
    assert got["cello_complex_ins,raif"] == pytest.approx(expected["ave_complex_ins"], abs=1e-12)
    for name in ("extraction", "keywords_extraction", "writing_multi_rounds", "Structure"):
        assert got[f"cello_{name},raif"] == pytest.approx(expected[name], abs=1e-12)
    tasks_csv = pd.read_csv(SHARED / "cello" / "scores" / "Eg_scores_by_tasks.csv")
    gpt4 = tasks_csv[tasks_csv.iloc[:, 0].astype(str).str.lower().str.contains("gpt4|gpt-4")].iloc[0]
    for column in ("extraction", "Planning", "meta_prompt", "brainstorming_single_round", "writing_single_round",
                   "Ave_complex_ins", "closed_qa", "Summarization", "Structure", "brainstorming_multi_rounds",
                   "writing_multi_rounds"):
        ours = got[f"cello_{column},raif"] if column != "Ave_complex_ins" else got["cello_complex_ins,raif"]
        assert round(ours, 3) == gpt4[column], column
    # per-sample criterion scores are logged (null where a criterion does not apply), with the record
    sample = next(s for s in out["samples"]["raif_cello"] if s["doc"]["task_file"] == "Summarization")
    assert sample["cello_format"] is None and 0 <= sample["cello_input"] <= 1


def _all_yes(body):
    """A judge that fills the prompt's own JSON skeleton with 是 for every item."""
    prompt = body["messages"][-1]["content"]
    if body.get("max_tokens") == 1:
        return "OK"
    skeleton = json.loads(prompt[prompt.rindex("```json\n") + 8:prompt.rindex("\n```")])
    return json.dumps({k: {**v, "评判理由": "理由", "评判结果": "是"} for k, v in skeleton.items()}, ensure_ascii=False)


def test_rejudging_keeps_the_runs_task_options(tmp_path):
    """A v1 run re-judged later is re-scored on v1 (its ids are positions, which differ between versions)."""
    from helpers import run_cli

    records = fbbench.load_records("v1")[:2]
    replay = write_replay(tmp_path / "r.jsonl", "raif_fbbench", [0, 1], ["回答一", "回答二"])
    yes, no = FakeJudge(reply=_all_yes).start(), FakeJudge(reply=lambda body: "OK").start()
    try:
        first = run_cli("run", "--model", "replay", "--model_args", f"responses={replay},model=m", "--tasks",
                        "raif_fbbench", "--limit", "2", "--metadata", '{"fbbench_version": "v1"}',
                        "--judge_url", yes.url, "--judge_model", MODEL, "--output_path", str(tmp_path / "out"),
                        "--log_samples", env={"RAIF_JUDGE_CACHE": str(tmp_path / "a.sqlite")})
        assert first.returncode == 0, first.stderr[-3000:]
        again = run_cli("judge", str(tmp_path / "out"), "--judge_url", no.url, "--judge_model", MODEL,
                        env={"RAIF_JUDGE_CACHE": str(tmp_path / "b.sqlite")})
        assert again.returncode == 0, again.stderr[-3000:]
    finally:
        yes.stop()
        no.stop()
    runs = sorted((tmp_path / "out").rglob("results_*.json"))
    assert len(runs) == 2
    old, new = (json.loads(p.read_text()) for p in runs)
    assert old["results"]["raif_fbbench"]["fb_overall,raif"] == 1.0
    assert new["results"]["raif_fbbench"]["judge_failed_docs,raif"] == 2  # the new judge never answers JSON
    assert new["configs"]["raif_fbbench"]["metadata"]["fbbench_version"] == "v1"
    rejudged = sorted((tmp_path / "out").rglob("samples_raif_fbbench_*.jsonl"))[-1]
    docs = [json.loads(json.loads(x)["doc"]["raw"]) for x in rejudged.read_text().splitlines()]
    assert [d["user_query"] for d in docs] == [r["user_query"] for r in records]
