"""RAIFTrainer on a tiny Qwen2 built from a config (no download): sample-wise contrast zeroes exactly the policy
gradient of masked rollouts, behaviour cloning adds bc_coef x NLL / gradient accumulation."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

import datasets  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402
from trl import GRPOTrainer  # noqa: E402

from helpers import save_tiny_model  # noqa: E402
from raif_train import prompts as raif_prompts  # noqa: E402
from raif_train import rewards  # noqa: E402
from raif_train.trainer import RAIFConfig, RAIFTrainer  # noqa: E402

G = 4
# Constraints met per slot of each group (slot 3 answers without reasoning, so its count is the online reference).
K = {"p0": [3, 1, 2, 2], "p1": [0, 1, 2, 1]}
N = 3


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 2-layer Qwen2 with the embedded model's tokenizer, saved so that trl can build its reference model."""
    path = save_tiny_model(tmp_path_factory.mktemp("tiny"))
    return path, AutoTokenizer.from_pretrained(path)


def scripted_reward(prompts, completions, task, raif_uid, raif_wocot, **_):
    """Records the outcome the script says for each row's slot (rows come in groups of G, in slot order)."""
    out = []
    bases = [p.removesuffix(raif_prompts.WOCOT_PREFILL).removesuffix(raif_prompts.PREFILL) for p in prompts]
    assert all(len(set(bases[g:g + G])) == 1 for g in range(0, len(bases), G))  # groups are contiguous
    for i, (prompt, uid, wocot) in enumerate(zip(prompts, raif_uid, raif_wocot)):
        name = "p0" if "topic p0" in prompt else "p1"
        k = K[name][i % G]
        if any(raif_wocot):  # with the contrast on, the no-reasoning rollout sits in the last slot of its group
            assert wocot == (i % G == G - 1)
        assert prompt.endswith(raif_prompts.WOCOT_PREFILL) == wocot
        outcome = rewards.Outcome(k, N, rewards.shape(k, N) if k else -2.0, False, wocot)
        rewards.OUTCOMES[uid] = outcome
        out.append(outcome.r_ans)
    return out


def make_trainer(tiny, tmp_path, **overrides):
    path, tokenizer = tiny
    rows = [{"prompt": raif_prompts.build_prompt(tokenizer, f"Write about topic {name}."), "task": "ifeval",
             "target": json.dumps({"instruction_id_list": ["keywords:existence"], "kwargs": [{"keywords": ["a"]}]})}
            for name in K]
    settings = dict(output_dir=str(tmp_path / "out"), use_cpu=True, bf16=False, per_device_train_batch_size=2 * G,
                    num_generations=G, max_completion_length=8, max_steps=1, logging_steps=1, save_strategy="no",
                    report_to="none", gradient_checkpointing=False, beta=0.0, seed=0)
    settings.update(overrides)
    bc = overrides.pop("bc_dataset", None)
    settings.pop("bc_dataset", None)
    trainer = RAIFTrainer(model=path, processing_class=tokenizer, reward_funcs=[scripted_reward],
                          args=RAIFConfig(**settings), train_dataset=datasets.Dataset.from_list(rows), bc_dataset=bc)
    trainer.current_gradient_accumulation_steps = settings.get("gradient_accumulation_steps", 1)  # the loop sets it
    return trainer, rows


def generation_batch(rows):
    return [dict(row) for row in rows for _ in range(G)]  # RepeatSampler: G contiguous copies per prompt


def row_gradient(trainer, batch, r):
    """The gradient norm of the loss computed on row r alone."""
    model = trainer.model
    model.zero_grad()
    single = {k: (v[r:r + 1] if isinstance(v, torch.Tensor) and v.dim() > 0 and v.shape[0] == len(batch["advantages"])
                  else v) for k, v in batch.items()}
    trainer.compute_loss(model, single).backward()
    return sum(p.grad.norm() ** 2 for p in model.parameters() if p.grad is not None).sqrt().item()


