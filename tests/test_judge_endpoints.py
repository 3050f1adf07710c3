"""One judge behind several endpoints, and several judges in one process: routing by requests in flight, endpoints
set aside and brought back, a replica killed mid-run losing nothing, every endpoint checked at start-up, no
credentials shown, and a run judged by one judge then re-judged by another in the same process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fake_judge import MODEL, Faults
from helpers import ROOT, one_line_error, run_cli, write_replay
from raif_eval.benchmarks import infobench
from raif_eval.core.judging import judge_profile
from raif_eval.errors import RaifError
from raif_eval.judge import client as judge_client
from raif_eval.judge.client import JudgeClient
from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.runner import judge_all, pool_scope, run_sync

OFFICIAL = judge_profile("infobench", "official")


@pytest.fixture(scope="module")
def items():
    records = infobench.load_records()[:40]
    return [(r, f"Answer {i}: {r['instruction'][:60]}") for i, r in enumerate(records)]


def closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def judged(entries) -> list[dict]:
    return [e for e in entries if e["body"].get("max_tokens") != 1]  # the start-up probe is not a judge request


def test_each_request_goes_to_the_endpoint_with_the_fewest_in_flight(judge_server, items, tmp_path):
    config = JudgeConfig(url="http://127.0.0.1:1/v1,http://127.0.0.1:2/v1,http://127.0.0.1:3/v1", model=MODEL,
                         concurrency=4)
    client = JudgeClient(config)
    for endpoint, n in zip(client.endpoints, (3, 1, 2)):
        endpoint.in_flight = n
    assert client._route(time.monotonic()) is client.endpoints[1]
    client.endpoints[1].in_flight = 4  # full: the next fewest
    assert client._route(time.monotonic()) is client.endpoints[2]
    for endpoint in client.endpoints:
        endpoint.in_flight = 4
    assert client._route(time.monotonic()) is None  # every slot taken: the request waits

    # over HTTP: a slow replica ends up with the share its speed allows, the fast one with the rest
    slow, fast = judge_server(latency=0.6), judge_server(latency=0.02)
    both = JudgeConfig(url=f"{slow.url},{fast.url}", model=MODEL, concurrency=2, cache=str(tmp_path / "c.sqlite"))
    run = judge_all(infobench.judge, items, OFFICIAL, both)
    assert run.usage.failures == 0 and all(r.verdicts is not None for r in run.results)
    n_slow, n_fast = len(judged(slow.log.entries)), len(judged(fast.log.entries))
    assert n_slow + n_fast == run.usage.requests and n_fast > 3 * n_slow > 0


def test_an_endpoint_that_stops_answering_is_set_aside_then_probed_and_brought_back(judge_server, items, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setattr(judge_client, "ASIDE_S", 0.3)
    good, flaky = judge_server(latency=0.05), judge_server(latency=0.05, faults=Faults(error_500=1.0, max_consecutive_faults=99))
    config = JudgeConfig(url=f"{good.url},{flaky.url}", model=MODEL, concurrency=2, backoff=0.01,
                         cache=str(tmp_path / "c.sqlite"))
    reference = judge_all(infobench.judge, items[:10], OFFICIAL,
                          JudgeConfig(url=good.url, model=MODEL, cache=str(tmp_path / "ref.sqlite")))

    async def go():
        flaky.log.entries.clear()
        client = JudgeClient(config)
        try:
            first = await asyncio.gather(*(client.complete([{"role": "user", "content": f"q{i}"}])
                                           for i in range(12)))
            aside = flaky_endpoint(client).state, flaky_endpoint(client).times_set_aside
            served_while_aside = len(flaky.log.entries)
            flaky.faults = Faults()  # the replica recovers
            await asyncio.sleep(0.4)  # past its wait: the next request probes it
            second = await asyncio.gather(*(client.complete([{"role": "user", "content": f"r{i}"}])
                                            for i in range(12)))
            return first, second, aside, served_while_aside, flaky_endpoint(client), client.endpoint_records()
        finally:
            await client.close()

    def flaky_endpoint(client):
        return next(e for e in client.endpoints if e.host == flaky.url.split("/")[2])

    first, second, aside, served_while_aside, endpoint, records = run_sync(go())
    assert all(r.text is not None for r in first + second)  # nothing lost while it was down
    assert aside == (judge_client.ASIDE, 1)
    assert served_while_aside <= judge_client.STRIKES + 1  # it stopped getting requests once set aside
    assert endpoint.state == judge_client.UP and endpoint.answered > 0  # probed, answered, back in the rotation
    assert {r["endpoint"]: r["set_aside"] for r in records}[endpoint.host] == 1
    # the verdicts of a judge with a flaky replica are those of a clean judge
    flaky.faults = Faults(error_500=1.0, max_consecutive_faults=99)
    run = judge_all(infobench.judge, items[:10], OFFICIAL, config)
    assert [r.verdicts for r in run.results] == [r.verdicts for r in reference.results]


def replace_cache(config: JudgeConfig, path: Path) -> JudgeConfig:
    from dataclasses import replace

    return replace(config, cache=str(path / "c.sqlite"))


def test_a_replica_killed_mid_run_loses_nothing_its_requests_finish_on_the_others(judge_server, items, tmp_path):
    port_file, log = tmp_path / "port", tmp_path / "log.jsonl"
    doomed = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fake_judge.py"), "--port-file", str(port_file),
                               "--log", str(log), "--latency", "0.5"], start_new_session=True)
    try:
        deadline = time.time() + 60
        while not (port_file.exists() and port_file.read_text()) and time.time() < deadline:
            time.sleep(0.05)
        survivor = judge_server(latency=0.1)
        reference = judge_all(infobench.judge, items, OFFICIAL,
                              JudgeConfig(url=survivor.url, model=MODEL, cache=str(tmp_path / "ref.sqlite")))
        config = JudgeConfig(url=f"{port_file.read_text()},{survivor.url}", model=MODEL, concurrency=4,
                             backoff=0.01, cache=str(tmp_path / "c.sqlite"))

        def kill_when_busy():  # once it holds requests: they arrived, and will never be answered
            while time.time() < deadline and len(log.read_text().splitlines() if log.exists() else []) < 4:
                time.sleep(0.02)
            os.killpg(doomed.pid, signal.SIGKILL)
            killed.append(len(survivor.log.entries))

        import threading

        killed: list[int] = []
        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        run = judge_all(infobench.judge, items, OFFICIAL, config)
        killer.join()
    finally:
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
    assert run.usage.failures == 0 and run.fatal is None and all(not r.failed for r in run.results)
    assert [r.verdicts for r in run.results] == [r.verdicts for r in reference.results]
    assert run.usage.retries > 0  # the killed replica's in-flight requests were asked again
    assert len(log.read_text().splitlines()) >= 4 and len(survivor.log.entries) > killed[0]  # then elsewhere


def test_every_endpoint_is_checked_at_start_up(judge_server, items, tmp_path, monkeypatch):
    for name in ("RAIF_JUDGE_API_KEY", "OPENAI_API_KEY", "RAIF_JUDGE_URL", "RAIF_JUDGE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    a, b = judge_server(), judge_server()
    other = judge_server(model="another-judge")
    dead = closed_url()
    probes = lambda server: [e for e in server.log.entries if e["body"].get("max_tokens") == 1]  # noqa: E731
    checked = run_sync(_check(JudgeConfig(url=f"{a.url},{b.url}")))
    assert checked.model == MODEL and len(probes(a)) == len(probes(b)) == 1  # each probed, the model found
    with pytest.raises(RaifError, match="serve different models"):
        run_sync(_check(JudgeConfig(url=f"{a.url},{other.url}")))
    replay = write_replay(tmp_path / "r.jsonl", "raif_infobench", [r["id"] for r, _ in items[:3]],
                          [x for _, x in items[:3]])
    args = ["run", "--model", "replay", "--model_args", f"responses={replay},model=m", "--tasks", "raif_infobench",
            "--limit", "3", "--judge_model", MODEL]
    env = {"RAIF_JUDGE_CACHE": str(tmp_path / "c.sqlite")}
    one_line_error(run_cli(*args, "--judge_url", f"{a.url},{dead}", env=env), "cannot reach the judge", dead)
    out = tmp_path / "out"
    skipped = run_cli(*args, "--judge_url", f"{a.url},{dead},{b.url}", "--judge_skip_unusable", "--output_path",
                      str(out), "--log_samples", env=env)
    assert skipped.returncode == 0, skipped.stderr[-3000:]
    assert "left out: --judge_skip_unusable" in skipped.stderr and dead in skipped.stderr
    results = json.loads(max(out.rglob("results_*.json")).read_text())
    recorded = results["configs"]["raif_infobench"]["metadata"]["judge"]
    assert recorded["endpoint"] == ",".join(u.split("/")[2] for u in (a.url, b.url))  # the usable ones
    by_host = {e["endpoint"]: e for e in recorded["endpoints"]}
    assert "cannot reach" in by_host[dead.split("/")[2]]["unusable"] and by_host[dead.split("/")[2]]["requests"] == 0


async def _check(config: JudgeConfig) -> JudgeConfig:
    client = JudgeClient(config)
    try:
        return await client.check()
    finally:
        await client.close()


def test_results_and_the_progress_bar_count_each_endpoints_requests(judge_server, items, tmp_path):
    a, b = judge_server(latency=0.05), judge_server(latency=0.05)
    replay = write_replay(tmp_path / "r.jsonl", "raif_infobench", [r["id"] for r, _ in items[:12]],
                          [x for _, x in items[:12]])
    out = tmp_path / "out"
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={replay},model=m", "--tasks",
                   "raif_infobench", "--limit", "12", "--judge_url", f"{a.url},{b.url}", "--judge_model", MODEL,
                   "--judge_concurrency", "2", "--output_path", str(out), "--log_samples",
                   env={"RAIF_JUDGE_CACHE": str(tmp_path / "c.sqlite")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(max(out.rglob("results_*.json")).read_text())
    recorded = results["configs"]["raif_infobench"]["metadata"]["judge"]
    counts = {e["endpoint"]: e["requests"] for e in recorded["endpoints"]}
    hosts = [a.url.split("/")[2], b.url.split("/")[2]]
    assert counts == {hosts[0]: len(judged(a.log.entries)), hosts[1]: len(judged(b.log.entries))}
    assert min(counts.values()) > 0
    bar = [line for line in proc.stderr.replace("\r", "\n").splitlines() if line.startswith("judging infobench")][-1]
    assert all(f"{host}={counts[host]}" in bar for host in hosts), bar
    samples = [json.loads(line) for line in next(out.rglob("samples_raif_infobench_*.jsonl")).read_text().splitlines()]
    answered = [r.get("endpoint") for s in samples for r in json.loads(s["filtered_resps"][0])["judge"]["replies"]]
    assert set(answered) == set(hosts)  # each reply names the endpoint that answered it


def test_credentials_in_any_of_the_urls_are_never_shown(judge_server, items, tmp_path):
    a, b = judge_server(), judge_server()
    urls = [a.url.replace("http://", "http://user:SECRET-ONE@"), b.url.replace("http://", "http://user:SECRET-TWO@"),
            closed_url().replace("http://", "http://user:SECRET-THREE@")]
    config = JudgeConfig(url=",".join(urls), model=MODEL)
    assert "SECRET" not in repr(config) + json.dumps(config.describe()) + config.shown_url + config.host
    with pytest.raises(RaifError) as failed:
        run_sync(_check(config))
    assert "SECRET" not in str(failed.value) and "cannot reach" in str(failed.value)
    replay = write_replay(tmp_path / "r.jsonl", "raif_infobench", [r["id"] for r, _ in items[:3]],
                          [x for _, x in items[:3]])
    out = tmp_path / "out"
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={replay},model=m", "--tasks",
                   "raif_infobench", "--limit", "3", "--judge_url", config.url, "--judge_model", MODEL,
                   "--judge_skip_unusable", "--output_path", str(out), "--log_samples",
                   env={"RAIF_JUDGE_CACHE": str(tmp_path / "cache" / "c.sqlite")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SECRET" not in proc.stdout + proc.stderr
    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        if path.name != "r.jsonl":
            assert b"SECRET" not in path.read_bytes(), path
    assert len(judged(a.log.entries)) and len(judged(b.log.entries))  # both credentialled endpoints were used


TWO_JUDGES = """
import json, sys
from pathlib import Path
from raif_eval.cli import main
from raif_eval.harness.rejudge import rejudge
from raif_eval.judge.config import JudgeConfig

