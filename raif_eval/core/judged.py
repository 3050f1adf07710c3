"""The typed result of judging one document, and its one text encoding.

lm-eval hands a task's filter output to ``process_results`` and writes it into the samples as
``filtered_resps``, so a judged document travels as text: :meth:`Judged.encode` writes it, :meth:`Judged.decode`
reads it back (also from samples written by earlier versions, which used the same shape):
``{"answer": …, "judge": {<profile, model, endpoint, …>, "verdicts": …, "replies": […], "parse_failures": …,
"errors": …, "prompt_tokens": …, "completion_tokens": …, "fatal": …, "malformed": …}}``, or ``{"answer": …, "judge":
{"skipped": true}}`` when judging was deferred (``--predict_only``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from raif_eval.core.aggregate import Metric, pooled_mean, total


@dataclass
class Transcript:
    """Every exchange of one document with the judge: raw replies (text, cached, parsed, error), parse failures,
    requests that failed for good, token counts, and the error that stopped judging, if any."""

    replies: list[dict[str, Any]] = field(default_factory=list)
    parse_failures: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fatal: str | None = None
    malformed: int = 0  # judge replies with no usable content (each asked again; see judge_failed_docs)


TRANSCRIPT_FIELDS = tuple(f.name for f in fields(Transcript))


@dataclass
class Judged:
    """One document as judged: the scored answer, the judge program's verdicts (None when none were obtained),
    its transcript, and what the run records about the judge (``info``: profile, model, endpoint host, …)."""

    answer: str
    verdicts: Any = None
    transcript: Transcript = field(default_factory=Transcript)
    info: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False  # judging deferred (`raif-eval run --predict_only`, then `raif-eval judge`)

    def encode(self) -> str:
        if self.skipped:
            return json.dumps({"answer": self.answer, "judge": {"skipped": True}}, ensure_ascii=False)
        judge = {**self.info, "verdicts": self.verdicts, **asdict(self.transcript)}
        return json.dumps({"answer": self.answer, "judge": judge}, ensure_ascii=False)

    @classmethod
    def decode(cls, text: Any) -> Judged | None:
        """The value :meth:`encode` wrote, or None for anything else (a plain answer, a corrupt line)."""
        try:
            value = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            return None
        if not isinstance(value, dict) or not isinstance(value.get("judge"), dict):
            return None
        judge, answer = value["judge"], value.get("answer")
        answer = answer if isinstance(answer, str) else ""
        if judge.get("skipped"):
            return cls(answer, skipped=True)
        transcript = Transcript(**{k: judge[k] for k in TRANSCRIPT_FIELDS if k in judge})
        info = {k: v for k, v in judge.items() if k not in TRANSCRIPT_FIELDS and k != "verdicts"}
        return cls(answer, judge.get("verdicts"), transcript, info)

    @property
    def failed(self) -> bool:
        """A request failed for good, or the program produced no verdicts."""
        return self.transcript.errors > 0 or self.verdicts is None

    def bookkeeping(self) -> dict[str, Any]:
        """The per-sample values of :data:`JUDGE_METRICS`."""
        t = self.transcript
        replies = [r for r in t.replies if r["text"] is not None]
        return {
            "judge_parse_failures": t.parse_failures,
            "judge_parse_failure_rate": [not r.get("parsed", True) for r in replies],
            "judge_failed_docs": int(self.failed),
            "judge_prompt_tokens": t.prompt_tokens,
            "judge_completion_tokens": t.completion_tokens,
            "judge_malformed": t.malformed,
        }


# Reported by every judged benchmark, after its own metrics.
JUDGE_METRICS = (
    Metric("judge_parse_failures", total, higher_is_better=False),
    Metric("judge_parse_failure_rate", pooled_mean, higher_is_better=False),
    Metric("judge_failed_docs", total, higher_is_better=False),
    Metric("judge_prompt_tokens", total, higher_is_better=False),
    Metric("judge_completion_tokens", total, higher_is_better=False),
    Metric("judge_malformed", total, higher_is_better=False),
)
