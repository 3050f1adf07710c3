"""The judge client: one pooled HTTP session with bounded concurrency, retries, and the persistent cache.

Requests go out through ``aiohttp`` directly: the OpenAI wire format is a JSON POST, and ``openai``'s client costs
~4 ms of CPU per request (request models, httpx's connection pool), which on a 2-core machine caps a run at ~25
requests in flight; this path costs about a quarter of that (``bench/judge_client.py``). ``openai`` still does the
start-up check (:mod:`raif_eval.judge.preflight`).

Transient faults — timeouts, dropped connections, 429 (honouring Retry-After), 5xx, malformed bodies — are retried
with exponential backoff and full jitter. Any other 4xx means the configuration is wrong and stops the run with an
error naming the endpoint and the status (:class:`JudgeFatalError`), except a prompt over the judge's context
window or refused for its content, which fails that request only.
"""

from __future__ import annotations

import asyncio
import json
import random
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp

from raif_eval.core.answers import join_reasoning, reasoning_of, without_surrogates
from raif_eval.judge.cache import JudgeCache, request_key
from raif_eval.errors import RaifError
from raif_eval.judge.config import JudgeConfig

MAX_BACKOFF_S = 20.0
MAX_BODY_BYTES = 32 * 2**20  # a judge reply is kilobytes: a larger body (a gzip bomb) is malformed, read no further
FATAL_STATUS = {401: "rejected the API key", 403: "refused access", 404: "does not serve"}
TOO_LONG = ("context length", "context window", "maximum context", "too long", "too many tokens", "max_tokens")
# 4xx replies about one prompt's content (OpenAI's refusal of "repetitive patterns", which FB-Bench upstream scores
# as a failed sample): they fail that request only, like an over-long prompt.
PROMPT_REJECTED = ("repetitive patterns",)


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


