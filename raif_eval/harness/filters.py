"""The ``raif`` filter pipeline's own steps: strip the reasoning, then (judged benchmarks) judge every response.

``raif_strip_think`` applies the extraction policy of :mod:`raif_eval.core.answers`. ``raif_judge`` comes after
``take_first`` in a judged task's pipeline (the task class adds it from the benchmark's definition): it runs the
definition's judge program over all of the task's documents at once and returns, per document, an encoded
:class:`~raif_eval.core.Judged`, which the task decodes in ``process_results``. It never raises: lm-eval would
discard all the generations of the run. A failure is recorded per document and reported in the metrics.
"""

from __future__ import annotations

import json
import logging

from lm_eval.api.filter import Filter
from lm_eval.api.registry import register_filter

from raif_eval import benchmarks
from raif_eval.core import Judged, Transcript
from raif_eval.core.answers import UNCLOSED_CHOICES, extract_answer
from raif_eval.core.benchmark import ANSWER_EXTRACTIONS, Benchmark, Settings, doc_record
from raif_eval.core.judging import judge_profile
from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.runner import Batch, JudgePool, active_pool, pool_scope

log = logging.getLogger(__name__)


@register_filter("raif_strip_think")
class StripThinkFilter(Filter):
    """Scores the answer, not the reasoning; the raw output stays in the logged ``resps``."""

    def __init__(self, unclosed_think: str = "empty", answer: str = "fixed", **kwargs) -> None:
        if unclosed_think not in UNCLOSED_CHOICES:
            raise ValueError(f"unclosed_think must be one of {UNCLOSED_CHOICES}, not {unclosed_think!r}")
        if answer not in ANSWER_EXTRACTIONS:
            raise ValueError(f"answer must be one of {ANSWER_EXTRACTIONS}, not {answer!r}")
        self.unclosed_think, self.answer = unclosed_think, answer
        super().__init__(**kwargs)

    def answer_of(self, resp: str) -> str:
        """One response's scored answer, without the run's warning (for judging while generating)."""
        return extract_answer(resp, self.answer, self.unclosed_think)[0]

    def apply(self, resps, docs):
        out, unclosed, total = [], 0, 0
        for doc_resps in resps:
            kept = []
            for resp in doc_resps:
                text, was_unclosed = extract_answer(resp, self.answer, self.unclosed_think)
                kept.append(text)
                unclosed += was_unclosed
                total += 1
            out.append(kept)
        if unclosed:
            action = "scored as empty answers" if self.unclosed_think == "empty" else "scored as they are"
            log.warning("%d of %d responses open <think> without closing it; %s (raise max_gen_toks for "
                        "reasoning models)", unclosed, total, action)
        return out


def judge_key(benchmark: Benchmark, settings: Settings) -> tuple[str, str]:
    """What defines a task's judging, under which its batch is found in the evaluation's pool: lm-eval makes a new
    filter object for each application, and the task records the batch's endpoints afterwards."""
    return benchmark.key, json.dumps(settings, sort_keys=True, default=str)


@register_filter("raif_judge")
class JudgeFilter(Filter):
    """Judges with the evaluation's judge: the judge of its pool (:func:`raif_eval.judge.runner.pool_scope`; outside
    one, the ``RAIF_JUDGE_*`` variables'). ``deferred`` (lm-eval's ``predict_only``) only records the answers, for
    ``raif-eval judge`` to score later. ``settings`` are the task's, resolved when the task was built.

    In the evaluation's pool the task's documents form one batch, which :meth:`prefetch` fills while the model is
    still generating; :meth:`apply` then collects it."""

    def __init__(self, benchmark: str, profile: str = "official", deferred: bool = False,
                 settings: Settings | None = None, **kwargs) -> None:
        self.benchmark, self.deferred = benchmarks.get(benchmark), deferred
        self.settings = settings if settings is not None else self.benchmark.settings({})
        self.profile = judge_profile(self.benchmark.key, profile)
        super().__init__(**kwargs)

    def _batch(self, pool: JudgePool) -> Batch:
        return pool.batch(self.benchmark.judge_program(self.settings), self.profile, pool.check(),
                          self.settings.get("paper_judge_tokenizer"), key=judge_key(self.benchmark, self.settings))

    def prefetch(self, doc: dict, answer: str) -> None:
        """Start judging one document's answer now (judging while generating); never raises."""
        pool = active_pool()
        if self.deferred or pool is None:
            return
        try:
            batch = self._batch(pool)
            # the embedded judge runs on the CPU that generates: judging alongside would only slow both down
            if batch.fatal is None and not batch.config.embedded:
                batch.submit(doc_record(doc), answer)
        except Exception:  # noqa: BLE001 — apply() judges it and records what went wrong
            log.debug("prefetch failed", exc_info=True)

    def apply(self, resps, docs):
        answers = [r if isinstance(r, str) else (r[0] if r else "") for r in resps]
        if self.deferred:
            return [Judged(a, skipped=True).encode() for a in answers]
        key = self.benchmark.key
        if self.settings["protocol"] != "official" and not self.settings.get("paper_judge_tokenizer"):
            log.warning("%s: the judge's token budgets use raif-eval's approximate count; name RAIF's tokenizers "
                        "with --metadata '{\"paper_judge_tokenizer\": \"Qwen/Qwen2.5-7B-Instruct,...\"}'", key)
        config: JudgeConfig | None = None
        try:
            with pool_scope() as pool:  # the evaluation's pool (with what was prefetched), else one for this task
                config = pool.check()
                items = [(doc_record(d), a) for d, a in zip(docs, answers)]
                run = self._batch(pool).results(items, desc=f"judging {key}")
            results, fatal = run.results, run.fatal
            log.info("%s judge: %s", key, run.usage.as_dict())
        except Exception as exc:  # noqa: BLE001 — see the module docstring
            fatal = f"{type(exc).__name__}: {exc}"
            results = [Judged(a, None, Transcript(fatal=fatal)) for a in answers]
        if fatal:
            log.error("%s: judging stopped (%s); %d of %d documents have no verdicts. Fix the judge and rerun: "
                      "cached verdicts are reused.", key, fatal, sum(r.verdicts is None for r in results),
                      len(results))
        info = {"profile": self.profile.name, "protocol": self.settings["protocol"],
                **(config.describe() if config else {})}
        if config is not None and config.embedded:
            log.warning(info["note"])
        for result in results:
            result.info = info
        return [result.encode() for result in results]
