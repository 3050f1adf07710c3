"""Overhead of the RAIF rule reward over the checking it has to do, on the 541 IFEval GPT-4 responses.

Each response is wrapped as a RAIF rollout (``<think>`` prefill + reasoning + ``<answer>…</answer>``) after a
Qwen-templated prompt, and scored by ``raif_ifeval_reward`` (stop-string cut, format, gate, instruction recovery
from the template, training-reading checkers, shaping) in batches of 64, as trl calls it. Baseline, side by side:
the same work done bare — the strict training-reading verdicts (``ifeval.strict``) of the already extracted answers
against records built directly, which is all a reward needs. The ratio is what the reward's plumbing costs.

    RAIF_DATA_DIR=../shared/benchmarks python bench/train_rewards.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import time

from raif_eval import data
from raif_eval.benchmarks import ifeval
from raif_train import rewards

FIXTURE = "fixtures/gpt4_official/input_response_data_gpt4_20231107_145030.jsonl"
BATCH = 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    records = ifeval.load_records()
    with data.resolve("ifeval", FIXTURE).open(encoding="utf-8") as fh:
        responses = [json.loads(line)["response"] for line in fh]
    prompts = [f"<|im_start|>user\n{r['prompt']}<|im_end|>\n<|im_start|>assistant\n<think>\n" for r in records]
    completions = [f"Let me check each constraint.</think>\n<answer>{resp}</answer>" for resp in responses]
    targets = [json.dumps({"instruction_id_list": r["instruction_id_list"], "kwargs": r["kwargs"]}) for r in records]
    n = len(records)

    def reward():
        ifeval.clear_check_cache()
        out = []
        for i in range(0, n, BATCH):
            out += rewards.raif_ifeval_reward(prompts[i:i + BATCH], completions[i:i + BATCH],
                                              task=["ifeval"] * len(prompts[i:i + BATCH]), target=targets[i:i + BATCH])
        return out

    specs = [json.loads(t) for t in targets]

    def bare():
        ifeval.clear_check_cache()
        return [ifeval.strict(rewards.ifeval_record(spec, r["prompt"]), resp, reading="training")
                for spec, r, resp in zip(specs, records, responses)]

    fns = {"raif_ifeval_reward": reward, "bare strict verdicts": bare}
    for fn in fns.values():
        fn()  # warm-up
    timings = {name: [] for name in fns}
    for _ in range(args.rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            timings[name].append(time.perf_counter() - t0)
    values = reward()
    print(f"RAIF rule reward on {n} IFEval GPT-4 responses, best of {args.rounds} rounds (batches of {BATCH})")
    for name, ts in timings.items():
        print(f"  {name:<28} {min(ts):7.3f} s   {n / min(ts):8.1f} completions/s")
    ratio = min(timings["raif_ifeval_reward"]) / min(timings["bare strict verdicts"])
    print(f"  reward / bare verdicts time: {ratio:.2f}x"
          f"   (mean reward {sum(values) / n:.3f}; +2 for {sum(v == 2.0 for v in values)} fully followed)")


if __name__ == "__main__":
    main()
