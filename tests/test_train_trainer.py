"""RAIFTrainer on a tiny Qwen2 built from a config (no download): sample-wise contrast zeroes exactly the policy
gradient of masked rollouts, behaviour cloning adds bc_coef x NLL / gradient accumulation."""

from __future__ import annotations

import http.server
import json
import threading

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
# Constraints met per slot of each group (slot 3 answers without reasoning). R_ans = shape(k, 3): 3 -> 2, 2 -> 2/3,
# 1 -> 1/3, 0 -> -2.
K = {"p0": [3, 1, 2, 2], "p1": [0, 1, 2, 1], "p2": [1, 0, 1, 3], "p3": [1, 1, 1, 3]}
N = 3
# Which rollouts keep a gradient, by hand from raif-training.md §4/§7 (slot 3 never does).
KEEP = {
    # per row: R_ans(CoT) >= mean R_ans(woCoT) of the group
    "online_row": {"p0": [1, 0, 1, 0], "p1": [0, 1, 1, 0], "p2": [0, 0, 0, 0], "p3": [0, 0, 0, 0]},
    # per prompt: all CoT rows dropped when max R_ans(CoT) < min R_ans(woCoT), unless they all score the same (p3)
    "online_prompt": {"p0": [1, 1, 1, 0], "p1": [1, 1, 1, 0], "p2": [0, 0, 0, 0], "p3": [1, 1, 1, 0]},
    # offline reference count 2: k >= 2
    "offline_ref": {"p0": [1, 0, 1, 0], "p1": [0, 0, 1, 0], "p2": [0, 0, 0, 0], "p3": [0, 0, 0, 0]},
    "both": {"p0": [1, 0, 1, 0], "p1": [0, 0, 1, 0], "p2": [0, 0, 0, 0], "p3": [0, 0, 0, 0]},
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 2-layer Qwen2 with the embedded model's tokenizer, saved so that trl can build its reference model."""
    path = save_tiny_model(tmp_path_factory.mktemp("tiny"))
    return path, AutoTokenizer.from_pretrained(path)


def scripted_reward(prompts, completions, task, raif_uid, raif_wocot, raif_compat, **_):
    """Records the outcome the script says for each row's slot (rows come in groups of G, in slot order)."""
    assert all(c == raif_compat[0] and set(c) == {"ifeval_swapped_args", "wocot_gate"} for c in raif_compat)
    out = []
    bases = [p.removesuffix(raif_prompts.WOCOT_PREFILL).removesuffix(raif_prompts.PREFILL) for p in prompts]
    assert all(len(set(bases[g:g + G])) == 1 for g in range(0, len(bases), G))  # groups are contiguous
    for i, (prompt, uid, wocot) in enumerate(zip(prompts, raif_uid, raif_wocot)):
        name = next(n for n in K if f"topic {n}" in prompt)
        k = K[name][i % G]
        if any(raif_wocot):  # with the contrast on, the no-reasoning rollout sits in the last slot of its group
            assert wocot == (i % G == G - 1)
        assert prompt.endswith(raif_prompts.WOCOT_PREFILL) == wocot
        outcome = rewards.Outcome(k, N, rewards.shape(k, N) if k else -2.0, False, wocot)
        rewards.OUTCOMES[uid] = outcome
        out.append(outcome.r_ans)
    return out


def make_trainer(tiny, tmp_path, reward_funcs=(scripted_reward,), **overrides):
    path, tokenizer = tiny
    rows = [{"prompt": raif_prompts.build_prompt(tokenizer, f"Write about topic {name}."), "task": "ifeval",
             "target": json.dumps({"instruction_id_list": ["keywords:existence"], "kwargs": [{"keywords": ["a"]}]})}
            for name in K]
    settings = dict(output_dir=str(tmp_path / "out"), use_cpu=True, bf16=False, per_device_train_batch_size=len(K) * G,
                    num_generations=G, max_completion_length=8, max_steps=1, logging_steps=1, save_strategy="no",
                    report_to="none", gradient_checkpointing=False, beta=0.0, seed=0, contrast_mode="online_row")
    settings.update(overrides)
    bc = overrides.pop("bc_dataset", None)
    settings.pop("bc_dataset", None)
    trainer = RAIFTrainer(model=path, processing_class=tokenizer, reward_funcs=list(reward_funcs),
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


def expected_keep(mode):
    return [bool(x) for name in K for x in KEEP[mode][name]]


def test_masked_rollouts_get_zero_policy_gradient_and_the_kept_ratio_is_logged(tiny, tmp_path):
    trainer, rows = make_trainer(tiny, tmp_path)
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    advantages = batch["advantages"].tolist()
    keep = expected_keep("online_row")
    for r, kept in enumerate(keep):
        assert (advantages[r] != 0) == kept, (r, advantages)
    norms = [row_gradient(trainer, batch, r) for r in range(8)]  # two groups are enough for the gradient check
    for r, kept in enumerate(keep[:8]):
        assert (norms[r] > 0) == kept, (r, norms)
        if not kept:
            assert norms[r] == 0.0
    # kept share of the scored reasoning rollouts: 2 + 2 + 0 + 0 of 12
    assert trainer._metrics["train"]["contrast/kept_ratio"] == [pytest.approx(4 / 12)]
    assert trainer._metrics["train"]["contrast/nothink_ratio"] == [pytest.approx(0.25)]
    assert not any(row["raif_uid"] in rewards.OUTCOMES for row in rows if "raif_uid" in row)


@pytest.mark.parametrize("mode", ["online_prompt", "offline_ref", "both"])
def test_contrast_modes(tiny, tmp_path, mode):
    trainer, rows = make_trainer(tiny, tmp_path, contrast_mode=mode)
    for row in rows:
        row["target"] = json.dumps({**json.loads(row["target"]), "follow_score_qwen2.5-7B-Instruct": 2})
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    assert [a != 0 for a in batch["advantages"].tolist()] == expected_keep(mode)
    if mode != "offline_ref":
        assert trainer._metrics["train"]["contrast/prompts_dropped"] == [pytest.approx(1 / 4)]  # p2


def test_default_is_the_spec_rule_and_the_offline_reference_defaults_to_zero(tiny, tmp_path):
    """``both`` without stored counts: the offline mask keeps everything, so only the prompt rule acts."""
    assert RAIFConfig(output_dir="x", use_cpu=True, bf16=False).contrast_mode == "both"
    trainer, rows = make_trainer(tiny, tmp_path, contrast_mode="both")
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    assert [a != 0 for a in batch["advantages"].tolist()] == expected_keep("online_prompt")


def test_stock_grpo_would_have_given_those_rows_a_gradient(tiny, tmp_path):
    """The same rollouts without the contrast: no no-reasoning rows, and the rows masked above carry non-zero
    advantages."""
    trainer, rows = make_trainer(tiny, tmp_path, contrast_mode="off")
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    assert sum(a != 0 for a in batch["advantages"].tolist()) > 12


@pytest.mark.parametrize("in_baseline", [True, False])
def test_no_reasoning_rewards_in_or_out_of_the_group_baseline(tiny, tmp_path, in_baseline):
    trainer, rows = make_trainer(tiny, tmp_path, contrast_mode="online_prompt", wocot_in_baseline=in_baseline,
                                 scale_rewards="group")
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    advantages = batch["advantages"].view(-1, G)
    for g, name in enumerate(K):
        r = torch.tensor([rewards.shape(k, N) if k else -2.0 for k in K[name]])
        pool = r if in_baseline else r[:G - 1]
        expected = (r - pool.mean()) / (pool.std() + 1e-4)
        keep = torch.tensor(KEEP["online_prompt"][name], dtype=torch.bool)
        torch.testing.assert_close(advantages[g][keep], expected[keep], rtol=1e-4, atol=1e-5)
        assert (advantages[g][~keep] == 0).all()


def test_reproduction_switches_reach_the_reward_functions(tiny, tmp_path):
    trainer, rows = make_trainer(tiny, tmp_path, wocot_gate=True, ifeval_swapped_args=True)
    assert trainer.args.compat == {"ifeval_swapped_args": True, "wocot_gate": True}
    trainer.model.train()
    trainer._generate_and_score_completions(generation_batch(rows))  # scripted_reward asserts the column


def test_server_mode_generates_every_slot_from_its_own_prompt(tiny, tmp_path, monkeypatch):
    """trl's vLLM server mode asks for G completions of each group's first prompt; a recording fake server shows
    that the no-reasoning slots are generated from their own (closed-think) prompts, one completion per row."""
    from trl.generation import vllm_client, vllm_generation

    path, tokenizer = tiny
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, payload):
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.send({"data": [{"id": "policy"}]} if "models" in self.path else {})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(body)
            answer = tokenizer("ok</think><answer>a</answer>", add_special_tokens=False)["input_ids"]
            self.send({"choices": [{"prompt_token_ids": ids, "token_ids": answer,
                                    "logprobs": {"tokens": [f"token_id:{t}" for t in answer], "token_logprobs": [-0.5] * len(answer),
                                                 "top_logprobs": [{f"token_id:{t}": -0.5} for t in answer]}}
                                   for ids in body["prompt"] for _ in range(body["n"])]})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(vllm_client, "is_vllm_available", lambda *a, **k: True)
    try:
        trainer, rows = make_trainer(tiny, tmp_path, contrast_mode="online_row")
        generation = object.__new__(vllm_generation.VLLMGeneration)  # the server branch of trl's own generate()
        generation.__dict__.update(
            mode="server", accelerator=trainer.accelerator, temperature=1.0, top_p=1.0, top_k=0, min_p=None,
            repetition_penalty=1.0, max_completion_length=8, enable_sleep_mode=False, logprobs=0,
            structured_outputs_regex=None, generation_kwargs={},
            vllm_client=vllm_client.VLLMClient(base_url=f"http://127.0.0.1:{server.server_address[1]}"))
        trainer.use_vllm, trainer.args.vllm_mode, trainer.vllm_generation = True, "server", generation
        trainer._last_loaded_step = trainer.state.global_step  # no weight sync
        trainer.model.train()
        batch = trainer._generate_and_score_completions(generation_batch(rows))
    finally:
        server.shutdown()
    sent = [tokenizer.decode(ids) for body in seen for ids in body["prompt"]]
    assert [body["n"] for body in seen] == [1]
    assert len(sent) == len(K) * G
    for r, text in enumerate(sent):
        assert text.endswith(raif_prompts.WOCOT_PREFILL) == (r % G == G - 1), (r, text[-40:])
    assert [a != 0 for a in batch["advantages"].tolist()] == expected_keep("online_row")


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
    assert logged["contrast/kept_ratio"] == pytest.approx(4 / 12)


def test_config_checks_and_raifs_objective_by_default():
    with pytest.raises(ValueError, match="contrast_mode"):
        RAIFConfig(output_dir="x", use_cpu=True, bf16=False, contrast_mode="sometimes")
    config = RAIFConfig(output_dir="x", use_cpu=True, bf16=False)
    assert (config.use_bias_correction_kl, config.vllm_importance_sampling_correction) == (False, False)
    assert (config.loss_type, config.beta, config.bc_batch_size, config.bc_max_length) == ("grpo", 0.001, 1, 12288)


def test_behaviour_cloning_data_is_sharded_and_reshuffled_per_process():
    from itertools import islice

    from raif_train.trainer import bc_order

    ranks = [list(islice(bc_order(10, rank, 2, seed=42), 15)) for rank in (0, 1)]
    first = [r[:5] for r in ranks]
    assert sorted(first[0] + first[1]) == list(range(10))  # one pass each: disjoint shards covering the data
    assert sorted(ranks[0][5:10]) == sorted(first[0])  # the next pass: the same shard...
    assert ranks[0][5:10] != first[0] or ranks[1][5:10] != first[1]  # ...in another order
    assert list(islice(bc_order(10, 0, 2, seed=42), 15)) == ranks[0]  # reproducible
    with pytest.raises(ValueError, match="fewer than the 4 processes"):
        next(bc_order(3, 3, 4, seed=0))


def test_behaviour_cloning_cuts_traces_and_weighs_each_trace_alike(tiny, tmp_path):
    from raif_train.trainer import _trace_mean_nll

    path, tokenizer = tiny
    expert = datasets.Dataset.from_list([{"question": "Say hi. " * 40, "answer": "ok"},
                                         {"question": "Hi.", "answer": "ok"}])
    trainer, _ = make_trainer(tiny, tmp_path, bc_coef=1.0, bc_dataset=expert, bc_max_length=16, bc_batch_size=2)
    batch = next(trainer._bc_batches(expert))
    assert batch["input_ids"].shape == (2, 16)  # the long trace cut at bc_max_length
    model = trainer.model
    singles = [model(**{k: v[j:j + 1, :int(batch["attention_mask"][j].sum())] for k, v in batch.items()}).loss
               for j in range(2)]
    assert _trace_mean_nll(model, batch).item() == pytest.approx(sum(s.item() for s in singles) / 2, rel=1e-5)
    assert trainer.args.bc_batch_size == 2 and RAIFConfig(output_dir="x", use_cpu=True, bf16=False).bc_batch_size == 1


def test_offline_mask_works_without_no_reasoning_rollouts(tiny, tmp_path):
    trainer, rows = make_trainer(tiny, tmp_path, contrast_mode="offline_ref", contrast_share=0.0)
    for row in rows:
        row["target"] = json.dumps({**json.loads(row["target"]), "follow_score_qwen2.5-7B-Instruct": 2})
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch(rows))
    keep = [k >= 2 for name in K for k in K[name]]  # all four slots reason now
    assert [a != 0 for a in batch["advantages"].tolist()] == keep