replay, out, a, b, cache = sys.argv[1:]
try:
    main(["run", "--model", "replay", "--model_args", f"responses={replay},model=m", "--tasks", "raif_infobench",
          "--limit", "6", "--output_path", out, "--log_samples", "--judge_url", a, "--judge_model", "judge-a",
          "--judge_cache", cache])
except SystemExit as exc:
    assert not exc.code, exc.code
print("RUN DONE", flush=True)
written = rejudge(out, JudgeConfig.from_env(url=b, model="judge-b", cache=cache))
print(json.dumps([str(p) for p in written]))
"""


def test_one_process_judges_with_one_judge_then_rejudges_with_another(judge_server, items, tmp_path):
    a, b = judge_server(model="judge-a"), judge_server(model="judge-b", reply=lambda body: "YES")
    replay = write_replay(tmp_path / "r.jsonl", "raif_infobench", [r["id"] for r, _ in items[:6]],
                          [x for _, x in items[:6]])
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", TWO_JUDGES, str(replay), str(out), a.url, b.url,
                           str(tmp_path / "c.sqlite")], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=os.environ)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = sorted(out.rglob("results_*.json"))
    assert Path(json.loads(proc.stdout.strip().splitlines()[-1])[0]) == second
    at_a, at_b = judged(a.log.entries), judged(b.log.entries)
    assert at_a and at_b and all(e["body"]["model"] == "judge-a" for e in at_a)
    assert all(e["body"]["model"] == "judge-b" for e in at_b)
    assert max(e["t"] for e in at_a) < min(e["t"] for e in at_b)  # A judged the run, then B re-judged it
    first_results, second_results = json.loads(first.read_text()), json.loads(second.read_text())
    judge_of = lambda r: r["configs"]["raif_infobench"]["metadata"]["judge"]  # noqa: E731
    assert judge_of(first_results)["model"] == "judge-a" and judge_of(second_results)["model"] == "judge-b"
    assert judge_of(first_results)["endpoints"] == [{"endpoint": a.url.split("/")[2], "requests": len(at_a)}]
    assert judge_of(second_results)["endpoints"] == [{"endpoint": b.url.split("/")[2], "requests": len(at_b)}]
    assert second_results["results"]["raif_infobench"]["drfr,raif"] == 1.0  # B says YES to everything
    assert first_results["results"]["raif_infobench"]["drfr,raif"] < 1.0


def test_two_pools_of_two_judges_are_open_at_once(judge_server, items, tmp_path):
    a, b = judge_server(model="judge-a"), judge_server(model="judge-b")
    judge_a = JudgeConfig(url=a.url, model="judge-a", cache=str(tmp_path / "a.sqlite"))
    judge_b = JudgeConfig(url=b.url, model="judge-b", cache=str(tmp_path / "b.sqlite"))
    with pool_scope(judge_a) as outer:
        with pool_scope() as same:
            assert same is outer  # a scope without a judge joins the open one
        with pool_scope(judge_b) as inner:
            assert inner is not outer and inner.judge == judge_b
            run_b = judge_all(infobench.judge, items[:3], OFFICIAL, judge_b)
        run_a = judge_all(infobench.judge, items[:3], OFFICIAL, judge_a)
    assert run_a.usage.requests == len(judged(a.log.entries)) > 0
    assert run_b.usage.requests == len(judged(b.log.entries)) > 0
