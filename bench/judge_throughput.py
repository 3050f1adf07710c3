"""Judge throughput on real judge programs: several tasks' documents through one pool, against a loopback judge.

The judged tasks of the six-task replay (CFBench, FB-Bench, FollowBench EN, InfoBench — its per-instruction
conversations are multi-turn chains), ``--limit`` documents each with ``bench/judged_run.py``'s responses, are
judged through the production path (one :class:`~raif_eval.judge.runner.JudgePool`, a batch per task submitted at
once, ``DocJudge`` → ``JudgeClient`` → HTTP → SQLite cache) by a judge process that answers after a fixed delay. Then
the same again, all cached. Prints the requests N, the achieved wall time, the ideal N × latency / concurrency, their
ratio (target ≥ 0.8), and the cached rerun's time (median of several; a 2-core VM's timings jitter).

    python bench/judge_throughput.py [--limit 150] [--latency 0.2] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TASKS = ("raif_cfbench", "raif_fbbench", "raif_followbench_en", "raif_infobench")


def serve(latency: float, urls) -> None:
    """The judge endpoint, in its own process as a real one would be (and off the client's GIL)."""
    from fake_judge import FakeJudge
    from replay_snapshot import reply

    server = FakeJudge(reply=reply, latency=latency)
    urls.put(server.url)
    server.serve_forever()


def batches(limit: int, data: Path):
    """(task, program, profile, settings, items) of each judged task: real records and replayed answers."""
    from lm_eval.tasks import TaskManager, get_task_dict
    from replay_snapshot import responses

    from raif_eval.core.answers import extract_answer
    from raif_eval.core.benchmark import doc_record
    from raif_eval.tasks import TASKS_DIR

    answers = {(r["task"], r["id"]): r["response"] for r in responses(data)}
    tasks = get_task_dict(list(TASKS), TaskManager(include_path=[str(TASKS_DIR)], include_defaults=False))
    out = []
    for name in TASKS:
        task = tasks[name]
        settings = task.benchmark.settings(task.config.metadata)
        docs = list(task.eval_docs)[:limit]
        items = [(doc_record(d), extract_answer(answers[(name, str(d["doc_id"]))], settings["answer_extraction"],
                                                "empty")[0]) for d in docs]
        out.append((name, task.benchmark.judge_program(settings),
                    task.benchmark.judge_profile(settings), items))
    return out


def judge_everything(work, config) -> tuple[float, dict]:
    from raif_eval.judge.runner import pool_scope

    t0 = time.perf_counter()
    with pool_scope(config) as pool:
        running = [(name, pool.batch(program, prof, config, key=name), items) for name, program, prof, items in work]
        for _, batch, items in running:  # every task submitted at once, as a run does
            for record, answer in items:
                batch.submit(record, answer)
        runs = {name: batch.results(items, desc=name) for name, batch, items in running}
    return time.perf_counter() - t0, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=150, help="documents per task")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the server takes per request")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--reruns", type=int, default=5, help="cached reruns; the median is reported")
    args = parser.parse_args()

    from helpers import data_dir_with_complexbench_fixture

    from raif_eval.judge.config import JudgeConfig

    ctx = multiprocessing.get_context("spawn")
    urls = ctx.Queue()
    server = ctx.Process(target=serve, args=(args.latency, urls), daemon=True)
    server.start()
    url = urls.get(timeout=60)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(data_dir_with_complexbench_fixture(Path(tmp) / "data"))
        work = batches(args.limit, Path(tmp) / "data")
        config = JudgeConfig(url=url, model="fake-judge", concurrency=args.concurrency,
                             cache=str(Path(tmp) / "cache.sqlite"))
        wall, first = judge_everything(work, config)
        reruns = []
        for _ in range(args.reruns):
            took, again = judge_everything(work, config)
            reruns.append(took)
    server.terminate()
    n = sum(run.usage.requests for run in first.values())
    assert all(run.usage.requests == 0 for run in again.values()), "the cached rerun sent requests"
    docs = sum(len(items) for *_, items in work)
    ideal = n * args.latency / args.concurrency
    print(f"{docs} documents of {', '.join(TASKS)} ({args.limit} each): {n} judge requests, "
          f"{args.latency * 1000:.0f} ms each, concurrency {args.concurrency}")
    for name, run in first.items():
        print(f"  {name:<22} {run.usage.requests:6d} requests, {run.usage.failures} failed")
    print(f"  achieved wall time   {wall:7.2f} s")
    print(f"  ideal (N*lat/conc)   {ideal:7.2f} s")
    print(f"  ideal / achieved     {ideal / wall:7.2f}   (target >= 0.8)")
    cached = statistics.median(reruns)
    print(f"  cached rerun         {cached:7.3f} s = {100 * cached / wall:.2f} % of the first; "
          f"median of {len(reruns)}, range {min(reruns):.3f}-{max(reruns):.3f} s")


if __name__ == "__main__":
    main()
