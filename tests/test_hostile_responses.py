"""Untrusted responses cannot cost a run its results or samples: one pathological response is scored, written,
and changes no other document's verdict."""

from __future__ import annotations

import json

from helpers import run_cli
from raif_eval.benchmarks import ifeval


def _run(tmp_path, name, responses):
    replay = tmp_path / f"{name}.jsonl"
    replay.write_text("".join(json.dumps({"task": "raif_ifeval", "id": r["key"], "response": x}) + "\n"
                              for r, x in zip(ifeval.load_records(), responses)), encoding="utf-8")
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={replay}", "--tasks", "raif_ifeval",
                   "--output_path", str(tmp_path / name), "--log_samples")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    [samples] = (tmp_path / name).rglob("samples_raif_ifeval_*.jsonl")
    lines = samples.read_text(encoding="utf-8").splitlines()
    return {s["doc_id"]: {m: s[m] for m in s["metrics"]} for s in map(json.loads, lines)}, len(lines)


def test_deep_brackets_and_a_lone_surrogate_among_the_541_gpt4_responses(tmp_path, ifeval_gpt4_responses):
    records = ifeval.load_records()
    deep = next(i for i, r in enumerate(records) if "detectable_format:json_format" in r["instruction_id_list"])
    broken = next(i for i in range(len(records)) if i != deep)
    hostile = list(ifeval_gpt4_responses)
    hostile[deep] = "[" * 1500  # RecursionError in lm-eval's json_format checker, which catches ValueError only
    hostile[broken] = "Hello \ud800 world"  # could not be written to the samples as UTF-8
    clean, _ = _run(tmp_path, "clean", ifeval_gpt4_responses)
    got, n = _run(tmp_path, "hostile", hostile)
    assert n == len(got) == 541
    assert {i: v for i, v in got.items() if i not in (deep, broken)} == {
        i: v for i, v in clean.items() if i not in (deep, broken)}
    assert got[deep]["prompt_level_strict_acc"] is False  # not JSON Python can read: not followed
