"""The ``*_paper`` tasks against RAIF's own pipeline.

The goldens under ``tests/fixtures/raif_paper/`` were written by running RAIF's scripts (yuleiqin/RAIF @ 3986069,
unmodified; ``tests/raif_reference/`` regenerates them and says what was shimmed) on fixed responses against
``tests/paper_judge.py``'s deterministic judge. Here the paper tasks score the same responses through
``raif-eval run --model replay`` against the same judge, and must send the same judge requests (digests of
messages, temperature, max_tokens and response_format) and reach the same per-item verdicts and the same numbers
RAIF's scripts print.

The goldens hold no benchmark text: the responses are recomputed from the benchmark data by each tool's
``responses()``, and request examples and FB-Bench checkpoints are stored as sha256s.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from fake_judge import FakeJudge
from helpers import ROOT, SHARED, data_dir_with_complexbench_fixture
from paper_judge import paper_reply
from raif_eval import benchmarks
from raif_eval.core import Judged
from raif_reference import cfbench as cfbench_ref
from raif_reference import fbbench as fbbench_ref
from raif_reference import followbench as followbench_ref
from raif_reference import infobench as infobench_ref
from raif_reference.common import responses_digest, text_digest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "raif_paper"
JUDGE_MODEL = "Qwen2.5-72B-INT8"
TASKS = {"raif_cfbench_paper": "cfbench", "raif_fbbench_paper": "fbbench",
         "raif_followbench_en_paper": "followbench_en", "raif_infobench_paper": "infobench"}
REFERENCE = {"cfbench": cfbench_ref, "fbbench": fbbench_ref, "followbench_en": followbench_ref,
             "infobench": infobench_ref}


def golden(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def golden_responses(name: str) -> dict[str, str]:
    """The responses RAIF judged for ``name``'s golden, recomputed by its tool from the benchmark data, restricted
    to the ids the golden has items or requests for."""
    gold = golden(name)
    texts = REFERENCE[name].responses(SHARED)
    assert responses_digest(texts) == gold["responses"]["sha256"] and len(texts) == gold["responses"]["count"], (
        f"{name}: the tool's responses() are not those the golden was written from (regenerate it)")
    wanted = set(gold["items"]) | set(gold["requests"])
    assert wanted <= set(texts), sorted(wanted - set(texts))[:5]
    return {i: t for i, t in texts.items() if i in wanted}


def digest(body: dict) -> str:
    keys = {"messages": body["messages"], "temperature": body.get("temperature"),
            "max_tokens": body.get("max_tokens"), "response_format": body.get("response_format")}
    return hashlib.sha256(json.dumps(keys, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


OTHERS = ("raif_ifeval", "raif_cello", "raif_complexbench")  # the rest of raif_complex_paper, and two official


def _is_complexbench(body: dict) -> bool:
    last = body["messages"][-1]["content"]
    return "【评分问题" in last or "**问题**" in last


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory):
    """One replay run: the four paper tasks on the goldens' responses (recomputed by the tools), and, to see the
    whole group and the report, the rest of ``raif_complex_paper`` and two official tasks on two documents each.
    Returns (samples by task and id, results, the requests of the four tasks' judge, the output folder, env)."""
    from replay_snapshot import responses

    tmp = tmp_path_factory.mktemp("paper")
    data_env = data_dir_with_complexbench_fixture(tmp / "data")
    lines = [row for row in responses(tmp / "data") if row["task"] in OTHERS]
    selection = {task: [0, 1] for task in ("raif_ifeval", "raif_cello", *(f"{t}_paper" for t in OTHERS))}
    for task, name in TASKS.items():
        texts = golden_responses(name)
        bench = benchmarks.get(TASKS[task].split("_")[0])
        settings = bench.settings({"protocol": "paper", **({"language": "en"} if "followbench" in task else {})})
        position = {d["doc_id"]: i for i, d in enumerate(bench.documents(settings, str(SHARED)))}
        selection[task] = sorted(position[i] for i in texts)
        lines += [{"task": task, "id": i, "response": t} for i, t in texts.items()]
    replay = tmp / "responses.jsonl"
    replay.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    server = FakeJudge(reply=paper_reply, model=JUDGE_MODEL, log_path=tmp / "judge_log.jsonl").start()
    env = {**os.environ, **data_env, "RAIF_JUDGE_URL": server.url,
           "RAIF_JUDGE_CACHE": str(tmp / "judge.sqlite"), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "raif_eval", "run", "--model", "replay", "--model_args",
             f"responses={replay},model=replayed", "--tasks", "raif_ifeval,raif_cello,raif_complex_paper",
             "--samples", json.dumps(selection),
             "--output_path", str(tmp / "out"), "--log_samples", "--judge_model", JUDGE_MODEL],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-4000:]
    results_path = max((tmp / "out").rglob("results_*.json"))
    stamp = results_path.stem.removeprefix("results_")
    samples = {task: {str(s["doc"]["doc_id"]): s for s in _jsonl(results_path.parent / f"samples_{task}_{stamp}.jsonl")}
               for task in TASKS}
    results = json.loads(results_path.read_text(encoding="utf-8"))
    requests = [e["body"] for e in server.log.entries
                if e["body"].get("max_tokens") != 1 and not _is_complexbench(e["body"])]  # not the probe
    return samples, results, requests, tmp / "out", env


