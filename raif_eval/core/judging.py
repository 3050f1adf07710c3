"""The judge-program contract: what a benchmark's judge program receives, asks and returns.

A benchmark judges a document with a *program* — ``async def program(judge: JudgeSession, record, answer) ->
verdicts`` — that asks what the official protocol asks (one request, a re-asked request, a multi-turn
conversation) and returns JSON-serialisable verdicts, which the benchmark's scorer reads back from
:class:`~raif_eval.core.Judged`. The session applies the benchmark's *judge profile* (``judges/<benchmark>/
profiles.yaml``: the judge-side system message, request parameters and token budget) and records every exchange;
the judge runtime (:mod:`raif_eval.judge`) implements it over HTTP, tests and the fuzz harness with scripted
replies. Nothing here talks to an endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple, Protocol

import yaml

from raif_eval.core.templates import JUDGES_DIR


class Parsed(NamedTuple):
    """A parser's reading of one reply: the value, and whether the reply was readable (else it may be asked
    afresh)."""

    value: Any
    ok: bool = True


class Asked(NamedTuple):
    """The outcome of :meth:`JudgeSession.ask`: the parsed value of the last reply, whether it parsed, and its raw
    text (None when the request failed for good)."""

    value: Any
    ok: bool
    text: str | None


@dataclass(frozen=True)
class JudgeProfile:
    """How a benchmark's protocol talks to its judge (one entry of ``judges/<benchmark>/profiles.yaml``): the
    judge-side system message and request parameters, and RAIF's per-request token budget."""

    name: str
    reference_model: str | None = None  # the judge behind the published numbers (recorded, not enforced)
    system: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # RAIF's driver sets max_tokens per request from the prompt's length: (16384 - prompt) // divisor - 100,
    # counted with the first of the judge tokenizers, or (FB-Bench) the largest count over all of them
    budget_divisor: float | None = None
    budget_count: str = "first"


@cache
def judge_profile(benchmark: str, name: str) -> JudgeProfile:
    """Profile ``name`` of ``judges/<benchmark>/profiles.yaml``."""
    table = judge_profiles(benchmark)
    if name not in table:
        raise ValueError(f"{benchmark} has no judge profile {name!r} (profiles: {', '.join(table)})")
    return JudgeProfile(name=name, **table[name])


@cache
def judge_profiles(benchmark: str) -> dict[str, dict[str, Any]]:
    """Every entry of ``judges/<benchmark>/profiles.yaml`` (empty when the benchmark has none)."""
    path = JUDGES_DIR / benchmark / "profiles.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


class JudgeSession(Protocol):
    """The judge as one document's program sees it: the profile applied, every exchange recorded."""

    profile: JudgeProfile

    def messages(self, *turns: dict[str, str]) -> list[dict[str, str]]:
        """The profile's system message (if any) followed by ``turns``."""

    def budget(self, messages: list[dict[str, str]], divisor: float | None = None) -> dict[str, int]:
        """``{"max_tokens": …}`` from the prompt's length when the profile (or ``divisor``) asks for RAIF's budget,
        else nothing."""

    def count_tokens(self, text: str) -> int:
        """The prompt's length in the judge tokenizer's tokens (the first named, else an approximation)."""

    def count_tokens_max(self, text: str) -> int:
        """The largest count over all the named judge tokenizers."""

    async def ask(self, messages: list[dict[str, str]], parse: Callable[[str], Parsed], attempts: int = 1,
                  **params: Any) -> Asked:
        """Send ``messages``; while the reply does not parse, ask afresh, ``attempts`` times in all (capped by the
        run's ``--judge_max_asks``)."""


JudgeProgram = Callable[[JudgeSession, Any, str], Awaitable[Any]]  # (session, record, answer) -> verdicts
