"""RAIF rewards as plain callables in trl's reward signature, built on raif-eval's constraint-check core.

``f(prompts, completions, **dataset_columns) -> list[float | None]``; ``None`` means "not my row" (trl skips it).
They work in :class:`raif_train.trainer.RAIFTrainer` and in stock trl
(``trl grpo --reward_funcs raif_train.rewards.raif_ifeval_reward``).

What is scored is the *prefill plus the completion*: a RAIF prompt is a chat-templated string ending with the
prefill ``<think>\\n`` (or ``<think>\\n\\n</think>\\n`` for a no-reasoning rollout), so the opening tag belongs to
the text. The text is cut at the first stop string. Then (raif-training.md §3):

* **format** ``R_fmt`` — +1 when ``<think>``, ``</think>``, ``<answer>``, ``</answer>`` each occur exactly once and in
  this order, else −1 (DeepSeek-style templates: only the two think tags, the answer is what follows ``</think>``);
* **gate** — the answer is scored only if the format is valid, the answer is non-empty and the reasoning is
  non-empty and not the copied placeholder ``reasoning process here`` (invisible-only text — zero-width, BOM,
  control characters — counts as empty); otherwise ``R_ans = −2``. No-reasoning
  rollouts (the contrast of the trainer) are scored without the reasoning condition — RAIF's code gated them too,
  which made its prompt-level contrast filter dead (bug B2);
* **shaping** — k of n constraints met: ``R_ans = +2`` if k = n, ``−2`` if k = 0, ``k/n`` otherwise.

``raif_format_reward`` returns ``R_fmt`` for every row; ``raif_ifeval_reward`` (rule constraints, the IFEval
checkers of ``raif_ifeval`` in their training reading) and ``raif_judge_reward`` (YES/NO scoring questions through
the judge client) and ``raif_math_reward`` (maths rows, ``math-verify`` against the ground truth) return ``R_ans``
for their rows; with ``reward_weights`` 1 their sum is RAIF's ``R_ans + R_fmt``.
Each answer reward records ``(k, n, R_ans, gated)`` per row in :data:`OUTCOMES` under the ``raif_uid`` column that
the trainer adds, for the sample-wise contrast.
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from dataclasses import dataclass
from typing import Any

from raif_eval.benchmarks import ifeval
from raif_eval.core.answers import strip_reasoning, visible
from raif_train import prompts as prompt_text

STOP_STRINGS = ("</s>", "<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>", "<|eot_id|>")
PLACEHOLDER = "reasoning process here"
THINK_ONLY_TEMPLATES = ("deepseek",)  # the answer is everything after </think>; no answer tags
GATED = -2.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    k: int  # constraints met (0 when gated)
    n: int  # constraints in all
    r_ans: float
    gated: bool
    wocot: bool = False


OUTCOMES: dict[str, Outcome] = {}  # raif_uid -> outcome of the row's answer reward (read by the trainer)


# ----------------------------------------------------------------------------------------------- text helpers


def completion_text(completion: Any) -> str:
    """A completion as trl passes it: a string, or a conversational list of messages (the last is the answer)."""
    if isinstance(completion, list):
        return completion[-1]["content"] if completion else ""
    return completion or ""


def prefill_of(prompt: Any) -> str:
    """The part of the assistant turn that the prompt already holds (RAIF's ``<think>`` prefill)."""
    if not isinstance(prompt, str):
        return ""
    for tail in (prompt_text.WOCOT_PREFILL, "<think>\n\n", "<think>\n", "<think>"):
        if prompt.endswith(tail):
            return tail
    return ""


def cut_at_stop(text: str) -> str:
    cuts = [i for i in (text.find(s) for s in STOP_STRINGS) if i >= 0]
    return text[: min(cuts)] if cuts else text


def scored_text(prompt: Any, completion: Any) -> str:
    return cut_at_stop(prefill_of(prompt) + completion_text(completion))


def format_ok(text: str, template: str = "qwen") -> bool:
    """RAIF's structure check: each tag exactly once, in order (think tags only for DeepSeek-style templates)."""
    tags = ("<think>", "</think>") if template in THINK_ONLY_TEMPLATES else ("<think>", "</think>", "<answer>",
                                                                             "</answer>")
    if any(text.count(tag) != 1 for tag in tags):
        return False
    positions = [text.find(tag) for tag in tags]
    return positions == sorted(positions)


def extract(text: str, template: str = "qwen") -> tuple[str | None, str | None]:
    """(reasoning, answer): the last think block and the last answer block, stripped; None where absent."""
    thinks = re.findall(r"<think>(.*?)</think>", text, re.S)
    think = thinks[-1].strip() if thinks else None
    if template in THINK_ONLY_TEMPLATES:
        answer = text[text.rfind("</think>") + len("</think>"):].strip() if "</think>" in text else None
    else:
        answers = re.findall(r"<answer>(.*?)</answer>", text, re.S)
        answer = answers[-1].strip() if answers else None
    return think, answer


def gated_answer(text: str, template: str = "qwen", wocot: bool = False) -> str | None:
    """The answer to score, or None when the gate fails (the row gets ``R_ans = −2``)."""
    if not format_ok(text, template):
        return None
    think, answer = extract(text, template)
    if not answer or not visible(answer):  # invisible-only (zero-width, BOM, control) is empty
        return None
    if not wocot and (not think or not visible(think) or think.lower() == PLACEHOLDER):
        return None
    return answer


def shape(k: int, n: int) -> float:
    """RAIF's partial credit: +2 all met, −2 none met, k/n in between."""
    if n <= 0:
        raise ValueError("a row with no constraints cannot be scored")
    return 2.0 if k == n else GATED if k == 0 else k / n


def _column(values: list | None, i: int, default: Any = None) -> Any:
    return values[i] if values is not None and i < len(values) else default


def _record(uid: Any, outcome: Outcome) -> None:
    if uid is not None:
        OUTCOMES[str(uid)] = outcome


# ---------------------------------------------------------------------------------------------------- format


def raif_format_reward(prompts: list[Any], completions: list[Any], template: list[str] | None = None,
                       **_columns: Any) -> list[float]:
    """+1 for a well-formed ``<think>…</think><answer>…</answer>`` output, −1 otherwise; every row."""
    return [1.0 if format_ok(scored_text(p, c), _column(template, i, "qwen")) else -1.0
            for i, (p, c) in enumerate(zip(prompts, completions))]


# ---------------------------------------------------------------------------------------------- rule rewards


def ifeval_record(target: dict[str, Any], instruction: str) -> dict[str, Any]:
    """An IFEval-style record for the shared checkers (a stable key pins ``letter_frequency``'s random letter)."""
    return {"key": zlib.crc32(instruction.encode("utf-8")), "prompt": instruction,
            "instruction_id_list": target["instruction_id_list"], "kwargs": target["kwargs"]}


@dataclass(frozen=True)
class _Row:
    index: int
    prompt: Any
    spec: dict[str, Any]  # the parsed target
    answer: str | None  # None: gated
    wocot: bool
    uid: Any


def _rows(kind: str, prompts, completions, task, target, template, raif_wocot, raif_uid,
          raif_compat=None) -> list[_Row | None]:
    """The rows of ``kind`` (``ifeval`` / ``complex``) with their gated answers; None for the others.
    ``raif_compat`` (set per row by the trainer) reproduces RAIF's bugs on request: ``wocot_gate`` applies the
    reasoning condition to no-reasoning rows too (B2), ``ifeval_swapped_args`` gates every rule row (B1: RAIF
    parsed the tags from the target JSON, which has none)."""
    rows: list[_Row | None] = []
    for i, (prompt, completion) in enumerate(zip(prompts, completions)):
        if _row_kind(_column(task, i)) != kind:
            rows.append(None)
            continue
        compat = _column(raif_compat, i) or {}
        wocot = bool(_column(raif_wocot, i, False))
        answer = gated_answer(scored_text(prompt, completion), _column(template, i, "qwen"),
                              wocot and not compat.get("wocot_gate"))
        if kind == "ifeval" and compat.get("ifeval_swapped_args"):
            answer = None
        rows.append(_Row(i, prompt, _target(_column(target, i)), answer, wocot, _column(raif_uid, i)))
    return rows


def _row_kind(task: str | None) -> str:
    """``ifeval`` / ``complex`` (constraint rows) or ``default`` (maths; also when the task is missing)."""
    task = task or "default"
    return next((k for k in ("ifeval", "complex") if task.startswith(k)), "default")


def _settle(rows: list[_Row | None], verdicts: dict[int, list[bool]] | None = None) -> list[float | None]:
    """``R_ans`` per row over all its constraints: rules checked in code (training reading), plus the judge's
    verdicts on its scoring questions; each outcome recorded for the trainer."""
    rewards: list[float | None] = []
    for row in rows:
        if row is None:
            rewards.append(None)
            continue
        rules = row.spec.get("instruction_id_list") or []
        n = len(rules) + len(row.spec.get("scoring_questions") or [])
        if row.answer is None:
            outcome = Outcome(0, n, GATED, True, row.wocot)
        else:
            k = sum((verdicts or {}).get(row.index, []))
            if rules:
                record = ifeval_record(row.spec, prompt_text.instruction_of(row.prompt))
                k += sum(ifeval.strict(record, row.answer, reading="training"))
            outcome = Outcome(k, n, shape(k, n), False, row.wocot)
        _record(row.uid, outcome)
        rewards.append(outcome.r_ans)
    return rewards


def raif_ifeval_reward(prompts: list[Any], completions: list[Any], task: list[str] | None = None,
                       target: list[Any] | None = None, template: list[str] | None = None,
                       raif_wocot: list[bool] | None = None, raif_uid: list[str] | None = None,
                       raif_compat: list[dict] | None = None, **_columns: Any) -> list[float | None]:
    """``R_ans`` of rule-constrained rows (``task`` starting with ``ifeval``): gate, strict IFEval checkers on the
    answer (training reading), partial credit. None for other rows."""
    return _settle(_rows("ifeval", prompts, completions, task, target, template, raif_wocot, raif_uid,
                         raif_compat))


def _target(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


# --------------------------------------------------------------------------------------------- judge rewards


def judge_reward(judge: Any = None) -> Any:
    """``raif_judge_reward`` bound to ``judge`` (a :class:`raif_train.judge.YesNoJudge`; None: one that reads
    ``RAIF_JUDGE_*`` at each call). ``raif-train grpo`` binds the recipe's judge; the bound judge is the reward's
    ``judge`` attribute."""

    async def raif_judge_reward(prompts: list[Any], completions: list[Any], task: list[str] | None = None,
                                target: list[Any] | None = None, template: list[str] | None = None,
                                raif_wocot: list[bool] | None = None, raif_uid: list[str] | None = None,
                                raif_compat: list[dict] | None = None, log_metric: Any = None,
                                **_columns: Any) -> list[float | None]:
        """``R_ans`` of judge-constrained rows (``task`` starting with ``complex``): gate, one YES/NO judge request
        per scoring question (the judge never sees the reasoning), plus the row's rule constraints when it has any
        (rows made by ``raif-train synth``; checked in code, as in ``raif_ifeval_reward``), partial credit over all
        of them. None for other rows.

        The judge is raif-eval's: any OpenAI-compatible endpoint (the one bound by ``raif-train``'s
        ``judge_url``/``judge_model``, else ``RAIF_JUDGE_URL``/``RAIF_JUDGE_MODEL``; default: the embedded toy
        judge), concurrent, retried and cached. All questions of the batch are asked at once; trl runs this
        coroutine alongside the other reward functions. The verdict is RAIF's forced choice where the endpoint
        returns log-probabilities (see :mod:`raif_train.judge`). A request that fails for good counts as NO; the
        share of such requests is logged as ``judge/failed`` (and warned about), never silently.
        """
        from raif_train import judge as yes_no

        rows = _rows("complex", prompts, completions, task, target, template, raif_wocot, raif_uid, raif_compat)
        asks = []
        for row in rows:
            if row is not None and row.answer is not None:
                instruction = prompt_text.judge_instruction(row.prompt)
                asks.append((row.index, [yes_no.messages(instruction, row.answer, q)
                                         for q in row.spec["scoring_questions"]]))
        verdicts, failed = await judge_of(raif_judge_reward).ask_all(asks)
        asked = sum(len(conversations) for _, conversations in asks)
        if asked and log_metric is not None:
            log_metric("judge/failed", failed / asked)
        if failed:
            log.warning("raif_judge_reward: %d of %d judge requests failed and count as NO", failed, asked)
        return _settle(rows, verdicts)

    raif_judge_reward.judge = judge
    return raif_judge_reward


def judge_of(reward: Any) -> Any:
    """The :class:`~raif_train.judge.YesNoJudge` a judge reward asks (made on first use for an unbound one); None
    for a reward without a judge."""
    if not hasattr(reward, "judge"):
        return None
    if reward.judge is None:
        from raif_train.judge import YesNoJudge

        reward.judge = YesNoJudge()
    return reward.judge


raif_judge_reward = judge_reward()


# ---------------------------------------------------------------------------------------------- maths rewards


MATH_CORRECT, MATH_WRONG, MATH_UNREADABLE = 2.0, -1.5, -2.0


def raif_math_reward(prompts: list[Any], completions: list[Any], task: list[str] | None = None,
                     target: list[Any] | None = None, template: list[str] | None = None,
                     raif_uid: list[str] | None = None, **_columns: Any) -> list[float | None]:
    """``R_ans`` of maths rows (``task`` ``default`` or missing; ``target`` = the ground-truth answer): the gated
    answer's last ``\\boxed{}`` checked against the truth by ``math-verify``: +2 equal, −1.5 wrong (or out of
    time), −2 when the answer has no ``\\boxed`` or nothing can be parsed (RAIF's shaping), −2 when gated. None
    for other rows."""
    from raif_train import maths

    out: list[float | None] = []
    for i, (prompt, completion) in enumerate(zip(prompts, completions)):
        if _row_kind(_column(task, i)) != "default":
            out.append(None)
            continue
        truth = _column(target, i)
        if not isinstance(truth, str) or not truth.strip():
            raise ValueError(f"a maths row (task default) needs its ground-truth answer in target, got {truth!r}")
        answer = gated_answer(scored_text(prompt, completion), _column(template, i, "qwen"))
        if answer is None:
            outcome = Outcome(0, 1, GATED, True)
        else:
            verdict = maths.check(answer, truth)
            r_ans = MATH_UNREADABLE if verdict is None else MATH_CORRECT if verdict else MATH_WRONG
            outcome = Outcome(int(bool(verdict)), 1, r_ans, False)
        _record(_column(raif_uid, i), outcome)
        out.append(outcome.r_ans)
    return out


# --------------------------------------------------------------------------------- evaluation-style reward


def ifeval_reward(prompts: list[Any], completions: list[Any], raw: list[str] | None = None,
                  task: list[str] | None = None, target: list[Any] | None = None,
                  **_columns: Any) -> list[float | None]:
    """Fraction of the row's IFEval instructions that the completion follows (strict checkers, official reading).
    Reasoning before ``</think>`` is not scored. No gate and no shaping: the benchmark's view, for plain GRPO and
    for smoke runs of a weak model (which never writes RAIF's tags, so the gated rewards give it no signal).
    Rows are raif-eval's ``raif_ifeval`` documents (``raw`` holds the record as JSON) or RAIF ``ifeval`` rows
    (``target``; the instruction recovered from the prompt); None for other rows."""
    out: list[float | None] = []
    for i, (prompt, completion) in enumerate(zip(prompts, completions)):
        if raw is not None:
            record = json.loads(raw[i])
        elif _row_kind(_column(task, i)) == "ifeval":
            record = ifeval_record(_target(_column(target, i)), prompt_text.instruction_of(prompt))
        else:
            out.append(None)
            continue
        answer, _ = strip_reasoning(cut_at_stop(completion_text(completion)))
        verdicts = ifeval.score(record, answer).strict
        out.append(sum(verdicts) / len(verdicts))
    return out


__all__ = ["OUTCOMES", "Outcome", "format_ok", "extract", "gated_answer", "shape", "raif_format_reward",
           "raif_ifeval_reward", "raif_judge_reward", "judge_reward", "judge_of", "raif_math_reward", "ifeval_reward"]
