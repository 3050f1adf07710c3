"""Batch judging: every document's judge program runs concurrently; requests are bounded by the client.

A benchmark supplies a *program* — ``async def program(judge: DocJudge, record, answer) -> verdicts`` — that asks
the judge what the official protocol asks (one request, a re-asked request, or a multi-turn conversation) and
returns JSON-serialisable verdicts. The runner gives each document its own :class:`DocJudge`, whose transcript
keeps every raw reply, parse failure and token count, drives all programs under one progress bar, and returns one
:class:`~raif_eval.core.Judged` per document.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

import yaml
from tqdm.auto import tqdm

from raif_eval.core import tokens
from raif_eval.core.judged import Judged, Transcript
from raif_eval.judge.cache import JudgeCache
from raif_eval.judge.client import JudgeClient, JudgeFatalError, Reply, Usage
from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.templates import JUDGES_DIR

log = logging.getLogger(__name__)


class Parsed(NamedTuple):
    value: Any
    ok: bool = True


@dataclass(frozen=True)
class JudgeProfile:
    """How a benchmark's protocol talks to its judge (from ``judges/<benchmark>/profiles.yaml``)."""

    name: str
    reference_model: str | None = None  # the judge behind the published numbers (recorded, not enforced)
    system: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # RAIF's driver sets max_tokens per request from the prompt's length: (16384 - prompt) // divisor - 100,
    # counted with the first of the judge tokenizers, or (FB-Bench) the largest count over all of them
    budget_divisor: float | None = None
    budget_count: str = "first"


@cache
def profile(benchmark: str, name: str) -> JudgeProfile:
    """Profile ``name`` of ``judges/<benchmark>/profiles.yaml``."""
    table = yaml.safe_load((JUDGES_DIR / benchmark / "profiles.yaml").read_text(encoding="utf-8"))
    if name not in table:
        raise ValueError(f"{benchmark} has no judge profile {name!r} (profiles: {', '.join(table)})")
    return JudgeProfile(name=name, **table[name])


class Asked(NamedTuple):
    value: Any
    ok: bool
    text: str | None  # the last raw reply (None if the request failed for good)


class DocJudge:
    """The judge as one document's program sees it: the profile applied, every exchange recorded."""

    def __init__(self, client: JudgeClient, profile: JudgeProfile, max_asks: int | None = None,
                 tokenizers: str | None = None):
        self.client, self.profile, self.max_asks = client, profile, max_asks  # max_asks: JudgeConfig.max_asks
        # token counts for budgets and truncations: the first judge tokenizer's, and the largest over all
        self.count_tokens, self.count_tokens_max = tokens.counter(tokenizers), tokens.counter(tokenizers, "max")
        self.transcript = Transcript()

    def budget(self, messages: list[dict[str, str]], divisor: float | None = None) -> dict[str, int]:
        """``{"max_tokens": …}`` from the prompt's length when the profile (or ``divisor``) asks for RAIF's
        budget, else nothing (the profile's own ``max_tokens``, if any, applies)."""
        divisor = divisor or self.profile.budget_divisor
        if divisor is None:
            return {}
        count = self.count_tokens_max if self.profile.budget_count == "max" else self.count_tokens
        return {"max_tokens": tokens.rlmo_max_tokens(count(tokens.messages_text(messages)), divisor)}

    def messages(self, *turns: dict[str, str]) -> list[dict[str, str]]:
        """The profile's system message (if any) followed by ``turns``."""
        head = [{"role": "system", "content": self.profile.system}] if self.profile.system else []
        return head + list(turns)

    async def ask(self, messages: list[dict[str, str]], parse: Callable[[str], Parsed], attempts: int = 1,
                  **params: Any) -> Asked:
        """Send ``messages``; while the reply does not parse, ask afresh, ``attempts`` times in all."""
        request_params = {**self.profile.params, **self.budget(messages), **params}
        attempts = min(attempts, self.max_asks) if self.max_asks else attempts
        parsed, reply = Parsed(None, False), Reply(None)
        for attempt in range(attempts):
            reply = await self.client.complete(messages, request_params, attempt)
            self._record(reply)
            if reply.text is None:
                return Asked(None, False, None)
            parsed = parse(reply.text)
            self.transcript.replies[-1]["parsed"] = parsed.ok
            if parsed.ok:
                break
            self.transcript.parse_failures += 1
        return Asked(parsed.value, parsed.ok, reply.text)

    def _record(self, reply: Reply) -> None:
        t = self.transcript
        t.replies.append({"text": reply.text, "cached": reply.cached, **({"error": reply.error} if reply.error else {})})
        t.errors += reply.text is None
        t.prompt_tokens += reply.prompt_tokens
        t.completion_tokens += reply.completion_tokens