@dataclass
class JudgeClient:
    config: JudgeConfig
    cache: JudgeCache | None = None
    base_url: str | None = None  # where requests go (the embedded judge's server, or config.url)
    on_reply: Callable[[Reply], None] | None = None
    usage: Usage = field(default_factory=Usage)
    # Reasoning models: keep the reply's reasoning (vLLM/DeepSeek ``reasoning_content``) as a leading
    # ``<think>`` block of the text. Such replies are cached under keys of their own.
    keep_reasoning: bool = False

    def __post_init__(self) -> None:
        if not self.config.model:
            raise RaifError(f"no {self.config.flags.name} model: pass {self.config.flags.model_flag}")
        self._session: aiohttp.ClientSession | None = None  # made on the first cache miss, on the caller's loop
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self.in_flight = 0  # requests holding a slot now

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            url = urllib.parse.urlsplit((self.base_url or self.config.url).rstrip("/"))
            headers = {"Content-Type": "application/json"}
            auth = None
            if url.username is not None and not self.config.api_key:  # http://user:password@host: basic auth
                auth = aiohttp.BasicAuth(urllib.parse.unquote(url.username), urllib.parse.unquote(url.password or ""))
            else:
                headers["Authorization"] = f"Bearer {self.config.api_key or 'EMPTY'}"  # loopback servers ignore it
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.config.concurrency),  # one socket per slot, reused
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),  # connect and every read together
                headers=headers, auth=auth,
            )
            self._base = url._replace(netloc=url.netloc.rsplit("@", 1)[-1]).geturl()
            self._proxy = _proxy_for(self._base)
        return self._session

    @property
    def model(self) -> str:
        return self.config.model

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The decoded JSON reply of one POST; an error status raises :class:`StatusError`."""
        session = self._http()
        data = without_surrogates(json.dumps(body, ensure_ascii=False)).encode("utf-8")  # encodable
        async with session.post(self._base + path, data=data, proxy=self._proxy) as response:
            raw = await _read_capped(response)  # decompressed as it arrives: the cap bounds memory
            if response.status >= 400:
                raise StatusError(response.status, brief(raw), _seconds(response.headers.get("Retry-After")))
        return json.loads(raw)

    async def complete(self, messages: list[dict[str, str]] | str, params: dict[str, Any] | None = None,
                       attempt: int = 0, progress: Any = None) -> Reply:
        """The judge's reply to ``messages``; ``attempt`` > 0 asks the same prompt afresh (not from the cache).
        A string is a raw prompt, sent to ``/completions`` (a caller that renders the chat template itself).
        ``progress`` (a :class:`~raif_eval.judge.runner.Progress`) counts this request's task's share."""
        params = dict(params or {})
        raw = isinstance(messages, str)
        with_logprobs = bool(params.get("logprobs"))
        key = request_key(("reasoning:" if self.keep_reasoning else "") + self.model, messages, params, attempt)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            text, top = _unpack(hit[0]) if with_logprobs else (hit[0], None)
            if text is not None:  # else an unreadable entry: ask again
                reply = Reply(text, cached=True, prompt_tokens=hit[1], completion_tokens=hit[2], top_logprobs=top)
                self.usage.cached += 1
                return self._done(reply, progress)
        error, malformed = "", 0
        body = {"model": self.model, "prompt" if raw else "messages": messages, **params}
        for retry in range(self.config.max_retries + 1):
            if retry:
                self.usage.retries += 1
                if progress is not None:
                    progress.retries += 1
                await asyncio.sleep(delay)
            async with self._slots:
                self.in_flight += 1
                if progress is not None:
                    progress.in_flight += 1
                try:
                    reply_body = await self._post("/completions" if raw else "/chat/completions", body)
                    text, prompt_tokens, completion_tokens = _read(reply_body, self.keep_reasoning)
                    top = _first_top_logprobs(reply_body) if with_logprobs else None
                except StatusError as exc:
                    status = exc.status_code
                    if status != 429 and status < 500 and status not in (408, 409):
                        if not _too_long(status, exc.brief):
                            raise JudgeFatalError(fatal_message(self.config, status, exc.brief)) from None
                        self.usage.failures += 1  # this prompt exceeds the judge's context; the others may not
                        return self._done(Reply(None, error=f"{self.config.host} answered HTTP {status}: "
                                                            f"{exc.brief}"), progress)
                    retry_after = min(exc.retry_after, self.config.max_retry_after) if exc.retry_after else None
                    error, delay = f"HTTP {status}", self._backoff(retry, retry_after)
                    continue
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:  # connection faults, timeouts
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
                    self.in_flight -= 1
                    if progress is not None:
                        progress.in_flight -= 1
            self.usage.requests += 1
            self.usage.prompt_tokens += prompt_tokens
            self.usage.completion_tokens += completion_tokens
            if self.cache is not None:
                request = {"model": self.model, "messages": messages, "params": params, "attempt": attempt}
                stored = json.dumps({"text": text, "top_logprobs": top}) if with_logprobs else text  # ASCII: any token
                self.cache.put(key, self.model, request, stored, prompt_tokens, completion_tokens)
            return self._done(Reply(text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                                    top_logprobs=top, malformed=malformed), progress)
        self.usage.failures += 1
        return self._done(Reply(None, error=f"gave up after {self.config.max_retries + 1} attempts ({error})",
                                malformed=malformed), progress)

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        jitter = random.uniform(0, min(MAX_BACKOFF_S, self.config.backoff * 2**retry))
        return max(jitter, retry_after or 0.0)

    def _done(self, reply: Reply, progress: Any = None) -> Reply:
        if progress is not None:
            progress.count(reply)
        if self.on_reply is not None:
            self.on_reply(reply)
        return reply

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


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
    looked up once per client (aiohttp's ``trust_env`` re-reads the environment and ~/.netrc per request)."""
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


def error_brief(exc: Any) -> str:
    """:func:`brief` of an ``openai`` status error's body."""
    try:
        return brief(exc.response.content)
    except AttributeError:
        return str(exc)[:300]


def _too_long(status: int, message: str) -> bool:
    """A 4xx about this prompt (its length or content), which fails one request, not the whole configuration."""
    return status in (400, 413, 422) and any(k in message.lower() for k in TOO_LONG + PROMPT_REJECTED)


def fatal_message(config: JudgeConfig, status: int, message: str) -> str:
    what = FATAL_STATUS.get(status, "rejected the request")
    if status == 404:
        hint = f"check {config.flags.model_flag} (GET /v1/models lists what the endpoint serves)"
        return (f"{config.flags.name} endpoint {config.shown_url} {what} model {config.model!r} "
                f"(HTTP 404: {message}); "
                f"{hint}")
    hint = (f"check {config.flags.key_flag}" if status in (401, 403)
            else f"check the {config.flags.name} settings and the server's log")
    return f"{config.flags.name} endpoint {config.shown_url} {what} (HTTP {status}: {message}); {hint}"
