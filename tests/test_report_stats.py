"""reports.stats: rehydrated per-document values, bootstrap CIs and paired comparisons, on two real replay runs.

Run "worse": IFEval answered with empty strings, FollowBench with plain answers the scripted judge scores by hash
(a mix of 1, 0 and -1). Run "better": IFEval with GPT-4's official answers, FollowBench with answers the judge
passes on every constraint. So "better" is at least as good on every document, and strictly better on many.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fake_judge import MODEL, FakeJudge, scripted_reply
from helpers import run_cli
from raif_eval.benchmarks import followbench
from raif_eval.errors import RaifError
from raif_eval.reports import stats
from raif_eval.results import load_samples

TASKS = ("raif_ifeval", "raif_followbench_en")
LIMIT = 20
GOOD = "GOOD ANSWER"
LIST_ASK = re.compile(r"only output a Python LIST with (\d+) elements?")


def judge_reply(body):
    """YES on every constraint for an answer marked GOOD, else the scripted (hash-driven) verdicts."""
    last = body["messages"][-1]["content"]
    if GOOD in last and (asked := LIST_ASK.search(last)):
        return f"1) ...\n{['YES'] * int(asked.group(1))}"
    return scripted_reply(body)


def _run(tmp: Path, name: str, rows: dict[str, list[tuple[str, str]]], judge_url: str) -> Path:
    replay = tmp / f"{name}.jsonl"
    with replay.open("w", encoding="utf-8") as fh:
        for task, pairs in rows.items():
            fh.write("".join(json.dumps({"task": task, "id": i, "response": r}) + "\n" for i, r in pairs))
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={replay},model={name}",
                   "--tasks", ",".join(TASKS), "--limit", str(LIMIT), "--log_samples",
                   "--output_path", str(tmp / "out" / name), "--judge_url", judge_url, "--judge_model", MODEL,
                   env={"RAIF_JUDGE_CACHE": str(tmp / f"{name}.sqlite")})
    assert proc.returncode == 0, proc.stderr[-4000:]
    (path,) = (tmp / "out" / name).rglob("results_*.json")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory, ifeval_records, ifeval_gpt4_responses):
    tmp = tmp_path_factory.mktemp("stats")
    ifeval_ids = [r["key"] for r in ifeval_records[:LIMIT]]
    fb_ids = [r["id"] for r in followbench.load_records("en")[:LIMIT]]
    answers = {
        "worse": {"raif_ifeval": [(i, "") for i in ifeval_ids],
                  "raif_followbench_en": [(i, f"An answer {n}") for n, i in enumerate(fb_ids)]},
        "better": {"raif_ifeval": list(zip(ifeval_ids, ifeval_gpt4_responses[:LIMIT])),
                   "raif_followbench_en": [(i, f"{GOOD} {n}") for n, i in enumerate(fb_ids)]},
    }
    server = FakeJudge(reply=judge_reply).start()
    try:
        with ThreadPoolExecutor(2) as pool:  # two independent CLI runs (separate judge caches) side by side
            futures = {name: pool.submit(_run, tmp, name, rows, server.url) for name, rows in answers.items()}
            paths = {name: f.result() for name, f in futures.items()}
    finally:
        server.stop()
    paths["worse_copy"] = _copy(paths["worse"], tmp / "worse_copy")
    paths["better_shuffled"] = _copy(paths["better"], tmp / "better_shuffled", order=lambda rows: rows[::-1])
    return paths


def _copy(results: Path, folder: Path, order=lambda rows: rows) -> Path:
    """The run's results and samples in another folder, samples rewritten in ``order``."""
    folder.mkdir()
    shutil.copy(results, folder / results.name)
    for samples in results.parent.glob(f"samples_*_{_stamp(results)}.jsonl"):
        rows = samples.read_text(encoding="utf-8").splitlines()
        (folder / samples.name).write_text("\n".join(order(rows)) + "\n", encoding="utf-8")
    return folder / results.name


def _stamp(results: Path) -> str:
    return results.stem.removeprefix("results_")


