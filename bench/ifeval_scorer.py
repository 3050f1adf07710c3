"""Throughput of raif-eval's IFEval scorer against lm-eval's own ``ifeval`` utils, side by side.

Both score the 541 official GPT-4 responses (strict and loose, all four metrics) through their lm-eval
``process_results`` entry points, in alternating rounds within one process, after a warm-up round each.

    RAIF_DATA_DIR=../shared/benchmarks python bench/ifeval_scorer.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from raif_eval import data
from raif_eval.benchmarks import ifeval
from raif_eval.core.scoring import SampleScorer

FIXTURE = "fixtures/gpt4_official/input_response_data_gpt4_20231107_145030.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per scorer (default 3)")
    args = parser.parse_args()

    records = ifeval.load_records()
    with data.resolve("ifeval", FIXTURE).open(encoding="utf-8") as fh:
        responses = [json.loads(line)["response"] for line in fh]
    assert len(records) == len(responses) == 541

    ifeval.score(records[0], responses[0])  # punkt_tab in place before lm-eval's module is imported
    from lm_eval.tasks.ifeval import utils as upstream

    our_docs = ifeval.documents(ifeval.BENCHMARK.settings({}), None)
    ours = SampleScorer(ifeval.BENCHMARK, ifeval.BENCHMARK.settings({}))  # the task's process_results

    def run_ours():
        ifeval.clear_check_cache()  # one eval run scores each document once: no reuse of built checks
        return [ours(d, [resp]) for d, resp in zip(our_docs, responses)]

    def run_upstream():
        return [upstream.process_results(r, [resp]) for r, resp in zip(records, responses)]

    timings = {"raif-eval": [], "lm-eval ifeval utils": []}
    fns = {"raif-eval": run_ours, "lm-eval ifeval utils": run_upstream}
    for fn in fns.values():  # warm-up: langdetect profiles, punkt, checker construction
        fn()
    for _ in range(args.rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            timings[name].append(time.perf_counter() - t0)

    n = len(responses)
    median = {name: statistics.median(ts) for name, ts in timings.items()}
    print(f"IFEval scoring of {n} GPT-4 responses (strict + loose), median of {args.rounds} rounds")
    for name, t in median.items():
        spread = ", ".join(f"{x:.3f}" for x in timings[name])
        print(f"  {name:<22} {t:7.3f} s   {n / t:8.1f} responses/s   (rounds: {spread})")
    ratio = median["lm-eval ifeval utils"] / median["raif-eval"]
    print(f"  throughput ratio raif-eval / lm-eval: {ratio:.2f}x (target >= 1.0x)")


if __name__ == "__main__":
    main()