def _verdicts(sample: dict):
    return Judged.decode(sample["filtered_resps"][0]).verdicts


def test_the_judge_requests_are_raifs(paper_run):
    """The multiset of request digests equals RAIF's: same prompts, system messages, temperatures (0 vs 0.0
    included), max_tokens from RAIF's formulas, no response_format, and RAIF's re-asks of unreadable replies."""
    _, _, requests, *_ = paper_run
    expected = Counter(d for name in TASKS.values() for ds in golden(name)["requests"].values() for d in ds)
    got = Counter(digest(body) for body in requests)
    assert got == expected, (sum((got - expected).values()), sum((expected - got).values()))
    assert not any("response_format" in body for body in requests)


@pytest.mark.parametrize("name", list(TASKS.values()))
def test_one_request_body_in_full(paper_run, name):
    """The golden's example bodies (every request of two items, in the order sent, contents as sha256 and length)
    against ours: same roles and contents, same temperature, max_tokens, stream (values and types) and other
    fields, no response_format."""
    _, _, requests, *_ = paper_run
    by_digest = {digest(body): body for body in requests}
    gold = golden(name)
    for native_id, bodies in gold["request_examples"].items():
        assert len(bodies) == len(gold["requests"][native_id]), native_id
        for example, key_digest in zip(bodies, gold["requests"][native_id]):
            ours = by_digest[key_digest]
            assert [m["role"] for m in ours["messages"]] == [m["role"] for m in example["messages"]], native_id
            assert [{"sha256": text_digest(m["content"]), "chars": len(m["content"])} for m in ours["messages"]] \
                == [m["content"] for m in example["messages"]], native_id
            for key in ("temperature", "max_tokens", "stream", *sorted(set(example) - {"messages"})):
                assert ours.get(key) == example.get(key) and type(ours.get(key)) is type(example.get(key)), key
            assert "response_format" not in ours


def test_cfbench_items_and_printed_scores(paper_run):
    samples, results, *_ = paper_run
    results = results["results"]
    gold = golden("cfbench")
    for idx, item in gold["items"].items():
        sample, verdicts = samples["raif_cfbench_paper"][idx], _verdicts(samples["raif_cfbench_paper"][idx])
        assert verdicts["scores"] == [float(s) for s in item["judge_score"]], idx
        assert verdicts["parsing"] == item["judge_parsing"], idx
        assert {m.upper(): sample[m] for m in ("csr", "isr", "psr")} == item["judge_metric"], idx
    got = results["raif_cfbench_paper"]
    for column, value in gold["printed"].items():
        metric = column.lower()
        assert got[f"{metric},raif"] == value, column
    printed = gold["printed"]
    assert got["raif_score,raif"] == (printed["CSR"] + printed["ISR"] + printed["PSR"]) / 3


