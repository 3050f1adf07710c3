"""The ``raif-eval`` command: lm-eval passthrough with our tasks, and one-line errors for bad input."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from fake_judge import MODEL, FakeJudge
from helpers import ROOT, SHARED, data_dir_with_complexbench_fixture, run_cli, write_replay
from raif_eval.benchmarks import ifeval


@pytest.fixture(scope="module")
def replay_file(tmp_path_factory, ifeval_records, ifeval_gpt4_responses):
    path = tmp_path_factory.mktemp("cli") / "gpt4.jsonl"
    return write_replay(path, "raif_ifeval", [r["key"] for r in ifeval_records[:5]], ifeval_gpt4_responses[:5])


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("raif-eval: error: ")]
    assert len(errors) == 1, proc.stderr[-2000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def replay_run(replay: str, *extra: str, env=None):
    return run_cli("run", "--model", "replay", "--model_args", f"responses={replay}", *extra, env=env)


def test_unknown_task(replay_file):
    proc = replay_run(replay_file, "--tasks", "raif_nope")
    assert_one_line_error(proc, "unknown task raif_nope", "raif-eval ls tasks")


def test_missing_data_dir(replay_file, tmp_path):
    proc = replay_run(replay_file, "--tasks", "raif_ifeval", env={"RAIF_DATA_DIR": str(tmp_path / "absent")})
    assert_one_line_error(proc, "RAIF_DATA_DIR=", "is not a directory", "raif-eval data pull")


def test_corrupted_data_file(replay_file, tmp_path):
    shutil.copytree(SHARED / "ifeval", tmp_path / "ifeval")
    path = tmp_path / "ifeval" / "input_data.jsonl"
    path.chmod(0o644)
    path.write_text(path.read_text().replace("Write a 300+", "Write a 3000+", 1))
    proc = replay_run(replay_file, "--tasks", "raif_ifeval", env={"RAIF_DATA_DIR": str(tmp_path)})
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    assert_one_line_error(proc, actual, "67ffeee0fcb87c317c5b08a2de85557b4a7e96ada6178aa645b4954fe4b53d49")


def test_replay_missing_id(replay_file, ifeval_records):
    proc = replay_run(replay_file, "--tasks", "raif_ifeval", "--limit", "6")
    assert_one_line_error(proc, f"no response for task raif_ifeval id {ifeval_records[5]['key']}")


def test_malformed_replay(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task": "raif_ifeval", "id": 1000, "response": "ok"}\n{"task": oops}\n')
    proc = replay_run(str(bad), "--tasks", "raif_ifeval")
    assert_one_line_error(proc, "bad.jsonl:2 is not valid JSON")


def test_replay_run_writes_results_and_samples(replay_file, tmp_path, ifeval_records, ifeval_gpt4_responses):
    proc = replay_run(replay_file, "--model_args", f"responses={replay_file},model=gpt4", "--tasks", "raif_ifeval",
                      "--limit", "5", "--output_path", str(tmp_path), "--log_samples")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(next(tmp_path.rglob("results_*.json")).read_text())
    pairs = zip(ifeval_records[:5], ifeval_gpt4_responses[:5])
    assert results["results"]["raif_ifeval"]["raif_score,raif"] == sum(ifeval.score(*p).prompt_strict for p in pairs) / 5
    assert next(tmp_path.rglob("samples_raif_ifeval_*.jsonl")).parent.name == "gpt4"
    report = run_cli("report", str(tmp_path))
    assert report.returncode == 0, report.stderr
    assert "| gpt4" in report.stdout and "IFEval" in report.stdout
    header = (tmp_path / "table1.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["model", "method", "IFEval"] and "CELLO" in header and "Avg." in header
    assert (tmp_path / "report.html").is_file() and (tmp_path / "table1.tex").is_file()


def test_help_and_tasks_dir():
    top = run_cli("--help")
    assert top.returncode == 0
    for word in ("run", "ls", "validate", "data", "report", "tasks-dir", "assets"):
        assert f"\n  {word} " in top.stdout
    tasks_dir = run_cli("tasks-dir").stdout.strip()
    assert os.path.samefile(tasks_dir, ROOT / "tasks")
    module = subprocess.run([sys.executable, "-m", "raif_eval.tasks_dir"], capture_output=True, text=True)
    assert module.stdout.strip() == tasks_dir
    run_help = run_cli("run", "--help")
    assert run_help.returncode == 0 and "--model_args" in run_help.stdout


def test_plain_lm_eval_with_include_path(tmp_path, ifeval_records):
    """The documented form without our script: the group, its tasks, the think and judge filters and the
    metrics all load and run through lm-eval alone (judge settings from RAIF_JUDGE_* variables)."""
    judge = FakeJudge().start()
    model = FakeJudge(reply=lambda body: "lol", model="chat-model").start()  # the evaluated model: a chat endpoint
    tasks_dir = run_cli("tasks-dir").stdout.strip()
    lm_eval = shutil.which("lm_eval", path=os.path.dirname(sys.executable))
    env = {**os.environ, "RAIF_JUDGE_URL": judge.url, "RAIF_JUDGE_MODEL": MODEL,
           "RAIF_JUDGE_CACHE": str(tmp_path / "judge.sqlite"),
           **data_dir_with_complexbench_fixture(tmp_path / "data")}
    proc = subprocess.run(
        [lm_eval, "run", "--include_path", tasks_dir, "--tasks", "raif_complex", "--model", "local-chat-completions",
         "--model_args", f"model=chat-model,base_url={model.url}/chat/completions,tokenizer_backend=None",
         "--apply_chat_template", "--limit", "2", "--output_path", str(tmp_path / "out")],
        capture_output=True, text=True, env=env,
    )
    judge.stop()
    model.stop()
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())["results"]
    ifeval_score = sum(ifeval.score(r, "lol").prompt_strict for r in ifeval_records[:2]) / 2  # the model says "lol"
    assert results["raif_ifeval"]["raif_score,raif"] == ifeval_score
    assert results["raif_infobench"]["judge_prompt_tokens,raif"] > 0  # judged by the fake judge
    members = yaml.safe_load((ROOT / "tasks" / "raif_complex.yaml").read_text())["task"]
    assert len(members) == 7 and all(results[m]["sample_len"] == 2 for m in members)
    mean = sum(results[m]["raif_score,raif"] for m in members) / len(members)
    # nan when FB-Bench's two records were never validly judged: left out as upstream, so its mean is undefined
    assert results["raif_complex"]["raif_score,raif"] == pytest.approx(mean, abs=1e-12, nan_ok=True)


@pytest.mark.parametrize(("task", "option", "choices"), [
    ("raif_cello", "cello_revise_against", "self, previous_turn"),
    ("raif_fbbench", "fbbench_version", "v3, v1"),
    ("raif_fbbench", "fbbench_on_failure", "zero, drop"),
])
def test_bad_task_option_is_a_one_line_error_before_the_model(task, option, choices, tmp_path):
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={tmp_path / 'none.jsonl'}",
                   "--tasks", task, "--metadata", json.dumps({option: "bogus"}))
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [x for x in proc.stderr.splitlines() if x.startswith("raif-eval: error: ")]
    assert lines == [f"raif-eval: error: {option} must be one of {choices}, not 'bogus'"], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
