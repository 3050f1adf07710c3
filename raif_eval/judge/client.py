"""The judge client: the endpoints of one judge, their HTTP sessions and slots, retries, and the persistent cache.

Requests go out through ``aiohttp`` directly: the OpenAI wire format is a JSON POST, and ``openai``'s client costs
~4 ms of CPU per request (request models, httpx's connection pool), which on a 2-core machine caps a run at ~25
requests in flight; this path costs about a quarter of that (``bench/judge_client.py``). The start-up check
(:meth:`JudgeClient.check`) goes through the same sessions.

**Several endpoints.** A judge may be served by replicas (``--judge_url URL1,URL2``): every request goes to the
endpoint with the fewest requests in flight, each endpoint holding ``concurrency`` slots. An endpoint that stops
answering — a refused connection, or three failures in a row (timeouts, dropped connections, 5xx) — is *set
aside*: no request goes there for a while (1 s, doubling to 30 s while it keeps failing), then one request probes
it and a reply brings it back. A request that failed on it is retried at once on the others, so a replica that
dies mid-run loses nothing and stalls nothing. When every endpoint is set aside, requests go to them anyway, paced
by their own retries, so a run whose judge is down fails its requests in bounded time rather than waiting.

Transient faults — timeouts, dropped connections, 429 (honouring Retry-After), 5xx, malformed bodies — are retried
with exponential backoff and full jitter. Any other 4xx means the configuration is wrong and stops the run with an
error naming the endpoint and the status (:class:`JudgeFatalError`), except a prompt over the judge's context
window or refused for its content, which fails that request only.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import random
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import aiohttp

from raif_eval.core.answers import join_reasoning, reasoning_of, without_surrogates
from raif_eval.errors import RaifError
from raif_eval.judge.cache import JudgeCache, request_key
from raif_eval.judge.config import JudgeConfig, host_of, is_local, shown

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 20.0
MAX_BODY_BYTES = 32 * 2**20  # a judge reply is kilobytes: a larger body (a gzip bomb) is malformed, read no further
FATAL_STATUS = {401: "rejected the API key", 403: "refused access", 404: "does not serve"}
TOO_LONG = ("context length", "context window", "maximum context", "too long", "too many tokens", "max_tokens")
# 4xx replies about one prompt's content (OpenAI's refusal of "repetitive patterns", which FB-Bench upstream scores
# as a failed sample): they fail that request only, like an over-long prompt.
PROMPT_REJECTED = ("repetitive patterns",)
STRIKES = 3  # failures in a row that set an endpoint aside (a refused connection does at once)
ASIDE_S, MAX_ASIDE_S = 1.0, 30.0  # how long an endpoint is left alone before it is probed: doubling up to the cap
CHECK_TIMEOUT_S, CHECK_ATTEMPTS = 15.0, 3
UP, ASIDE, PROBING = "up", "set aside", "probing"


class JudgeFatalError(RaifError):
    """The judge endpoint is misconfigured; no request can succeed."""


class Reply(NamedTuple):
    text: str | None  # None when the request failed for good
    cached: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    # Requests asking for ``logprobs``: the first generated token's alternatives, token -> log-probability
    # (None when the endpoint returned none).
    top_logprobs: dict[str, float] | None = None
    malformed: int = 0  # attempts whose reply had no usable content (not JSON, not a completion, no text)
    endpoint: str | None = None  # the host that answered (None: from the cache, or never answered)


@dataclass
class Usage:
    requests: int = 0  # replies received over HTTP in this run
    cached: int = 0  # replies served from the cache
    retries: int = 0
    failures: int = 0  # requests given up
    prompt_tokens: int = 0  # spent in this run (cached replies cost nothing)
    completion_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class StatusError(Exception):
    """A reply with an HTTP error status: what the retry and fatal decisions read."""

    def __init__(self, status: int, brief: str, retry_after: float | None = None):
        super().__init__(f"HTTP {status}: {brief}")
        self.status_code, self.brief, self.retry_after = status, brief, retry_after


@dataclass(eq=False)
class Endpoint:
    """One server of the judge: its slots, its health and what it answered."""

    url: str  # as configured (credentials included: for the session only)
    slots: int
    shown: str = ""  # the URL without credentials: what messages show
    host: str = ""  # host:port without credentials: what results record
    in_flight: int = 0
    answered: int = 0  # replies received
    failures: int = 0  # attempts that failed here (connection, timeout, 5xx, malformed body)
    times_set_aside: int = 0
    state: str = UP
    strikes: int = 0  # failures in a row
    streak: int = 0  # set-asides in a row (the wait doubles with each)
    back_at: float = 0.0  # when a set-aside endpoint may be probed
    unusable: str | None = None  # why the start-up check left it out (--judge_skip_unusable)
    session: aiohttp.ClientSession | None = field(default=None, repr=False)
    base: str = ""
    proxy: str | None = None

    def __post_init__(self) -> None:
        self.shown = self.shown or shown(self.url)
        self.host = self.host or host_of(self.url)

    def record(self) -> dict[str, Any]:
        """What results record about this endpoint (no credentials)."""
        out: dict[str, Any] = {"endpoint": self.host, "requests": self.answered, "failed_attempts": self.failures,
                               "set_aside": self.times_set_aside}
        if self.unusable:
            out["unusable"] = self.unusable
        return out


class JudgeClient:
    """Every request of one judge (a :class:`JudgeConfig`): its endpoints, their sessions and slots, the cache."""

    def __init__(self, config: JudgeConfig, cache: JudgeCache | None = None, base_urls: list[str] | None = None,
                 keep_reasoning: bool = False) -> None:
        """``base_urls`` replace the configured URLs (the embedded judge's loopback server); ``keep_reasoning``:
        reasoning models' replies keep their reasoning (vLLM/DeepSeek ``reasoning_content``) as a leading
        ``<think>`` block of the text, cached under keys of their own."""
        self.config, self.cache, self.keep_reasoning = config, cache, keep_reasoning
        self.usage = Usage()
        urls = base_urls or list(config.urls)
        self.endpoints = [Endpoint(url, config.concurrency) for url in urls]
        if config.embedded:
            for endpoint in self.endpoints:
                endpoint.host = endpoint.shown = config.host
        self._waiting: collections.deque[asyncio.Future] = collections.deque()  # requests waiting for a slot
        self._timer: asyncio.TimerHandle | None = None
        self._turn = 0

    @property
    def model(self) -> str | None:
        return self.config.model

    def endpoint_records(self) -> list[dict[str, Any]]:
        return [e.record() for e in self.endpoints]

    # ------------------------------------------------------------------------------------------------ routing

    def _live(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.unusable is None]

    def _route(self, now: float) -> Endpoint | None:
        """The endpoint for the next attempt, or None when every eligible one is full."""
        live = self._live()
        if len(live) == 1:
            return live[0] if live[0].in_flight < live[0].slots else None
        for endpoint in live:  # a set-aside endpoint whose wait is over gets one request: the probe
            if endpoint.state == ASIDE and now >= endpoint.back_at and endpoint.in_flight < endpoint.slots:
                endpoint.state = PROBING
                return endpoint
        up = [e for e in live if e.state == UP]
        # every endpoint failing: they all take requests, paced by each request's own backoff
        choices = up or [e for e in live if e.state == ASIDE] or live
        free = [e for e in choices if e.in_flight < e.slots]
        if not free:
            return None
        self._turn += 1  # ties go round the endpoints
        n = len(self.endpoints)
        return min(free, key=lambda e: (e.in_flight, (self.endpoints.index(e) - self._turn) % n))

    async def _acquire(self) -> Endpoint:
        """A slot on the endpoint :meth:`_route` picks; requests that must wait are served first come, first
        served (a task re-asking at once does not overtake another task's waiting requests)."""
        if not self._live():
            raise JudgeFatalError(f"no usable {self.config.flags.name} endpoint left of {self.config.shown_url}")
        if not self._waiting:
            endpoint = self._route(time.monotonic())
            if endpoint is not None:
                endpoint.in_flight += 1
                return endpoint
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._dispatch()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed a slot just as the request was cancelled
                waiter.result().in_flight -= 1
                self._dispatch()
            elif waiter in self._waiting:
                self._waiting.remove(waiter)
            raise

    def _dispatch(self) -> None:
        """Hand free slots to the waiting requests, in order; with requests left waiting for a set-aside endpoint's
        probe, look again when it is due."""
        now = time.monotonic()
        while self._waiting:
            if self._waiting[0].done():  # cancelled while waiting
                self._waiting.popleft()
                continue
            endpoint = self._route(now)
            if endpoint is None:
                break
            endpoint.in_flight += 1
            self._waiting.popleft().set_result(endpoint)
        if self._waiting and self._timer is None:
            waits = [e.back_at - now for e in self._live() if e.state == ASIDE]
            if waits:
                self._timer = asyncio.get_running_loop().call_later(max(0.01, min(waits)), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    def _release(self, endpoint: Endpoint, failed: bool, refused: bool = False, why: str = "") -> None:
        endpoint.in_flight -= 1
        if failed:
            endpoint.failures += 1
            endpoint.strikes += 1
            several = len(self._live()) > 1
            # an endpoint already set aside stays so: the failures of requests it held before do not prolong it
            if several and endpoint.state != ASIDE and (refused or endpoint.strikes >= STRIKES
                                                        or endpoint.state == PROBING):
                endpoint.streak += 1
                endpoint.times_set_aside += 1
                wait = min(MAX_ASIDE_S, ASIDE_S * 2 ** (endpoint.streak - 1))
                endpoint.state, endpoint.back_at = ASIDE, time.monotonic() + wait
                log.warning("%s endpoint %s is not answering (%s); set aside, its requests go to the others; "
                            "probing it again in %.1f s", self.config.flags.name, endpoint.shown, why, wait)
        else:
            endpoint.strikes = 0
            if endpoint.state != UP:
                log.warning("%s endpoint %s answers again", self.config.flags.name, endpoint.shown)
                endpoint.state, endpoint.streak = UP, 0
        self._dispatch()

    def _others_up(self, endpoint: Endpoint) -> bool:
        return any(e is not endpoint and e.state == UP for e in self._live())

    # ------------------------------------------------------------------------------------------------- HTTP

    def _http(self, endpoint: Endpoint) -> aiohttp.ClientSession:
        if endpoint.session is None:
            url = urllib.parse.urlsplit(endpoint.url.rstrip("/"))
            headers = {"Content-Type": "application/json"}
            auth = None
            if url.username is not None and not self.config.api_key:  # http://user:password@host: basic auth
                auth = aiohttp.BasicAuth(urllib.parse.unquote(url.username), urllib.parse.unquote(url.password or ""))
            else:
                headers["Authorization"] = f"Bearer {self.config.api_key or 'EMPTY'}"  # loopback servers ignore it
            endpoint.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=endpoint.slots),  # one socket per slot, reused
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),  # connect and every read together
                headers=headers, auth=auth,
            )
            endpoint.base = url._replace(netloc=url.netloc.rsplit("@", 1)[-1]).geturl()
            endpoint.proxy = _proxy_for(endpoint.base)
        return endpoint.session

    async def _send(self, endpoint: Endpoint, method: str, path: str, body: dict[str, Any] | None = None,
                    timeout: float | None = None) -> dict[str, Any]:
        """The decoded JSON reply of one request to ``endpoint``; an error status raises :class:`StatusError`."""
        session = self._http(endpoint)
        data = None if body is None else without_surrogates(json.dumps(body, ensure_ascii=False)).encode("utf-8")
        extra = {} if timeout is None else {"timeout": aiohttp.ClientTimeout(total=timeout)}
        async with session.request(method, endpoint.base + path, data=data, proxy=endpoint.proxy,
                                   **extra) as response:
            raw = await _read_capped(response)  # decompressed as it arrives: the cap bounds memory
            if response.status >= 400:
                raise StatusError(response.status, brief(raw), _seconds(response.headers.get("Retry-After")))
        return json.loads(raw)

    async def complete(self, messages: list[dict[str, str]] | str, params: dict[str, Any] | None = None,
                       attempt: int = 0, progress: Any = None) -> Reply:
        """The judge's reply to ``messages``; ``attempt`` > 0 asks the same prompt afresh (not from the cache).
        A string is a raw prompt, sent to ``/completions`` (a caller that renders the chat template itself).
        ``progress`` (a :class:`~raif_eval.judge.runner.Progress`) counts this request's task's share."""
        if not self.model:
            raise RaifError(f"no {self.config.flags.name} model: pass {self.config.flags.model_flag}")
        params = dict(params or {})
        raw = isinstance(messages, str)
        with_logprobs = bool(params.get("logprobs"))
        key = request_key(("reasoning:" if self.keep_reasoning else "") + self.model, messages, params, attempt)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            text, top = _unpack(hit[0]) if with_logprobs else (hit[0], None)
            if text is not None:  # else an unreadable entry: ask again
                reply = Reply(text, cached=True, prompt_tokens=hit[1], completion_tokens=hit[2], top_logprobs=top)
                self.usage.cached += 1
                return _done(reply, progress)
        error, malformed, delay = "", 0, 0.0
        body = {"model": self.model, "prompt" if raw else "messages": messages, **params}
        for retry in range(self.config.max_retries + 1):
            if retry:
                self.usage.retries += 1
                if progress is not None:
                    progress.retries += 1
                if delay:
                    await asyncio.sleep(delay)
            endpoint = await self._acquire()
            if progress is not None:
                progress.in_flight += 1
            failed, refused = True, False
            try:
                reply_body = await self._send(endpoint, "POST", "/completions" if raw else "/chat/completions", body)
                text, prompt_tokens, completion_tokens = _read(reply_body, self.keep_reasoning)
                top = _first_top_logprobs(reply_body) if with_logprobs else None
                failed = False
            except StatusError as exc:
                status = exc.status_code
                failed = status >= 500
                if status != 429 and status < 500 and status not in (408, 409):
                    if not _too_long(status, exc.brief):
                        raise JudgeFatalError(fatal_message(self.config, status, exc.brief, endpoint.shown)) from None
                    self.usage.failures += 1  # this prompt exceeds the judge's context; the others may not
                    return _done(Reply(None, error=f"{endpoint.host} answered HTTP {status}: {exc.brief}"),
                                 progress)
                retry_after = min(exc.retry_after, self.config.max_retry_after) if exc.retry_after else None
                error, delay = f"HTTP {status}", self._backoff(retry, retry_after)
                continue
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:  # connection faults, timeouts
                refused = isinstance(exc, aiohttp.ClientConnectorError)
                error, delay = type(exc).__name__, self._backoff(retry, None)
                continue
            except (ValueError, KeyError, TypeError, IndexError, AttributeError, OverflowError,
                    RecursionError) as exc:
                # a malformed reply: ValueError covers bodies that are not JSON, the others bodies that are
                # JSON but not a completion with text; asked again, never cached, counted
                malformed += 1
                error, delay = f"malformed reply: {type(exc).__name__}", self._backoff(retry, None)
                continue
            finally:
                if progress is not None:
                    progress.in_flight -= 1
                self._release(endpoint, failed, refused, error)
                if failed and endpoint.state == ASIDE and self._others_up(endpoint):
                    delay = 0.0  # the others answer: no reason to wait before asking one of them
            endpoint.answered += 1
            self.usage.requests += 1
            self.usage.prompt_tokens += prompt_tokens
            self.usage.completion_tokens += completion_tokens
            if self.cache is not None:
                request = {"model": self.model, "messages": messages, "params": params, "attempt": attempt}
                stored = json.dumps({"text": text, "top_logprobs": top}) if with_logprobs else text  # ASCII: any token
                self.cache.put(key, self.model, request, stored, prompt_tokens, completion_tokens)
            return _done(Reply(text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                               top_logprobs=top, malformed=malformed, endpoint=endpoint.host), progress)
        self.usage.failures += 1
        return _done(Reply(None, error=f"gave up after {self.config.max_retries + 1} attempts ({error})",
                           malformed=malformed), progress)

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        jitter = random.uniform(0, min(MAX_BACKOFF_S, self.config.backoff * 2**retry))
        return max(jitter, retry_after or 0.0)

    # -------------------------------------------------------------------------------------- the start-up check

    async def check(self) -> JudgeConfig:
        """Check every endpoint before any work: it answers, serves the model (the only one it serves when none is
        named) and takes the key. Returns the config with the model filled in and only the usable endpoints. An
        unusable endpoint is a one-line :class:`RaifError` naming it — or, with ``skip_unusable``, left out with a
        warning while another passes (this client keeps it in its records, marked)."""
        config = self.config
        if config.embedded:
            return config
        missing_key = [e for e in self.endpoints if not is_local(e.url)] if not config.api_key else []
        if missing_key:
            f = config.flags
            raise RaifError(f"the {f.name} endpoint {missing_key[0].shown} needs an API key: pass {f.key_flag} or "
                            f"set {f.key_env} (or OPENAI_API_KEY)")
        served = await asyncio.gather(*(self._served_model(e) for e in self.endpoints), return_exceptions=True)
        models = {m for m in served if isinstance(m, str)}
        model = config.model
        if model is None and len(models) > 1:
            raise RaifError(f"the {config.flags.name} endpoints serve different models ({', '.join(sorted(models))}); "
                            f"choose one with {config.flags.model_flag}")
        model = model or next(iter(models), None)
        outcomes = [m if isinstance(m, BaseException) else None for m in served]
        if model is not None:
            probes = await asyncio.gather(*(self._probe(e, model) for e, m in zip(self.endpoints, outcomes)
                                            if m is None), return_exceptions=True)
            probed = iter(probes)
            outcomes = [o if o is not None else next(probed) for o in outcomes]
        failures = [(e, o) for e, o in zip(self.endpoints, outcomes) if isinstance(o, BaseException)]
        for _, outcome in failures:
            if not isinstance(outcome, RaifError):
                raise outcome
        if failures and (not config.skip_unusable or len(failures) == len(self.endpoints)):
            raise failures[0][1]
        for endpoint, outcome in failures:
            endpoint.unusable = str(outcome)
            log.warning("%s (left out: --judge_skip_unusable)", outcome)
        usable = ",".join(e.url for e in self.endpoints if e.unusable is None)
        self.config = replace(config, model=model, url=usable)
        return self.config

    async def _served_model(self, endpoint: Endpoint) -> str | None:
        """The one model ``endpoint`` serves (GET /models) when the config names none, else None."""
        if self.config.model:
            return None
        body = await self._checked(endpoint, "GET", "/models", None)
        served = [m.get("id") for m in (body or {}).get("data") or [] if isinstance(m, dict)]
        if len(served) != 1:
            raise RaifError(f"the {self.config.flags.name} endpoint {endpoint.shown} serves {len(served)} models "
                            f"({', '.join(map(str, served[:5])) or 'none'}); choose one with "
                            f"{self.config.flags.model_flag}")
        return str(served[0])

    async def _probe(self, endpoint: Endpoint, model: str) -> None:
        """One tiny request for ``model``; a 4xx other than a missing model or key (e.g. a 400 for max_tokens=1)
        still shows that the endpoint and the model exist."""
        await self._checked(endpoint, "POST", "/chat/completions", {
            "model": model, "messages": [{"role": "user", "content": "Reply OK."}], "max_tokens": 1,
            "temperature": 0}, model=model)

    async def _checked(self, endpoint: Endpoint, method: str, path: str, body: dict[str, Any] | None,
                       model: str | None = None) -> dict[str, Any] | None:
        f, timeout = self.config.flags, min(self.config.timeout, CHECK_TIMEOUT_S)
        for attempt in range(CHECK_ATTEMPTS):
            try:
                return await self._send(endpoint, method, path, body, timeout=timeout)
            except StatusError as exc:
                if exc.status_code in FATAL_STATUS:
                    raise RaifError(fatal_message(self.config, exc.status_code, exc.brief, endpoint.shown,
                                                  model)) from None
                if exc.status_code < 500:  # e.g. a 400 for max_tokens=1: the endpoint and the model exist
                    return None
                if attempt == CHECK_ATTEMPTS - 1:
                    raise RaifError(f"the {f.name} endpoint {endpoint.shown} answered HTTP {exc.status_code} "
                                    f"({exc.brief}); check the server's log") from None
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                if attempt == CHECK_ATTEMPTS - 1:
                    reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
                    raise RaifError(f"cannot reach the {f.name} endpoint {endpoint.shown} ({reason}); start the "
                                    f"server or fix {f.url_flag}") from None
            except ValueError:  # not JSON: the endpoint answers, and the requests will say more
                return None
            await asyncio.sleep(0.5 * 2**attempt)
        return None

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for endpoint in self.endpoints:
            if endpoint.session is not None:
                await endpoint.session.close()
                endpoint.session = None


