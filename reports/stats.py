"""Confidence intervals and paired comparisons of ``raif_score``, by bootstrapping over documents.

A task's ``raif_score`` is ``aggregation(items)`` over the per-document values its ``process_results`` returned,
and several aggregations need tags that the values carry but the logged samples do not (FollowBench's
:class:`~raif_eval.core.Tagged` cells, CELLO's per-document rows, …). So the values are *rehydrated*: the task's
scorer (:class:`~raif_eval.core.scoring.SampleScorer`, its definition under the settings the run recorded) is
called again on every logged sample (``doc`` and ``filtered_resps``; judged tasks' filtered responses already hold
the verdicts, so no judge is asked), and aggregating all of them with the definition's aggregation must give back
the results file's ``raif_score,raif`` — else :func:`rehydrate` raises.

The bootstrap resamples documents with replacement and aggregates each resample with the task's own
aggregation, so a CI of FollowBench's level-averaged HSR or CFBench's rounded means is that metric's CI.

Seeds: every resampling draws from ``numpy.random.default_rng(seed)``. :func:`run_cis` and :func:`compare` give
each task its own stream, ``task_seed(seed, task)`` (so the tasks' resamples are independent, as their documents
are, whatever tasks a run holds); results are reproducible for a seed.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from raif_eval.benchmarks import BENCHMARKS
from raif_eval.core import Benchmark
from raif_eval.core.benchmark import Settings
from raif_eval.core.scoring import SampleScorer
from raif_eval.errors import RaifError
from raif_eval.results import latest_results, load_samples, task_settings

METRIC = "raif_score,raif"
SCORE = "raif_score"
AVG = "Avg."  # the raif_complex-style row of compare(): unweighted mean over the tasks Table 1 counts
# Show a progress bar (progress=None) when a loop does at least this much: resamples × documents, or samples.
LONG_BOOTSTRAP = 200_000
LONG_REHYDRATE = 300

Aggregate = Callable[[list[Any]], float]


# --- runs and tasks ---------------------------------------------------------------------------------------------

def _results_file(run: str | Path) -> Path:
    """A results file, or the one newest results file below a folder (one model folder only)."""
    path = Path(run)
    if path.is_dir():
        found = latest_results(path)
        if len(found) != 1:
            raise RaifError(f"{path} holds runs of {len(found)} models; pass one results_*.json file")
        return found[0]
    if not path.is_file():
        raise RaifError(f"{path} does not exist; pass a results_*.json file written by raif-eval run")
    return path


def _load(results_path: Path, results: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(results_path.read_text(encoding="utf-8")) if results is None else results


def raif_tasks(results: dict[str, Any]) -> list[str]:
    """The run's leaf tasks that report ``raif_score`` (groups such as raif_complex have no samples)."""
    return [t for t in results.get("configs", {}) if METRIC in results.get("results", {}).get(t, {})]


def _definition(results: dict[str, Any], task: str) -> tuple[Benchmark, Settings]:
    key = (results["configs"][task].get("metadata") or {}).get("benchmark")
    if key not in BENCHMARKS:
        raise RaifError(f"task {task} is not one of raif-eval's tasks; statistics need the task that wrote "
                        "the samples")
    return BENCHMARKS[key], task_settings(results, task)


def scorer(results: dict[str, Any], task: str) -> SampleScorer:
    """The ``process_results`` that scored ``task`` in this run (its definition, under the run's settings)."""
    return SampleScorer(*_definition(results, task))


def aggregation(results: dict[str, Any], task: str) -> Aggregate:
    """The task's ``raif_score`` aggregation: per-document values -> score."""
    benchmark, settings = _definition(results, task)
    return next(m.aggregate for m in benchmark.all_metrics(settings) if m.name == SCORE)


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)  # only summation order may differ


def _progress(iterable, total: int, desc: str, show: bool):
    return tqdm(iterable, total=total, desc=desc, leave=False, disable=not show, dynamic_ncols=True)


# --- rehydration ------------------------------------------------------------------------------------------------

def rehydrate(results_path: str | Path, results: dict[str, Any] | None, task: str, *,
              progress: bool | None = None) -> list[Any] | None:
    """The per-document ``raif_score`` values of ``task`` in this run, in sample order (tags and all), or None
    when the run has no samples of it (made without ``--log_samples``).

    Raises :class:`RaifError` when aggregating them does not reproduce the results file's ``raif_score,raif``
    (samples from another run, edited files, or a task whose scoring changed since the run).
    """
    results_path = Path(results_path)
    results = _load(results_path, results)
    if task not in raif_tasks(results):
        raise RaifError(f"{results_path.name} has no {METRIC} for task {task}")
    samples = load_samples(results_path, task)
    if samples is None:
        return None
    score = scorer(results, task)
    show = progress if progress is not None else len(samples) >= LONG_REHYDRATE
    values = [score(s["doc"], s["filtered_resps"])[SCORE]
              for s in _progress(samples, len(samples), f"rehydrate {task}", show)]
    try:
        expected = float(results["results"][task][METRIC])
    except (TypeError, ValueError):
        raise RaifError(f"{results_path.name}: {task} {METRIC} is {results['results'][task][METRIC]!r}, "
                        "not a number") from None
    got = float(aggregation(results, task)(values))
    if not _same(got, expected):
        raise RaifError(f"rehydrated {task} samples of {results_path.name} aggregate to {got!r}, but the results "
                        f"file says {expected!r}; the samples do not belong to this results file, or the task's "
                        "scoring changed since the run")
    return values


