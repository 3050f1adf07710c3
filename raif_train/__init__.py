"""RAIF on trl: GRPO whose rewards are raif-eval's verifiers (the same core that scores the benchmarks), with
sample-wise contrast and behaviour cloning (:mod:`raif_train.trainer`)."""

from raif_train.rewards import (
    ifeval_reward,
    raif_format_reward,
    raif_ifeval_reward,
    raif_judge_reward,
    raif_math_reward,
)

__all__ = ["ifeval_reward", "raif_format_reward", "raif_ifeval_reward", "raif_judge_reward", "raif_math_reward"]
