"""Judging documents: every document's judge program runs concurrently; requests are bounded by the client.

A benchmark supplies a *program* (:data:`~raif_eval.core.judging.JudgeProgram`) that asks the judge what the
official protocol asks and returns JSON-serialisable verdicts. The runner gives each document its own
:class:`DocJudge` (the :class:`~raif_eval.core.judging.JudgeSession` of the contract), whose transcript keeps every
raw reply, parse failure and token count, and returns one :class:`~raif_eval.core.Judged` per document.

A :class:`JudgePool` belongs to one evaluation and holds its judge (a :class:`~raif_eval.judge.config.JudgeConfig`
value): one event loop in a background thread, one client per endpoint configuration (the judge's, a reasoning
model's), checked once each. Every judging :class:`Batch` of the evaluation (one per task) runs there, so the
judge's slots serve all tasks together and a document submitted while the model is still generating others is
judged at once. :func:`pool_scope` opens the pool of an evaluation (the judge given, else the ``RAIF_JUDGE_*``
variables), or joins the one open with the same judge; two pools with two judges can be open in one process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from raif_eval.core import tokens
from raif_eval.core.judged import Judged, Transcript
from raif_eval.core.judging import Asked, JudgeProfile, JudgeProgram, Parsed
from raif_eval.judge.cache import JudgeCache
from raif_eval.judge.client import JudgeClient, JudgeFatalError, Reply, Usage
from raif_eval.judge.config import JudgeConfig

log = logging.getLogger(__name__)


@dataclass
class Progress:
    """One batch's counts, for its progress bar (updated on the pool's loop, read from the caller's thread)."""

    requests: int = 0  # replies received over HTTP
    cached: int = 0
    failed: int = 0  # requests given up
    retries: int = 0
    in_flight: int = 0  # requests holding a connection slot
    prompt_tokens: int = 0  # spent (cached replies cost nothing)
    completion_tokens: int = 0

    by_endpoint: dict[str, int] = field(default_factory=dict)  # replies received, per endpoint host

    def count(self, reply: Reply) -> None:
        if reply.text is None:
            self.failed += 1
        elif reply.cached:
            self.cached += 1
        else:
            self.requests += 1
            self.prompt_tokens += reply.prompt_tokens
            self.completion_tokens += reply.completion_tokens
            if reply.endpoint is not None:
                self.by_endpoint[reply.endpoint] = self.by_endpoint.get(reply.endpoint, 0) + 1

    def postfix(self) -> dict[str, int]:
        shown = {"requests": self.requests, "in_flight": self.in_flight, "cached": self.cached, "failed": self.failed}
        if len(self.by_endpoint) > 1:  # several endpoints: how many each answered
            shown.update(sorted(self.by_endpoint.items()))
        return shown


class DocJudge:
    """The judge as one document's program sees it (a :class:`~raif_eval.core.judging.JudgeSession`): the profile
    applied, every exchange recorded."""

    def __init__(self, client: JudgeClient, profile: JudgeProfile, max_asks: int | None = None,
                 tokenizers: str | None = None, progress: Progress | None = None):
        self.client, self.profile, self.max_asks = client, profile, max_asks  # max_asks: JudgeConfig.max_asks
        self.progress = progress
        # token counts for budgets and truncations: the first judge tokenizer's, and the largest over all
        self.count_tokens, self.count_tokens_max = tokens.counter(tokenizers), tokens.counter(tokenizers, "max")
        self.transcript = Transcript()
        # a judge of several endpoints: each reply names the one that answered
        self.several = len(getattr(client, "endpoints", ())) > 1

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
            reply = await (self.client.complete(messages, request_params, attempt) if self.progress is None else
                           self.client.complete(messages, request_params, attempt, progress=self.progress))
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
        t.replies.append({"text": reply.text, "cached": reply.cached, **({"error": reply.error} if reply.error else {}),
                          **({"endpoint": reply.endpoint} if reply.endpoint and self.several else {})})
        t.errors += reply.text is None
        t.prompt_tokens += reply.prompt_tokens
        t.completion_tokens += reply.completion_tokens
        t.malformed += reply.malformed


Program = JudgeProgram
Item = tuple[Any, str]  # (record, answer)


@dataclass
class JudgeRun:
    results: list[Judged]  # in the order of the items
    usage: Usage
    fatal: str | None = None  # set when a misconfigured endpoint stopped the run


