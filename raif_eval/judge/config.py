"""Judge endpoint configuration: flags of ``raif-eval run``/``raif-eval judge`` or the same names as env vars.

The command line builds one :class:`JudgeConfig` from its flags (falling back to the variables) and makes it the
process's judge with :func:`configure`; the judge filter, the start-up check and re-judging all read
:func:`active`. Without a configured judge (plain ``lm_eval``, the Python API) :func:`active` reads the
variables.

| flag | env var | default |
| --- | --- | --- |
| ``--judge_url`` | ``RAIF_JUDGE_URL`` | ``embedded`` (the in-process toy judge) |
| ``--judge_model`` | ``RAIF_JUDGE_MODEL`` | the preset's model, else the only model the endpoint serves |
| ``--judge_api_key`` | ``RAIF_JUDGE_API_KEY``, then ``OPENAI_API_KEY`` | none (loopback endpoints need none) |
| ``--judge_concurrency`` | ``RAIF_JUDGE_CONCURRENCY`` | 32 |
| ``--judge_timeout`` | ``RAIF_JUDGE_TIMEOUT`` | 120 s per request |
| ``--judge_max_retries`` | ``RAIF_JUDGE_MAX_RETRIES`` | 8 |
| ``--judge_cache`` | ``RAIF_JUDGE_CACHE`` | ``$RAIF_CACHE_DIR/judge/cache.sqlite`` |

``--judge_url`` takes a base URL (``http://127.0.0.1:8000/v1``) or a preset name from ``judges/presets.yaml``.
The API key is kept out of ``repr``, results, samples, logs and the cache.
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

from raif_eval.errors import RaifError
from raif_eval.core.templates import JUDGES_DIR
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
    url: str = EMBEDDED
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = 32
    timeout: float = 120.0
    max_retries: int = 8
    cache: str | None = None
    backoff: float = 0.5  # first retry waits up to this many seconds (full jitter), doubling up to 20 s
    # Caps how often a benchmark asks afresh after an unreadable reply (CFBench: 10, FB-Bench: 3); None keeps each
    # benchmark's official count. The embedded toy judge defaults to 1: its replies rarely parse, and re-asking a
    # 135M model on CPU only costs minutes.
    max_asks: int | None = None
    max_retry_after: float = 60.0  # cap on a server's Retry-After (86400 or inf would stall the run)
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
        config = cls(**values)
        if config.concurrency < 1:
            raise RaifError("--judge_concurrency must be at least 1")
        if config.max_asks is not None and config.max_asks < 1:
            raise RaifError("--judge_max_asks must be at least 1")
        return config.resolved()

    def resolved(self) -> JudgeConfig:
        """Expand a preset name into its URL and default model."""
        preset = presets().get(self.url)
        if preset is None:
            if not urlsplit(self.url).scheme.startswith("http"):
                raise RaifError(f"{self.flags.url_flag} {self.url!r} is neither an http(s) URL nor a preset "
                                f"({', '.join(presets())})")
            return self
        if self.url == EMBEDDED:
            from raif_eval.judge.embedded import MODEL_NAME

            return replace(self, model=MODEL_NAME, max_asks=self.max_asks or 1)
        return replace(self, url=preset["url"], model=self.model or preset.get("model"))

    def __repr__(self) -> str:  # never the key, nor credentials inside the URL
        return (f"JudgeConfig(url={self.shown_url!r}, model={self.model!r}, concurrency={self.concurrency}, "
                f"timeout={self.timeout}, max_retries={self.max_retries}, role={self.role!r})")

    @property
    def shown_url(self) -> str:
        return shown(self.url)

    @property
    def flags(self) -> Role:
        return ROLES[self.role]

    @property
    def embedded(self) -> bool:
        return self.url == EMBEDDED

    @property
    def host(self) -> str:
        return EMBEDDED if self.embedded else (urlsplit(self.url).netloc.rsplit("@", 1)[-1] or self.shown_url)

    @property
    def local(self) -> bool:
        """Loopback or private-network endpoints work without an API key."""
        if self.embedded:
            return True
        hostname = urlsplit(self.url).hostname or ""
        if hostname == "localhost":
            return True
        try:
            address = ipaddress.ip_address(hostname)
        except ValueError:
            return False
        return address.is_loopback or address.is_private

    def cache_path(self) -> Path:
        return Path(self.cache).expanduser() if self.cache else cache_dir() / "judge" / "cache.sqlite"

    def describe(self) -> dict:
        """What results and samples record about the judge (never the key)."""
        info = {"model": self.model, "endpoint": self.host}
        if self.max_asks is not None:
            info["max_asks"] = self.max_asks
        if self.embedded:
            info["note"] = TOY_NOTE
        return info


TOY_NOTE = (
    "TOY JUDGE: scored by the embedded SmolLM2-135M-Instruct, not the benchmark's judge model. These numbers are "
    "NOT comparable with published ones; pass --judge_url/--judge_model for a real judge."
)


# --- the process's judge ------------------------------------------------------------------------------------

_configured: JudgeConfig | dict[str, Any] | None = None
_reasoner_key: str | None = None


def configure(config: JudgeConfig | dict[str, Any] | None) -> None:
    """Set this process's judge: a config, or the flag values to build one from (``{"url": …, "model": …}``,
    None for a flag not given; the ``RAIF_JUDGE_*`` variables fill the rest when it is first needed, so a bad
    value fails then, with one line, and not in runs that judge nothing). None: read the variables again."""
    global _configured
    _configured = config


def active() -> JudgeConfig:
    """The judge in force: the configured one, else the one the ``RAIF_JUDGE_*`` variables describe."""
    global _configured
    if isinstance(_configured, dict):
        _configured = JudgeConfig.from_env(**_configured)
    return _configured if _configured is not None else JudgeConfig.from_env()


def configure_reasoner_key(key: str | None) -> None:
    """The two-model reasoning endpoint's key (``--cot_model_api_key``), kept out of task metadata, which lands
    in the results."""
    global _reasoner_key
    _reasoner_key = key


def reasoner_api_key() -> str | None:
    return _reasoner_key or os.environ.get("RAIF_COT_API_KEY") or os.environ.get("OPENAI_API_KEY") or None
