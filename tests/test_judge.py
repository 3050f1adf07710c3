"""The judge adapter against a real HTTP server on 127.0.0.1: faults, cache, resume, preflight, secrecy."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from fake_judge import MODEL, FakeJudge, Faults, identity
from helpers import ROOT, one_line_error, run_cli, write_replay
from raif_eval.benchmarks import infobench
from raif_eval.judge.cache import JudgeCache, request_key
from raif_eval.judge.client import JudgeClient, JudgeFatalError
from raif_eval.judge.config import JudgeConfig
from raif_eval.core.judging import judge_profile
from raif_eval.judge.runner import judge_all, run_sync

OFFICIAL = judge_profile("infobench", "official")


@pytest.fixture(scope="module")
def items():
    """InfoBench records with deterministic stand-in answers."""
    records = infobench.load_records()[:60]
    return [(r, f"Answer {i}: {r['instruction'][:80]}") for i, r in enumerate(records)]


def config_for(server: FakeJudge, tmp_path: Path, **kw) -> JudgeConfig:
    return JudgeConfig(url=server.url, model=MODEL, cache=str(tmp_path / "judge.sqlite"), **kw)


def test_faults_change_nothing_and_lose_nothing(judge_server, items, tmp_path):
    clean = judge_server()
    faults = Faults(error_500=0.10, rate_limit=0.05, hang=0.05, malformed=0.05, drop=0.05, hang_s=1.5, seed=7)
    faulty = judge_server(faults=faults)
    reference = judge_all(infobench.judge, items, OFFICIAL, config_for(clean, tmp_path / "a"))
    run = judge_all(infobench.judge, items, OFFICIAL,
                    config_for(faulty, tmp_path / "b", timeout=0.5, backoff=0.02, max_retries=6))
    assert [r.verdicts for r in run.results] == [r.verdicts for r in reference.results]
    assert all(r.verdicts is not None and r.transcript.errors == 0 for r in run.results)
    assert run.fatal is None and run.usage.failures == 0 and run.usage.retries > 0
    seen = {e["fault"] for e in faulty.log.entries}
    assert {"error_500", "rate_limit", "hang", "malformed", "drop"} <= seen
    assert run.usage.requests == reference.usage.requests == len(clean.log.entries)


def test_infobench_protocol_multi_turn_with_early_stop(judge_server, tmp_path):
    replies = {"q1": "Yes.", "q2": "Maybe", "q3": "YES"}

    def reply(body):
        return replies[body["messages"][-1]["content"].strip().split("\n")[-1]]

    server = judge_server(reply=reply)
    record = {"input": "", "decomposed_questions": ["q1", "q2", "q3"]}
    run = judge_all(infobench.judge, [(record, "the output")], OFFICIAL, config_for(server, tmp_path))
    judged = run.results[0]
    assert judged.verdicts == [True, None]  # the unreadable reply ends the conversation; q3 is never asked
    assert judged.transcript.parse_failures == 1 and len(server.log.entries) == 2
    assert infobench.drfr([judged.verdicts]) == 0.5  # denominator 2, not 3
    # turn 2 carries turn 1 and the judge's reply: roles user, assistant, user
    assert [r["text"] for r in judged.transcript.replies] == ["Yes.", "Maybe"]


@pytest.mark.parametrize(("text", "verdict"), [
    ("Yes.", True), ("NO, because it rhymes.", False), ("The answer is YES", True),
    ("Both YES and NO apply", None), ("YES and NO", True), ("Not really", False), ("none of that", False),
])
def test_infobench_reply_parser(text, verdict):
    parsed = infobench.parse_reply(text)
    assert parsed.value is verdict and parsed.ok == (verdict is not None)


def test_cache_serves_reruns_and_reasks(judge_server, tmp_path):
    server = judge_server()
    config = config_for(server, tmp_path)
    messages = [{"role": "user", "content": "Is it YES?"}]

    async def go():
        client = JudgeClient(config, JudgeCache(config.cache_path()))
        first = await client.complete(messages, {"temperature": 0})
        again = await client.complete(messages, {"temperature": 0})
        reask = await client.complete(messages, {"temperature": 0}, attempt=1)
        other = await client.complete(messages, {"temperature": 0.5})
        await client.close()
        return first, again, reask, other, client.usage

    first, again, reask, other, usage = run_sync(go())
    assert not first.cached and again.cached and again.text == first.text
    assert not reask.cached and not other.cached  # a re-ask or other parameters are new requests
    assert usage.requests == 3 and usage.cached == 1 and len(server.log.entries) == 3


def _write_many(path: str, worker: int) -> None:
    cache = JudgeCache(path)
    for i in range(150):
        cache.put(request_key("m", [{"role": "user", "content": f"{worker}-{i}"}], {}), "m", {}, f"r{i}", 1, 1)
    cache.close()


def test_cache_takes_concurrent_writers_from_several_processes(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_write_many, args=(path, w)) for w in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert all(w.exitcode == 0 for w in workers)
    assert len(JudgeCache(path)) == 450


def test_config_errors_and_non_retryable_statuses(judge_server, tmp_path):
    server = judge_server()
    bad_model = replace(config_for(server, tmp_path), model="nope")

    async def ask(config):
        client = JudgeClient(config)
        try:
            return await client.complete([{"role": "user", "content": "x"}])
        finally:
            await client.close()

    with pytest.raises(JudgeFatalError, match="does not serve model 'nope'"):
        run_sync(ask(bad_model))

    async def ask_text(text):
        client = JudgeClient(config_for(server, tmp_path))
        try:
            return await client.complete([{"role": "user", "content": text}])
        finally:
            await client.close()

    with pytest.raises(JudgeFatalError, match=rf"{server.url} rejected the request \(HTTP 400: unknown field"):
        run_sync(ask_text("HTTP400:unknown field response_format"))
    too_long = run_sync(ask_text("HTTP400:This model's maximum context length is 4096 tokens"))
    assert too_long.text is None and "HTTP 400" in too_long.error  # that request fails, the run goes on
    refused = run_sync(ask_text("HTTP400:Detected repetitive patterns in your prompt"))
    assert refused.text is None and "repetitive patterns" in refused.error  # FB-Bench's refused sample: not fatal
    run = judge_all(infobench.judge, [({"input": "", "decomposed_questions": ["q"]}, "a")], OFFICIAL, bad_model)
    assert run.fatal and run.results[0].verdicts is None and "nope" in run.results[0].transcript.fatal


def test_lm_eval_task_scores_with_the_judge(judge_server, tmp_path, task_manager, monkeypatch, items):
    import lm_eval

    server = judge_server()
    monkeypatch.setenv("RAIF_JUDGE_URL", server.url)
    monkeypatch.setenv("RAIF_JUDGE_MODEL", MODEL)
    monkeypatch.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "c.sqlite"))
    n = 12
    path = write_replay(tmp_path / "r.jsonl", "raif_infobench", [r["id"] for r, _ in items[:n]], [a for _, a in items[:n]])
    out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(path)}, tasks=["raif_infobench"],
                                  task_manager=task_manager, limit=n, log_samples=True)
    reference = judge_all(infobench.judge, items[:n], OFFICIAL, config_for(server, tmp_path / "ref"))
    verdicts = [r.verdicts for r in reference.results]
    task = out["results"]["raif_infobench"]
    assert task["drfr,raif"] == task["raif_score,raif"] == infobench.drfr(verdicts)
    assert task["judge_parse_failures,raif"] == sum(v.count(None) for v in verdicts) > 0
    assert task["judge_prompt_tokens,raif"] == 10 * sum(len(v) for v in verdicts)
    sample = out["samples"]["raif_infobench"][0]
    judged = json.loads(sample["filtered_resps"][0])
    assert judged["answer"] == items[0][1] and judged["judge"]["model"] == MODEL
    assert [r["text"] for r in judged["judge"]["replies"]] and sample["drfr"] == verdicts[0]


def _wait_for(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _cached_identities(path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT request FROM replies").fetchall()
    identities = set()
    for (request,) in rows:
        req = json.loads(request)
        identities.add(identity({"model": req["model"], "messages": req["messages"], **req["params"]}))
    return identities


@pytest.mark.slow
def test_sigkill_midway_then_rerun_resumes_without_repeating_cached_requests(judge_server, items, tmp_path):
    server = judge_server(latency=0.03)
    n = 40
    replay = write_replay(tmp_path / "r.jsonl", "raif_infobench", [r["id"] for r, _ in items[:n]],
                          [a for _, a in items[:n]])
    cache = tmp_path / "judge.sqlite"
    env = {"RAIF_JUDGE_CACHE": str(cache), "RAIF_JUDGE_CONCURRENCY": "2"}
    args = [sys.executable, "-m", "raif_eval", "run", "--model", "replay", "--model_args",
            f"responses={replay},model=m", "--tasks", "raif_infobench", "--limit", str(n),
            "--judge_url", server.url, "--judge_model", MODEL, "--output_path", str(tmp_path / "out")]
    reference = judge_all(infobench.judge, items[:n], OFFICIAL, config_for(server, tmp_path / "ref"))
    total = len(server.log.entries)

    before = len(server.log.entries)
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    assert _wait_for(lambda: len(server.log.entries) - before >= total // 2), "judging never got going"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    cached_at_kill = _cached_identities(cache)
    assert 0 < len(cached_at_kill) < total
    answered = {e["id"] for e in server.log.entries[before:] if e["fault"] is None}
    assert cached_at_kill <= answered  # the cache rows map onto the server's request identities

    rerun_start = len(server.log.entries)
    done = subprocess.run(args, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())
    assert results["results"]["raif_infobench"]["drfr,raif"] == infobench.drfr([r.verdicts for r in reference.results])
    rerun = [e["id"] for e in server.log.entries[rerun_start:]]
    assert rerun, "the rerun made no request: the kill came too late to test anything"
    assert not cached_at_kill & set(rerun), "a cached verdict was requested again"


@pytest.fixture
def no_keys(monkeypatch):
    for name in ("RAIF_JUDGE_API_KEY", "OPENAI_API_KEY", "RAIF_JUDGE_URL", "RAIF_JUDGE_MODEL"):
        monkeypatch.delenv(name, raising=False)


def _replay_args(tmp_path, items, n=3, model="m"):
    path = write_replay(tmp_path / "r.jsonl", "raif_infobench", [r["id"] for r, _ in items[:n]],
                        [a for _, a in items[:n]])
    return ["run", "--model", "replay", "--model_args", f"responses={path},model={model}", "--tasks",
            "raif_infobench", "--limit", str(n)]


def test_preflight_rejects_bad_configurations_before_generation(judge_server, items, tmp_path, no_keys):
    server = judge_server()
    args = _replay_args(tmp_path, items)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    one_line_error(run_cli(*args, "--judge_url", closed, "--judge_model", MODEL), "cannot reach the judge", closed)
    one_line_error(run_cli(*args, "--judge_url", server.url, "--judge_model", "gpt-9"),
                    "does not serve model 'gpt-9'", "--judge_model")
    one_line_error(run_cli(*args, "--judge_url", "https://judge.example.com/v1", "--judge_model", "m"),
                    "needs an API key", "--judge_api_key")


def test_api_key_never_written_anywhere(judge_server, items, tmp_path, no_keys):
    server = judge_server()
    secret = "sk-raif-test-0123456789abcdef"
    out = tmp_path / "out"
    proc = run_cli(*_replay_args(tmp_path, items), "--judge_url", server.url, "--judge_model", MODEL,
                   "--judge_api_key", secret, "--output_path", str(out), "--log_samples",
                   env={"RAIF_JUDGE_CACHE": str(tmp_path / "cache" / "judge.sqlite")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"Bearer {secret}" in server.auth_headers  # it was used
    assert secret not in proc.stdout + proc.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files) and any(p.name.startswith("samples_") for p in files)
    for path in files:
        assert secret.encode() not in path.read_bytes(), path


def test_posthoc_rejudge_writes_new_results_beside_the_old(judge_server, items, tmp_path, no_keys):
    first = judge_server()
    out = tmp_path / "out"
    cache = {"RAIF_JUDGE_CACHE": str(tmp_path / "judge.sqlite")}
    proc = run_cli(*_replay_args(tmp_path, items, n=5), "--judge_url", first.url, "--judge_model", MODEL,
                   "--output_path", str(out), "--log_samples", env=cache)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (old,) = list(out.rglob("results_*.json"))
    lenient = judge_server(reply=lambda body: "YES", model="lenient-judge")  # the cache is keyed by model
    rejudged = run_cli("judge", str(out), "--judge_url", lenient.url, "--judge_model", "lenient-judge", env=cache)
    assert rejudged.returncode == 0, rejudged.stderr[-3000:]
    new = [p for p in out.rglob("results_*.json") if p != old]
    assert len(new) == 1 and new[0].parent == old.parent
    result = json.loads(new[0].read_text())
    assert result["results"]["raif_infobench"]["drfr,raif"] == 1.0  # the new judge says YES to everything
    assert json.loads(old.read_text())["results"]["raif_infobench"]["drfr,raif"] < 1.0
    assert result["raif_rejudged"]["from"] == old.name
    assert result["configs"]["raif_infobench"]["metadata"]["judge"]["endpoint"] == lenient.url.split("/")[2]
    assert len(list(old.parent.glob("samples_raif_infobench_*.jsonl"))) == 2
    assert not any(e["fault"] for e in lenient.log.entries) and len(lenient.log.entries) > 1


def test_an_instruction_whose_requests_fail_counts_as_failing_every_question(judge_server, tmp_path):
    always_down = judge_server(faults=Faults(error_500=1.0, max_consecutive_faults=99))
    record = {"input": "", "decomposed_questions": ["q1", "q2", "q3"]}
    run = judge_all(infobench.judge, [(record, "out")], OFFICIAL,
                    config_for(always_down, tmp_path, max_retries=2, backoff=0.01))
    judged = run.results[0]
    assert judged.verdicts is None and judged.transcript.errors == 1 and run.usage.failures == 1
    assert len(always_down.log.entries) == 3  # one request, retried twice, then given up
    assert infobench.drfr_values(record, judged.verdicts) == [False, False, False]


def test_max_asks_caps_reasking_and_is_recorded(judge_server, tmp_path):
    from raif_eval.benchmarks import cfbench

    server = judge_server(reply=lambda body: "unreadable")
    record = cfbench.load_records()[0]
    full = judge_all(cfbench.judge, [(record, "答")], judge_profile("cfbench", "official"), config_for(server, tmp_path / "a"))
    assert full.results[0].transcript.parse_failures == 10  # CFBench's official ten asks
    capped_config = config_for(server, tmp_path / "b", max_asks=2)
    capped = judge_all(cfbench.judge, [(record, "答")], judge_profile("cfbench", "official"), capped_config)
    assert capped.results[0].transcript.parse_failures == 2
    assert capped.results[0].verdicts == full.results[0].verdicts == {"scores": [0.0], "parsing": "-1"}
    assert capped_config.describe()["max_asks"] == 2 and "max_asks" not in config_for(server, tmp_path).describe()
    assert JudgeConfig.from_env(url="embedded").max_asks == 1
    assert JudgeConfig.from_env(url="embedded", max_asks="3").max_asks == 3
