"""End to end on a real model: `raif-eval run` without --model generates with the embedded SmolLM2-135M-Instruct,
and, without --judge_url, InFoBench is judged by the same model behind the in-process embedded judge."""

import json

import pytest

from helpers import run_cli

pytestmark = pytest.mark.slow


def test_embedded_model_run_writes_real_generations_and_raif_score(tmp_path):
    proc = run_cli("run", "--tasks", "raif_complex", "--limit", "2", "--gen_kwargs", "max_gen_toks=32",
                   "--output_path", str(tmp_path), "--log_samples")
    assert proc.returncode == 0, proc.stderr[-4000:]

    results = json.loads(next(tmp_path.rglob("results_*.json")).read_text())
    assert results["config"]["model"] == "hf"
    assert "smollm2-135m-instruct" in str(results["config"]["model_args"])
    score = results["results"]["raif_complex"]["raif_score,raif"]
    assert 0.0 <= score <= 1.0
    assert results["results"]["raif_ifeval"]["sample_len"] == 2

    samples = [json.loads(line) for line in next(tmp_path.rglob("samples_raif_ifeval_*.jsonl")).read_text().splitlines()]
    assert len(samples) == 2
    for sample in samples:
        text = sample["resps"][0][0]
        assert text.strip() and any(c.isalpha() for c in text)
        assert text not in sample["doc"]["prompt"]
        assert "<|im_start|>user" in sample["arguments"]["gen_args_0"]["arg_0"]  # the chat template was applied
        assert isinstance(sample["raif_score"], bool)
        assert len(sample["inst_level_strict_acc"]) == len(json.loads(sample["doc"]["raw"])["instruction_id_list"])
    assert samples[0]["resps"][0][0] != samples[1]["resps"][0][0]

    judged = [json.loads(line) for line in next(tmp_path.rglob("samples_raif_infobench_*.jsonl")).read_text().splitlines()]
    assert len(judged) == 2
    for sample in judged:
        verdict = json.loads(sample["filtered_resps"][0])
        replies = verdict["judge"]["replies"]
        assert replies and all(r["text"] for r in replies)  # the embedded judge really answered
        assert verdict["judge"]["model"] == "embedded-smollm2-135m-instruct"
        assert len(sample["drfr"]) == len(replies)  # one verdict per asked question (early stop included)
    infobench = results["results"]["raif_infobench"]
    assert 0.0 <= infobench["drfr,raif"] <= 1.0 and infobench["judge_prompt_tokens,raif"] > 0
    note = results["configs"]["raif_infobench"]["metadata"]["judge"]["note"]
    assert note.startswith("TOY JUDGE") and note in proc.stderr.splitlines()[-1]

    report = run_cli("report", str(tmp_path))
    assert report.returncode == 0 and "IFEval" in report.stdout and "InFoBench" in report.stdout
    assert "TOY JUDGE" in report.stdout and "TOY JUDGE" in (tmp_path / "table1.md").read_text()
