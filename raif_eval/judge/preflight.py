"""Fail fast on a bad judge configuration: one tiny request before any generation starts."""

from __future__ import annotations

from dataclasses import replace

import openai

from raif_eval.errors import RaifError
from raif_eval.judge.client import FATAL_STATUS, error_brief, fatal_message
from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.runner import run_sync

PREFLIGHT_TIMEOUT_S = 15.0
_checked: dict[JudgeConfig, JudgeConfig] = {}


def preflight(config: JudgeConfig) -> JudgeConfig:
    """The config with its model filled in, once the endpoint has answered a request for that model.

    Raises a one-line :class:`RaifError` for a missing key, an unreachable endpoint, an unknown model or a
    rejected key. Checked once per process and configuration.
    """
    if config.embedded:
        return config
    if config not in _checked:
        if not config.local and not config.api_key:
            f = config.flags
            raise RaifError(f"the {f.name} endpoint {config.shown_url} needs an API key: pass {f.key_flag} or set "
                            f"{f.key_env} (or OPENAI_API_KEY)")
        _checked[config] = run_sync(_probe(config))
    return _checked[config]


async def _probe(config: JudgeConfig) -> JudgeConfig:
    client = openai.AsyncOpenAI(base_url=config.url, api_key=config.api_key or "EMPTY",
                                timeout=min(config.timeout, PREFLIGHT_TIMEOUT_S), max_retries=2)
    model = config.model
    try:
        if not model:
            served = [m.id for m in (await client.models.list()).data]
            if len(served) != 1:
                raise RaifError(f"the {config.flags.name} endpoint {config.shown_url} serves {len(served)} models "
                                f"({', '.join(served[:5]) or 'none'}); choose one with {config.flags.model_flag}")
            model = served[0]
        await client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Reply OK."}],
                                             max_tokens=1, temperature=0)
        return replace(config, model=model)
    except openai.APIConnectionError as exc:
        reason = getattr(exc, "__cause__", None) or exc
        raise RaifError(f"cannot reach the {config.flags.name} endpoint {config.shown_url} ({type(reason).__name__}: "
                        f"{reason}); start the server or fix {config.flags.url_flag}") from None
    except openai.APIStatusError as exc:
        if exc.status_code in FATAL_STATUS:
            raise RaifError(fatal_message(replace(config, model=model), exc.status_code, error_brief(exc))) from None
        if exc.status_code >= 500:
            raise RaifError(f"the {config.flags.name} endpoint {config.shown_url} answered HTTP {exc.status_code} "
                            f"({error_brief(exc)}); "
                            "check the server's log") from None
        return replace(config, model=model)  # e.g. a 400 for max_tokens=1: the endpoint and the model exist
    finally:
        await client.close()