def doc_ids(results_path: str | Path, task: str) -> list[str] | None:
    """The benchmark's native id (``sample["doc"]["doc_id"]``) of every sample, in sample order (the order of
    :func:`rehydrate`'s values); None without samples. Documents are paired across runs by these ids."""
    samples = load_samples(results_path, task)
    if samples is None:
        return None
    ids = [str(s["doc"]["doc_id"]) for s in samples]
    if len(set(ids)) != len(ids):
        raise RaifError(f"{task} samples of {Path(results_path).name} repeat native document ids; documents "
                        "cannot be paired")
    return ids


# --- bootstrap --------------------------------------------------------------------------------------------------

def task_seed(seed: int, task: str) -> list[int]:
    """The seed of ``task``'s resampling stream in :func:`run_cis` and :func:`compare`."""
    return [seed, zlib.crc32(task.encode("utf-8"))]


def _objects(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)  # element by element: values may be lists or dicts
    for i, value in enumerate(values):
        array[i] = value
    return array


def _score(aggregate: Aggregate, values: list[Any]) -> float:
    value = aggregate(values)
    return math.nan if value is None else float(value)


def _replicates(samples: Sequence[np.ndarray], aggregates: Sequence[Aggregate], n: int, seed,
                desc: str, progress: bool | None) -> np.ndarray:
    """``n`` bootstrap replicates: each draws one index vector (documents with replacement) and aggregates every
    paired sample at it. Returns an ``(n, len(samples))`` array (NaN where an aggregation is undefined)."""
    size = len(samples[0])
    rng = np.random.default_rng(seed)
    out = np.full((n, len(samples)), math.nan)
    show = progress if progress is not None else n * size * len(samples) >= LONG_BOOTSTRAP
    for b in _progress(range(n), n, desc, show):
        idx = rng.integers(0, size, size=size)
        for j, (values, aggregate) in enumerate(zip(samples, aggregates)):
            out[b, j] = _score(aggregate, values[idx].tolist())
    return out


def _valid(stats: np.ndarray, min_valid: float) -> np.ndarray | None:
    """The non-NaN replicates, or None when fewer than ``min_valid`` (a share of all, and at least 2) remain."""
    valid = stats[~np.isnan(stats)]
    return valid if len(valid) >= max(2, math.ceil(min_valid * len(stats))) else None


def _interval(stats: np.ndarray, level: float, min_valid: float) -> tuple[float, float]:
    valid = _valid(stats, min_valid)
    if valid is None:
        return (math.nan, math.nan)
    low, high = np.percentile(valid, [50 * (1 - level), 50 * (1 + level)])
    return (float(low), float(high))


def bootstrap_ci(values: Sequence[Any], aggregate: Aggregate, n: int = 1000, seed: int | Sequence[int] = 0,
                 level: float = 0.95, *, min_valid: float = 0.5, progress: bool | None = None) -> tuple[float, float]:
    """Percentile bootstrap CI of ``aggregate(values)`` over documents.

    ``n`` resamples of ``len(values)`` documents drawn with replacement (``numpy.random.default_rng(seed)``, one
    ``integers`` call per resample), each aggregated by ``aggregate``; the bounds are the ``(1 ± level) / 2``
    percentiles (numpy's linear interpolation) of the resample scores. Resamples whose score is NaN (e.g. no
    document of a category a score needs) are skipped; when fewer than ``min_valid`` of them (a share of ``n``,
    and at least 2) are left, or there are no values, the CI is ``(nan, nan)``.
    """
    if not values or n < 1:
        return (math.nan, math.nan)
    stats = _replicates([_objects(values)], [aggregate], n, seed, "bootstrap", progress)[:, 0]
    return _interval(stats, level, min_valid)


def run_cis(results_path: str | Path, results: dict[str, Any] | None = None, tasks: Sequence[str] | None = None,
            n: int = 1000, seed: int = 0, *, level: float = 0.95,
            progress: bool | None = None) -> dict[str, tuple[float, float]]:
    """``{task: (low, high)}`` for every raif-eval task of the run that has samples (optionally only ``tasks``),
    bootstrapped with :func:`bootstrap_ci` on the stream ``task_seed(seed, task)``. Same scale as raif_score."""
    results_path = _results_file(results_path)
    results = _load(results_path, results)
    cis = {}
    for task in raif_tasks(results):
        if tasks is not None and task not in tasks:
            continue
        values = rehydrate(results_path, results, task, progress=progress)
        if values is None:
            continue
        cis[task] = bootstrap_ci(values, aggregation(results, task), n=n, seed=task_seed(seed, task),
                                 level=level, progress=progress)
    return cis


# --- paired comparison ------------------------------------------------------------------------------------------

