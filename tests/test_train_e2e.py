"""raif-train end to end on CPU: constraint records -> RAIF rows -> GRPO steps on the embedded SmolLM2 with a rule
reward -> a checkpoint that raif-eval evaluates; and the data conversion round trip."""

from __future__ import annotations

import json
import re

import pytest

from helpers import ROOT, run_cli
from raif_train import data, prompts

CPU_CONFIG = ROOT / "raif_train" / "configs" / "cpu-embedded.yaml"


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from raif_eval.models.embedded import ensure_embedded_model, model_dir

    ensure_embedded_model()
    return AutoTokenizer.from_pretrained(model_dir())


def test_records_round_trip_through_the_raif_format(tokenizer, ifeval_records):
    from raif_eval.benchmarks import infobench

    info = infobench.load_records()[0]
    plain = {"prompt": "写一首诗。", "scoring_questions": ["是否是诗？", "Is it short?"]}
    for record in (ifeval_records[0], info, plain):
        row = data.to_raif(record, tokenizer)
        assert row["input"].endswith("<think>\n") and prompts.raif_system_prompt() in row["input"]
        back = data.from_raif(row)
        assert back["prompt"] == data.record_prompt(record).strip()
        trained = data.raif_row(row)
        assert trained["prompt"] == row["input"] and trained["template"] == "qwen"  # SmolLM2 uses <|im_start|>
    assert data.from_raif(data.to_raif(ifeval_records[0], tokenizer))["kwargs"] == ifeval_records[0]["kwargs"]
    assert data.from_raif(data.to_raif(info, tokenizer))["scoring_questions"] == info["decomposed_questions"]
    maths = {"problem": "What is $2+2$?", "answer": "4", "solution": "..."}  # a DeepScaleR row
    row = data.to_raif(maths, tokenizer)
    assert (row["task"], row["target"]) == ("default", "4")  # the ground truth survives as the target
    assert data.raif_row(row)["target"] == "4" and data.from_raif(row) == {"problem": "What is $2+2$?",
                                                                          "answer": "4"}
    with pytest.raises(ValueError, match="ground-truth answer"):
        data.raif_row({"input": "x", "task": "default"})
    with pytest.raises(ValueError, match="scoring_questions"):
        data.raif_row({"input": "x", "task": "complex", "target": "{}"})
    with pytest.raises(ValueError, match="'input'"):
        data.raif_row({"prompt": "x"})


@pytest.mark.slow
def test_grpo_on_the_embedded_model_writes_a_checkpoint_raif_eval_can_evaluate(tmp_path, ifeval_records):
    """The smoke recipe learns: a non-zero gradient, a checkpoint that differs from the base model."""
    from safetensors.torch import load_file

    from raif_eval.models.embedded import model_dir

    # short prompts whose single instruction an 8-token answer of SmolLM2 sometimes meets and sometimes not
    varied = [r for r in ifeval_records if r["instruction_id_list"] in (["punctuation:no_comma"],
                                                                         ["change_case:english_lowercase"])]
    shortest = sorted(varied, key=lambda r: len(r["prompt"]))[:4]
    records = data.write_jsonl(shortest, tmp_path / "records.jsonl")
    convert = run_cli_train("convert", "--records", str(records), "--tokenizer", "embedded",
                            "--out", str(tmp_path / "train.jsonl"))
    assert convert.returncode == 0, convert.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert [r["task"] for r in rows] == ["ifeval"] * 4

    ckpt = tmp_path / "ckpt"
    train = run_cli_train("grpo", "--config", str(CPU_CONFIG), "--train_files", str(tmp_path / "train.jsonl"),
                          "--max_completion_length", "8", "--per_device_train_batch_size", "4",
                          "--output_dir", str(ckpt))
    assert train.returncode == 0, train.stderr[-3000:]
    log = train.stdout + train.stderr
    assert "contrast/nothink_ratio" in log and "rewards/raif_ifeval_reward/mean" in log
    norms = [float(n) for n in re.findall(r"'grad_norm': '([^']+)'", log)]
    assert len(norms) == 2 and max(norms) > 0, norms
    assert (ckpt / "model.safetensors").is_file() and (ckpt / "tokenizer.json").is_file()
    trained, base = load_file(ckpt / "model.safetensors"), load_file(next(model_dir().glob("*.safetensors")))
    shared = sorted(set(trained) & set(base))
    assert shared and any(not (trained[k].float() == base[k].float()).all() for k in shared)

    evaluate = run_cli("run", "--model", "hf", "--model_args", f"pretrained={ckpt},dtype=float32",
                       "--apply_chat_template", "--tasks", "raif_ifeval", "--limit", "1",
                       "--gen_kwargs", "max_gen_toks=8", "--output_path", str(tmp_path / "eval"))
    assert evaluate.returncode == 0, evaluate.stderr[-3000:]
    results = json.loads(next((tmp_path / "eval").rglob("results_*.json")).read_text())
    assert 0.0 <= results["results"]["raif_ifeval"]["raif_score,raif"] <= 1.0


def run_cli_train(*args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "raif_train.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)


def test_convert_for_stock_trl_writes_prompt_and_keeps_the_raif_columns(tmp_path, ifeval_records, tokenizer):
    from raif_train import cli

    records = data.write_jsonl([ifeval_records[0], {"problem": "What is 2+2?", "answer": "4"}],
                               tmp_path / "records.jsonl")
    cli.main(["convert", "--records", str(records), "--tokenizer", "embedded", "--format", "trl",
              "--out", str(tmp_path / "trl.jsonl")])
    rows = [json.loads(line) for line in (tmp_path / "trl.jsonl").read_text().splitlines()]
    assert [r["task"] for r in rows] == ["ifeval", "default"] and rows[1]["target"] == "4"
    for row in rows:
        assert {"prompt", "input", "task", "target", "template"} <= set(row)
        assert row["prompt"] == row["input"] and row["prompt"].endswith("<think>\n")
