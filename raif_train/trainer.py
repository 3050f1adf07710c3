"""RAIF on trl: :class:`RAIFConfig` and :class:`RAIFTrainer`, a ``GRPOTrainer`` with two additions.

**Sample-wise contrast** ("superior CoT enforcement"). In every group of ``num_generations`` rollouts of a
constraint prompt (``task`` starting with ``ifeval`` or ``complex``), the last ``contrast_share`` of the slots answer
*without* reasoning: their prompt's think block is closed before generation (``<think>\\n\\n</think>\\n``). Those
rollouts count in the group's reward mean and std (as in RAIF) but get no gradient. A reasoning rollout whose answer
meets fewer constraints than the no-reasoning reference gets no policy gradient either (its advantage is zeroed:
with ``loss_type="grpo"`` this equals RAIF's ratio-1 trick — the row stays in the per-sequence mean, and its KL term
still applies). The reference (``contrast_reference``):

* ``online`` (default) — the mean number of constraints met by the group's no-reasoning rollouts of the same prompt;
* ``offline`` — the count stored with the prompt (``reference_score`` from ``raif-train synth``'s quality check, or
  RAIF's ``follow_score_…`` / ``scoring_sum_…`` in ``target``, as its released code does; 0 when absent);
* ``both`` — a rollout must reach both.

Maths rows, and rows whose answer was gated (bad format, empty answer or reasoning) keep their gradient. The kept
share of reasoning rollouts is logged as ``contrast/kept_ratio``.

**Behaviour cloning.** With ``bc_coef > 0`` and a dataset of expert traces (``question`` + ``answer``), every
training micro-step adds ``bc_coef × NLL(expert batch) / gradient_accumulation_steps`` to the GRPO loss (GRPO's own
loss is already divided by the accumulation count, so both terms are on the same scale); logged as ``bc_loss``.

Where this differs from RAIF's released code on purpose (raif-training.md §7): rule rewards are computed (its
swapped arguments gave every rule row −2, B1); no-reasoning answers are scored without the think gate, so the
contrast can fire (B2); the judge sees its own chat template; the schedule is not slowed down by the BC batch.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import torch
from trl import GRPOConfig, GRPOTrainer

from raif_train import prompts as prompt_text
from raif_train import rewards

CONSTRAINT_KINDS = ("ifeval", "complex")
REFERENCES = ("online", "offline", "both")
OFFLINE_KEYS = ("reference_score", "follow_score_qwen2.5-7B-Instruct", "scoring_sum_qwen2.5-7B-Instruct")


@dataclass
class RAIFConfig(GRPOConfig):
    """``GRPOConfig`` plus RAIF's switches. Defaults that differ from trl's are RAIF's (``loss_type="grpo"``,
    ``beta=0.001``); the paper's full recipes are the YAML files in ``raif_train/configs``."""

    loss_type: str = field(default="grpo", metadata={"help": "RAIF: per-sequence token mean, then batch mean."})
    beta: float = field(default=0.001, metadata={"help": "KL coefficient (RAIF: 0.001, k3 estimator)."})
    contrast: bool = field(default=True, metadata={"help": "Sample-wise contrast with no-reasoning rollouts."})
    contrast_share: float = field(default=0.25, metadata={
        "help": "Share of each group's rollouts that answer without reasoning (RAIF: 1/4)."})
    contrast_reference: str = field(default="online", metadata={
        "help": "What a reasoning rollout must reach to keep its gradient: online | offline | both."})
    bc_coef: float = field(default=0.0, metadata={
        "help": "Behaviour-cloning coefficient (RAIF's main recipe: 1.0); needs bc_dataset."})
    bc_batch_size: int | None = field(default=None, metadata={
        "help": "Expert traces per micro-step (default: per_device_train_batch_size, RAIF's 1:1 ratio)."})
    bc_max_length: int | None = field(default=None, metadata={
        "help": "Cut expert traces to this many tokens (default: keep them whole)."})
    bc_mask_prompt: bool = field(default=False, metadata={
        "help": "Exclude the prompt tokens from the BC loss (RAIF includes them)."})

    def __post_init__(self):
        super().__post_init__()
        if self.contrast_reference not in REFERENCES:
            raise ValueError(f"contrast_reference must be one of {REFERENCES}, not {self.contrast_reference!r}")
        if not 0 <= self.contrast_share < 1:
            raise ValueError("contrast_share must be in [0, 1)")


