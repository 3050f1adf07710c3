"""Table 1 of the RAIF paper: one row per evaluated model, each benchmark's ``raif_score`` × 100, and Avg.

Input is lm-eval's output folder (``--output_path``): every ``results_*.json`` below it is one row. A task's
benchmark is read from its config (``metadata.benchmark``), so the report needs nothing but the results files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from raif_eval.data import benchmarks
from raif_eval.errors import RaifError
from raif_eval.models import embedded

GROUP = "raif_complex"
METRIC = "raif_score,raif"
BENCH_ORDER = ("ifeval", "cello", "cfbench", "complexbench", "fbbench", "followbench", "infobench")


def _model_label(results: dict[str, Any]) -> str:
    config = results.get("config", {})
    args = config.get("model_args") or {}
    if isinstance(args, str):
        args = dict(kv.split("=", 1) for kv in args.split(",") if "=" in kv)
    if args.get("pretrained"):
        name = Path(str(args["pretrained"]).rstrip("/")).name
        return f"{embedded.NAME} (embedded)" if name.startswith(embedded.DIR_PREFIX) else name
    if args.get("model"):
        return str(args["model"])
    if args.get("responses"):
        return f"replay:{Path(str(args['responses'])).stem}"
    return str(results.get("model_name") or config.get("model") or "model")


def row(results: dict[str, Any]) -> dict[str, Any]:
    """The Table 1 cells of one results file (percentages; missing benchmarks are absent)."""
    names = {key: b.name for key, b in benchmarks().items()}
    cells: dict[str, Any] = {"model": _model_label(results)}
    for task, values in results.get("results", {}).items():
        metadata = results.get("configs", {}).get(task, {}).get("metadata", {})
        bench = metadata.get("benchmark")
        # A task may opt out of Table 1 (FollowBench's Chinese half: the column is English).
        if bench in names and METRIC in values and metadata.get("table1", True):
            cells[names[bench]] = 100 * values[METRIC]
    scores = [v for k, v in cells.items() if k != "model"]
    group = results.get("results", {}).get(GROUP, {})
    cells["Avg."] = 100 * group[METRIC] if METRIC in group else (sum(scores) / len(scores) if scores else None)
    return cells


def judge_notes(results: dict[str, Any]) -> set[str]:
    """Warnings recorded by the judge (e.g. that a toy judge scored the run)."""
    return {
        config["metadata"]["judge"]["note"]
        for config in results.get("configs", {}).values()
        if "note" in (config.get("metadata") or {}).get("judge", {})
    }


def load(results_dir: str | Path) -> list[dict[str, Any]]:
    files = sorted(Path(results_dir).rglob("results_*.json"))
    if not files:
        raise RaifError(f"no results_*.json below {results_dir}; run `raif-eval run … --output_path {results_dir}` first")
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def table(runs: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame([row(r) for r in runs]).set_index("model")
    names = [benchmarks()[k].name for k in BENCH_ORDER]
    return frame[[c for c in names if c in frame.columns] + ["Avg."]]


def write_report(results_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    runs = load(results_dir)
    frame = table(runs).round(2)
    out = Path(out_dir or results_dir)
    out.mkdir(parents=True, exist_ok=True)
    markdown = frame.to_markdown(floatfmt=".2f")
    for note in sorted(set().union(*(judge_notes(r) for r in runs))):
        markdown += f"\n\n> **{note}**"
    (out / "table1.md").write_text(markdown + "\n", encoding="utf-8")
    frame.to_csv(out / "table1.csv")
    frame.reset_index().to_json(out / "table1.json", orient="records", indent=1)
    print(markdown)
    print(f"\nwrote {out / 'table1.md'}, table1.csv and table1.json")
    return out / "table1.md"
