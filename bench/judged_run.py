"""A judged run as a user runs it: six tasks replayed end to end against a loopback judge with a fixed latency.

Replays a response for every document of IFEval, CELLO, CFBench, FB-Bench, FollowBench EN and InfoBench
(``tests/replay_snapshot.py``'s responses: the released ones where a benchmark ships them), with
``raif-eval run --model replay ... --judge_concurrency C`` as a subprocess, against a judge process that answers
every request after ``--latency`` seconds (the snapshot's deterministic judge, readable by every parser). Then runs
the same command again, every verdict now cached. Prints the judge requests N, the judge-bound ideal N × latency / C,
the first run's wall time and ideal / wall (target ≥ 0.8), and the cached rerun's time and its share of the first
(target ≤ 10 %, and under 20 s). ``--runs K`` repeats the pair with fresh caches and reports the median.

    python bench/judged_run.py [--latency 0.2] [--concurrency 32] [--runs 3] [--tasks raif_ifeval,...]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TASKS = "raif_ifeval,raif_cello,raif_cfbench,raif_fbbench,raif_followbench_en,raif_infobench"


def serve(latency: float, urls, counter) -> None:
    """The judge in its own process, as a real one would be (and off the client's GIL)."""
    from fake_judge import FakeJudge
    from replay_snapshot import reply

    def counted(body):
        if body.get("max_tokens") != 1:  # the start-up probe is not a judge request
            with counter.get_lock():
                counter.value += 1
        return reply(body)

    server = FakeJudge(reply=counted, latency=latency)
    urls.put(server.url)
    server.serve_forever()


def one_run(args, replay: Path, out: Path, env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "raif_eval", "run", "--model", "replay",
               "--model_args", f"responses={replay},model=bench", "--tasks", args.tasks,
               "--output_path", str(out), "--log_samples", "--judge_concurrency", str(args.concurrency)]
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"the run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the judge takes per request")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3, help="first-run/cached-rerun pairs; the median is reported")
    parser.add_argument("--tasks", default=TASKS)
    args = parser.parse_args()

    from helpers import data_dir_with_complexbench_fixture
    from replay_snapshot import responses

    ctx = multiprocessing.get_context("spawn")
    firsts, reruns, counts = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data_env = data_dir_with_complexbench_fixture(tmp / "data")
        wanted = set(args.tasks.split(","))
        rows = [r for r in responses(tmp / "data") if r["task"] in wanted]
        replay = tmp / "responses.jsonl"
        replay.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        for run in range(args.runs):
            urls, counter = ctx.Queue(), ctx.Value("i", 0)
            server = ctx.Process(target=serve, args=(args.latency, urls, counter), daemon=True)
            server.start()
            env = {**os.environ, **data_env, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                   "RAIF_JUDGE_URL": urls.get(timeout=60), "RAIF_JUDGE_MODEL": "fake-judge",
                   "RAIF_JUDGE_CACHE": str(tmp / f"judge{run}.sqlite")}
            try:
                firsts.append(one_run(args, replay, tmp / f"first{run}", env))
                counts.append(counter.value)
                reruns.append(one_run(args, replay, tmp / f"rerun{run}", env))
                if counter.value != counts[-1]:
                    raise SystemExit(f"the cached rerun sent {counter.value - counts[-1]} requests")
            finally:
                server.terminate()
            print(f"run {run + 1}: {counts[-1]} requests, first {firsts[-1]:.1f} s, cached rerun {reruns[-1]:.1f} s",
                  flush=True)
    n = counts[0]
    if len(set(counts)) != 1:
        print(f"note: the runs sent different numbers of requests: {counts}")
    ideal = n * args.latency / args.concurrency
    first, rerun = statistics.median(firsts), statistics.median(reruns)
    print(f"\n{len(rows)} documents of {args.tasks}")
    print(f"judge requests N        {n}")
    print(f"ideal N*{args.latency:g}s/{args.concurrency}     {ideal:7.1f} s")
    print(f"first run (wall)        {first:7.1f} s   median of {len(firsts)} ({', '.join(f'{x:.1f}' for x in firsts)})")
    print(f"ideal / wall            {ideal / first:7.2f}     (target >= 0.8)")
    print(f"cached rerun (wall)     {rerun:7.1f} s   median of {len(reruns)} ({', '.join(f'{x:.1f}' for x in reruns)})")
    print(f"cached / first          {100 * rerun / first:6.1f} %     (target <= 10 %, and under 20 s)")


if __name__ == "__main__":
    main()
