"""RAIF on trl: :class:`RAIFConfig` and :class:`RAIFTrainer`, a ``GRPOTrainer`` with two additions.

**Sample-wise contrast** ("superior CoT enforcement", raif-training.md §4 and §7). In every group of
``num_generations`` rollouts of a constraint prompt (``task`` starting with ``ifeval`` or ``complex``), the last
``contrast_share`` of the slots answer *without* reasoning: their prompt's think block is closed before generation
(``<think>\\n\\n</think>\\n``). Those rollouts count in the group's reward mean and std (as in RAIF;
``wocot_in_baseline``) but never get a gradient. Which reasoning rollouts lose theirs is ``contrast_mode``:

* ``offline_ref`` — RAIF's mask as released: a rollout keeps its gradient when it meets at least as many constraints
  as the count stored with the prompt (``follow_score_…`` / ``scoring_sum_…`` in ``target``, or ``reference_score``
  from ``raif-train synth``; 0 when absent);
* ``online_prompt`` — RAIF's prompt-level filter: every reasoning rollout of a prompt is dropped when the best of
  them scores below the worst no-reasoning answer (``max R_ans(CoT) < min R_ans(woCoT)``, and the reasoning
  rollouts do not all score the same);
* ``online_row`` — per rollout: dropped when its ``R_ans`` is below the mean of the group's no-reasoning answers;
* ``both`` (default) — ``offline_ref`` and ``online_prompt``;
* ``off`` — no no-reasoning rollouts, plain GRPO.

"Dropped" means the advantage is zeroed: with ``loss_type="grpo"`` this equals RAIF's ratio-1 trick (the row stays
in the per-sequence mean and keeps its KL term). Maths rows keep their gradient; so do gated rows (bad format,
empty answer or reasoning) under the offline mask. Logged: ``contrast/kept_ratio`` (share of scored reasoning
rollouts that keep a gradient), ``contrast/prompts_dropped`` (share of contrasted prompts the online filter drops)
and ``contrast/nothink_ratio``.

**Behaviour cloning.** With ``bc_coef > 0`` and a dataset of expert traces (``question`` + ``answer``), every
training micro-step adds ``bc_coef × mean over traces of each trace's token-mean NLL / gradient_accumulation_steps``
to the GRPO loss (GRPO's own loss is already divided by the accumulation count). Each process reads its own shard of
the traces, reshuffled every pass; ``bc_batch_size`` traces per micro-step (RAIF: 1), cut at ``bc_max_length``
tokens (RAIF: 12,288). Logged as ``bc_loss``.

**RAIF's bugs, reproducible on request** (raif-training.md §7; all off by default): ``ifeval_swapped_args`` (B1:
every rule row gets −2), ``wocot_gate`` (B2: no-reasoning answers hit the think gate, so the online filter never
fires), ``wocot_in_baseline=False`` (no-reasoning rewards left out of the group statistics; RAIF keeps them in),
``judge_uses_actor_template`` (the judge prompt rendered with the policy's chat template and sent as a raw
completion).

RAIF's objective differs from trl 1.16's defaults in two more places, both set here: the KL term is the plain k3
estimator (``use_bias_correction_kl=False``; trl multiplies it by the importance ratio) and vLLM rollouts are not
re-weighted (``vllm_importance_sampling_correction=False``; trl masks whole sequences). Set them back in a recipe for
trl's behaviour.

With ``use_vllm`` and ``vllm_mode: server``, trl sends each group's first prompt only and asks for G completions,
which would give the no-reasoning slots a reasoning prompt; this trainer then asks for one completion per row, so
every slot is generated from its own prompt (vLLM's prefix cache makes the repeats cheap).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from trl import GRPOConfig, GRPOTrainer

from raif_train import prompts as prompt_text
from raif_train import rewards

CONSTRAINT_KINDS = ("ifeval", "complex")
CONTRAST_MODES = ("both", "offline_ref", "online_prompt", "online_row", "off")
OFFLINE_KEYS = ("reference_score", "follow_score_qwen2.5-7B-Instruct", "scoring_sum_qwen2.5-7B-Instruct")
COMPAT_SWITCHES = ("ifeval_swapped_args", "wocot_gate")  # the ones the reward functions read, per row


@dataclass
class RAIFConfig(GRPOConfig):
    """``GRPOConfig`` plus RAIF's switches. Defaults that differ from trl's are RAIF's (``loss_type="grpo"``,
    ``beta=0.001``, plain k3 KL, no vLLM importance-sampling mask); the paper's full recipes are the YAML files in
    ``raif_train/configs``."""

    loss_type: str = field(default="grpo", metadata={"help": "RAIF: per-sequence token mean, then batch mean."})
    beta: float = field(default=0.001, metadata={"help": "KL coefficient (RAIF: 0.001, k3 estimator)."})
    use_bias_correction_kl: bool = field(default=False, metadata={
        "help": "Multiply the KL term by the importance ratio (trl's default); RAIF: plain k3."})
    vllm_importance_sampling_correction: bool = field(default=False, metadata={
        "help": "Re-weight or mask vLLM rollouts by the sampler/trainer log-prob ratio (trl's default); RAIF: no."})
    contrast_mode: str = field(default="both", metadata={
        "help": "Sample-wise contrast: both (offline mask + prompt-level filter) | offline_ref | online_prompt | "
                "online_row | off."})
    contrast_share: float = field(default=0.25, metadata={
        "help": "Share of each group's rollouts that answer without reasoning (RAIF: 1/4)."})
    wocot_in_baseline: bool = field(default=True, metadata={
        "help": "No-reasoning rewards enter the group mean and std (RAIF: yes)."})
    wocot_gate: bool = field(default=False, metadata={
        "help": "Reproduce RAIF bug B2: score no-reasoning answers with the think gate (always -2)."})
    ifeval_swapped_args: bool = field(default=False, metadata={
        "help": "Reproduce RAIF bug B1: every rule-checked row gets R_ans = -2."})
    judge_uses_actor_template: bool = field(default=False, metadata={
        "help": "Reproduce RAIF: render the judge prompt with the policy's chat template (sent as a raw completion)."})
    bc_coef: float = field(default=0.0, metadata={
        "help": "Behaviour-cloning coefficient (RAIF's main recipe: 1.0); needs bc_dataset."})
    bc_batch_size: int = field(default=1, metadata={"help": "Expert traces per micro-step (RAIF: 1)."})
    bc_max_length: int | None = field(default=12288, metadata={
        "help": "Cut expert traces to this many tokens (RAIF: 12,288; none keeps them whole)."})
    bc_mask_prompt: bool = field(default=False, metadata={
        "help": "Exclude the prompt tokens from the BC loss (RAIF includes them)."})

    def __post_init__(self):
        super().__post_init__()
        if self.contrast_mode not in CONTRAST_MODES:
            raise ValueError(f"contrast_mode must be one of {', '.join(CONTRAST_MODES)}, not {self.contrast_mode!r}")
        if not 0 <= self.contrast_share < 1:
            raise ValueError("contrast_share must be in [0, 1)")
        if self.bc_batch_size < 1:
            raise ValueError("bc_batch_size must be at least 1")
        online = self.contrast_mode in ("both", "online_prompt", "online_row")
        if online and round(self.contrast_share * self.num_generations) == 0:
            raise ValueError(f"contrast_mode {self.contrast_mode} compares with no-reasoning rollouts, but "
                             f"contrast_share {self.contrast_share} of num_generations {self.num_generations} is "
                             f"none: raise either (RAIF: 1/4 of 8), or use contrast_mode offline_ref or off")

    @property
    def compat(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in COMPAT_SWITCHES}


class RAIFTrainer(GRPOTrainer):
    def __init__(self, *args: Any, bc_dataset: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for yes_no in filter(None, map(rewards.judge_of, self.reward_funcs)):  # the judge rewards' own judges
            if self.args.judge_uses_actor_template and yes_no.embedded:
                raise ValueError("judge_uses_actor_template sends raw prompts to /v1/completions, which the embedded "
                                 "judge does not serve: set judge_url to an OpenAI-compatible server (vllm serve)")
            yes_no.use_actor_template(self.processing_class if self.args.judge_uses_actor_template else None)
        self._bc_iter = None
        if self.args.bc_coef:
            if bc_dataset is None:
                raise ValueError("bc_coef > 0 needs bc_dataset (expert traces with question and answer)")
            self._bc_iter = self._bc_batches(bc_dataset)

    # ---------------------------------------------------------------------------------------------- contrast

    def nothink_slots(self) -> int:
        """How many slots of each group answer without reasoning."""
        if self.args.contrast_mode == "off":
            return 0
        return int(round(self.args.contrast_share * self.num_generations))

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        training = self.model.training
        n_nothink = self.nothink_slots() if training else 0
        offset = self.accelerator.process_index * len(inputs)
        compat = self.args.compat
        marked = []
        for i, row in enumerate(inputs):
            # RepeatSampler lays each prompt's G copies out contiguously, so the global position gives the slot.
            slot = (offset + i) % self.num_generations
            wocot = n_nothink > 0 and _kind(row) in CONSTRAINT_KINDS and slot >= self.num_generations - n_nothink
            row = {**row, "raif_uid": uuid.uuid4().hex, "raif_wocot": wocot, "raif_compat": compat}
            if wocot:
                row["prompt"] = prompt_text.close_think(row["prompt"])
            marked.append(row)
        try:
            output = super()._generate_and_score_completions(marked)
            if training and self.args.contrast_mode != "off":
                keep = self._contrast_keep(marked)
                output["advantages"] = output["advantages"] * keep.to(output["advantages"].dtype)
        finally:
            for row in marked:
                rewards.OUTCOMES.pop(row["raif_uid"], None)
        return output

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        # trl's server mode generates G completions from each group's first prompt (prompts[::G]); the no-reasoning
        # slots have prompts of their own, so ask for one completion per row instead.
        if self.use_vllm and self.args.vllm_mode == "server" and self.model.training and self.nothink_slots():
            num_generations = 1
        return super()._generate_single_turn(prompt_ids, images, multimodal_fields, num_generations,
                                             has_tool_images)

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        if not self.args.wocot_in_baseline and self.model.training:
            # trl leaves rows that every reward function skipped (NaN) out of the group mean and std and gives
            # them no advantage: exactly what a no-reasoning row should be here.
            local = torch.tensor([int(bool(row.get("raif_wocot"))) for row in inputs], device=per_func.device)
            per_func[self.accelerator.gather(local).bool()] = float("nan")  # int: gloo gathers no bools
        return per_func

    def _contrast_keep(self, rows: list[dict[str, Any]]) -> torch.Tensor:
        """Per local row: whether it keeps its gradient (see the module docstring)."""
        local = []
        for row in rows:
            outcome = rewards.OUTCOMES.get(row["raif_uid"])
            constraint = _kind(row) in CONSTRAINT_KINDS and outcome is not None
            local.append([float(constraint), float(row["raif_wocot"]), float(outcome.k) if constraint else 0.0,
                          float(outcome.r_ans) if constraint else 0.0, float(outcome.gated) if constraint else 0.0,
                          _offline_reference(row)])
        table = self.accelerator.gather(torch.tensor(local, dtype=torch.float32, device=self.accelerator.device))
        constraint, wocot, k, r_ans, gated, offline = (column.bool() if i in (0, 1, 4) else column
                                                       for i, column in enumerate(table.unbind(1)))
        reasoning = constraint & ~wocot
        nothink = constraint & wocot
        mode = self.args.contrast_mode
        keep = ~wocot
        if mode in ("offline_ref", "both"):
            keep &= ~(reasoning & ~gated) | (k >= offline)
        g = self.num_generations
        cot_r, wo_r = reasoning.view(-1, g), nothink.view(-1, g)
        scores = r_ans.view(-1, g)
        contrasted = cot_r.any(1) & wo_r.any(1)
        inf = torch.full_like(scores, float("inf"))
        if mode in ("online_prompt", "both"):
            best = torch.where(cot_r, scores, -inf).amax(1)
            worst = torch.where(cot_r, scores, inf).amin(1)
            floor = torch.where(wo_r, scores, inf).amin(1)
            dropped = contrasted & (best < floor) & (worst != best)
            keep &= ~(reasoning & dropped.repeat_interleave(g))
            if contrasted.any():
                self._metrics["train"]["contrast/prompts_dropped"].append(
                    dropped[contrasted].float().mean().item())
        if mode == "online_row":
            mean = (scores * wo_r).sum(1) / wo_r.sum(1).clamp(min=1)
            below = (scores < mean.unsqueeze(1)) & contrasted.unsqueeze(1)
            keep &= ~(reasoning & below.view(-1))
        scored = reasoning & ~gated
        if scored.any():
            self._metrics["train"]["contrast/kept_ratio"].append(keep[scored].float().mean().item())
        self._metrics["train"]["contrast/nothink_ratio"].append(wocot.float().mean().item())
        start = self.accelerator.process_index * len(rows)
        return keep[start:start + len(rows)]

    # ------------------------------------------------------------------------------------ behaviour cloning

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        if self._bc_iter is not None and model.training:
            batch = {k: v.to(self.accelerator.device) for k, v in next(self._bc_iter).items()}
            bc_loss = _trace_mean_nll(model, batch)
            loss = loss + self.args.bc_coef * bc_loss / self.current_gradient_accumulation_steps
            self._metrics["train"]["bc_loss"].append(self.accelerator.gather(bc_loss.detach()).mean().item())
        return loss

    def _bc_batches(self, dataset: Any):
        """Expert traces ``question + answer (+ EOS)`` of this process's shard, reshuffled every pass, cut at
        ``bc_max_length`` tokens, right-padded, labels = inputs (pads −100)."""
        tokenizer = self.processing_class
        size = self.args.bc_batch_size
        order = bc_order(len(dataset), self.accelerator.process_index, self.accelerator.num_processes,
                         self.args.seed)
        eos = tokenizer.eos_token or ""
        max_len = self.args.bc_max_length
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

        def encode(row):
            text = row["question"] + row["answer"]
            if eos and not text.endswith(eos):
                text += eos
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            prompt_len = len(tokenizer(row["question"], add_special_tokens=False)["input_ids"])
            return (ids[:max_len] if max_len else ids), prompt_len

        while True:
            chunk = [encode(dataset[next(order)]) for _ in range(size)]
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


def bc_order(n: int, rank: int, processes: int, seed: int) -> Iterator[int]:
    """Endless trace indices for one process: its shard (every ``processes``-th trace from ``rank``), reshuffled
    on every pass, the same for a given seed."""
    shard = list(range(n))[rank::processes]
    if not shard:
        raise ValueError(f"bc_dataset has {n} traces, fewer than the {processes} processes")
    rng = random.Random(f"{seed}:{rank}")
    while True:
        rng.shuffle(shard)
        yield from shard


def _trace_mean_nll(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The mean over traces of each trace's token-mean NLL (RAIF trains one trace per micro-step, so a long trace
    weighs as much as a short one)."""
    if batch["input_ids"].shape[0] == 1:
        return model(**batch).loss
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
    labels = batch["labels"][:, 1:]
    nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2).float(), labels, ignore_index=-100,
                                            reduction="none")
    counted = labels != -100
    return ((nll * counted).sum(1) / counted.sum(1).clamp(min=1)).mean()


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
