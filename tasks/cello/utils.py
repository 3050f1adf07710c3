"""lm-eval glue for raif_cello: dialogues in, four criterion scores per answer out; scoring lives in the core."""

from __future__ import annotations

import math
from typing import Any

from raif_eval import harness
from raif_eval.benchmarks import cello
from raif_eval.core import Tagged
from raif_eval.errors import RaifError


def load(cello_revise_against: str = "self", data_dir: str | None = None, **_metadata):
    if cello_revise_against not in cello.REVISE_AGAINST:
        raise RaifError(f"cello_revise_against must be one of {', '.join(cello.REVISE_AGAINST)}, "
                        f"not {cello_revise_against!r}")
    return harness.to_dataset(
        harness.doc(r["Instruction_id"], r["Instruction"], r, messages=cello.messages(r), task_file=r["task_file"],
                    turns=len(r["histories"]) + 1, revise_against=cello_revise_against)
        for r in cello.load_records(data_dir)
    )


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    scores = cello.score(harness.record(doc), results[0], doc["revise_against"])
    row = {"task_file": doc["task_file"], **scores}  # what the task-based averages need
    out: dict[str, Any] = {name: row for name in ("raif_score", "cello_average", "cello_complex_ins",
                                                   "cello_complex_input")}
    own = "Structure" if doc["task_file"] in cello.STRUCTURE_PARTS else doc["task_file"]
    for name in PER_TASK:  # each task's score, carried by its own samples only (null on the others)
        out[f"cello_{name}"] = row if name == own else None
    for criterion, value in scores.items():  # null where the criterion does not apply to this record
        out[f"cello_{criterion}"] = None if value is None else Tagged(value, task_file=doc["task_file"],
                                                                      criterion=criterion)
    return out


# Per-task metrics: the 10 plain task files and Structure (the equal-weight mean of its three files).
PER_TASK = tuple(t for t in cello.TASK_FILES if t not in cello.STRUCTURE_PARTS) + ("Structure",)


def _summary(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    return cello.summary((r["task_file"], {c: r[c] for c in cello.CRITERIA}) for r in rows)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def average(items: list[dict[str, Any]]) -> float:
    return _nan(_summary(items)["average"])


def complex_ins(items: list[dict[str, Any]]) -> float:
    return _nan(_summary(items)["ave_complex_ins"])


def complex_input(items: list[dict[str, Any]]) -> float:
    return _nan(_summary(items)["ave_complex_input"])


def per_task(items: list[dict[str, Any] | None]) -> float:
    """A task file's score (the mean of its four criterion means), or Structure's."""
    rows = [r for r in items if r is not None]
    if not rows:
        return math.nan
    task_file = rows[0]["task_file"]
    name = "Structure" if task_file in cello.STRUCTURE_PARTS else task_file
    return _nan(_summary(rows)[name])


def criterion(items: list[Tagged | None]) -> float:
    """A criterion column: the criterion's mean per task file, then the mean over task files (not samples)."""
    values = [v for v in items if v is not None]
    if not values:
        return math.nan
    name = values[0].tags["criterion"]
    return _nan(cello.summary((v.tags["task_file"], {name: float(v)}) for v in values)[name])