def test_masked_rollouts_get_zero_policy_gradient_and_the_kept_ratio_is_logged(tiny, tmp_path):
    trainer, rows = make_trainer(tiny, tmp_path)
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    advantages = batch["advantages"].tolist()
    # expected keep: reasoning rows reaching the group's no-reasoning count; no-reasoning rows never
    keep = [k >= K[name][G - 1] if slot < G - 1 else False for name in K for slot, k in enumerate(K[name])]
    assert keep == [True, False, True, False, False, True, True, False]
    for r, kept in enumerate(keep):
        assert (advantages[r] != 0) == kept, (r, advantages)
    norms = [row_gradient(trainer, batch, r) for r in range(len(keep))]
    for r, kept in enumerate(keep):
        assert (norms[r] > 0) == kept, (r, norms)
        if not kept:
            assert norms[r] == 0.0
    # kept share of the scored reasoning rollouts: 2 of 3 in p0, 2 of 3 in p1
    assert trainer._metrics["train"]["contrast/kept_ratio"] == [pytest.approx(4 / 6)]
    assert trainer._metrics["train"]["contrast/nothink_ratio"] == [pytest.approx(0.25)]
    assert not any(row["raif_uid"] in rewards.OUTCOMES for row in rows if "raif_uid" in row)


def test_stock_grpo_would_have_given_those_rows_a_gradient(tiny, tmp_path):
    """The same rollouts without the contrast: the rows masked above carry non-zero advantages."""
    trainer, rows = make_trainer(tiny, tmp_path, contrast=False)
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    assert sum(a != 0 for a in batch["advantages"].tolist()) > 4


def test_offline_reference(tiny, tmp_path):
    trainer, rows = make_trainer(tiny, tmp_path, contrast_reference="offline")
    for row in rows:
        row["target"] = json.dumps({**json.loads(row["target"]), "follow_score_qwen2.5-7B-Instruct": 2})
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    keep = [(k >= 2) if slot < G - 1 else False for name in K for slot, k in enumerate(K[name])]
    assert [a != 0 for a in batch["advantages"].tolist()] == keep


@pytest.mark.parametrize("accumulation", [1, 4])
def test_behaviour_cloning_adds_the_scaled_nll(tiny, tmp_path, accumulation):
    path, tokenizer = tiny
    expert = datasets.Dataset.from_list([{"question": raif_prompts.build_prompt(tokenizer, "Say hi."),
                                          "answer": "ok</think><answer>hi</answer>"}] * 3)
    trainer, rows = make_trainer(tiny, tmp_path, bc_coef=0.5, bc_dataset=expert,
                                 gradient_accumulation_steps=accumulation)
    model = trainer.model
    model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    trainer.current_gradient_accumulation_steps = accumulation  # set by the training loop

    model.zero_grad()
    grpo_loss = GRPOTrainer.compute_loss(trainer, model, batch)
    grpo_loss.backward()
    grpo_grads = [p.grad.clone() for p in model.parameters()]

    expert_batch = next(trainer._bc_batches(expert))
    model.zero_grad()
    nll = model(**expert_batch).loss
    nll.backward()
    nll_grads = [p.grad.clone() for p in model.parameters()]

    model.zero_grad()
    total = trainer.compute_loss(model, batch)
    total.backward()
    assert total.item() == pytest.approx(grpo_loss.item() + 0.5 * nll.item() / accumulation, rel=1e-5, abs=1e-6)
    for p, g, h in zip(model.parameters(), grpo_grads, nll_grads):
        torch.testing.assert_close(p.grad, g + 0.5 / accumulation * h, rtol=1e-4, atol=1e-6)
    assert trainer._metrics["train"]["bc_loss"] == [pytest.approx(nll.item(), rel=1e-5)]
    # expert batches: prompt and answer tokens are trained (RAIF), pads are not
    assert (expert_batch["labels"] == expert_batch["input_ids"]).all()


def test_a_real_training_step_lays_groups_out_as_the_contrast_assumes(tiny, tmp_path):
    """trl's sampler (a private contract the contrast relies on): G contiguous copies per prompt, the
    no-reasoning rollout in the last slot — asserted inside the reward function during trainer.train()."""
    trainer, _ = make_trainer(tiny, tmp_path, beta=0.001)
    trainer.train()
    logged = trainer.state.log_history[0]
    assert logged["contrast/nothink_ratio"] == pytest.approx(0.25)
    assert logged["contrast/kept_ratio"] == pytest.approx(4 / 6)


def test_config_checks():
    with pytest.raises(ValueError, match="contrast_reference"):
        RAIFConfig(output_dir="x", use_cpu=True, bf16=False, contrast_reference="sometimes")