def test_a_contrast_without_no_reasoning_slots_is_refused():
    with pytest.raises(ValueError, match="contrast_share 0.25 of num_generations 2 is none"):
        RAIFConfig(output_dir="x", use_cpu=True, bf16=False, num_generations=2, per_device_train_batch_size=2,
                   contrast_mode="both")
    RAIFConfig(output_dir="x", use_cpu=True, bf16=False, num_generations=2, per_device_train_batch_size=2,
               contrast_mode="offline_ref")


def test_the_actor_template_switch_needs_a_completions_endpoint(tiny, tmp_path, monkeypatch):
    from raif_eval.judge.config import JudgeConfig
    from raif_train.judge import YesNoJudge

    embedded = rewards.judge_reward(YesNoJudge(JudgeConfig.from_env(url="embedded")))
    with pytest.raises(ValueError, match="embedded judge does not serve"):
        make_trainer(tiny, tmp_path, (scripted_reward, embedded), judge_uses_actor_template=True)
    monkeypatch.setenv("RAIF_JUDGE_URL", "embedded")  # the module's reward reads the variables
    with pytest.raises(ValueError, match="embedded judge does not serve"):
        make_trainer(tiny, tmp_path, (scripted_reward, rewards.raif_judge_reward), judge_uses_actor_template=True)
    remote = rewards.judge_reward(YesNoJudge(JudgeConfig(url="http://127.0.0.1:9/v1", model="m")))
    trainer, _ = make_trainer(tiny, tmp_path, (scripted_reward, remote), judge_uses_actor_template=True)
    assert remote.judge.actor_tokenizer is trainer.processing_class  # RAIF's switch reaches the reward's judge