def _results(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _score(path: Path, task: str) -> float:
    return _results(path)["results"][task]["raif_score,raif"]


# --- rehydration ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["worse", "better"])
@pytest.mark.parametrize("task", TASKS)
def test_rehydrated_values_reproduce_the_results_score_exactly(runs, name, task):
    path = runs[name]
    results = _results(path)
    values = stats.rehydrate(path, results, task)
    samples = load_samples(path, task)
    assert len(values) == len(samples) == LIMIT
    assert stats.aggregation(results, task)(values) == results["results"][task]["raif_score,raif"]
    assert [float(v) for v in values] == [float(s["raif_score"]) for s in samples]  # the logged per-doc numbers
    assert stats.doc_ids(path, task) == [s["doc"]["doc_id"] for s in samples]
    if task == "raif_followbench_en":  # the tags the aggregation needs are back
        assert [v.tags["level"] for v in values] == [s["doc"]["level"] for s in samples]


def test_rehydrate_without_samples_is_none_and_tampered_samples_raise(runs, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(runs["worse"], bare / runs["worse"].name)
    assert stats.rehydrate(bare / runs["worse"].name, None, "raif_ifeval") is None
    assert stats.doc_ids(bare / runs["worse"].name, "raif_ifeval") is None
    assert stats.run_cis(bare / runs["worse"].name, n=10) == {}

    tampered = _copy(runs["worse"], tmp_path / "tampered")
    samples = tampered.parent / f"samples_raif_followbench_en_{_stamp(tampered)}.jsonl"
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    judged = json.loads(rows[1]["filtered_resps"][0])
    assert judged["judge"]["verdicts"][0] != 1  # a failed record of "worse" ...
    judged["judge"]["verdicts"] = [1] * len(judged["judge"]["verdicts"])  # ... now passed
    rows[1]["filtered_resps"] = [json.dumps(judged)]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(RaifError, match="aggregate to"):
        stats.rehydrate(tampered, None, "raif_followbench_en")


# --- confidence intervals ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["worse", "better"])
def test_run_cis_contain_the_score(runs, name):
    cis = stats.run_cis(runs[name], n=1000, seed=0)
    assert set(cis) == set(TASKS)
    for task, (low, high) in cis.items():
        assert low <= _score(runs[name], task) <= high


def test_ci_narrows_with_more_documents_and_is_wider_for_a_more_variable_run(runs):
    results = _results(runs["better"])
    values = stats.rehydrate(runs["better"], results, "raif_ifeval")
    aggregate = stats.aggregation(results, "raif_ifeval")
    low, high = stats.bootstrap_ci(values, aggregate, n=1000, seed=0)
    low8, high8 = stats.bootstrap_ci(values * 8, aggregate, n=1000, seed=0)  # same share passing, 8× the docs
    assert 0 < high8 - low8 < (high - low) / 2  # ~1/sqrt(8) of the width
    assert low8 <= aggregate(values * 8) <= high8

    worse = stats.run_cis(runs["worse"], n=1000)
    better = stats.run_cis(runs["better"], n=1000)
    # FollowBench: "worse" mixes 1, 0 and -1; "better" passes everything (no spread at all). IFEval: the reverse.
    assert worse["raif_followbench_en"][1] - worse["raif_followbench_en"][0] > 0.2
    assert better["raif_followbench_en"] == (1.0, 1.0)
    assert worse["raif_ifeval"] == (0.0, 0.0)
    assert better["raif_ifeval"][1] - better["raif_ifeval"][0] > 0.2


def test_ci_is_deterministic_for_a_seed(runs):
    first = stats.run_cis(runs["worse"], n=300, seed=7)
    assert stats.run_cis(runs["worse"], n=300, seed=7) == first
    assert stats.run_cis(runs["worse"], n=300, seed=8) != first
    values = stats.rehydrate(runs["worse"], None, "raif_followbench_en")
    aggregate = stats.aggregation(_results(runs["worse"]), "raif_followbench_en")
    assert first["raif_followbench_en"] == stats.bootstrap_ci(
        values, aggregate, n=300, seed=stats.task_seed(7, "raif_followbench_en"))
    assert stats.bootstrap_ci(values, aggregate, n=300, seed=3) == stats.bootstrap_ci(values, aggregate, n=300, seed=3)


def test_bootstrap_ci_skips_nan_resamples_and_gives_up_when_too_few_are_valid():
    def mean_unless_zero(items):  # undefined (NaN) whenever document 0.0 is drawn
        return math.nan if 0.0 in items else sum(items) / len(items)

    values = [0.0] + [1.0, 2.0] * 50  # P(resample without 0.0) = (100/101)^101 ≈ 0.37
    low, high = stats.bootstrap_ci(values, mean_unless_zero, n=500, min_valid=0.2)
    assert 1.0 < low < 1.5 < high < 2.0
    assert stats.bootstrap_ci(values, mean_unless_zero, n=500) == pytest.approx((math.nan,) * 2, nan_ok=True)
    assert stats.bootstrap_ci([], mean_unless_zero) == pytest.approx((math.nan,) * 2, nan_ok=True)
    assert stats.bootstrap_ci([0.5], lambda v: sum(v) / len(v), n=50) == (0.5, 0.5)


def test_p_value_definition():
    d = np.array([-0.1, 0.0, 0.1, 0.2, 0.3, np.nan, 0.4, 0.5, 0.6, 0.7, 0.8])  # 10 valid, 2 at or below 0
    assert stats.p_value(0.3, d) == pytest.approx(0.4)
    assert stats.p_value(-0.3, -d) == pytest.approx(0.4)
    assert stats.p_value(0.3, -d) == 1.0  # capped
    assert stats.p_value(0.0, d) == 1.0
    assert stats.p_value(0.3, d + 1) == 0.0
    assert math.isnan(stats.p_value(0.3, np.array([np.nan])))


# --- paired comparison ------------------------------------------------------------------------------------------

def test_identical_runs_compare_as_no_difference(runs):
    frame = stats.compare(runs["worse"], runs["worse_copy"], n=500)
    assert list(frame.index) == [*sorted(TASKS), stats.AVG]
    assert (frame["n_docs"] == [LIMIT, LIMIT, 2 * LIMIT]).all()
    assert (frame["diff"] == 0).all() and (frame["ci_low"] == 0).all() and (frame["ci_high"] == 0).all()
    assert (frame["p_value"] == 1).all()
    assert (frame["a"] == frame["b"]).all()


def test_a_better_run_gives_a_positive_significant_difference(runs):
    worse, better = runs["worse"], runs["better"]
    for task in TASKS:  # the premise: "better" is never worse on a document, and better on several
        a, b = (stats.rehydrate(p, None, task) for p in (worse, better))
        assert all(y >= x for x, y in zip(a, b)) and sum(y > x for x, y in zip(a, b)) >= 5
    frame = stats.compare(worse, better, n=1000, seed=0)
    for task in TASKS:
        row = frame.loc[task]
        assert row["diff"] == pytest.approx(_score(better, task) - _score(worse, task))  # every document is common
        assert row["diff"] > 0 and row["ci_low"] > 0 and row["ci_high"] >= row["diff"] >= row["ci_low"]
        assert row["p_value"] < 0.01
    avg = frame.loc[stats.AVG]
    assert avg["diff"] == pytest.approx(frame.loc[list(TASKS), "diff"].mean())
    assert 0 < avg["ci_low"] <= avg["diff"] <= avg["ci_high"] and avg["p_value"] < 0.01

    reverse = stats.compare(better, worse, n=1000, seed=0)
    assert np.allclose(reverse["diff"], -frame["diff"])
    assert (reverse["ci_high"] < 0).all() and (reverse["p_value"] < 0.01).all()


def test_compare_is_deterministic_for_a_seed(runs):
    first = stats.compare(runs["worse"], runs["better"], n=300, seed=1)
    pd.testing.assert_frame_equal(first, stats.compare(runs["worse"], runs["better"], n=300, seed=1))
    assert not first.equals(stats.compare(runs["worse"], runs["better"], n=300, seed=2))


def test_documents_are_paired_by_native_id_not_by_sample_order(runs):
    better, shuffled = runs["better"], runs["better_shuffled"]
    for task in TASKS:
        assert stats.doc_ids(shuffled, task) == stats.doc_ids(better, task)[::-1]
    # Same answers in another order: no difference at all (positional pairing would see IFEval's spread).
    same = stats.compare(better, shuffled, n=500)
    assert (same["diff"] == 0).all() and (same["ci_low"] == 0).all() and (same["ci_high"] == 0).all()
    assert (same["p_value"] == 1).all()
    # And against another run, the order of B's samples changes nothing.
    pd.testing.assert_frame_equal(stats.compare(runs["worse"], better, n=500),
                                  stats.compare(runs["worse"], shuffled, n=500))


def test_report_compare_command_prints_the_paired_table(runs):
    from helpers import run_cli

    proc = run_cli("report", "--compare", str(runs["worse"]), str(runs["better"]), "--bootstrap", "200")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| task"))
    assert "diff" in header and "p_value" in header and "ci_low" in header
    assert any(line.startswith("| raif_ifeval") for line in lines)
    assert any(line.startswith("| raif_followbench_en") for line in lines)
