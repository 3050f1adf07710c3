"""One judge pool per evaluation: tasks share the judge's concurrency, documents are judged while the model
generates, and the numbers are those of the task-by-task path."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from fake_judge import FakeJudge, MODEL
from helpers import ROOT, run_cli
from raif_eval.benchmarks import cfbench, infobench
from raif_eval.judge.config import JudgeConfig
from raif_eval.core.judging import JudgeProfile, Parsed
from raif_eval.judge.runner import pool_scope
from raif_eval.judge.server import ChatServer, Completion

CF_MARK = "[评估标准]"  # in every CFBench judge prompt, in no InfoBench one


async def ask_once(judge, record, answer):
    asked = await judge.ask(judge.messages({"role": "user", "content": f"{record} {answer}"}),
                            lambda text: Parsed(text.startswith("YES")))
    return asked.value


def test_two_batches_of_one_pool_are_in_flight_together(tmp_path):
    server = FakeJudge(latency=1.0).start()
    config = JudgeConfig(url=server.url, model=MODEL, concurrency=8, cache=str(tmp_path / "cache.sqlite"))
    profile = JudgeProfile("test")
    try:
        with pool_scope() as pool:
            a = pool.batch(ask_once, profile, config, key="a")
            b = pool.batch(ask_once, profile, config, key="b")
            for i in range(3):
                a.submit(f"task a doc {i}", "x")
                b.submit(f"task b doc {i}", "x")
            assert pool.batch(ask_once, profile, config, key="a") is a  # found again by its key
            first = a.results([(f"task a doc {i}", "x") for i in range(3)])
            second = b.results([(f"task b doc {i}", "x") for i in range(3)])
    finally:
        server.stop()
    arrivals = sorted(e["t"] for e in server.log.entries)
    assert len(arrivals) == 6  # a (record, answer) submitted twice is judged once
    assert arrivals[-1] - arrivals[0] < 0.9  # task b's requests went out before task a's replies came back
    assert [r.verdicts is not None for r in first.results + second.results] == [True] * 6
    assert first.usage.requests == 3 and second.usage.requests == 3


def _replay(tmp_path, n=4):
    rows = [{"task": "raif_cfbench", "id": r["idx"], "response": f"回答 {r['idx']}"}
            for r in cfbench.load_records()[:n]]
    rows += [{"task": "raif_infobench", "id": r["id"], "response": f"An answer to {r['id']}."}
             for r in infobench.load_records()[:n]]
    path = tmp_path / "responses.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _results(out):
    path = max(out.rglob("results_*.json"))
    metrics = json.loads(path.read_text(encoding="utf-8"))["results"]
    stamp = path.stem.removeprefix("results_")
    samples = {task: [(s["doc_id"], s["filtered_resps"], {m: s[m] for m in s["metrics"]}) for s in
                      map(json.loads, (path.parent / f"samples_{task}_{stamp}.jsonl").read_text().splitlines())]
               for task in metrics}
    return metrics, samples


def _spans(entries):
    """(first, last) arrival time of each task's judge requests."""
    spans = {}
    for entry in entries:
        if entry["body"].get("max_tokens") == 1:
            continue  # the start-up probe
        task = "cfbench" if CF_MARK in entry["body"]["messages"][-1]["content"] else "infobench"
        first, last = spans.get(task, (entry["t"], entry["t"]))
        spans[task] = (min(first, entry["t"]), max(last, entry["t"]))
    return spans


def test_pooled_run_judges_tasks_together_with_the_numbers_of_the_task_by_task_path(tmp_path):
    replay = _replay(tmp_path)
    runs = {}
    server = FakeJudge(latency=0.3).start()  # one server: the samples record its address
    try:
        for mode, pool in (("pooled", None), ("task_by_task", "0")):
            server.log.entries.clear()
            env = {"RAIF_JUDGE_URL": server.url, "RAIF_JUDGE_CACHE": str(tmp_path / f"{mode}.sqlite"),
                   "RAIF_JUDGE_CONCURRENCY": "2", **({"RAIF_JUDGE_POOL": pool} if pool else {})}
            proc = run_cli("run", "--model", "replay", "--model_args", f"responses={replay}", "--tasks",
                           "raif_cfbench,raif_infobench", "--limit", "4", "--output_path", str(tmp_path / mode),
                           "--log_samples", "--judge_model", MODEL, env=env)
            assert proc.returncode == 0, proc.stderr[-3000:]
            runs[mode] = (_results(tmp_path / mode), _spans(server.log.entries))
    finally:
        server.stop()
    (pooled, pooled_spans), (sequential, sequential_spans) = runs["pooled"], runs["task_by_task"]
    assert pooled == sequential  # every metric and every sample's judged output
    # task by task, one task's requests all come before the other's; in the pool they overlap
    cf, info = sequential_spans["cfbench"], sequential_spans["infobench"]
    assert cf[1] < info[0] or info[1] < cf[0]
    cf, info = pooled_spans["cfbench"], pooled_spans["infobench"]
    assert cf[0] < info[1] and info[0] < cf[1]


def test_documents_are_judged_while_the_model_is_still_generating(tmp_path):
    model_calls = []

    def answer(body):
        model_calls.append(time.time())
        time.sleep(0.4)
        return Completion("An answer.", 5, 5)

    model = ChatServer(answer, ["m"]).start()
    judge = FakeJudge().start()
    try:
        proc = run_cli("run", "--model", "local-chat-completions", "--model_args",
                       f"model=m,base_url={model.url}/chat/completions,tokenizer_backend=None,num_concurrent=2,"
                       "max_retries=1", "--apply_chat_template", "--tasks", "raif_cfbench,raif_infobench",
                       "--limit", "4", "--judge_model", MODEL,
                       env={"RAIF_JUDGE_URL": judge.url, "RAIF_JUDGE_CACHE": str(tmp_path / "cache.sqlite")})
    finally:
        model.stop()
        judge.stop()
    assert proc.returncode == 0, proc.stderr[-3000:]
    judged = sorted(e["t"] for e in judge.log.entries if e["body"].get("max_tokens") != 1)
    assert len(model_calls) == 8 and judged
    assert judged[0] < max(model_calls)  # the first verdict was asked for before the last prompt was sent
    spans = _spans(judge.log.entries)
    assert set(spans) == {"cfbench", "infobench"}


def test_a_replay_run_never_loads_torch_and_still_records_the_environment(tmp_path):
    code = ("import sys, json\nfrom raif_eval.cli import main\n"
            "try:\n    main(sys.argv[1:])\nfinally:\n    print(json.dumps('torch' in sys.modules))\n")
    replay = tmp_path / "r.jsonl"
    replay.write_text(json.dumps({"task": "raif_ifeval", "id": "1000", "response": "Hello."}) + "\n")
    proc = subprocess.run([sys.executable, "-c", code, "run", "--model", "replay", "--model_args",
                           f"responses={replay}", "--tasks", "raif_ifeval", "--samples", '{"raif_ifeval": [0]}',
                           "--output_path", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "false"
    results = json.loads(max((tmp_path / "out").rglob("results_*.json")).read_text())
    assert "not loaded" in results["pretty_env_info"] and results["lm_eval_version"] != "N/A"


def test_torch_is_seeded_the_moment_it_is_first_imported():
    code = ("import sys\nfrom raif_eval.harness.patch import set_torch_seed\nset_torch_seed(4321)\n"
            "assert 'torch' not in sys.modules\nimport torch\nprint(torch.initial_seed())\n"
            "set_torch_seed(7)\nprint(torch.initial_seed())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["4321", "7"]