class RAIFTrainer(GRPOTrainer):
    def __init__(self, *args: Any, bc_dataset: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bc_iter = None
        if self.args.bc_coef:
            if bc_dataset is None:
                raise ValueError("bc_coef > 0 needs bc_dataset (expert traces with question and answer)")
            self._bc_iter = self._bc_batches(bc_dataset)

    # ---------------------------------------------------------------------------------------------- contrast

    def nothink_slots(self) -> int:
        """How many slots of each group answer without reasoning."""
        return int(round(self.args.contrast_share * self.num_generations)) if self.args.contrast else 0

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        training = self.model.training
        n_nothink = self.nothink_slots() if training else 0
        offset = self.accelerator.process_index * len(inputs)
        marked = []
        for i, row in enumerate(inputs):
            # RepeatSampler lays each prompt's G copies out contiguously, so the global position gives the slot.
            slot = (offset + i) % self.num_generations
            wocot = n_nothink > 0 and _kind(row) in CONSTRAINT_KINDS and slot >= self.num_generations - n_nothink
            row = {**row, "raif_uid": uuid.uuid4().hex, "raif_wocot": wocot}
            if wocot:
                row["prompt"] = prompt_text.close_think(row["prompt"])
            marked.append(row)
        output = super()._generate_and_score_completions(marked)
        if training and self.args.contrast:
            keep = self._contrast_keep(marked)
            output["advantages"] = output["advantages"] * keep.to(output["advantages"].dtype)
        for row in marked:
            rewards.OUTCOMES.pop(row["raif_uid"], None)
        return output

    def _contrast_keep(self, rows: list[dict[str, Any]]) -> torch.Tensor:
        """Per local row: whether it keeps its gradient (see the module docstring)."""
        device = self.accelerator.device
        local = []
        for row in rows:
            outcome = rewards.OUTCOMES.get(row["raif_uid"])
            constraint = _kind(row) in CONSTRAINT_KINDS and outcome is not None
            local.append([
                float(constraint),
                float(row["raif_wocot"]),
                float(outcome.k) if constraint else 0.0,
                float(outcome.gated) if constraint else 0.0,
                _offline_reference(row),
            ])
        table = self.accelerator.gather(torch.tensor(local, dtype=torch.float32, device=device))
        constraint, wocot, k, gated, offline = table.unbind(1)
        groups = k.view(-1, self.num_generations)
        nothink = (wocot * constraint).view(-1, self.num_generations)
        counted = nothink.sum(1, keepdim=True)
        online = torch.where(counted > 0, (groups * nothink).sum(1, keepdim=True) / counted.clamp(min=1),
                             torch.full_like(counted, float("-inf")))  # no contrast in the group: nothing to beat
        online = online.expand_as(groups).reshape(-1)
        reference = self.args.contrast_reference
        reaches = torch.ones_like(k, dtype=torch.bool)
        if reference in ("online", "both"):
            reaches &= k >= online
        if reference in ("offline", "both"):
            reaches &= k >= offline
        reasoning = (constraint > 0) & (wocot == 0)
        keep = torch.where(wocot > 0, torch.zeros_like(reaches), torch.ones_like(reaches))
        keep = torch.where(reasoning & (gated == 0), reaches, keep)
        scored = reasoning & (gated == 0)
        if scored.any():
            self._metrics["train"]["contrast/kept_ratio"].append(keep[scored].float().mean().item())
        self._metrics["train"]["contrast/nothink_ratio"].append(wocot.mean().item())
        start = self.accelerator.process_index * len(rows)
        return keep[start:start + len(rows)]

    # ------------------------------------------------------------------------------------ behaviour cloning

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        if self._bc_iter is not None and model.training:
            batch = {k: v.to(self.accelerator.device) for k, v in next(self._bc_iter).items()}
            bc_loss = model(**batch).loss
            loss = loss + self.args.bc_coef * bc_loss / self.current_gradient_accumulation_steps
            self._metrics["train"]["bc_loss"].append(self.accelerator.gather(bc_loss.detach()).mean().item())
        return loss

    def _bc_batches(self, dataset: Any):
        """Expert traces ``question + answer (+ EOS)``, right-padded, labels = inputs (pads −100), cycled."""
        tokenizer = self.processing_class
        size = self.args.bc_batch_size or self.args.per_device_train_batch_size
        rows = list(dataset)
        if not rows:
            raise ValueError("bc_dataset is empty")
        eos = tokenizer.eos_token or ""
        max_len = self.args.bc_max_length

        def encode(row):
            text = row["question"] + row["answer"]
            if eos and not text.endswith(eos):
                text += eos
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            prompt_len = len(tokenizer(row["question"], add_special_tokens=False)["input_ids"])
            return (ids[:max_len] if max_len else ids), prompt_len

        encoded = [encode(r) for r in rows]
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        for start in itertools.cycle(range(0, len(encoded), size)):
            chunk = encoded[start:start + size]
            width = max(len(ids) for ids, _ in chunk)
            input_ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            attention = torch.zeros((len(chunk), width), dtype=torch.long)
            labels = torch.full((len(chunk), width), -100, dtype=torch.long)
            for j, (ids, prompt_len) in enumerate(chunk):
                input_ids[j, :len(ids)] = torch.tensor(ids)
                attention[j, :len(ids)] = 1
                labels[j, :len(ids)] = torch.tensor(ids)
                if self.args.bc_mask_prompt:
                    labels[j, :prompt_len] = -100
            yield {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def _kind(row: dict[str, Any]) -> str:
    task = row.get("task") or "default"
    return next((k for k in CONSTRAINT_KINDS if task.startswith(k)), "default")


def _offline_reference(row: dict[str, Any]) -> float:
    target = row.get("target")
    if isinstance(target, str):
        try:
            target = json.loads(target)
        except json.JSONDecodeError:
            return 0.0
    if not isinstance(target, dict):
        return 0.0
    return float(next((target[k] for k in OFFLINE_KEYS if target.get(k) is not None), 0))
