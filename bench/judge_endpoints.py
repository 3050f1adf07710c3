"""One judge behind three endpoints: the judged run of ``bench/judged_run.py`` against three loopback judges, then
the same with one of them killed a third of the way through, beside one judge taking all the concurrency.

Every document of IFEval, CELLO, CFBench, FB-Bench, FollowBench EN and InfoBench gets its replayed response
(``tests/replay_snapshot.py``'s) and every judge request goes to judge processes that answer after ``--latency``
seconds (the snapshot's deterministic judge, with FB-Bench's unreadable replies made readable, so that every
document of an undisturbed run is judged and ``judge_failed_docs`` counts only what a fault cost). Three sides,
each with a fresh cache:

* **three judges**: ``--judge_url URL1,URL2,URL3 --judge_concurrency 16``; ideal = N x latency / 48 (48 requests in
  flight in all); target ideal / wall >= 0.85;
* **one killed**: the same, one judge process SIGKILLed once a third of the N requests were answered (requests in
  flight on it included); targets: results identical to the undisturbed side's, judge_failed_docs 0,
  wall <= 1.6 x the undisturbed side's;
* **one judge x 48**: the baseline, one endpoint with the same 48 requests in flight.

Two measurements of each side:

* **the whole run**: ``raif-eval run --model replay ... --log_samples`` as a subprocess (start-up, judging,
  scoring the 4,118 documents, writing the samples), its results JSON metrics compared;
* **judging alone**: the same judge programs on the same documents and answers through one judge pool in this
  process (the production path from the batch down: ``DocJudge`` → ``JudgeClient`` → HTTP → cache), its verdicts
  compared; what the endpoints themselves deliver, with no scoring competing for the client's interpreter.

``--runs K`` repeats every side and reports medians (rounds interleaved, the same work on every side).

    python bench/judge_endpoints.py [--latency 0.2] [--concurrency 16] [--runs 3] [--modes run,alone]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TASKS = "raif_ifeval,raif_cello,raif_cfbench,raif_fbbench,raif_followbench_en,raif_infobench"
JUDGES = 3
SIDES = ("three", "killed", "single")


def readable(body: dict) -> str:
    """The snapshot's judge, except that an FB-Bench reply always validates (every item judged 否)."""
    from raif_eval.benchmarks import fbbench
    from replay_snapshot import reply

    text = reply(body)
    last = body["messages"][-1]["content"]
    if "```json\n" in last and last.rstrip().endswith("```") and fbbench.validate(text) is None:
        skeleton = json.loads(last.rsplit("```json\n", 1)[1].rsplit("```", 1)[0])
        return json.dumps({k: {"评判理由": "理由", "评判结果": "否", "weight": v.get("weight")}
                           for k, v in skeleton.items()}, ensure_ascii=False)
    return text


def serve(latency: float, urls, counter, span) -> None:
    """One judge in its own process, as a real replica would be (and off the client's GIL). ``span`` holds the
    wall-clock times of the first and the last judge request any of the judges received."""
    from fake_judge import FakeJudge

    readable({"messages": [{"role": "user", "content": "warm-up"}]})  # its imports, before the first request

    def counted(body):
        if body.get("max_tokens") != 1:  # the start-up probe is not a judge request
            now = time.time()
            with counter.get_lock():
                counter.value += 1
                span[0] = span[0] or now
                span[1] = max(span[1], now + latency)  # answered after the latency
        return readable(body)

    server = FakeJudge(reply=counted, latency=latency)
    urls.put(server.url)
    server.serve_forever()


class Judges:
    """``n`` judge processes sharing one request counter."""

    def __init__(self, ctx, n: int, latency: float) -> None:
        self.counter, self.span = ctx.Value("i", 0), ctx.Array("d", 2)
        queues = [ctx.Queue() for _ in range(n)]
        self.processes = [ctx.Process(target=serve, args=(latency, q, self.counter, self.span), daemon=True)
                          for q in queues]
        for process in self.processes:
            process.start()
        self.urls = [q.get(timeout=60) for q in queues]

    def kill_after(self, requests: int) -> None:
        """SIGKILL the first judge once ``requests`` judge requests were answered in all."""
        def watch():
            while self.counter.value < requests and self.processes[0].is_alive():
                time.sleep(0.01)
            os.kill(self.processes[0].pid, signal.SIGKILL)
        threading.Thread(target=watch, daemon=True).start()

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join()


def whole_run(args, replay: Path, out: Path, env: dict[str, str], urls: list[str], concurrency: int) -> tuple:
    """(wall, results metrics) of ``raif-eval run`` against ``urls``."""
    command = [sys.executable, "-m", "raif_eval", "run", "--model", "replay",
               "--model_args", f"responses={replay},model=bench", "--tasks", args.tasks,
               "--output_path", str(out), "--log_samples", "--judge_url", ",".join(urls), "--judge_model",
               "fake-judge", "--judge_concurrency", str(concurrency)]
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"the run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    results = json.loads(max(out.rglob("results_*.json")).read_text(encoding="utf-8"))
    metrics = {task: {k: v for k, v in values.items() if k != "alias"} for task, values in results["results"].items()}
    failed = sum(v.get("judge_failed_docs,raif", 0) for v in metrics.values())
    return wall, metrics, failed


