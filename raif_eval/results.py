"""What a run wrote, as re-judging and the reports read it: lm-eval's ``results_<stamp>.json`` files, the
per-document ``samples_<task>_<stamp>.jsonl`` beside them (``--log_samples``), and the task settings the run's
configs record.

Every breakdown, Table 2, the confidence intervals and the structure report are computed from these rows alone:
each holds the full ``doc`` (with the benchmark record as JSON in ``doc["raw"]``), the raw ``resps``, the scored
``filtered_resps`` (for judged tasks an encoded :class:`~raif_eval.core.Judged`) and the per-sample metric values;
the options they were scored under are the task's settings in ``configs[task]["metadata"]``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from raif_eval.benchmarks import BENCHMARKS
from raif_eval.core.benchmark import COMMON_OPTIONS, Settings
from raif_eval.errors import RaifError
from raif_eval.jsonio import read_jsonl


def latest_results(output_dir: Path) -> list[Path]:
    """The newest results file of every model folder below ``output_dir``."""
    by_folder: dict[Path, Path] = {}
    for path in sorted(Path(output_dir).rglob("results_*.json")):
        by_folder[path.parent] = path  # names sort by timestamp
    if not by_folder:
        raise RaifError(f"no results_*.json below {output_dir}; point raif-eval at an --output_path of a run made "
                        "with --log_samples")
    return list(by_folder.values())


def stamp(results_path: Path) -> str:
    return Path(results_path).stem.removeprefix("results_")


def samples_path(results_path: str | Path, task: str) -> Path:
    results_path = Path(results_path)
    return results_path.parent / f"samples_{task}_{stamp(results_path)}.jsonl"


@cache
def _read(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(read_jsonl(path, "an lm-eval samples file"))


def load_samples(results_path: str | Path, task: str) -> list[dict[str, Any]] | None:
    """The sample rows of ``task`` in this run, or None when the run was made without ``--log_samples``."""
    path = samples_path(results_path, task)
    return list(_read(path)) if path.is_file() else None


def task_settings(results: dict[str, Any], task: str) -> Settings:
    """The settings ``task`` was scored under: its recorded options, defaults filled in from its definition (runs
    that recorded only the options they set, as earlier versions did, read the same as runs that record all of
    them). A task raif-eval does not define: its ``<benchmark>_…`` options as recorded."""
    metadata = (results.get("configs", {}).get(task) or {}).get("metadata") or {}
    key = metadata.get("benchmark")
    if key in BENCHMARKS:
        return BENCHMARKS[key].settings(metadata)
    return {k: v for k, v in metadata.items() if k.startswith(f"{key}_")}


def task_options(results: dict[str, Any]) -> dict[str, Any]:
    """The options a run was given (``--metadata`` applies to every task): the benchmark options (``<benchmark>_…``)
    and the common ones whose recorded value is not what the task's protocol implies anyway. A run of official and
    paper tasks thus keeps each protocol's own defaults (FB-Bench v3 and v1) and the user's choices."""
    options = {}
    for config in results.get("configs", {}).values():
        metadata = config.get("metadata") or {}
        if metadata.get("benchmark") not in BENCHMARKS:
            continue
        benchmark = BENCHMARKS[metadata["benchmark"]]
        protocol = benchmark.protocol(metadata.get("protocol"))
        for option in benchmark.options:
            if option.name.startswith(f"{benchmark.key}_") and option.name in metadata:
                implied = protocol.defaults.get(option.name, option.default)
                if metadata[option.name] != implied:
                    options[option.name] = metadata[option.name]
        for option in COMMON_OPTIONS:
            implied = protocol.defaults.get(option.name, option.default)
            if metadata.get(option.name, implied) != implied:
                options[option.name] = metadata[option.name]
    return options
