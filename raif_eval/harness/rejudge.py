"""``raif-eval judge OUTPUT_DIR``: re-score logged samples with another judge, without regenerating.

The logged raw responses (``resps``) are replayed through lm-eval itself — same filters (think stripping, then
judging through the cache), same ``process_results``, same aggregations and group means — and lm-eval writes a new
``results_<timestamp>.json`` and samples beside the old ones. Pair it with ``raif-eval run --predict_only`` to keep
generation and judging apart.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from raif_eval.core import Judged
from raif_eval.core.answers import THINK_CLOSE, THINK_OPEN, raif_answer
from raif_eval.errors import RaifError
from raif_eval.harness.patch import include_paths, judge_across_tasks, lean_evaluator, quiet_console
from raif_eval.judge.config import JudgeConfig
from raif_eval.judge.runner import pool_scope
from raif_eval.jsonio import read_json, read_jsonl
from raif_eval.results import latest_results, samples_path, task_options


def _samples(results_path: Path, task: str) -> list[dict[str, Any]]:
    path = samples_path(results_path, task)
    if not path.is_file():
        raise RaifError(f"{path} is missing; re-judging needs the samples of the run (--log_samples)")
    samples = read_jsonl(path, "an lm-eval samples file")
    for number, sample in enumerate(samples, 1):
        if not isinstance(sample.get("doc"), dict) or not isinstance(sample.get("resps"), list) \
                or "doc_id" not in sample:
            raise RaifError(f"{path}: sample {number} lacks doc, doc_id or resps; re-judging needs the samples as "
                            "lm-eval wrote them")
    return samples


def rejudge(output_dir: str | Path, judge: JudgeConfig, tasks: list[str] | None = None) -> list[Path]:
    """Re-score every run below ``output_dir`` with ``judge`` (in its own pool: a process may have judged the runs
    with another); returns the new results files."""
    quiet_console()
    judge_across_tasks()  # every task's samples to the judge at once, through one pool
    lean_evaluator()
    with pool_scope(judge) as pool:
        return _rejudge(Path(output_dir), pool.check(), tasks)


def _rejudge(output_dir: Path, judge: JudgeConfig, tasks: list[str] | None) -> list[Path]:
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    written: list[Path] = []
    asked_for: list[tuple[Path, list[str]]] = []  # runs without any of --tasks
    for results_path in latest_results(output_dir):
        old = read_json(results_path, "an lm-eval results file")
        if not isinstance(old.get("configs"), dict):
            raise RaifError(f"{results_path} is not an lm-eval results file (it has no task configs)")
        # The run's task options (e.g. fbbench_version) travel in its configs; without them a re-judge could
        # score other documents under the same ids.
        manager = TaskManager(include_path=include_paths(None), include_defaults=False,
                              metadata=task_options(old))
        leaf_tasks = [t for t in old["configs"] if tasks is None or t in tasks]
        if not leaf_tasks:
            asked_for.append((results_path, sorted(old["configs"])))
            continue
        rows, selection = [], {}
        for task in leaf_tasks:
            samples = _samples(results_path, task)
            selection[task] = sorted({s["doc_id"] for s in samples})
            rows += [replay_row(task, s) for s in samples]
        with tempfile.TemporaryDirectory() as tmp:
            replay = Path(tmp) / "responses.jsonl"
            replay.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
            out = lm_eval.simple_evaluate(
                model="replay", model_args={"responses": str(replay), "model": results_path.parent.name},
                tasks=_task_names(old, leaf_tasks, manager), samples=selection, task_manager=manager,
                log_samples=True, apply_chat_template=True,  # multi-turn tasks build chat turns; replay ignores them
            )
        for name, config in out["configs"].items():  # each judged task recorded its judge and endpoints
            chosen = ((old["configs"].get(name) or {}).get("metadata") or {}).get("raif_selection")
            if chosen is not None:  # how the run chose its documents (--shortest) stays on record
                config["metadata"] = {**config.get("metadata", {}), "raif_selection": chosen}
        out["raif_rejudged"] = {"from": results_path.name, "model_name": old.get("model_name"),
                                "judge": judge.describe()}
        tracker = EvaluationTracker(output_path=str(results_path.parent.parent))
        samples = out.pop("samples")
        tracker.general_config_tracker.log_experiment_args(
            model_source="replay", model_args={"model": results_path.parent.name}, system_instruction=None,
            chat_template=None, fewshot_as_multiturn=False,
        )
        tracker.save_results_aggregated(results=out, samples=samples)
        for task in out["configs"]:
            tracker.save_results_samples(task_name=task, samples=samples[task])
        written.append(max(results_path.parent.glob("results_*.json")))
    if not written and asked_for:
        path, names = asked_for[0]
        raise RaifError(f"no run below {output_dir} has the tasks {', '.join(tasks or [])} (e.g. {path.name}: "
                        f"{', '.join(names)}); --tasks takes task names of the run")
    if judge.embedded:
        print(f"raif-eval: {judge.describe()['note']}", file=sys.stderr)
    return written


def replay_row(task: str, sample: dict[str, Any]) -> dict[str, Any]:
    """The replay line of a logged sample. The log holds the raw output, where reasoning a server returned apart
    from the content is joined in front of it; RAIF's extraction excludes such reasoning but keeps a think block
    the model wrote, and the joined text alone cannot say which it was. The run's own answer can: when it is the
    RAIF reading of the content after a joined block, the line gives content and reasoning apart again."""
    raw = sample["resps"][0][0]
    row = {"task": task, "id": sample["doc"]["doc_id"], "response": raw}
    head, sep, content = raw.partition(f"\n{THINK_CLOSE}\n\n")
    if not (sep and head.startswith(f"{THINK_OPEN}\n")):
        return row
    scored = sample["filtered_resps"][0]
    judged = Judged.decode(scored) if isinstance(scored, str) else None
    answer = judged.answer if judged is not None else scored
    if raif_answer(content)[0] == answer != raif_answer(raw)[0]:
        row.update(response=content, reasoning=head[len(THINK_OPEN) + 1:])
    return row


def _task_names(old: dict[str, Any], leaf_tasks: list[str], manager) -> list[str]:
    """Groups whose members are unchanged are re-run as groups (so their aggregate is recomputed)."""
    names, covered = [], set()
    for group, members in old.get("group_subtasks", {}).items():
        entry = manager._index.get(group)  # the group's YAML as indexed (functions unresolved)
        if entry is None or not entry.cfg or not set(members) <= set(leaf_tasks):
            continue
        current = {m if isinstance(m, str) else m.get("task") for m in entry.cfg.get("task", [])}
        if current == set(members):
            names.append(group)
            covered |= set(members)
    return names + [t for t in leaf_tasks if t not in covered]
