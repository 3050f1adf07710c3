"""Judging while generating: a model endpoint and a judge endpoint on loopback, each with a fixed latency.

``raif-eval run --model local-chat-completions`` (raif-eval's streaming chat backend) against a model server that
answers every prompt after ``--gen_latency`` seconds, judged by a server that answers after ``--judge_latency``
(the replay snapshot's deterministic judge). Three runs, each a subprocess with a fresh judge cache:

* generation alone: the same run with ``--predict_only``;
* judging alone: ``raif-eval judge`` of that output;
* the pipelined run: generation and judging in one command.

Prints the pipelined wall time against generation + judging and against the larger of the two (target: pipelined
≤ 1.15 × max). Each figure includes its process's start-up, as a user's would.

    python bench/pipelined_run.py [--limit 48] [--gen_latency 2.0] [--judge_latency 1.0] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TASKS = "raif_cfbench,raif_infobench,raif_followbench_en"
MODEL = "bench-model"


def serve_model(latency: float, urls) -> None:
    from replay_snapshot import synthetic

    from raif_eval.judge.server import ChatServer, Completion

    def respond(body):
        time.sleep(latency)
        return Completion(synthetic(body["messages"][-1]["content"] or "") or "OK", 20, 20)

    server = ChatServer(respond, [MODEL])
    urls.put(server.url)
    server.serve_forever()


def serve_judge(latency: float, urls) -> None:
    from fake_judge import FakeJudge
    from replay_snapshot import reply

    server = FakeJudge(reply=reply, latency=latency)
    urls.put(server.url)
    server.serve_forever()


def timed(command: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=48, help="documents per task")
    parser.add_argument("--gen_latency", type=float, default=2.0, help="seconds the model takes per prompt")
    parser.add_argument("--judge_latency", type=float, default=1.0, help="seconds the judge takes per request")
    parser.add_argument("--concurrency", type=int, default=16, help="model num_concurrent and judge concurrency")
    parser.add_argument("--tasks", default=TASKS)
    args = parser.parse_args()

    from helpers import data_dir_with_complexbench_fixture

    ctx = multiprocessing.get_context("spawn")
    model_urls, judge_urls = ctx.Queue(), ctx.Queue()
    servers = [ctx.Process(target=serve_model, args=(args.gen_latency, model_urls), daemon=True),
               ctx.Process(target=serve_judge, args=(args.judge_latency, judge_urls), daemon=True)]
    for server in servers:
        server.start()
    model_url, judge_url = model_urls.get(timeout=60), judge_urls.get(timeout=60)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            env = {**os.environ, **data_dir_with_complexbench_fixture(tmp / "data"), "HF_HUB_OFFLINE": "1",
                   "HF_DATASETS_OFFLINE": "1", "RAIF_JUDGE_URL": judge_url, "RAIF_JUDGE_MODEL": "fake-judge",
                   "RAIF_JUDGE_CONCURRENCY": str(args.concurrency)}
            run = [sys.executable, "-m", "raif_eval", "run", "--model", "local-chat-completions", "--model_args",
                   f"model={MODEL},base_url={model_url}/chat/completions,tokenizer_backend=None,"
                   f"num_concurrent={args.concurrency},max_retries=1",
                   "--apply_chat_template", "--tasks", args.tasks, "--limit", str(args.limit), "--log_samples"]
            generation = timed([*run, "--predict_only", "--output_path", str(tmp / "gen")],
                               {**env, "RAIF_JUDGE_CACHE": str(tmp / "a.sqlite")})
            judging = timed([sys.executable, "-m", "raif_eval", "judge", str(tmp / "gen")],
                            {**env, "RAIF_JUDGE_CACHE": str(tmp / "b.sqlite")})
            pipelined = timed([*run, "--output_path", str(tmp / "both")], {**env, "RAIF_JUDGE_CACHE": str(tmp / "c.sqlite")})
    finally:
        for server in servers:
            server.terminate()
    longer = max(generation, judging)
    print(f"{args.tasks}, {args.limit} documents each; model {args.gen_latency:g} s/prompt, judge "
          f"{args.judge_latency:g} s/request, concurrency {args.concurrency}")
    print(f"generation alone        {generation:7.1f} s")
    print(f"judging alone           {judging:7.1f} s")
    print(f"pipelined run           {pipelined:7.1f} s")
    print(f"pipelined / (gen+judge) {pipelined / (generation + judging):7.2f}")
    print(f"pipelined / max         {pipelined / longer:7.2f}   (target <= 1.15)")


if __name__ == "__main__":
    main()
