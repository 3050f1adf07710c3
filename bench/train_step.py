"""Training step time: RAIFTrainer (sample-wise contrast on) against stock trl GRPOTrainer, side by side.

Same tiny Qwen2 policy built from a config (2 layers, the embedded model's tokenizer; no download), same data (the
8 shortest IFEval prompts as RAIF rows), same rewards (raif_format_reward + raif_ifeval_reward), same GRPO settings
(G = 4, 8 rollouts per step, beta 0.001, plain k3 KL for both, CPU). The rollouts are **scripted**: both trainers
"generate" well-formed ``reasoning</think><answer>…</answer>`` completions cut from the GPT-4 IFEval responses
(four variants per prompt, so the answers meet different numbers of constraints), so every rollout passes the gate
and the rule checkers, the contrast and its gathers do their real work; a random tiny model would write no tags,
and every reward would stop at the gate. Rounds alternate the trainers; each round trains --steps steps and the
median of trl's logged ``step_time`` is kept. Target: RAIF / stock <= 1.10x. Behaviour cloning adds one
forward/backward pass on an expert batch per step by design; --bc also times that.

    RAIF_DATA_DIR=../shared/benchmarks python bench/train_step.py [--rounds 3 --steps 4 --bc]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import warnings

import datasets
import torch
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM
from trl import GRPOConfig, GRPOTrainer

from raif_eval import data as raif_data
from raif_eval.benchmarks import ifeval
from raif_eval.models.embedded import ensure_embedded_model, model_dir
from raif_train import data, prompts, rewards
from raif_train.trainer import RAIFConfig, RAIFTrainer


GPT4 = "fixtures/gpt4_official/input_response_data_gpt4_20231107_145030.jsonl"


def variants(response: str) -> list[str]:
    """Four answers to one prompt that meet different shares of its constraints."""
    cut = response[:160]
    return [f"I check each constraint.</think>\n<answer>{text}</answer>"
            for text in (cut, cut.upper(), cut.lower().replace(",", ""), cut[:40])]


class Scripted:
    """A trainer whose "generation" returns scripted completions (by prompt and slot) instead of sampling."""

    def __init__(self, script: dict[str, list[str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._script = script
        self._calls = 0

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        tokenizer = self.processing_class
        out = []
        for i, ids in enumerate(prompt_ids):
            text = tokenizer.decode(ids)
            answers = self._script[prompts.instruction_of(text)]
            answer = answers[i % len(answers)]
            if text.endswith(prompts.WOCOT_PREFILL):
                answer = answer.split("</think>\n", 1)[1]
            ids = tokenizer(answer, add_special_tokens=False)["input_ids"][: self.max_completion_length]
            out.append(ids + [tokenizer.eos_token_id])
        return out, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--bc", action="store_true", help="also time RAIF with behaviour cloning (bc_coef 1)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    torch.set_num_threads(torch.get_num_threads())

    ensure_embedded_model()
    tokenizer = AutoTokenizer.from_pretrained(model_dir())
    work = tempfile.mkdtemp(prefix="raif-bench-")
    torch.manual_seed(0)
    Qwen2ForCausalLM(Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                                 num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                 max_position_embeddings=1024)).save_pretrained(work)
    tokenizer.save_pretrained(work)
    records = sorted(ifeval.load_records(), key=lambda r: len(r["prompt"]))[:8]
    rows = [data.raif_row(data.to_raif(r, tokenizer)) for r in records]
    with raif_data.resolve("ifeval", GPT4).open(encoding="utf-8") as fh:
        responses = {json.loads(line)["prompt"]: json.loads(line)["response"] for line in fh}
    script = {r["prompt"]: variants(responses[r["prompt"]]) for r in records}
    train = datasets.Dataset.from_list(rows)
    expert = datasets.Dataset.from_list([{"question": r["prompt"], "answer": "ok</think><answer>ok</answer>"}
                                         for r in rows])
    common = dict(output_dir=f"{work}/out", use_cpu=True, bf16=False, per_device_train_batch_size=8,
                  num_generations=4, max_completion_length=128, max_steps=args.steps, logging_steps=1,
                  save_strategy="no", report_to="none", gradient_checkpointing=False, beta=0.001,
                  use_bias_correction_kl=False, loss_type="grpo", seed=0, disable_tqdm=True)
    funcs = [rewards.raif_format_reward, rewards.raif_ifeval_reward]
    gated: list[float] = []

    def watch(prompts, completions, raif_wocot, **_):  # reward 0: records the share of rows the gate stops
        gated.append(sum(rewards.gated_answer(rewards.scored_text(p, c), wocot=w) is None
                         for p, c, w in zip(prompts, completions, raif_wocot)) / len(prompts))
        return [0.0] * len(prompts)

    class Stock(Scripted, GRPOTrainer):
        pass

    class Raif(Scripted, RAIFTrainer):
        pass

    def stock():
        return Stock(script, model=work, processing_class=tokenizer, reward_funcs=funcs, args=GRPOConfig(**common),
                     train_dataset=train)

    def raif():
        return Raif(script, model=work, processing_class=tokenizer, reward_funcs=funcs, args=RAIFConfig(**common),
                    train_dataset=train)

    def raif_bc():
        return Raif(script, model=work, processing_class=tokenizer, reward_funcs=funcs,
                    args=RAIFConfig(**common, bc_coef=1.0), train_dataset=train, bc_dataset=expert)

    check = Raif(script, model=work, processing_class=tokenizer, reward_funcs=[*funcs, watch],
                 args=RAIFConfig(**{**common, "max_steps": 1}), train_dataset=train)
    check.train()
    print(f"scripted rollouts: {1 - gated[-1]:.0%} pass the gate and reach the rule checkers")

    builders = {"stock GRPOTrainer": stock, "RAIFTrainer (contrast)": raif}
    if args.bc:
        builders["RAIFTrainer (contrast + BC)"] = raif_bc
    times: dict[str, list[float]] = {name: [] for name in builders}
    for name, build in builders.items():  # warm-up: checkers, langdetect, first-step allocations
        trainer = build()
        trainer.args.max_steps = 1
        trainer.train()
    for _ in range(args.rounds):
        for name, build in builders.items():
            trainer = build()
            trainer.train()
            times[name] += [h["step_time"] for h in trainer.state.log_history if "step_time" in h]
    print(f"GRPO step time on CPU, tiny Qwen2, 8 scripted rollouts of <= 128 tokens, median over {args.rounds} x "
          f"{args.steps} steps")
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, m in medians.items():
        print(f"  {name:<28} {m:7.3f} s/step")
    base = medians["stock GRPOTrainer"]
    for name, m in medians.items():
        if name != "stock GRPOTrainer":
            print(f"  {name} / stock: {m / base:.2f}x" + ("   (target <= 1.10x)" if name.endswith("(contrast)") else ""))


if __name__ == "__main__":
    main()
