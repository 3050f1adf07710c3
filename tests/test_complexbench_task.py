"""raif_complexbench through lm-eval on the hand-made fixture: official requests, verdicts after dependencies,
the Table 2 cells from the samples; and the clear error when the (unshipped) data file is missing."""

from __future__ import annotations

import hashlib
import json

import pytest

from fake_judge import MODEL, FakeJudge
from helpers import COMPLEXBENCH_FIXTURE, data_dir_with_complexbench_fixture, run_cli, write_replay
from raif_eval.benchmarks import complexbench as cb
from test_complexbench import official_prompt

RESPONSES = [json.loads(x) for x in (COMPLEXBENCH_FIXTURE / "responses.jsonl").read_text("utf-8").splitlines()]


def scripted(prompt: str) -> str:
    """Deterministic judge: extraction prompts get the whole response (`all`), evaluation prompts 是 or 否."""
    if "【模型回复中评分问题的评测对象】" in prompt:
        return "【模型回复中评分问题的评测对象】\n评分对象：all"
    bucket = int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 3
    return "分析……\n答案：否" if bucket == 0 else "分析……\n答案：是"


@pytest.fixture
def fixture_env(tmp_path, monkeypatch):
    env = data_dir_with_complexbench_fixture(tmp_path / "data")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def test_task_sends_the_official_requests_and_scores_them(tmp_path, fixture_env):
    import lm_eval
    from lm_eval.tasks import TaskManager

    from raif_eval.tasks import TASKS_DIR

    records = cb.load_records()
    replay = write_replay(tmp_path / "r.jsonl", "raif_complexbench", [r["main_id"] for r in RESPONSES],
                          [r["generated"] for r in RESPONSES])
    server = FakeJudge(reply=lambda body: "OK" if body.get("max_tokens") == 1
                       else scripted(body["messages"][-1]["content"])).start()
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("RAIF_JUDGE_URL", server.url)
    monkeypatch.setenv("RAIF_JUDGE_MODEL", MODEL)
    monkeypatch.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "judge.sqlite"))
    try:
        manager = TaskManager(include_path=[str(TASKS_DIR)], include_defaults=False)
        out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(replay)},
                                      tasks=["raif_complexbench"], task_manager=manager, log_samples=True)
    finally:
        server.stop()
        monkeypatch.undo()
    bodies = [e["body"] for e in server.log.entries if e["body"].get("max_tokens") != 1]
    expected = [official_prompt(r, q["point_id"], RESPONSES[r["main_id"]]["generated"]) for r in records
                for q in r["scoring_questions"]]
    assert sorted(b["messages"][0]["content"] for b in bodies) == sorted(expected)  # one request per question
    for body in bodies:  # upstream sends model, temperature 0 and one user message, nothing else
        assert set(body) == {"model", "messages", "temperature"} and body["temperature"] == 0
        assert [m["role"] for m in body["messages"]] == ["user"]

    # the same verdicts, independently: judge replies read with the official regex, rules on the whole response
    rows = []
    for record in records:
        answer = RESPONSES[record["main_id"]]["generated"]
        raw = []
        for q in record["scoring_questions"]:
            if q["rule"] is None:
                raw.append("答案：是" in scripted(official_prompt(record, q["point_id"], answer)))
            else:
                result = cb._rule_result(q["rule"], [answer])
                raw.append(result)
        rows.append(cb.row(record, raw))
    got = out["results"]["raif_complexbench"]
    assert got["drfr,raif"] == got["raif_score,raif"] == pytest.approx(cb.overall_drfr(rows), abs=1e-12)
    cells = cb.categorized_drfr(rows)
    for category, value in cells.items():
        assert got[f"drfr_{category},raif"] == pytest.approx(value, abs=1e-12)
    assert got["judge_unknown_rules,raif"] == 1 and got["judge_missing,raif"] == 0  # the fixture's unknown rule
    samples = {int(s["doc"]["doc_id"]): s for s in out["samples"]["raif_complexbench"]}
    for r in rows:
        assert samples[r["main_id"]]["drfr"] == r["rely"]  # verdicts after dependency propagation
    # Table 2 from the logged samples alone (what the reports do)
    from_samples = [cb.row(json.loads(s["doc"]["raw"]), json.loads(s["filtered_resps"][0])["judge"]["verdicts"])
                    for s in samples.values()]
    assert cb.table2(from_samples) == pytest.approx(cb.table2(rows), nan_ok=True)


def test_missing_data_file_is_a_one_line_error_and_the_other_tasks_still_run(tmp_path):
    replay = write_replay(tmp_path / "r.jsonl", "raif_ifeval", [1000], ["Hi."])
    args = ["run", "--model", "replay", "--model_args", f"responses={replay}", "--limit", "1"]
    for tasks in ("raif_complexbench", "raif_complex"):
        proc = run_cli(*args, "--tasks", tasks)
        assert proc.returncode == 2, proc.stderr[-2000:]
        lines = [x for x in proc.stderr.splitlines() if x.startswith("raif-eval: error: ")]
        assert len(lines) == 1 and "complexbench/data/data_final.json" in lines[0], proc.stderr[-2000:]
        assert "raif-eval data pull complexbench" in lines[0] and "Traceback" not in proc.stderr
    ok = run_cli(*args, "--tasks", "raif_ifeval", "--output_path", str(tmp_path / "out"))
    assert ok.returncode == 0, ok.stderr[-2000:]


def test_bad_language_for_the_data_file_is_a_one_line_error(tmp_path, fixture_env):
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={tmp_path / 'none.jsonl'}",
                   "--tasks", "raif_complexbench", "--metadata", '{"complexbench_missing": "ignore"}', env=fixture_env)
    assert proc.returncode == 2
    lines = [x for x in proc.stderr.splitlines() if x.startswith("raif-eval: error: ")]
    assert lines == ["raif-eval: error: complexbench_missing must be one of fail, drop, not 'ignore'"]
