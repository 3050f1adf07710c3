"""One rank of a 2-process CPU GRPO run (``torchrun --nproc_per_node 2 tests/ddp_worker.py MODEL OUT``), for
tests/test_train_ddp.py: RAIFTrainer with the contrast and behaviour cloning on a tiny Qwen2, gloo. Each rank writes
a digest of its weights before and after training, and what its reward function saw."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import datasets
import torch
from transformers import AutoTokenizer

from raif_train import prompts, rewards
from raif_train.trainer import RAIFConfig, RAIFTrainer

G = 4


def digest(model) -> str:
    h = hashlib.sha256()
    for name, p in sorted(model.named_parameters()):
        h.update(name.encode())
        h.update(p.detach().to(torch.float32).cpu().numpy().tobytes())
    return h.hexdigest()


def main() -> None:
    model_path, out = sys.argv[1], Path(sys.argv[2])
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    target = json.dumps({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]})
    rows = [{"prompt": prompts.build_prompt(tokenizer, f"Write about topic {i}."), "task": "ifeval",
             "target": target} for i in range(4)]
    expert = datasets.Dataset.from_list([{"question": r["prompt"], "answer": f"ok</think><answer>{i}</answer>"}
                                         for i, r in enumerate(rows)])
    seen = []

    def varied(prompts, completions, completion_ids, raif_wocot, **_):
        """A reward that differs between rollouts (sum of token ids), so the step has a gradient; and a record
        of the rows this rank scored (local position, no-reasoning flag, prompt)."""
        seen.extend([i, bool(w), p[-60:]] for i, (p, w) in enumerate(zip(prompts, raif_wocot)))
        return [(sum(ids) % 7) / 7 for ids in completion_ids]

    config = RAIFConfig(output_dir=str(out / "run"), use_cpu=True, bf16=False, per_device_train_batch_size=2,
                        num_generations=G, max_completion_length=8, max_steps=2, logging_steps=1, save_strategy="no",
                        report_to="none", gradient_checkpointing=False, beta=0.001, learning_rate=1e-3, seed=0,
                        contrast_mode="online_row", wocot_in_baseline=False, bc_coef=1.0,
                        disable_tqdm=True)
    trainer = RAIFTrainer(model=model_path, processing_class=tokenizer, args=config,
                          reward_funcs=[rewards.raif_format_reward, rewards.raif_ifeval_reward, varied],
                          train_dataset=datasets.Dataset.from_list(rows), bc_dataset=expert)
    rank, world = trainer.accelerator.process_index, trainer.accelerator.num_processes
    start = digest(trainer.model)
    trainer.train()
    history = [{k: v for k, v in e.items() if isinstance(v, (int, float))} for e in trainer.state.log_history]
    (out / f"rank{rank}.json").write_text(json.dumps({
        "rank": rank, "world": world, "backend": str(trainer.accelerator.state.backend), "start": start,
        "end": digest(trainer.model), "seen": seen, "history": history}))


if __name__ == "__main__":
    main()