Program = Callable[..., Awaitable[Any]]
Item = tuple[Any, str]  # (record, answer)


@dataclass
class JudgeRun:
    results: list[Judged]  # in the order of the items
    usage: Usage
    fatal: str | None = None  # set when a misconfigured endpoint stopped the run


def judge_all(program: Program, items: Sequence[Item], profile: JudgeProfile, config: JudgeConfig,
              desc: str = "judging", tokenizers: str | None = None) -> JudgeRun:
    """Run ``program(judge, record, answer)`` for every ``(record, answer)`` item, concurrently.

    A fatal endpoint error stops the remaining programs: they come back with ``verdicts=None`` and the error in
    ``transcript.fatal``; everything already judged is in the cache for the rerun.
    """
    run = JudgeRun([], Usage())
    run_sync(_judge_all(program, items, profile, config, desc, run, tokenizers))
    return run


async def _judge_all(program, items, profile, config, desc, run: JudgeRun, tokenizers=None) -> None:
    # Results go into `run`, not the coroutine's return value: asyncio formats the repr of a finished main
    # task's result, which for thousands of documents costs more than serving them all from the cache.
    from raif_eval.judge.embedded import embedded_base_url

    base_url = embedded_base_url() if config.embedded else None
    cache = JudgeCache(config.cache_path())
    bar = tqdm(total=len(items), desc=desc, unit="doc", dynamic_ncols=True)
    client = JudgeClient(config, cache, base_url=base_url)
    results: list[Judged | None] = [None] * len(items)
    step = max(1, len(items) // 100)

    async def one(index: int, item: tuple) -> None:
        judge = DocJudge(client, profile, config.max_asks, tokenizers)
        try:
            verdicts = await program(judge, *item)
        except JudgeFatalError:
            raise
        except Exception as exc:  # a bug or odd reply in one document must not lose the others
            log.exception("judging item %d failed", index)
            judge.transcript.fatal = f"{type(exc).__name__}: {exc}"
            verdicts = None
        results[index] = Judged(item[1], verdicts, judge.transcript)
        bar.update()
        if bar.n % step == 0 or bar.n == len(items):  # formatting the postfix on every update costs more than a hit
            usage = client.usage
            bar.set_postfix(requests=usage.requests, cached=usage.cached, retries=usage.retries,
                            failed=usage.failures, refresh=False)

    # A pool of workers pulls documents from one shared iterator: enough documents in progress to keep
    # `concurrency` requests in flight (a multi-turn program has at most one at a time), not one task per doc.
    pending = iter(enumerate(items))

    async def worker() -> None:
        for index, item in pending:
            await one(index, item)

    fatal = None
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(len(items), 2 * config.concurrency)):
                group.create_task(worker())
    except* JudgeFatalError as errors:
        fatal = str(errors.exceptions[0])
    finally:
        bar.close()
        await client.close()
        cache.close()
    for index, result in enumerate(results):
        if result is None:
            results[index] = Judged(items[index][1], None, Transcript(fatal=fatal))
    run.results, run.usage, run.fatal = results, client.usage, fatal


Request = tuple[list[dict[str, str]], dict[str, Any]]  # (messages, request parameters)


async def complete_many(config: JudgeConfig, requests: Sequence[Request], keep_reasoning: bool = False,
                        desc: str | None = None) -> list[Reply]:
    """Plain completions of ``requests`` (same order), concurrently through one cached, retrying client: for
    callers that need replies rather than judge programs (a reasoning model, a data generator, YES/NO rewards)."""
    base_url = None
    if config.embedded:
        from raif_eval.judge.embedded import embedded_base_url

        base_url = await asyncio.to_thread(embedded_base_url)  # loads the model on first use: off the loop
    cache = JudgeCache(config.cache_path())
    client = JudgeClient(config, cache, base_url=base_url, keep_reasoning=keep_reasoning)
    bar = tqdm(total=len(requests), desc=desc, unit="request", dynamic_ncols=True) if desc else None

    async def one(messages, params):
        reply = await client.complete(messages, params)
        if bar is not None:
            bar.update()
        return reply

    try:
        return list(await asyncio.gather(*(one(m, p) for m, p in requests)))
    finally:
        if bar is not None:
            bar.close()
        await client.close()
        cache.close()


def complete_all(config: JudgeConfig, requests: Sequence[Request], keep_reasoning: bool = False,
                 desc: str | None = None) -> list[Reply]:
    """:func:`complete_many` from synchronous code."""
    return run_sync(complete_many(config, requests, keep_reasoning, desc))


def run_sync(coro):
    """``asyncio.run``, also from code that already runs inside an event loop (notebooks)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