def test_fbbench_items_and_printed_scores(paper_run):
    samples, results, *_ = paper_run
    results = results["results"]
    gold = golden("fbbench")
    for position, item in gold["items"].items():
        sample = samples["raif_fbbench_paper"][position]
        verdicts = _verdicts(sample)
        if item is None:  # RAIF skipped it after 3 attempts
            assert verdicts is None and sample["fb_score"] is None, position
            continue
        assert sample["fb_score"] == item["score"], position
        assert [v["评判结果"] for v in verdicts["judgement"].values()] == item["verdicts"], position
        if "checkpoints" in item:  # sha256s of the judgement keys RAIF parsed
            assert [text_digest(k) for k in verdicts["judgement"]] == item["checkpoints"], position
    got, printed = results["raif_fbbench_paper"], gold["printed"]
    assert got["fb_error_correction,raif"] * 100 == printed["error_correction_score"]
    assert got["fb_response_maintenance,raif"] * 100 == printed["response_maintenance_score"]
    assert got["raif_score,raif"] * 100 == got["fb_overall,raif"] * 100 == printed["overall_score"]


def test_followbench_items_and_printed_scores(paper_run):
    samples, results, *_ = paper_run
    results = results["results"]
    gold = golden("followbench_en")
    for native_id, item in gold["items"].items():
        sample = samples["raif_followbench_en_paper"][native_id]
        assert (sample["hsr"], sample["ssr"]) == (item["hard"], item["soft"]), native_id
    levels = gold["printed"]["hsr_level"]
    # RAIF's level{k}_avg (the mean over the five judged categories of its 2-decimal percentages), over the levels
    assert results["raif_followbench_en_paper"]["raif_score,raif"] == float(
        np.mean([levels[f"level{k}_avg"] for k in range(1, 6)])) / 100


def test_infobench_items_and_printed_scores(paper_run):
    samples, results, *_ = paper_run
    results = results["results"]
    gold = golden("infobench")
    for native_id, item in gold["items"].items():
        assert _verdicts(samples["raif_infobench_paper"][native_id]) == item, native_id
    got, printed = results["raif_infobench_paper"], gold["printed"]
    assert got["raif_score,raif"] == got["drfr,raif"] == printed["overall"]
    assert got["drfr_easy,raif"] == printed["instruction_level_easy_true"]
    assert got["drfr_hard,raif"] == printed["instruction_level_hard_true"]


def test_raif_complex_paper_end_to_end_and_the_report_names_the_protocols(paper_run, tmp_path):
    """`raif-eval run --tasks raif_complex_paper --model replay` (ComplexBench given its data file) beside two
    official tasks, then `raif-eval report`: the two protocols are two labelled rows."""
    _, results, _, out, env = paper_run
    members = results["group_subtasks"]["raif_complex_paper"]
    official = yaml.safe_load((ROOT / "tasks" / "raif_complex.yaml").read_text(encoding="utf-8"))["task"]
    assert sorted(members) == sorted(f"{t}_paper" for t in official)
    assert all(results["configs"][t]["metadata"]["protocol"] == "paper" for t in members)
    assert results["configs"]["raif_complexbench_paper"]["metadata"]["complexbench_data_file"] == "data_release"
    assert results["results"]["raif_complex_paper"]["raif_score,raif"] == pytest.approx(
        float(np.mean([results["results"][t]["raif_score,raif"] for t in members])))
    report = subprocess.run([sys.executable, "-m", "raif_eval", "report", str(out), "--out", str(tmp_path / "report"),
                             "--format", "md"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert report.returncode == 0, report.stderr[-3000:]
    table = (tmp_path / "report" / "table1.md").read_text(encoding="utf-8")
    scores = table.split("Documents per benchmark")[0]  # the n-per-cell table that follows repeats the rows
    rows = [line for line in scores.splitlines() if line.startswith("| replayed")]
    assert [row.split("|")[2].strip() for row in rows] == ["I/O", "I/O [paper protocol]"]
    assert "[paper protocol]: RAIF's own evaluation pipeline" in table