def p_value(observed: float, differences: np.ndarray) -> float:
    """Two-sided bootstrap p-value of a difference: ``min(1, 2 · share)``, where ``share`` is the fraction of the
    (non-NaN) bootstrap differences on the other side of 0 from ``observed``, ties at 0 included (``d ≤ 0`` when
    ``observed > 0``, ``d ≥ 0`` when ``observed < 0``). An observed difference of exactly 0 has p = 1. NaN when
    ``observed`` is NaN or no difference is valid. Its resolution is ``2 / n``: 0 means below that."""
    valid = differences[~np.isnan(differences)]
    if math.isnan(observed) or len(valid) == 0:
        return math.nan
    if observed == 0:
        return 1.0
    share = float(np.mean(valid <= 0)) if observed > 0 else float(np.mean(valid >= 0))
    return min(1.0, 2 * share)


def _in_table1(results: dict[str, Any], task: str) -> bool:
    return (results["configs"][task].get("metadata") or {}).get("table1", True)


COLUMNS = ["n_docs", "a", "b", "diff", "ci_low", "ci_high", "p_value"]


def compare(run_a: str | Path, run_b: str | Path, n: int = 1000, seed: int = 0, *, level: float = 0.95,
            min_valid: float = 0.5, progress: bool | None = None) -> pd.DataFrame:
    """Paired bootstrap of B − A on ``raif_score`` (0–1 scale), one row per task that both runs scored and logged.

    Documents are paired by native id (``sample["doc"]["doc_id"]``), in run A's sample order, and only the
    documents both runs have count (``n_docs``); ``a`` and ``b`` are each run's score on them and ``diff = b − a``.
    Each of ``n`` resamples draws one set of document positions (with replacement, stream ``task_seed(seed, task)``)
    and scores both runs on it; ``ci_low``/``ci_high`` are the ``(1 ± level) / 2`` percentiles of the resampled
    differences and ``p_value`` is :func:`p_value` of them (NaN resamples skipped; a CI is NaN when fewer than
    ``min_valid`` of the resamples are valid).

    With two or more tasks that Table 1 counts, a last row ``Avg.`` compares the raif_complex-style mean over those
    tasks: its difference is the mean of their differences, and its resamples are the means of the tasks'
    (independent) resampled differences; ``n_docs`` is their total. Index: task (name ``task``).
    """
    path_a, path_b = _results_file(run_a), _results_file(run_b)
    res_a, res_b = _load(path_a, None), _load(path_b, None)
    tasks_b = set(raif_tasks(res_b))
    rows: dict[str, dict[str, Any]] = {}
    averaged: list[tuple[float, float, float, np.ndarray, int]] = []
    for task in raif_tasks(res_a):
        if task not in tasks_b:
            continue
        if task_settings(res_a, task) != task_settings(res_b, task):
            raise RaifError(f"{task} was run with different options ({task_settings(res_a, task)} vs "
                            f"{task_settings(res_b, task)}); its documents and scores are not comparable")
        values_a = rehydrate(path_a, res_a, task, progress=progress)
        values_b = rehydrate(path_b, res_b, task, progress=progress)
        if values_a is None or values_b is None:
            continue
        position_b = {doc: i for i, doc in enumerate(doc_ids(path_b, task))}
        pairs = [(i, position_b[doc]) for i, doc in enumerate(doc_ids(path_a, task)) if doc in position_b]
        agg_a, agg_b = aggregation(res_a, task), aggregation(res_b, task)
        if not pairs:
            rows[task] = {"n_docs": 0, **{c: math.nan for c in COLUMNS[1:]}}
            continue
        xa = _objects([values_a[i] for i, _ in pairs])
        xb = _objects([values_b[j] for _, j in pairs])
        a, b = _score(agg_a, xa.tolist()), _score(agg_b, xb.tolist())
        reps = _replicates([xa, xb], [agg_a, agg_b], n, task_seed(seed, task), f"compare {task}", progress)
        differences = reps[:, 1] - reps[:, 0]
        low, high = _interval(differences, level, min_valid)
        rows[task] = {"n_docs": len(pairs), "a": a, "b": b, "diff": b - a, "ci_low": low, "ci_high": high,
                      "p_value": p_value(b - a, differences)}
        if _in_table1(res_a, task) and _in_table1(res_b, task):
            averaged.append((a, b, b - a, differences, len(pairs)))
    if len(averaged) >= 2:
        differences = np.mean([d for *_, d, _ in averaged], axis=0)  # NaN where any task's resample is NaN
        observed = float(np.mean([d for _, _, d, _, _ in averaged]))
        low, high = _interval(differences, level, min_valid)
        rows[AVG] = {"n_docs": sum(m for *_, m in averaged), "a": float(np.mean([a for a, *_ in averaged])),
                     "b": float(np.mean([b for _, b, *_ in averaged])), "diff": observed, "ci_low": low,
                     "ci_high": high, "p_value": p_value(observed, differences)}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=COLUMNS)
    frame.index.name = "task"
    return frame.astype({"n_docs": int}) if len(frame) else frame
