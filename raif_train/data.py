"""Training data: RAIF-format JSONL, expert traces, and conversion from and to raif-eval's constraint records.

**RAIF format** (one JSON object per line): ``input`` — the chat-templated prompt string ending with the ``<think>``
prefill (added when missing); ``task`` — ``ifeval…`` (rule constraints), ``complex…`` (judge questions) or
``default`` (maths); ``target`` — for ``ifeval`` rows ``{"instruction_id_list", "kwargs"}``, for ``complex`` rows
``{"scoring_questions": [...]}`` (JSON text or an object; ``complex`` rows may carry rule constraints too, as
``raif-train synth`` writes them), optionally with the offline reference counts; for ``default`` rows the
ground-truth answer (a string; ``raif_math_reward`` checks against it).

**Constraint records** are the benchmarks' own shapes: IFEval (``prompt``, ``instruction_id_list``, ``kwargs``),
InFoBench (``instruction``, ``input``, ``decomposed_questions``), ComplexBench (``instruction``,
``scoring_questions`` with ``question``), plain ``{"prompt", "scoring_questions": [str]}``, and maths problems
(DeepScaleR: ``problem`` and ``answer``, which becomes the row's ``target``). Converting them
needs the policy's tokenizer: RAIF prompts are templated once per policy, with the RAIF system prompt.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import datasets

from raif_train import prompts

EXPERT_FIELDS = ("question", "answer")


def read_jsonl(paths: str | Path | Iterable[str | Path]) -> list[dict[str, Any]]:
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    rows = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"training data file {path} does not exist")
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
    return rows


def raif_row(row: dict[str, Any]) -> dict[str, Any]:
    """A RAIF-format row as the trainer's dataset row: ``prompt`` (with prefill), ``task``, ``target`` (JSON)."""
    if "input" not in row:
        raise ValueError(f"a RAIF training row needs 'input' (the templated prompt); got keys {sorted(row)}")
    task = row.get("task") or "default"
    target = row.get("target")
    if task.startswith(("ifeval", "complex")):
        spec = json.loads(target) if isinstance(target, str) else dict(target or {})
        needed = "instruction_id_list" if task.startswith("ifeval") else "scoring_questions"
        if not spec.get(needed):
            raise ValueError(f"a {task} row needs target.{needed}")
        if task.startswith("ifeval") and len(spec["instruction_id_list"]) != len(spec.get("kwargs") or []):
            raise ValueError("target.instruction_id_list and target.kwargs differ in length")
        target = json.dumps(spec, ensure_ascii=False)
    elif not isinstance(target, (str, int, float)) or not str(target).strip():
        raise ValueError(f"a maths row (task {task!r}) needs its ground-truth answer as target, got {target!r}")
    else:
        target = str(target)
    return {"prompt": prompts.with_prefill(row["input"]), "task": task,
            "target": target if isinstance(target, str) else json.dumps(target, ensure_ascii=False),
            "template": prompts.template_of(row["input"])}


def load_raif(paths: str | Path | Iterable[str | Path]) -> datasets.Dataset:
    """RAIF-format JSONL files as a dataset for :class:`raif_train.trainer.RAIFTrainer` (or stock trl)."""
    return datasets.Dataset.from_list([raif_row(r) for r in read_jsonl(paths)])


def load_expert(paths: str | Path | Iterable[str | Path]) -> datasets.Dataset:
    """Expert traces for behaviour cloning: ``question`` (the templated prompt) and ``answer`` (reasoning + answer)."""
    rows = read_jsonl(paths)
    for row in rows:
        if any(not isinstance(row.get(f), str) for f in EXPERT_FIELDS):
            raise ValueError("an expert trace needs the text fields 'question' and 'answer'")
    return datasets.Dataset.from_list([{f: r[f] for f in EXPERT_FIELDS} for r in rows])


# ------------------------------------------------------------------------------------------- conversion


MATH_FIELDS = ("problem", "answer")  # DeepScaleR's rows (its ``solution`` is not needed)


def constraint_kind(record: dict[str, Any]) -> str:
    """``complex`` when the record has judge questions (its rules, if any, are checked too), ``ifeval`` for rules
    only, ``default`` for a maths problem with its answer."""
    if "decomposed_questions" in record or "scoring_questions" in record:
        return "complex"
    if "instruction_id_list" in record:
        return "ifeval"
    if all(f in record for f in MATH_FIELDS):
        return "default"
    raise ValueError("a record needs instruction_id_list (rules), scoring_questions / decomposed_questions (judge "
                     "questions), or problem and answer (maths)")


def record_prompt(record: dict[str, Any]) -> str:
    """The user turn of a record (InFoBench: instruction, a blank line, then the input; maths: the problem)."""
    if "prompt" in record:
        return record["prompt"]
    if "problem" in record:
        return record["problem"]
    text = record.get("instruction", "")
    extra = record.get("input") or ""
    return f"{text}\n\n{extra}" if extra else text


def record_questions(record: dict[str, Any]) -> list[str]:
    questions = record.get("scoring_questions", record.get("decomposed_questions")) or []
    return [q["question"] if isinstance(q, dict) else str(q) for q in questions]


def to_raif(record: dict[str, Any], tokenizer: Any, system: str | None = None) -> dict[str, Any]:
    """A constraint record as a RAIF-format row, templated for ``tokenizer``'s policy."""
    kind = constraint_kind(record)
    if kind == "default":
        text = prompts.build_prompt(tokenizer, record_prompt(record), system)
        return {"input": text, "task": "default", "target": str(record["answer"])}
    target: dict[str, Any] = {}
    if "instruction_id_list" in record:
        target = {"instruction_id_list": list(record["instruction_id_list"]),
                  "kwargs": [dict(k or {}) for k in record["kwargs"]]}
    if kind == "complex":
        target["scoring_questions"] = record_questions(record)
    text = prompts.build_prompt(tokenizer, record_prompt(record), system)
    return {"input": text, "task": kind, "target": json.dumps(target, ensure_ascii=False)}


def from_raif(row: dict[str, Any]) -> dict[str, Any]:
    """A RAIF-format row as a constraint record (the user turn recovered from the templated prompt)."""
    task = row.get("task") or "default"
    prompt = prompts.instruction_of(row.get("input", row.get("prompt", "")))
    if not task.startswith(("ifeval", "complex")):
        return {"problem": prompt, "answer": str(row.get("target", ""))}
    spec = json.loads(row["target"]) if isinstance(row.get("target"), str) else dict(row.get("target") or {})
    record: dict[str, Any] = {"prompt": prompt}
    if task.startswith(("ifeval", "complex")) and spec.get("instruction_id_list"):
        record.update(instruction_id_list=spec["instruction_id_list"], kwargs=spec["kwargs"])
    if task.startswith("complex"):
        record["scoring_questions"] = spec["scoring_questions"]
    return record


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path