def judge_all(program: Program, items: Sequence[Item], profile: JudgeProfile, config: JudgeConfig,
              desc: str = "judging", tokenizers: str | None = None) -> JudgeRun:
    """Run ``program(judge, record, answer)`` for every ``(record, answer)`` item, concurrently, judged by
    ``config`` (in the open pool of that judge, else in one of its own).

    A fatal endpoint error stops the remaining programs: they come back with ``verdicts=None`` and the error in
    ``transcript.fatal``; everything already judged is in the cache for the rerun.
    """
    with pool_scope(config) as pool:
        return pool.batch(program, profile, config, tokenizers).results(items, desc)


def _item_key(record: Any, answer: str) -> str:
    return json.dumps([record, answer], ensure_ascii=False, sort_keys=True, default=str)


class Batch:
    """One task's judging in a :class:`JudgePool`: documents are submitted as soon as their answers exist (from
    any thread) and collected in order by :meth:`results`; the same (record, answer) is judged once."""

    def __init__(self, pool: JudgePool, program: Program, profile: JudgeProfile, config: JudgeConfig,
                 tokenizers: str | None = None):
        self.pool, self.program, self.profile, self.config, self.tokenizers = pool, program, profile, config, tokenizers
        self.progress = Progress()
        self.fatal: str | None = None
        self._futures: dict[str, concurrent.futures.Future] = {}
        self._running: set[asyncio.Task] = set()

    def submit(self, record: Any, answer: str) -> concurrent.futures.Future:
        key = _item_key(record, answer)
        future = self._futures.get(key)
        if future is None:
            future = self._futures[key] = self.pool.call(self._judge(record, answer))
        return future

    async def _judge(self, record: Any, answer: str) -> Judged:
        task = asyncio.current_task()
        self._running.add(task)
        judge: DocJudge | None = None
        try:
            async with self.pool.doc_slots(self.config):  # bounds the documents in progress, not one per doc
                if self.fatal:
                    return Judged(answer, None, Transcript(fatal=self.fatal))
                judge = DocJudge(await self.pool.client(self.config), self.profile, self.config.max_asks,
                                 self.tokenizers, self.progress)
                verdicts = await self.program(judge, record, answer)
        except JudgeFatalError as exc:
            if self.fatal is None:
                self.fatal = str(exc)
                for other in self._running - {task}:
                    other.cancel()
            return Judged(answer, None, Transcript(fatal=self.fatal))  # as if never judged: a rerun asks again
        except asyncio.CancelledError:
            if self.fatal is None:
                raise
            return Judged(answer, None, Transcript(fatal=self.fatal))
        except Exception as exc:  # a bug or odd reply in one document must not lose the others
            log.exception("judging a %s document failed", self.profile.name)
            transcript = judge.transcript if judge else Transcript()
            transcript.fatal = f"{type(exc).__name__}: {exc}"
            return Judged(answer, None, transcript)
        finally:
            self._running.discard(task)
        return Judged(answer, verdicts, judge.transcript)

    def results(self, items: Sequence[Item], desc: str = "judging") -> JudgeRun:
        """Every item's :class:`Judged` (in order), waiting with a progress bar for those not yet done."""
        futures = [self.submit(record, answer) for record, answer in items]
        pending = {f for f in futures if not f.done()}
        bar = tqdm(total=len(futures), initial=len(futures) - len(pending), desc=desc, unit="doc",
                   dynamic_ncols=True)
        shown: dict[str, int] = {}
        try:
            while pending:
                done, pending = concurrent.futures.wait(pending, timeout=0.5,
                                                        return_when=concurrent.futures.FIRST_COMPLETED)
                postfix = self.progress.postfix()
                if done:
                    bar.set_postfix(postfix, refresh=False)
                    bar.update(len(done))
                elif postfix != shown:  # a redraw only when a count moved (a log file gets no line otherwise)
                    bar.set_postfix(postfix)
                shown = postfix
        finally:
            bar.set_postfix(self.progress.postfix(), refresh=False)
            bar.close()
        results = [self._outcome(f, answer) for f, (_, answer) in zip(futures, items)]
        p = self.progress
        usage = Usage(requests=p.requests, cached=p.cached, retries=p.retries, failures=p.failed,
                      prompt_tokens=p.prompt_tokens, completion_tokens=p.completion_tokens)
        return JudgeRun(results, usage, self.fatal)

    def endpoints(self) -> list[dict[str, Any]]:
        """What this batch's judge endpoints did for it: each host, the replies it sent this batch, and why the
        start-up check left it out, where it did."""
        out = []
        for record in self.pool.endpoint_records(self.config):
            entry = {"endpoint": record["endpoint"], "requests": self.progress.by_endpoint.get(record["endpoint"], 0)}
            out.append({**entry, **({"unusable": record["unusable"]} if "unusable" in record else {})})
        return out

    def _outcome(self, future: concurrent.futures.Future, answer: str) -> Judged:
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            return Judged(answer, None, Transcript(fatal=self.fatal or "cancelled"))


