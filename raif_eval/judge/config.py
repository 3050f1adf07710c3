"""Judge endpoint configuration: flags of ``raif-eval run``/``raif-eval judge`` or the same names as env vars.

A :class:`JudgeConfig` is a value: the command line resolves one from its flags (falling back to the variables)
and hands it to the evaluation's judge pool (:func:`raif_eval.judge.runner.pool_scope`), from which the judge
filter, re-judging and the start-up check take it; ``raif_train`` builds its own and passes it to its rewards.
Plain ``lm_eval`` and the Python API read the variables once per evaluation. Nothing keeps a judge in a module.

| flag | env var | default |
| --- | --- | --- |
| ``--judge_url`` | ``RAIF_JUDGE_URL`` | ``embedded`` (the in-process toy judge) |
| ``--judge_model`` | ``RAIF_JUDGE_MODEL`` | the preset's model, else the only model the endpoints serve |
| ``--judge_api_key`` | ``RAIF_JUDGE_API_KEY``, then ``OPENAI_API_KEY`` | none (loopback endpoints need none) |
| ``--judge_concurrency`` | ``RAIF_JUDGE_CONCURRENCY`` | 32 requests in flight *per endpoint* |
| ``--judge_timeout`` | ``RAIF_JUDGE_TIMEOUT`` | 120 s per request |
| ``--judge_max_retries`` | ``RAIF_JUDGE_MAX_RETRIES`` | 8 |
| ``--judge_cache`` | ``RAIF_JUDGE_CACHE`` | ``$RAIF_CACHE_DIR/judge/cache.sqlite`` |
| ``--judge_skip_unusable`` | ``RAIF_JUDGE_SKIP_UNUSABLE`` | off: an endpoint failing the start-up check stops the run |

``--judge_url`` takes a base URL (``http://127.0.0.1:8000/v1``) or a preset name from ``judges/presets.yaml``, or
several of them joined by commas: replicas serving the same model, among which every request goes to the one with
the fewest requests in flight (:mod:`raif_eval.judge.client`). The API key is kept out of ``repr``, results,
samples, logs and the cache, and so are credentials inside a URL.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from raif_eval.core.templates import JUDGES_DIR
from raif_eval.errors import RaifError
from raif_eval.paths import cache_dir

EMBEDDED = "embedded"


@dataclass(frozen=True)
class Role:
    """How messages name an endpoint and the flags that configure it."""

    name: str
    url_flag: str
    model_flag: str
    key_flag: str
    key_env: str


ROLES = {
    "judge": Role("judge", "--judge_url", "--judge_model", "--judge_api_key", "RAIF_JUDGE_API_KEY"),
    "reasoner": Role("reasoning model", "--cot_model_url", "--cot_model", "--cot_model_api_key", "RAIF_COT_API_KEY"),
}


@cache
def presets() -> dict[str, dict]:
    return yaml.safe_load((JUDGES_DIR / "presets.yaml").read_text(encoding="utf-8"))


def shown(url: str) -> str:
    """``url`` without credentials (``http://user:KEY@host/v1`` -> ``http://host/v1``): what messages, results
    and samples may show."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


@dataclass(frozen=True, repr=False)
class JudgeConfig:
    url: str = EMBEDDED  # one base URL or preset, or several joined by "," (the same model behind each)
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = 32  # requests in flight per endpoint
    timeout: float = 120.0
    max_retries: int = 8
    cache: str | None = None
    backoff: float = 0.5  # first retry waits up to this many seconds (full jitter), doubling up to 20 s
    # Caps how often a benchmark asks afresh after an unreadable reply (CFBench: 10, FB-Bench: 3); None keeps each
    # benchmark's official count. The embedded toy judge defaults to 1: its replies rarely parse, and re-asking a
    # 135M model on CPU only costs minutes.
    max_asks: int | None = None
    max_retry_after: float = 60.0  # cap on a server's Retry-After (86400 or inf would stall the run)
    skip_unusable: bool = False  # an endpoint failing the start-up check is left out (with a warning), not fatal
    role: str = "judge"  # or "reasoner": the two-model reasoning endpoint (messages name its own flags)

    @classmethod
    def from_env(cls, **overrides) -> JudgeConfig:
        """Flags (``overrides``, None = not given) win over ``RAIF_JUDGE_*`` env vars, which win over defaults."""
        values = {}
        for f in fields(cls):
            given = overrides.get(f.name)
            if given is None:
                given = os.environ.get(f"RAIF_JUDGE_{f.name.upper()}") or None
            if given is not None:
                values[f.name] = given
        if "api_key" not in values and os.environ.get("OPENAI_API_KEY"):
            values["api_key"] = os.environ["OPENAI_API_KEY"]
        try:
            for name in ("concurrency", "max_retries", "max_asks"):
                if name in values:
                    values[name] = int(values[name])
            for name in ("timeout", "backoff", "max_retry_after"):
                if name in values:
                    values[name] = float(values[name])
        except ValueError as exc:
            raise RaifError(f"bad judge setting: {exc}; --judge_concurrency, --judge_max_retries and --judge_max_asks "
                            "take integers, "
                            "--judge_timeout seconds") from None
        if "skip_unusable" in values and not isinstance(values["skip_unusable"], bool):
            values["skip_unusable"] = str(values["skip_unusable"]).strip().lower() in ("1", "true", "yes", "on")
        config = cls(**values)
        if config.concurrency < 1:
            raise RaifError("--judge_concurrency must be at least 1")
        if config.max_asks is not None and config.max_asks < 1:
            raise RaifError("--judge_max_asks must be at least 1")
        return config.resolved()

    def resolved(self) -> JudgeConfig:
        """Expand preset names into their URLs and default model; check that each endpoint is an http(s) URL."""
        names = [u.strip() for u in self.url.split(",") if u.strip()]
        if not names:
            raise RaifError(f"{self.flags.url_flag} names no endpoint; pass a base URL or a preset "
                            f"({', '.join(presets())})")
        if EMBEDDED in names:
            if len(names) > 1:
                raise RaifError(f"{self.flags.url_flag}: the embedded judge runs in this process and cannot be one of "
                                "several endpoints; list URLs of servers that serve the same model")
            from raif_eval.judge.embedded import MODEL_NAME

            return replace(self, url=EMBEDDED, model=MODEL_NAME, max_asks=self.max_asks or 1)
        urls, model = [], self.model
        for name in names:
            preset = presets().get(name)
            if preset is None:
                if not urlsplit(name).scheme.startswith("http"):
                    raise RaifError(f"{self.flags.url_flag} {shown(name)!r} is neither an http(s) URL nor a preset "
                                    f"({', '.join(presets())})")
                urls.append(name)
            else:
                urls.append(preset["url"])
                model = model or preset.get("model")
        if len(set(urls)) != len(urls):
            raise RaifError(f"{self.flags.url_flag} names an endpoint twice: {', '.join(map(shown, urls))}")
        return replace(self, url=",".join(urls), model=model)

    def __repr__(self) -> str:  # never the key, nor credentials inside the URL
        return (f"JudgeConfig(url={self.shown_url!r}, model={self.model!r}, concurrency={self.concurrency}, "
                f"timeout={self.timeout}, max_retries={self.max_retries}, role={self.role!r})")

    @property
    def urls(self) -> tuple[str, ...]:
        """Every endpoint's base URL, as configured (credentials and all: for the client only)."""
        return tuple(u.strip() for u in self.url.split(",") if u.strip())

    @property
    def shown_url(self) -> str:
        return ",".join(shown(u) for u in self.urls)

    @property
    def flags(self) -> Role:
        return ROLES[self.role]

    @property
    def embedded(self) -> bool:
        return self.url == EMBEDDED

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every endpoint's host and port, without credentials: what results name."""
        return (EMBEDDED,) if self.embedded else tuple(host_of(u) for u in self.urls)

    @property
    def host(self) -> str:
        return ",".join(self.hosts)

    @property
    def local(self) -> bool:
        """Loopback or private-network endpoints work without an API key."""
        return self.embedded or all(is_local(u) for u in self.urls)

    def cache_path(self) -> Path:
        return Path(self.cache).expanduser() if self.cache else cache_dir() / "judge" / "cache.sqlite"

    def describe(self) -> dict:
        """What results and samples record about the judge (never the key)."""
        info: dict[str, Any] = {"model": self.model, "endpoint": self.host}
        if self.max_asks is not None:
            info["max_asks"] = self.max_asks
        if self.embedded:
            info["note"] = TOY_NOTE
        return info


def host_of(url: str) -> str:
    """An endpoint's ``host:port`` without credentials."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1] or shown(url)


def is_local(url: str) -> bool:
    hostname = urlsplit(url).hostname or ""
    if hostname == "localhost":
        return True
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


TOY_NOTE = (
    "TOY JUDGE: scored by the embedded SmolLM2-135M-Instruct, not the benchmark's judge model. These numbers are "
    "NOT comparable with published ones; pass --judge_url/--judge_model for a real judge."
)
