"""Client CPU per judge request: raif-eval's judge client beside a bare aiohttp client and openai's, on real bodies.

First records real judge requests: the six-task replay (``bench/judged_run.py``'s responses, ``--limit`` documents
per task) against a loopback judge that logs every request body. Then sends those bodies (cycled to ``--n``) to a
judge process answering after ``--latency`` seconds, at ``--concurrency``, through

* ``raif-eval``: :class:`raif_eval.judge.client.JudgeClient` as a run uses it (request key, retries, the SQLite
  cache: every reply is stored);
* ``raif-eval, no cache``: the same client without the cache;
* ``bare aiohttp``: one ``ClientSession``, ``post`` + ``json()``, nothing else (the ideal);
* ``openai``: ``AsyncOpenAI.chat.completions.create`` (what raif-eval used before).

and prints the CPU time of this process per request (``time.process_time``; the server runs in another process),
the ratio to bare aiohttp, and the wall time. Target: raif-eval ≤ 1.5 ms per request.

    python bench/judge_client.py [--n 3000] [--concurrency 32] [--latency 0.02] [--limit 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from judged_run import TASKS  # noqa: E402


def serve(latency: float, log: str | None, urls) -> None:
    from fake_judge import FakeJudge
    from replay_snapshot import reply

    server = FakeJudge(reply=reply, latency=latency, log_path=Path(log) if log else None)
    urls.put(server.url)
    server.serve_forever()


def start(ctx, latency: float, log: str | None = None):
    urls = ctx.Queue()
    process = ctx.Process(target=serve, args=(latency, log, urls), daemon=True)
    process.start()
    return process, urls.get(timeout=60)


def record(ctx, tmp: Path, limit: int) -> list[dict]:
    """Real judge request bodies of the six tasks."""
    from helpers import data_dir_with_complexbench_fixture
    from replay_snapshot import responses

    log = tmp / "requests.jsonl"
    server, url = start(ctx, 0.0, str(log))
    try:
        data = data_dir_with_complexbench_fixture(tmp / "data")
        replay = tmp / "responses.jsonl"
        replay.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in responses(tmp / "data")),
                          encoding="utf-8")
        env = {**os.environ, **data, "HF_HUB_OFFLINE": "1", "RAIF_JUDGE_URL": url, "RAIF_JUDGE_MODEL": "fake-judge",
               "RAIF_JUDGE_CACHE": str(tmp / "record.sqlite")}
        subprocess.run([sys.executable, "-m", "raif_eval", "run", "--model", "replay", "--model_args",
                        f"responses={replay}", "--tasks", TASKS, "--limit", str(limit)],
                       cwd=ROOT, env=env, check=True, capture_output=True)
    finally:
        server.terminate()
    bodies = [json.loads(line)["body"] for line in log.read_text(encoding="utf-8").splitlines()]
    return [b for b in bodies if b.get("max_tokens") != 1]  # not the start-up probe


def split(body: dict) -> tuple[list, dict]:
    params = {k: v for k, v in body.items() if k not in ("model", "messages")}
    return body["messages"], params


async def ours(url: str, bodies: list[dict], concurrency: int, cache_path: Path | None) -> None:
    from raif_eval.judge.cache import JudgeCache
    from raif_eval.judge.client import JudgeClient
    from raif_eval.judge.config import JudgeConfig

    config = JudgeConfig(url=url, model="fake-judge", concurrency=concurrency)
    cache = JudgeCache(cache_path) if cache_path else None
    client = JudgeClient(config, cache)
    replies = await asyncio.gather(*(client.complete(*split(b), attempt=i) for i, b in enumerate(bodies)))
    await client.close()
    if cache:
        cache.close()
    assert all(r.text is not None for r in replies)


async def bare(url: str, bodies: list[dict], concurrency: int) -> None:
    import aiohttp

    slots = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def one(body):
            async with slots:
                async with session.post(url + "/chat/completions", json=body) as response:
                    return (await response.json())["choices"][0]["message"]["content"]

        replies = await asyncio.gather(*(one(b) for b in bodies))
    assert all(r is not None for r in replies)


async def with_openai(url: str, bodies: list[dict], concurrency: int) -> None:
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0)
    slots = asyncio.Semaphore(concurrency)

    async def one(body):
        async with slots:
            return (await client.chat.completions.create(**body)).choices[0].message.content

    replies = await asyncio.gather(*(one(b) for b in bodies))
    await client.close()
    assert all(r is not None for r in replies)


def measure(coro) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(coro)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000, help="requests per client")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the judge takes per request")
    parser.add_argument("--limit", type=int, default=40, help="documents per task when recording requests")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per client; the median is reported")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        recorded = record(ctx, tmp, args.limit)
        bodies = [recorded[i % len(recorded)] for i in range(args.n)]
        size = sum(len(json.dumps(b, ensure_ascii=False).encode()) for b in recorded) / len(recorded)
        server, url = start(ctx, args.latency)
        clients = {
            "raif-eval": lambda r: ours(url, bodies, args.concurrency, tmp / f"cache{r}.sqlite"),
            "raif-eval, no cache": lambda r: ours(url, bodies, args.concurrency, None),
            "bare aiohttp": lambda r: bare(url, bodies, args.concurrency),
            "openai": lambda r: with_openai(url, bodies, args.concurrency),
        }
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
        try:
            for name, make in clients.items():  # warm up imports and connections
                measure(make(-1))
            for r in range(args.rounds):
                for name, make in clients.items():  # interleaved, so machine noise hits all alike
                    figures[name].append(measure(make(r)))
        finally:
            server.terminate()
    median = {name: sorted(f)[len(f) // 2] for name, f in figures.items()}
    base = median["bare aiohttp"][0]
    print(f"{len(recorded)} recorded judge requests of {TASKS} (mean body {size / 1024:.1f} KiB), cycled to "
          f"{args.n}; concurrency {args.concurrency}, judge latency {args.latency * 1000:.0f} ms; median of "
          f"{args.rounds} rounds")
    print(f"{'client':<22}{'CPU ms/request':>16}{'x bare aiohttp':>16}{'wall s':>9}")
    for name, (cpu, wall) in median.items():
        print(f"{name:<22}{1000 * cpu / args.n:>16.2f}{cpu / base:>16.2f}{wall:>9.2f}")
    print("target: raif-eval <= 1.5 ms per request")


if __name__ == "__main__":
    main()
