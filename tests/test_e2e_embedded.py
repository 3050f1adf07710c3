"""End to end on a real model: `make demo` (`raif-eval run` without --model) generates with the embedded
SmolLM2-135M-Instruct, and, without --judge_url, the judged benchmarks are scored by the same model behind the
in-process embedded judge."""

import csv
import json
import math
import os
import subprocess

import pandas as pd
import pytest

from helpers import ROOT, data_dir_with_complexbench_fixture, run_cli
from raif_eval.core import taxonomy

pytestmark = pytest.mark.slow


def test_make_demo_runs_the_embedded_model_end_to_end_and_ends_with_the_report(tmp_path):
    """`make demo`'s own recipe (the Makefile's command lines, on fewer and shorter documents so it fits CI): the
    embedded model generates, the embedded judge scores, the report is written; the console stays short."""
    data_env = data_dir_with_complexbench_fixture(tmp_path.parent / f"{tmp_path.name}-data")  # ComplexBench fixture
    proc = subprocess.run(
        ["make", "-s", "demo", f"DEMO_OUT={tmp_path}", "DEMO_TASKS=raif_complex",
         "DEMO_ARGS=--shortest 1 --gen_kwargs max_gen_toks=32"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
        env={**os.environ, "RAIF_EMBEDDED_JUDGE_MAX_TOKENS": "48", "RAIF_JUDGE_CACHE": str(tmp_path / "judge.sqlite"),
             **data_env})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    console = proc.stdout + proc.stderr
    assert "raif-eval run --tasks raif_complex --shortest 1" in console  # ComplexBench's data was there
    assert "| Model " in proc.stdout and "Documents per benchmark" in proc.stdout and "report.html" in proc.stdout
    assert "raif_score" in (tmp_path / "lm_eval_table.txt").read_text()  # lm-eval's table, kept off the console
    lines = [line for line in console.split("\n")  # progress bars redraw with \r: lines end with \n
             if not line.startswith("RAIF_DATA_VERIFY=0")]  # this test's unverified data, once per file and process
    assert len(lines) < 200, console  # was 643 lines, mostly set-up and INFO noise
    assert " INFO " not in console and "Custom kwargs" not in console and "fatal:" not in console
    assert "Traceback" not in console
    for name in ("report.md", "table1.csv", "report.html"):
        assert (tmp_path / name).is_file(), name

    results = json.loads(next(tmp_path.rglob("results_*.json")).read_text())
    assert results["config"]["model"] == "hf"
    assert "smollm2-135m-instruct" in str(results["config"]["model_args"])
    score = results["results"]["raif_complex"]["raif_score,raif"]
    members = [t for t in results["group_subtasks"]["raif_complex"]]
    assert len(members) == 7
    assert score == pytest.approx(sum(results["results"][t]["raif_score,raif"] for t in members) / len(members),
                                  nan_ok=True)
    for task in members:  # FollowBench counts an unreadable toy-judge reply -1, as upstream
        value = results["results"][task]["raif_score,raif"]
        if math.isnan(value):  # only FB-Bench, whose never validly judged record leaves the average (upstream)
            assert task == "raif_fbbench" and results["results"][task]["judge_failed_docs,raif"] == 1
        else:
            assert -1.0 <= value <= 1.0
    assert all(results["results"][t]["sample_len"] == 1 for t in members)

    samples = [json.loads(line) for line in next(tmp_path.rglob("samples_raif_ifeval_*.jsonl")).read_text().splitlines()]
    assert len(samples) == 1
    for sample in samples:
        text = sample["resps"][0][0]
        assert text.strip() and any(c.isalpha() for c in text)
        assert text not in sample["doc"]["prompt"]
        assert "<|im_start|>user" in sample["arguments"]["gen_args_0"]["arg_0"]  # the chat template was applied
        assert isinstance(sample["raif_score"], bool)
        assert len(sample["inst_level_strict_acc"]) == len(json.loads(sample["doc"]["raw"])["instruction_id_list"])

    judged = [json.loads(line) for line in next(tmp_path.rglob("samples_raif_infobench_*.jsonl")).read_text().splitlines()]
    assert len(judged) == 1
    for sample in judged:
        verdict = json.loads(sample["filtered_resps"][0])
        replies = verdict["judge"]["replies"]
        assert replies and all(r["text"] for r in replies)  # the embedded judge really answered
        assert verdict["judge"]["model"] == "embedded-smollm2-135m-instruct"
        assert len(sample["drfr"]) == len(replies)  # one verdict per asked question (early stop included)
    infobench = results["results"]["raif_infobench"]
    assert 0.0 <= infobench["drfr,raif"] <= 1.0 and infobench["judge_prompt_tokens,raif"] > 0
    note = results["configs"]["raif_infobench"]["metadata"]["judge"]["note"]
    assert note.startswith("TOY JUDGE") and note in proc.stderr

    report = proc.stdout  # the demo's report, with intervals (they re-score samples: the data was there)
    assert "IFEval" in report and "Info Bench" in report and "Selection & Chain" in report
    assert "TOY JUDGE" in report and "TOY JUDGE" in (tmp_path / "table1.md").read_text()
    assert "CI low" in (tmp_path / "table1.csv").read_text()
    assert "1 of 541 (shortest 1)" in (tmp_path / "table1.md").read_text()
    # the intervals re-score the logged samples alone: without ComplexBench's data file its cell has one too
    again = run_cli("report", str(tmp_path), "--out", str(tmp_path / "again"), "--format", "md,csv",
                    "--bootstrap", "200")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "No confidence interval for" not in again.stdout
    row = next(csv.DictReader((tmp_path / "again" / "table1.csv").read_text().splitlines()))
    assert float(row["Complex Bench CI low"]) <= float(row["Complex Bench"]) <= float(row["Complex Bench CI high"])

    # the constraint structure of the demo: in its report, and alone from the samples
    assert "# Constraint structure" in (tmp_path / "report.md").read_text()
    assert 'id="structure"' in (tmp_path / "report.html").read_text()
    shape = run_cli("report", "--structure", str(tmp_path), "--out", str(tmp_path / "structure-only"),
                    "--bootstrap", "200")
    assert shape.returncode == 0, shape.stderr[-3000:]
    by_type = pd.read_csv(tmp_path / "structure-only" / "structure" / "structure_by_type.csv")
    logged = sum(len(s["checks"]) for task in members for s in _samples(tmp_path, task))
    coverage = pd.read_csv(tmp_path / "structure-only" / "structure" / "structure_coverage.csv", index_col=0)
    assert coverage["checks"].sum() == logged and coverage["unmapped"].sum() == 0
    assert set(coverage.index) == {"ifeval", "cello", "cfbench", "complexbench", "fbbench", "followbench",
                                   "infobench"}
    assert set(by_type["type"]) <= set(taxonomy.TYPES) and (by_type["checks"] >= 0).all()


def _samples(out, task):
    return [json.loads(line) for line in next(out.rglob(f"samples_{task}_*.jsonl")).read_text().splitlines()]


FB_IB = ["run", "--tasks", "raif_followbench,raif_infobench", "--limit", "2", "--gen_kwargs", "max_gen_toks=32",
         "--log_samples"]


def test_followbench_and_infobench_on_the_embedded_model_with_the_scripted_judge(tmp_path):
    from fake_judge import MODEL, FakeJudge
    from raif_eval.benchmarks import followbench

    server = FakeJudge().start()
    try:
        proc = run_cli(*FB_IB, "--output_path", str(tmp_path), "--judge_url", server.url, "--judge_model", MODEL,
                       env={"RAIF_JUDGE_CACHE": str(tmp_path / "judge.sqlite")})  # a fresh cache: every request is sent
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(next(tmp_path.rglob("results_*.json")).read_text())["results"]
    en, zh = results["raif_followbench_en"], results["raif_followbench_zh"]
    assert results["raif_followbench"]["raif_score,raif"] == (en["raif_score,raif"] + zh["raif_score,raif"]) / 2
    bodies = [e["body"] for e in server.log.entries if e["body"].get("max_tokens") != 1]
    for lang in ("en", "zh"):
        records = {r["id"]: r for r in followbench.load_records(lang)[:2]}
        for sample in _samples(tmp_path, f"raif_followbench_{lang}"):
            answer = sample["resps"][0][0]
            assert answer.strip() and answer not in sample["doc"]["prompt"]  # a real generation
            record = records[sample["doc"]["doc_id"]]
            prompt = followbench.judge_prompt(record, json.loads(sample["filtered_resps"][0])["answer"])
            assert [{"role": "user", "content": prompt}] in [b["messages"] for b in bodies]  # judged what it said
            assert sample["hsr"] in (-1, 0, 1)
    infobench = _samples(tmp_path, "raif_infobench")
    assert len(infobench) == 2 and all(s["drfr"] for s in infobench)
    assert results["raif_infobench"]["drfr,raif"] == results["raif_infobench"]["raif_score,raif"]


def test_followbench_and_infobench_on_the_embedded_model_with_the_embedded_judge(tmp_path):
    proc = run_cli(*FB_IB, "--output_path", str(tmp_path),
                   env={"RAIF_EMBEDDED_JUDGE_MAX_TOKENS": "48", "RAIF_JUDGE_CACHE": str(tmp_path / "judge.sqlite")})
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads(next(tmp_path.rglob("results_*.json")).read_text())
    for task in ("raif_followbench_en", "raif_followbench_zh", "raif_infobench"):
        assert data["configs"][task]["metadata"]["judge"]["model"] == "embedded-smollm2-135m-instruct"
        samples = _samples(tmp_path, task)
        assert len(samples) == 2
        for sample in samples:
            judged = json.loads(sample["filtered_resps"][0])
            assert judged["judge"]["replies"] and all(r["text"] for r in judged["judge"]["replies"])
    for lang in ("en", "zh"):
        task = data["results"][f"raif_followbench_{lang}"]
        assert -1.0 <= task["raif_score,raif"] <= 1.0
        assert task["judge_unparsed,raif"] == task["judge_parse_failures,raif"]  # one reply per record
