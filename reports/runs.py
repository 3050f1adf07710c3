"""Finding and labelling the runs a report compares.

A run is one lm-eval results file (``results_<stamp>.json``, from ``raif-eval run`` or plain ``lm_eval``). Its row
label is (model, method): the model from the run's model arguments, the method from the run's prompting mode
(``raif_mode`` in the run's metadata; "I/O" when there is none), unless ``--label MODEL[:METHOD]`` says otherwise.

A results file that holds tasks of several protocols (``raif_complex`` and ``raif_complex_paper`` in one run) is
one run per protocol. A run of any protocol but the official one names it in its method ("I/O [paper protocol]"),
so its numbers never sit in the official rows unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raif_eval import modes
from raif_eval.benchmarks import BENCHMARKS
from raif_eval.errors import RaifError
from raif_eval.jsonio import read_json
from raif_eval.models import embedded

DEFAULT_METHOD = "I/O"


OFFICIAL = "official"


def protocol_suffix(protocol: str) -> str:
    """What a method label says about its protocol: nothing for the official one."""
    return "" if protocol == OFFICIAL else f" [{protocol} protocol]"


def task_protocol(config: dict[str, Any]) -> str:
    return (config.get("metadata") or {}).get("protocol") or OFFICIAL


@dataclass
class Run:
    path: Path
    results: dict[str, Any]
    model: str
    method: str  # with the protocol's suffix
    protocol: str = OFFICIAL

    @property
    def label(self) -> str:
        return f"{self.model} / {self.method}"

    def tasks(self) -> dict[str, str]:
        """raif-eval tasks of this run (its protocol's) that fill a Table 1 column: task name -> benchmark key."""
        out = {}
        for task, config in self.results.get("configs", {}).items():
            metadata = config.get("metadata") or {}
            if metadata.get("benchmark") in BENCHMARKS and metadata.get("table1", True) and \
                    task_protocol(config) == self.protocol:
                out[task] = metadata["benchmark"]
        return out


def model_label(results: dict[str, Any]) -> str:
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


def method_label(results: dict[str, Any]) -> str:
    """The prompting mode recorded by ``raif-eval run --mode`` (in any task's metadata), else I/O; "+ <model>"
    when a reasoning model thought first (``--cot_model``)."""
    for config in results.get("configs", {}).values():
        metadata = config.get("metadata") or {}
        mode, thinker = metadata.get("raif_mode"), metadata.get("raif_cot_model_url")
        if mode or thinker:
            method = modes.label(mode)
            return f"{method} + {metadata.get('raif_cot_model') or 'reasoning model'}" if thinker else method
    return DEFAULT_METHOD


def results_files(path: Path) -> list[Path]:
    if not path.exists():
        raise RaifError(f"{path} does not exist; pass lm-eval output folders or results_*.json files")
    if path.is_file():
        return [path]
    found = sorted(path.rglob("results_*.json"))
    if not found:
        raise RaifError(f"no results_*.json below {path}; run `raif-eval run … --output_path {path}` first")
    return found


def predict_only(results: dict) -> bool:
    """A results file of ``--predict_only``: every task reports lm-eval's placeholder metric ``bypass`` only."""
    tasks = [values for values in results.get("results", {}).values() if isinstance(values, dict)]
    return bool(tasks) and all(not any(k.split(",")[0] not in ("bypass", "bypass_stderr", "name", "alias",
                                                                  "sample_len", " ") for k in values)
                               for values in tasks)


def load_runs(paths: list[str | Path], labels: list[str] | None = None) -> list[Run]:
    """Every results file below ``paths``, labelled; ``labels`` (``MODEL`` or ``MODEL:METHOD``) go one per path."""
    labels = list(labels or [])
    if labels and len(labels) != len(paths):
        raise RaifError(f"{len(labels)} --label for {len(paths)} inputs: give one per input, in the same order, "
                        f"as MODEL or MODEL:METHOD")
    runs: list[Run] = []
    for index, given in enumerate(paths):
        unscored = []
        for file in results_files(Path(given)):
            results = read_json(file, "a readable lm-eval results file")
            if not all(isinstance(results.get(k, {}), dict) for k in ("results", "configs", "config")):
                raise RaifError(f"{file} is not a readable lm-eval results file (results, configs and config "
                                "must be objects)")
            if predict_only(results):  # generations awaiting `raif-eval judge`: nothing to report yet
                unscored.append(file)
                continue
            model, method = model_label(results), method_label(results)
            if labels:
                model, _, method_given = labels[index].partition(":")
                method = method_given or method
            protocols = sorted({task_protocol(c) for c in results.get("configs", {}).values()},
                               key=lambda p: (p != OFFICIAL, p))
            found = [Run(file, results, model, method + protocol_suffix(p), p) for p in protocols]
            found = [run for run in found if run.tasks()]
            if not found:
                names = ", ".join(sorted(results.get("results", {}))) or "none"
                raise RaifError(f"{file} has no raif-eval benchmark results (its tasks: {names}); pass runs of "
                                f"raif-eval tasks (raif-eval ls tasks | grep raif)")
            runs.extend(found)
        if unscored and not any(run.path in results_files(Path(given)) for run in runs):
            raise RaifError(f"{given} holds only runs made with --predict_only ({unscored[0].name}): score them "
                            f"first with `raif-eval judge {given}`, then report")
    seen: dict[str, Path] = {}
    for run in runs:
        if run.label in seen:
            raise RaifError(f"two runs are labelled {run.label!r} ({seen[run.label]} and {run.path}); tell them "
                            f"apart with one --label MODEL:METHOD per input")
        seen[run.label] = run.path
    return runs