def _done(reply: Reply, progress: Any = None) -> Reply:
    if progress is not None:
        progress.count(reply)
    return reply


def _read(body: dict[str, Any], keep_reasoning: bool = False) -> tuple[str, int, int]:
    """Text and token counts of a chat completion (or plain completion) body; a malformed body raises (and is
    retried)."""
    choice = body["choices"][0]
    if "message" not in choice and "text" in choice:  # /completions
        text, message = choice["text"], {}
    else:
        message = choice["message"]
        text = message.get("content")
    if keep_reasoning and text is None and reasoning_of(message):
        text = ""  # a reasoning model that spent its budget thinking: the reasoning is the reply
    if not isinstance(text, str):  # null, a list, false: no reply to cache; asked again, then counted as failed
        raise TypeError("the reply has no text content")
    if keep_reasoning:
        text = join_reasoning(text, reasoning_of(message))
    text = without_surrogates(text)  # a lone surrogate cannot be stored or sent on
    usage = body.get("usage") or {}
    return text, _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(2**16):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ValueError(f"reply body over {MAX_BODY_BYTES // 2**20} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _count(value: Any) -> int:
    """A token count from an untrusted body: a non-negative int that fits the cache (else 0)."""
    try:
        count = int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0
    return count if 0 <= count < 2**62 else 0


def _first_top_logprobs(body: dict[str, Any]) -> dict[str, float] | None:
    """The first generated token's alternatives (token -> log-probability, the best value per token), from a chat
    completion (``logprobs.content[0].top_logprobs``) or a plain completion (``logprobs.top_logprobs[0]``); None
    when the endpoint returned none or something else (a bad block never fails a readable reply)."""
    try:
        return _top_logprobs(body["choices"][0].get("logprobs"))
    except Exception:  # noqa: BLE001 - untrusted structure; the text still decides
        return None


def _top_logprobs(logprobs: Any) -> dict[str, float] | None:
    if not isinstance(logprobs, dict):
        return None
    if isinstance(logprobs.get("content"), list) and logprobs["content"]:
        first = logprobs["content"][0] or {}
        pairs = [(t.get("token"), t.get("logprob")) for t in first.get("top_logprobs") or [] if isinstance(t, dict)]
        pairs.append((first.get("token"), first.get("logprob")))
    elif isinstance(logprobs.get("top_logprobs"), list) and logprobs["top_logprobs"]:
        first = logprobs["top_logprobs"][0]
        pairs = list(first.items()) if isinstance(first, dict) else []
    else:
        return None
    top: dict[str, float] = {}
    for token, value in pairs:
        if isinstance(token, str) and isinstance(value, (int, float)) and value == value and value <= 0:
            top[token] = max(float(value), top.get(token, float("-inf")))
    return top or None


def _unpack(stored: str) -> tuple[str | None, dict[str, float] | None]:
    try:
        value = json.loads(stored)
        return str(value["text"]), value.get("top_logprobs") or None
    except (ValueError, KeyError, TypeError, RecursionError):
        return None, None


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (HTTP(S)_PROXY, NO_PROXY), as openai's client would use it;
    looked up once per endpoint (aiohttp's ``trust_env`` re-reads the environment and ~/.netrc per request)."""
    scheme, host = urllib.parse.urlsplit(url).scheme, urllib.parse.urlsplit(url).hostname or ""
    proxies = urllib.request.getproxies()
    if scheme not in proxies or urllib.request.proxy_bypass(host):
        return None
    return proxies[scheme]


def _seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds (its date form is not used by judge servers)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < float("inf") else None


def brief(payload: bytes | str) -> str:
    """The error message of an error body (OpenAI's ``{"error": {"message": …}}``), else its start."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    try:
        body = json.loads(text)
        message = body.get("error", {}).get("message") if isinstance(body.get("error"), dict) else None
        return str(message or body)[:300]
    except (ValueError, AttributeError, RecursionError):
        return text[:300]


def _too_long(status: int, message: str) -> bool:
    """A 4xx about this prompt (its length or content), which fails one request, not the whole configuration."""
    return status in (400, 413, 422) and any(k in message.lower() for k in TOO_LONG + PROMPT_REJECTED)


def fatal_message(config: JudgeConfig, status: int, message: str, where: str | None = None,
                  model: str | None = None) -> str:
    """The one line for a configuration the endpoint ``where`` (default: all of the config's) refused."""
    what = FATAL_STATUS.get(status, "rejected the request")
    where, model = where or config.shown_url, model or config.model
    if status == 404:
        hint = f"check {config.flags.model_flag} (GET /v1/models lists what the endpoint serves)"
        return f"{config.flags.name} endpoint {where} {what} model {model!r} (HTTP 404: {message}); {hint}"
    hint = (f"check {config.flags.key_flag}" if status in (401, 403)
            else f"check the {config.flags.name} settings and the server's log")
    return f"{config.flags.name} endpoint {where} {what} (HTTP {status}: {message}); {hint}"
