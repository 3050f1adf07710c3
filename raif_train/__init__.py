"""GRPO fine-tuning on trl whose rewards are raif-eval's verifiers (the same core that scores the benchmarks)."""

from raif_train.rewards import ifeval_reward

__all__ = ["ifeval_reward"]
