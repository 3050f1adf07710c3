"""The lm-eval side of judging: a filter step that judges all of a task's responses in one batch.

``- function: raif_judge`` with ``benchmark: <name>`` and ``profile: official`` comes after ``take_first`` in a
task's ``raif`` pipeline. It returns, per document, a JSON string with the scored answer and the judge's verdicts,
raw replies and bookkeeping; ``process_results`` decodes it. It never raises: lm-eval would discard all the
generations of the run. A failure is recorded per document and reported in the metrics.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from functools import cache
from typing import Any

import yaml
from lm_eval.api.filter import Filter
from lm_eval.api.registry import register_filter

from raif_eval import harness
from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.preflight import preflight
from raif_eval.judge.runner import Judged, JudgeProfile, Transcript, judge_all
from raif_eval.judge.templates import JUDGES_DIR

log = logging.getLogger(__name__)


@cache
def profile(benchmark: str, name: str) -> JudgeProfile:
    table = yaml.safe_load((JUDGES_DIR / benchmark / "profiles.yaml").read_text(encoding="utf-8"))
    if name not in table:
        raise ValueError(f"{benchmark} has no judge profile {name!r} (profiles: {', '.join(table)})")
    return JudgeProfile(name=name, **table[name])


@register_filter("raif_judge")
class JudgeFilter(Filter):
    def __init__(self, benchmark: str, profile: str = "official", **kwargs) -> None:
        self.benchmark, self.profile_name = benchmark, profile
        super().__init__(**kwargs)

    def apply(self, resps, docs):
        answers = [r if isinstance(r, str) else (r[0] if r else "") for r in resps]
        if os.environ.get("RAIF_JUDGE_SKIP"):  # `raif-eval run --predict_only`: generate now, judge later
            return [json.dumps({"answer": a, "judge": {"skipped": True}}, ensure_ascii=False) for a in answers]
        config: JudgeConfig | None = None
        try:
            config = preflight(JudgeConfig.from_env())
            module = importlib.import_module(f"raif_eval.benchmarks.{self.benchmark}")
            items = [(harness.record(d), a) for d, a in zip(docs, answers)]
            run = judge_all(module.judge, items, profile(self.benchmark, self.profile_name), config,
                            desc=f"judging {self.benchmark}")
            results, fatal = run.results, run.fatal
            log.info("%s judge: %s", self.benchmark, run.usage.as_dict())
        except Exception as exc:  # noqa: BLE001 — see the module docstring
            fatal = f"{type(exc).__name__}: {exc}"
            results = [Judged(None, Transcript(fatal=fatal)) for _ in docs]
        if fatal:
            log.error("%s: judging stopped (%s); %d of %d documents have no verdicts. Fix the judge and rerun: "
                      "cached verdicts are reused.", self.benchmark, fatal,
                      sum(r.verdicts is None for r in results), len(results))
        info = {"profile": self.profile_name, **(config.describe() if config else {})}
        if config is not None and config.embedded:
            log.warning(info["note"])
        return [json.dumps({"answer": a, "judge": {**info, **r.as_dict()}}, ensure_ascii=False)
                for a, r in zip(answers, results)]


def uses_judge(filter_list: list[dict] | None) -> bool:
    """Whether a task's ``filter_list`` has a ``raif_judge`` step."""
    steps = [step for pipeline in (filter_list or []) for step in pipeline.get("filter", [])]
    return any(step.get("function") == "raif_judge" for step in steps)


def judged_tasks(loaded: dict) -> list:
    """The tasks of a ``TaskManager.load`` result that are scored by the judge."""
    return [task for task in loaded.get("tasks", {}).values() if uses_judge(task.config.filter_list)]


def decode(result: str) -> dict[str, Any]:
    """The filter's per-document output, as ``process_results`` receives it."""
    return json.loads(result)


def bookkeeping(judged: dict[str, Any]) -> dict[str, Any]:
    """Per-document judge metrics shared by every judged task (see JUDGE_METRICS in the task YAMLs)."""
    judge = judged["judge"]
    replies = [r for r in judge["replies"] if r["text"] is not None]
    return {
        "judge_parse_failures": judge["parse_failures"],
        "judge_parse_failure_rate": [not r.get("parsed", True) for r in replies],
        "judge_failed_docs": int(judge["errors"] > 0 or judge["verdicts"] is None),
        "judge_prompt_tokens": judge["prompt_tokens"],
        "judge_completion_tokens": judge["completion_tokens"],
    }