def judging_alone(work, urls: list[str], concurrency: int, cache: Path) -> tuple:
    """(wall, verdicts per task, documents without verdicts) of the judge programs through one pool."""
    from raif_eval.judge.config import JudgeConfig
    from raif_eval.judge.runner import pool_scope

    config = JudgeConfig(url=",".join(urls), model="fake-judge", concurrency=concurrency, cache=str(cache))
    t0 = time.perf_counter()
    with pool_scope(config) as pool:
        running = [(name, pool.batch(program, profile, config, key=name), items)
                   for name, program, profile, items in work]
        for _, batch, items in running:  # every task submitted at once, as a run does
            for record, answer in items:
                batch.submit(record, answer)
        runs = {name: batch.results(items, desc=name) for name, batch, items in running}
    wall = time.perf_counter() - t0
    verdicts = {name: [r.verdicts for r in run.results] for name, run in runs.items()}
    failed = sum(r.failed for run in runs.values() for r in run.results)
    return wall, verdicts, failed


OPTIONS = (("--latency", float, 0.2, "seconds a judge takes per request"),
           ("--concurrency", int, 16, "requests in flight per endpoint"),
           ("--runs", int, 3, "rounds of every side; medians are reported"),
           ("--tasks", str, TASKS, "the tasks of the run"),
           ("--modes", str, "run,alone", "what to measure: the whole run, judging alone, or both"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, kind, default, text in OPTIONS:
        parser.add_argument(flag, type=kind, default=default, help=text)
    args = parser.parse_args()

    from helpers import data_dir_with_complexbench_fixture
    from judge_throughput import batches
    from replay_snapshot import responses

    ctx = multiprocessing.get_context("spawn")
    total = JUDGES * args.concurrency
    modes = tuple(m for m in ("run", "alone") if m in args.modes.split(","))
    walls = {(m, s): [] for m in modes for s in SIDES}
    windows = {(m, s): [] for m in modes for s in SIDES}  # first judge request to last reply
    counts = {(m, s): [] for m in modes for s in SIDES}
    same, failed = {m: [] for m in modes}, {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data_env = data_dir_with_complexbench_fixture(tmp / "data")
        os.environ.update(data_env)
        wanted = set(args.tasks.split(","))
        rows = [r for r in responses(tmp / "data") if r["task"] in wanted]
        replay = tmp / "responses.jsonl"
        replay.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
        work = [w for w in batches(10**9, tmp / "data") if w[0] in wanted]
        for run in range(args.runs):
            for mode in modes:
                reference = None
                for side in SIDES:  # interleaved: each round runs every side
                    judges = Judges(ctx, 1 if side == "single" else JUDGES, args.latency)
                    name = f"{mode}-{side}{run}"
                    try:
                        if side == "killed":
                            judges.kill_after(statistics.median(counts[mode, "three"]) // 3)
                        concurrency = total if side == "single" else args.concurrency
                        if mode == "run":
                            wall, outcome, lost = whole_run(args, replay, tmp / name,
                                                            {**env, "RAIF_JUDGE_CACHE": str(tmp / f"{name}.sqlite")},
                                                            judges.urls, concurrency)
                        else:
                            wall, outcome, lost = judging_alone(work, judges.urls, concurrency,
                                                                tmp / f"{name}.sqlite")
                        walls[mode, side].append(wall)
                        windows[mode, side].append(judges.span[1] - judges.span[0])
                        counts[mode, side].append(judges.counter.value)
                        if side == "three":
                            reference = outcome
                        if side == "killed":
                            if judges.processes[0].is_alive():
                                raise SystemExit("the run ended before a judge was killed")
                            same[mode].append(outcome == reference)
                            failed[mode].append(lost)
                    finally:
                        judges.stop()
                    print(f"round {run + 1} {mode:<5} {side:<6} {counts[mode, side][-1]} requests, "
                          f"{walls[mode, side][-1]:.1f} s", flush=True)
    n = counts[modes[0], "three"][0]
    ideal = n * args.latency / total
    equal = len({c for v in counts.values() for c in v if c}) == 1
    print(f"\n{len(rows)} documents of {args.tasks}; judge latency {args.latency:g} s; median of {args.runs} rounds")
    print(f"judge requests N          {n}" + ("" if equal else f"  (the killed side re-asks the lost ones: "
                                                           f"{sorted({c for v in counts.values() for c in v})})"))
    print(f"ideal N*{args.latency:g}s/{total}          {ideal:6.1f} s")
    titles = {"run": "the whole run (raif-eval run)", "alone": "judging alone (one judge pool)"}
    for mode, title in ((m, titles[m]) for m in modes):
        three, killed, single = (statistics.median(walls[mode, s]) for s in SIDES)
        print(f"\n{title:<26}{f'{JUDGES} x {args.concurrency}':>14}{'one killed':>14}{f'1 x {total}':>14}")
        print(f"{'wall (s)':26}{three:14.1f}{killed:14.1f}{single:14.1f}")
        if mode == "run":  # start-up before the first judge request and scoring after the last are the rest
            spans = [statistics.median(windows[mode, s]) for s in SIDES]
            print(f"{'judging window (s)':26}" + "".join(f"{x:14.1f}" for x in spans))
            print(f"{'ideal / window':26}" + "".join(f"{ideal / x:14.2f}" for x in spans))
        print(f"{'ideal / wall':26}{ideal / three:14.2f}{ideal / killed:14.2f}{ideal / single:14.2f}"
              "   (target >= 0.85, three judges)")
        print(f"{'wall / three judges':26}{1.0:14.2f}{killed / three:14.2f}{single / three:14.2f}"
              "   (target <= 1.6, one killed)")
        print(f"{'same as undisturbed':26}{'':>14}{'yes' if all(same[mode]) else 'NO':>14}"
              f"   ({'results JSON metrics' if mode == 'run' else 'every verdict'})")
        print(f"{'judge_failed_docs':26}{'':>14}{max(failed[mode]):14d}   (target 0)")


if __name__ == "__main__":
    main()