class JudgePool:
    """The endpoint requests of one evaluation: its judge (``judge``), one event loop in a daemon thread, one
    client (connection pools, slots, endpoint health) and one cache file per endpoint configuration, shared by every
    :class:`Batch`. ``reasoner_api_key`` is the key of a two-model reasoning endpoint (``--cot_model_api_key``),
    which task metadata must not carry."""

    def __init__(self, judge: JudgeConfig, reasoner_api_key: str | None = None) -> None:
        self.judge, self.reasoner_api_key = judge, reasoner_api_key
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="raif-judge-pool", daemon=True)
        self._thread.start()
        self._clients: dict[tuple[JudgeConfig, bool], JudgeClient] = {}
        self._checked: dict[JudgeConfig, JudgeConfig] = {}
        self._doc_slots: dict[JudgeConfig, asyncio.Semaphore] = {}
        self._caches: dict[str, JudgeCache] = {}
        self._batches: dict[Any, Batch] = {}
        self._lock = asyncio.Lock()

    def call(self, coro: Awaitable[Any]) -> concurrent.futures.Future:
        """Run ``coro`` on the pool's loop (from any thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def check(self, config: JudgeConfig | None = None) -> JudgeConfig:
        """``config`` (default: the pool's judge) once its endpoints passed the start-up check, its model filled
        in; checked once per pool, through the client that then sends its requests. A bad configuration is a
        one-line :class:`~raif_eval.errors.RaifError`."""
        config = self.judge if config is None else config
        if config not in self._checked:
            self.call(self._check(config)).result()
        return self._checked[config]

    async def _check(self, config: JudgeConfig) -> None:
        async with self._lock:
            if config in self._checked:
                return
            client = await self._make_client(config, False)
            checked = await client.check()
            self._clients[(config, False)] = self._clients[(checked, False)] = client
            self._checked[config] = self._checked[checked] = checked

    def batch(self, program: Program, profile: JudgeProfile, config: JudgeConfig, tokenizers: str | None = None,
              key: Any = None) -> Batch:
        """A new batch; with ``key``, the batch made earlier under that key (a task's, shared by its
        prefetching and its collecting)."""
        if key is None:
            return Batch(self, program, profile, config, tokenizers)
        key = (key, config)
        if key not in self._batches:
            self._batches[key] = Batch(self, program, profile, config, tokenizers)
        return self._batches[key]

    def find_batch(self, key: Any, config: JudgeConfig | None = None) -> Batch | None:
        """The batch made under ``key`` for ``config`` (default: the checked judge), if any."""
        config = config or self._checked.get(self.judge, self.judge)
        return self._batches.get((key, config))

    def endpoint_records(self, config: JudgeConfig) -> list[dict[str, Any]]:
        """Every endpoint of ``config``'s client (none made yet: its configured hosts) and what it did."""
        client = self._clients.get((config, False))
        if client is None:
            return [{"endpoint": host, "requests": 0} for host in config.hosts]
        return client.endpoint_records()

    def doc_slots(self, config: JudgeConfig) -> asyncio.Semaphore:
        # a multi-turn program holds one request slot at a time: 4x documents keep every slot busy
        if config not in self._doc_slots:
            self._doc_slots[config] = asyncio.Semaphore(4 * config.concurrency * len(config.urls))
        return self._doc_slots[config]

    async def client(self, config: JudgeConfig, keep_reasoning: bool = False) -> JudgeClient:
        key = (config, keep_reasoning)
        if key not in self._clients:
            async with self._lock:
                if key not in self._clients:
                    self._clients[key] = await self._make_client(config, keep_reasoning)
        return self._clients[key]

    async def _make_client(self, config: JudgeConfig, keep_reasoning: bool) -> JudgeClient:
        base_urls = None
        if config.embedded:
            from raif_eval.judge.embedded import embedded_base_url

            base_urls = [await asyncio.to_thread(embedded_base_url)]  # loads the model on first use: off the loop
        path = str(config.cache_path())
        if path not in self._caches:
            self._caches[path] = JudgeCache(path)
        return JudgeClient(config, self._caches[path], base_urls=base_urls, keep_reasoning=keep_reasoning)

    async def complete(self, config: JudgeConfig, requests: Sequence[Request], keep_reasoning: bool = False,
                       desc: str | None = None) -> list[Reply]:
        return await _complete_each(await self.client(config, keep_reasoning), requests, desc)

    async def _close(self) -> None:
        # an interrupted run leaves programs waiting: end them before their clients (what arrived is cached)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        for client in {id(c): c for c in self._clients.values()}.values():
            await client.close()
        for cache in self._caches.values():
            cache.close()
        self._clients.clear()
        self._caches.clear()

    def close(self) -> None:
        try:
            self.call(self._close()).result()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


# The pools open in this process, innermost last: an evaluation's judge filter, prefetching and re-judging find
# theirs here (lm-eval builds the filters itself, so the pool cannot be handed to them as an argument).
_open: list[JudgePool] = []
_open_lock = threading.Lock()


@contextlib.contextmanager
def pool_scope(judge: JudgeConfig | None = None, reasoner_api_key: str | None = None) -> Iterator[JudgePool]:
    """The open pool when ``judge`` is None or its judge, else a new pool of ``judge`` (None with no pool open:
    the ``RAIF_JUDGE_*`` variables' judge, read now) that is open until the block ends, then closes its clients
    and caches."""
    with _open_lock:
        outer = _open[-1] if _open else None
    if outer is not None and (judge is None or judge == outer.judge):
        yield outer
        return
    pool = JudgePool(judge if judge is not None else JudgeConfig.from_env(), reasoner_api_key)
    with _open_lock:
        _open.append(pool)
    try:
        yield pool
    finally:
        with _open_lock:
            _open.remove(pool)
        pool.close()


def active_pool() -> JudgePool | None:
    """The pool of the evaluation in progress, if any."""
    with _open_lock:
        return _open[-1] if _open else None


Request = tuple[list[dict[str, str]], dict[str, Any]]  # (messages, request parameters)


async def complete_many(config: JudgeConfig, requests: Sequence[Request], keep_reasoning: bool = False,
                        desc: str | None = None) -> list[Reply]:
    """Plain completions of ``requests`` (same order), concurrently through one cached, retrying client of its own:
    for callers outside an evaluation that need replies rather than judge programs (a data generator)."""
    base_urls = None
    if config.embedded:
        from raif_eval.judge.embedded import embedded_base_url

        base_urls = [await asyncio.to_thread(embedded_base_url)]  # loads the model on first use: off the loop
    cache = JudgeCache(config.cache_path())
    client = JudgeClient(config, cache, base_urls=base_urls, keep_reasoning=keep_reasoning)
    try:
        return await _complete_each(client, requests, desc)
    finally:
        await client.close()
        cache.close()


async def _complete_each(client: JudgeClient, requests: Sequence[Request], desc: str | None) -> list[Reply]:
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


def complete_all(config: JudgeConfig, requests: Sequence[Request], keep_reasoning: bool = False,
                 desc: str | None = None) -> list[Reply]:
    """:func:`complete_many` from synchronous code; in an evaluation, through its pool (and its clients)."""
    pool = active_pool()
    if pool is not None:
        return pool.call(pool.complete(config, requests, keep_reasoning, desc)).result()
    return run_sync(complete_many(config, requests, keep_reasoning, desc))


def check_endpoints(config: JudgeConfig) -> JudgeConfig:
    """The start-up check of ``config`` outside an evaluation (``raif-train``'s judge, generator and reference
    model): :meth:`JudgeClient.check` through a client of its own."""

    async def go() -> JudgeConfig:
        client = JudgeClient(config)
        try:
            return await client.check()
        finally:
            await client.close()

    return run_sync(go())


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
