"""Training rewards reuse the benchmark scorer."""

import json

from raif_eval.benchmarks import ifeval
from raif_train import ifeval_reward


def test_ifeval_reward_is_the_strict_instruction_fraction(ifeval_records, ifeval_gpt4_responses):
    records, responses = ifeval_records[:30], ifeval_gpt4_responses[:30]
    raw = [json.dumps(r) for r in records]
    conversational = [[{"role": "assistant", "content": f"<think>draft</think>{resp}"}] for resp in responses]
    rewards = ifeval_reward([r["prompt"] for r in records], conversational, raw=raw)
    expected = [sum(s.strict) / len(s.strict) for s in (ifeval.score(r, x) for r, x in zip(records, responses))]
    assert rewards == expected
    assert 0 < min(rewards) < 1 or max(rewards) == 1.0
    assert ifeval_reward(["p"], [""], raw=[raw[0]]) == [0.0]
