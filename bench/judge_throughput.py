"""Judge throughput against a loopback OpenAI-compatible server with a fixed latency per request.

A server process answers after a fixed delay. Sends N distinct judge requests through the production path (``judge_all`` → ``JudgeClient`` → HTTP → SQLite
cache) at the given concurrency, then the same N again, all cached. Prints the achieved wall time, the ideal
(N × latency / concurrency), their ratio (target ≥ 0.8), and the cached rerun's time (target < 1 % of the first;
the median of several reruns, since a 2-core VM's timings of ~50 ms jitter by ±50 %).

    python bench/judge_throughput.py [--n 1000] [--latency 0.2] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import statistics
import multiprocessing
import tempfile
import time
from pathlib import Path

from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.runner import JudgeProfile, Parsed, judge_all
from raif_eval.judge.server import ChatServer, Completion

MODEL = "bench-judge"


async def one_question(judge, question: str, answer: str):
    asked = await judge.ask(judge.messages({"role": "user", "content": question}), lambda t: Parsed(t == "YES"))
    return asked.value


def serve(latency: float, urls) -> None:
    """The judge endpoint, in its own process as a real one would be (and off the client's GIL)."""

    def respond(body):
        time.sleep(latency)
        return Completion("YES", prompt_tokens=20, completion_tokens=1)

    server = ChatServer(respond, [MODEL])
    urls.put(server.url)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the server takes per request")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--reruns", type=int, default=5, help="cached reruns; the median is reported")
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    urls = ctx.Queue()
    server = ctx.Process(target=serve, args=(args.latency, urls), daemon=True)
    server.start()
    url = urls.get(timeout=60)
    items = [(f"Question {i}: is the answer YES?", "") for i in range(args.n)]
    profile = JudgeProfile("bench", params={"temperature": 0})
    with tempfile.TemporaryDirectory() as tmp:
        config = JudgeConfig(url=url, model=MODEL, concurrency=args.concurrency,
                             cache=str(Path(tmp) / "cache.sqlite"))
        t0 = time.perf_counter()
        first = judge_all(one_question, items, profile, config, desc="uncached")
        wall = time.perf_counter() - t0
        reruns = []
        for _ in range(args.reruns):
            t0 = time.perf_counter()
            second = judge_all(one_question, items, profile, config, desc="cached")
            reruns.append(time.perf_counter() - t0)
        cached = statistics.median(reruns)
    server.terminate()
    assert first.usage.requests == args.n and second.usage.cached == args.n and second.usage.requests == 0
    ideal = args.n * args.latency / args.concurrency
    print(f"{args.n} judge requests, {args.latency * 1000:.0f} ms each, concurrency {args.concurrency}")
    print(f"  achieved wall time   {wall:7.2f} s")
    print(f"  ideal (N*lat/conc)   {ideal:7.2f} s")
    print(f"  ideal / achieved     {ideal / wall:7.2f}   (target >= 0.8)")
    print(f"  cached rerun         {cached:7.3f} s = {100 * cached / wall:.2f} % of the first (target < 1 %); "
          f"median of {len(reruns)}, range {min(reruns):.3f}-{max(reruns):.3f} s")


if __name__ == "__main__":
    main()
