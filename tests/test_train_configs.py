"""Every shipped training recipe parses and adds up: ``raif-train grpo --config FILE --dry_run`` on each, with no
model loaded and, on this CPU-only machine, the recipes' bf16 reported as a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from raif_train import cli

CONFIGS = Path(cli.__file__).resolve().parent / "configs"
ZERO3 = CONFIGS / "accelerate" / "zero3.yaml"
RECIPES = sorted(CONFIGS.glob("*.yaml"))


@pytest.fixture(autouse=True)
def nothing_is_loaded(monkeypatch):
    import transformers

    def refuse(*args, **kwargs):
        raise AssertionError("a dry run loaded a model or tokenizer")

    for name in ("AutoTokenizer", "AutoModelForCausalLM"):
        monkeypatch.setattr(getattr(transformers, name), "from_pretrained", refuse)


def dry_run(capsys, *args: str) -> str:
    cli.main(["grpo", *args, "--dry_run"])
    return capsys.readouterr().out


def test_the_shipped_recipes_are_all_here():
    assert {p.name for p in RECIPES} == {"cpu-embedded.yaml", "qwen2.5-7b-instruct.yaml",
                                         "qwen2.5-1.5b-instruct.yaml", "deepseek-r1-distill-qwen-7b.yaml"}


@pytest.mark.parametrize("recipe", [p for p in RECIPES if "7b" in p.name], ids=lambda p: p.name)
def test_7b_recipes_on_the_shipped_launch_config_take_one_step_per_rollout(capsys, recipe):
    out = dry_run(capsys, "--config", str(recipe), "--launch_config", str(ZERO3))
    assert "the recipe parses" in out
    assert "4 per device x 16 accumulation x 4 processes" in out and "= 256 samples" in out
    assert "generation batch 256 (32 prompts)" in out and "warmup 0.03" in out
    assert "one optimizer step sees" not in out
    assert "warning: this machine cannot run the recipe as set" in out  # bf16 without a GPU: a warning here


def test_the_1_5b_recipe_is_one_process_and_says_so_on_four(capsys):
    recipe = str(CONFIGS / "qwen2.5-1.5b-instruct.yaml")
    assert "= 256 samples" in dry_run(capsys, "--config", recipe)
    out = dry_run(capsys, "--config", recipe, "--launch_config", str(ZERO3))
    assert "= 1024 samples" in out and "one optimizer step sees 1024 samples but a generation batch has 256" in out


def test_the_cpu_smoke_recipe_parses_without_warnings_about_hardware(capsys):
    out = dry_run(capsys, "--config", str(CONFIGS / "cpu-embedded.yaml"))
    assert "model: embedded" in out and "cannot run the recipe" not in out


def test_a_real_recipe_error_is_one_line_exit_2_not_a_warning(capsys):
    """What broke the GPU recipes under transformers 5 (warmup_ratio is gone: warmup_steps takes the ratio)."""
    with pytest.raises(SystemExit) as raised:
        dry_run(capsys, "--config", str(CONFIGS / "cpu-embedded.yaml"), "--warmup_ratio", "0.03")
    assert raised.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--warmup_ratio" in err[0] and err[0].startswith("raif-train: error:")


@pytest.mark.parametrize("recipe", [p for p in RECIPES if "cpu" not in p.name], ids=lambda p: p.name)
def test_gpu_recipes_train_on_maths_too_with_raifs_objective(capsys, recipe):
    out = dry_run(capsys, "--config", str(recipe))
    assert "raif_math_reward" in out and "deepscaler" in out  # RAIF's 1:1 maths/instructions mix
    assert "(k3 KL)" in out and "vLLM importance sampling off" in out  # not trl 1.16's defaults
    assert "contrast: both, 0.25 of each group without reasoning" in out and "reproduced" not in out
    assert "1 trace(s) per micro-step, cut at 12288 tokens" in out


def test_reproduction_switches_and_trl_defaults_show_in_the_dry_run(capsys):
    out = dry_run(capsys, "--config", str(CONFIGS / "qwen2.5-7b-instruct.yaml"), "--wocot_gate", "true",
                  "--use_bias_correction_kl", "true", "--vllm_importance_sampling_correction", "true")
    assert "RAIF's wocot_gate reproduced" in out and "(k3 KL x importance ratio)" in out
    assert "vLLM importance sampling sequence_mask" in out


def test_an_unknown_reward_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as raised:
        dry_run(capsys, "--config", str(CONFIGS / "cpu-embedded.yaml"), "--reward_funcs", "raif_maths_reward")
    assert raised.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown reward function 'raif_maths_reward'" in err[0]
