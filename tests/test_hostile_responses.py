"""Untrusted responses cannot cost a run its results or samples: one pathological response is scored, written,
and changes no other document's verdict."""

from __future__ import annotations

import json
import os

import pytest

from helpers import run_cli
from raif_eval.benchmarks import ifeval


def _run(tmp_path, name, responses, *extra, env=None):
    replay = tmp_path / f"{name}.jsonl"
    replay.write_text("".join(json.dumps({"task": "raif_ifeval", "id": r["key"], "response": x}) + "\n"
                              for r, x in zip(ifeval.load_records(), responses)), encoding="utf-8")
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={replay}", "--tasks", "raif_ifeval",
                   "--output_path", str(tmp_path / name), "--log_samples", *extra, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    [samples] = (tmp_path / name).rglob("samples_raif_ifeval_*.jsonl")
    [results] = (tmp_path / name).rglob("results_*.json")
    lines = samples.read_text(encoding="utf-8").splitlines()
    metrics = json.loads(results.read_text(encoding="utf-8"))["results"]["raif_ifeval"]
    return {s["doc_id"]: {m: s[m] for m in s["metrics"]} for s in map(json.loads, lines)}, len(lines), metrics


def test_deep_brackets_and_a_lone_surrogate_among_the_541_gpt4_responses(tmp_path, ifeval_gpt4_responses):
    records = ifeval.load_records()
    deep = next(i for i, r in enumerate(records) if "detectable_format:json_format" in r["instruction_id_list"])
    broken = next(i for i in range(len(records)) if i != deep)
    hostile = list(ifeval_gpt4_responses)
    hostile[deep] = "[" * 1500  # RecursionError in lm-eval's json_format checker, which catches ValueError only
    hostile[broken] = "Hello \ud800 world"  # could not be written to the samples as UTF-8
    clean, _, clean_metrics = _run(tmp_path, "clean", ifeval_gpt4_responses)
    got, n, metrics = _run(tmp_path, "hostile", hostile)
    assert n == len(got) == 541
    assert {i: v for i, v in got.items() if i not in (deep, broken)} == {
        i: v for i, v in clean.items() if i not in (deep, broken)}
    assert got[deep]["prompt_level_strict_acc"] is False  # not JSON Python can read: not followed
    # both counted: nesting beyond the parser, and the surrogate (U+FFFD once read); nothing failed to score
    assert got[deep]["hostile_input"] == got[broken]["hostile_input"] == 1
    assert (clean_metrics["hostile_input,raif"], metrics["hostile_input,raif"]) == (0, 2)
    assert clean_metrics["scoring_failed_docs,raif"] == metrics["scoring_failed_docs,raif"] == 0


def test_a_document_that_outlasts_the_scoring_timeout_is_failed_counted_and_written(tmp_path):
    records = ifeval.load_records()[:6]
    slow = next(i for i, r in enumerate(records) if "length_constraints:number_words" in r["instruction_id_list"])
    responses = ["A short answer."] * len(records)
    responses[slow] = "word " * 1_500_000  # 7.5 MB: counting the words of it and its eight loose variants takes s
    env = {**os.environ, "RAIF_SCORING_TIMEOUT": "0.5"}
    got, n, metrics = _run(tmp_path, "timeout", responses, "--limit", str(len(records)), env=env)
    assert n == len(records)
    failed = {i: v["scoring_failed_docs"] for i, v in got.items() if v["scoring_failed_docs"]}
    assert list(failed) == [slow] and "ScoringTimeout" in failed[slow]
    assert got[slow]["prompt_level_strict_acc"] is False and not any(got[slow]["inst_level_loose_acc"])
    assert metrics["scoring_failed_docs,raif"] == 1


def _leaves(value):
    if isinstance(value, dict):
        value = [v for k, v in value.items() if k != "task_file"]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [] if value is None else [value]


def test_a_scorer_that_raises_fails_only_its_document():
    from dataclasses import replace

    from raif_eval.benchmarks import cfbench
    from raif_eval.core import Judged
    from raif_eval.core.scoring import SampleScorer

    for benchmark in (ifeval.BENCHMARK, cfbench.BENCHMARK):
        doc = benchmark.documents(benchmark.settings({}), None)[0]
        judged = benchmark.judged

        def score(d, answer, j, settings, real=benchmark.score):
            if answer == "boom":
                raise KeyError("a verifier bug")
            return real(d, answer, j, settings)

        scorer = SampleScorer(replace(benchmark, score=score), benchmark.settings({}))
        wrap = (lambda a: Judged(a, None).encode()) if judged else (lambda a: a)
        fine, failed = scorer(doc, [wrap("fine")]), scorer(doc, [wrap("boom")])
        assert set(failed) == set(fine) and fine["scoring_failed_docs"] == 0
        assert failed["scoring_failed_docs"] == "KeyError: 'a verifier bug'"
        scores = [failed[m.name] for m in benchmark.metrics]
        assert scores and not any(_leaves(scores)), scores  # every verdict false, every score 0


def test_invisible_and_replaced_answers_are_counted_as_hostile_but_keep_their_verdicts():
    from raif_eval.core.scoring import SampleScorer

    scorer = SampleScorer(ifeval.BENCHMARK, ifeval.BENCHMARK.settings({}))
    doc = ifeval.BENCHMARK.documents(ifeval.BENCHMARK.settings({}), None)[1]  # punctuation:no_comma only
    for answer, hostile in (("\u200b", 1), ("\ufeff\u200d", 1), ("no comma \ufffd here", 1), ("no comma here", 0)):
        out = scorer(doc, [answer])
        assert out["hostile_input"] == hostile, answer
        assert out["prompt_level_strict_acc"] is True  # as the official checker: no comma in it


def test_the_scoring_time_limit_restores_the_handler_and_outlasts_a_swallowed_timeout(monkeypatch):
    import signal
    import time

    from raif_eval.core import hostile

    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(hostile.ScoringTimeout):
        with hostile.time_limit(0.2):
            try:
                while True:  # a library's bare except swallows the first one; the interval timer comes back
                    time.sleep(0.01)
            except BaseException:  # noqa: BLE001
                pass
            while True:
                time.sleep(0.01)
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    start = time.perf_counter()
    with hostile.time_limit(0.1):
        with hostile.uninterrupted():  # one-time set-up finishes
            time.sleep(0.4)
    assert time.perf_counter() - start >= 0.4
    for value, limit in (("inf", 0.0), ("1e12", 0.0), ("-1", 0.0), ("abc", 60.0), ("2.5", 2.5)):
        monkeypatch.setenv("RAIF_SCORING_TIMEOUT", value)
        assert hostile.scoring_timeout() == limit
