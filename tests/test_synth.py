"""raif-train synth: seeds -> And/Chain/Selection records whose rules our verifiers check, byte-identical reruns
with a scripted LLM, and output that trains with raif-train grpo."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter

import pytest

from fake_judge import FakeJudge
from helpers import ROOT, save_tiny_model
from raif_eval import verifiers
from raif_eval.benchmarks import ifeval
from raif_train import bank, data, synth

SEEDS = [
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",
    "Explain how vaccines work to a ten-year-old?",
    "Describe the water cycle in 3 stages.",
    "Give me five tips for a job interview.",
    "Compare trains and planes for a trip of 500 km.",
    "What should I pack for a week of hiking in the mountains?",
    "Write a product description for a reusable water bottle.",
    "Summarise the plot of a famous novel of your choice.",
    "请写一篇关于春天的短文，描述公园里的景色。",
    "如何学习一门新的编程语言？",
    "给一家新开的咖啡店写一段宣传语，不超过3句话。",
    "介绍一下中国的四大发明。",
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",  # a duplicate
    "hi",  # too short
]


def seed_file(tmp_path, n=len(SEEDS)):
    path = tmp_path / "seeds.jsonl"
    path.write_text("".join(json.dumps({"id": f"s{i}", "instruction": s}, ensure_ascii=False) + "\n"
                            for i, s in enumerate(SEEDS[:n])), encoding="utf-8")
    return path


def check(rule: dict, text: str) -> bool:
    record = {"key": 0, "prompt": "p", "instruction_id_list": [rule["id"]], "kwargs": [rule["kwargs"]]}
    return ifeval.score(record, text, reading="training").strict == [True]


def test_seeds_are_deduplicated_filtered_and_sampled(tmp_path):
    seeds = synth.load_seeds(seed_file(tmp_path))
    assert len(seeds) == 12 and len({s.text for s in seeds}) == 12
    assert Counter(s.lang for s in seeds) == {"en": 8, "zh": 4}
    assert [s.text for s in synth.load_seeds(seed_file(tmp_path), languages=["zh"])] == SEEDS[8:12]
    sample = synth.load_seeds(seed_file(tmp_path), n=5, seed=1)
    assert len(sample) == 5 and sample == synth.load_seeds(seed_file(tmp_path), n=5, seed=1)
    assert sample != synth.load_seeds(seed_file(tmp_path), n=5, seed=2)


def test_seeds_from_a_saved_dataset_folder(tmp_path):
    import datasets

    datasets.Dataset.from_list([{"text": t} for t in SEEDS[:4]]).save_to_disk(str(tmp_path / "ds"))
    seeds = synth.load_seeds(tmp_path / "ds")
    assert [s.text for s in seeds] == SEEDS[:4] and seeds[0].id == "ds:0"
    with pytest.raises(ValueError, match="no instruction text"):
        synth.load_seeds(tmp_path / "ds", field="missing")


def test_records_without_an_endpoint_are_checkable_constraint_by_constraint(tmp_path):
    seeds = synth.load_seeds(seed_file(tmp_path))
    records = synth.synthesize(seeds * 1, random_seed=5, max_depth=3, n_rules=3)
    records += synth.synthesize(seeds, random_seed=6, max_depth=2, n_rules=3)
    used, structures = Counter(), Counter()
    for rec in records:
        target = json.loads(rec["target"])
        lang = rec["provenance"]["lang"]
        assert len(target["instruction_id_list"]) == len(target["kwargs"])
        assert synth.checkable({**rec, "target": target})
        structures[(rec["structure"]["composition"], rec["structure"]["depth"])] += 1
        assert rec["structure"]["depth"] == synth.tree_depth(rec["structure"]["tree"])
        rules, questions = synth.active(rec["structure"]["tree"], lang)
        assert [r["id"] for r in rules] == target["instruction_id_list"]
        assert questions == target.get("scoring_questions", [])
        for rule in rules:
            kind = verifiers.SYNTHESIS_BY_KEY[rule["type"]](**rule["kwargs"])
            used[rule["type"]] += 1
            assert rule["text"] in rec["instruction"]
            assert check(rule, kind.example(True, lang)), (rule, lang)
            assert not check(rule, kind.example(False, lang)), (rule, lang)
    assert {kind for kind, _ in structures} == set(synth.KINDS)
    assert max(depth for _, depth in structures) >= 2
    assert len(used) >= 10, used


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_constraint_type_passes_its_compliant_example_and_fails_its_violation(lang):
    rng = random.Random(0)
    for kind in verifiers.synthesis_types(lang):
        for _ in range(3):
            kwargs = kind.sample(rng, lang, bank.load()[lang])
            rule = {"id": kind.id, "kwargs": kwargs}
            assert check(rule, kind(**kwargs).example(True, lang)), (kind.id, kwargs)
            assert not check(rule, kind(**kwargs).example(False, lang)), (kind.id, kwargs)


def test_selection_scores_only_the_branch_that_applies():
    seed = synth.Seed("q", "Is the sky blue?", "en")
    for s in range(40):
        tree = synth.compose(seed, random.Random(s), kinds=("Selection",), max_depth=1)
        rules, questions = synth.active(tree, "en")
        branch = tree["then"] if tree["condition"]["holds"] else tree["else"]
        assert rules == branch["rules"]
        assert ("holds" if tree["condition"]["holds"] else "does not hold") in questions[0]


def run_synth(*args):
    return subprocess.run([sys.executable, "-m", "raif_train.cli", "synth", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def scripted_llm(body):
    """A deterministic stand-in LLM: rewrites an instruction, answers one, and judges."""
    text = body["messages"][-1]["content"]
    if body.get("max_tokens") == 1:
        return "OK"
    if text.startswith("Rewrite the instruction below"):
        return "Please: " + text.split("Instruction:\n", 1)[1]
    if "Generated Text:" in text:
        return "YES(是)" if len(text) % 2 else "NO(否)"
    return "<<Title>>\nA reference answer with the river and the lantern.\n\nP.S. done"


def test_a_run_with_a_scripted_llm_is_byte_identical_when_repeated(tmp_path):
    seeds = seed_file(tmp_path)
    server = FakeJudge(reply=scripted_llm, model="writer", log_path=tmp_path / "llm.jsonl").start()
    args = ["--seeds", str(seeds), "--seed", "11", "--llm_url", server.url, "--reference_url", server.url,
            "--judge_url", server.url, "--min_reference", "0.1", "--tokenizer", "none"]
    try:
        first = run_synth(*args, "--out", str(tmp_path / "a.jsonl"))
        requests_after_first = len((tmp_path / "llm.jsonl").read_text().splitlines())
        again = run_synth(*args, "--out", str(tmp_path / "b.jsonl"))  # cached replies
        requests_after_again = len((tmp_path / "llm.jsonl").read_text().splitlines())
        fresh = subprocess.run([sys.executable, "-m", "raif_train.cli", "synth", *args, "--out",
                                str(tmp_path / "c.jsonl")], cwd=ROOT, capture_output=True, text=True, timeout=600,
                               env={**__import__("os").environ, "RAIF_JUDGE_CACHE": str(tmp_path / "fresh.sqlite")})
    finally:
        server.stop()
    for proc in (first, again, fresh):
        assert proc.returncode == 0, proc.stderr[-3000:]
    a, b, c = ((tmp_path / f"{x}.jsonl").read_bytes() for x in "abc")
    assert a == b == c
    assert requests_after_again - requests_after_first <= 3  # only the preflight probes: the rest was cached
    records = [json.loads(line) for line in a.decode().splitlines()]
    assert records and all(r["instruction"].startswith("Please: ") for r in records)
    assert all(r["provenance"]["generator"] == "writer" and r["provenance"]["reference_model"] == "writer"
               for r in records)
    for r in records:
        target = json.loads(r["target"])
        n = len(target["instruction_id_list"]) + len(target.get("scoring_questions", []))
        assert 0.1 <= target["reference_score"] / n <= 1.0
    assert len(records) <= 12


def test_synthesised_data_trains_with_raif_train_grpo(tmp_path, monkeypatch):
    tiny = save_tiny_model(tmp_path / "tiny")
    out = tmp_path / "synth.jsonl"
    made = run_synth("--seeds", str(seed_file(tmp_path)), "--n", "4", "--seed", "2", "--tokenizer", tiny,
                     "--out", str(out))
    assert made.returncode == 0, made.stderr[-3000:]
    rows = data.load_raif(out)
    assert len(rows) == 4 and all(r["prompt"].endswith("<think>\n") for r in rows)
    judge = FakeJudge(reply=lambda body: "OK" if body.get("max_tokens") == 1 else "YES").start()
    try:
        train = subprocess.run(
            [sys.executable, "-m", "raif_train.cli", "grpo", "--config",
             str(ROOT / "raif_train" / "configs" / "cpu-embedded.yaml"), "--model_name_or_path", tiny,
             "--train_files", str(out), "--reward_funcs", "raif_format_reward", "raif_ifeval_reward",
             "raif_judge_reward", "--judge_url", judge.url, "--max_steps", "2", "--max_completion_length", "8",
             "--output_dir", str(tmp_path / "ckpt")],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
            env={**__import__("os").environ, "RAIF_JUDGE_CACHE": str(tmp_path / "cache.sqlite")})
    finally:
        judge.stop()
    assert train.returncode == 0, train.stderr[-3000:]
    log = train.stdout + train.stderr
    assert "'epoch'" in log and "rewards/raif_format_reward/mean" in log
    assert (tmp_path / "ckpt" / "model.safetensors").is_file()
