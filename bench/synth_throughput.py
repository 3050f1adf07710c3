"""Records per second of deterministic composition (`raif-train synth` without an LLM endpoint).

Seeds: the 541 IFEval prompts and the 500 InfoBench instructions (English) as plain instructions, plus the 523
CELLO instructions (Chinese). Timed: composing the constraint tree, rendering the instruction (Jinja2), collecting
the targets and building every rule in the verifiers; then the same plus templating `input` for the embedded
model's tokenizer, as the default output does.

    RAIF_DATA_DIR=../shared/benchmarks python bench/synth_throughput.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from raif_eval.benchmarks import cello, ifeval, infobench
from raif_train import synth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    texts = ([r["prompt"] for r in ifeval.load_records()] + [r["instruction"] for r in infobench.load_records()]
             + [r["Instruction"] for r in cello.load_records()])
    from raif_eval import modes

    seeds = [synth.Seed(str(i), t, modes.language(t)) for i, t in enumerate(texts)]

    from transformers import AutoTokenizer

    from raif_eval.models.embedded import ensure_embedded_model, model_dir

    ensure_embedded_model()
    tokenizer = AutoTokenizer.from_pretrained(model_dir())

    def compose(tokenizer=None):
        ifeval.clear_check_cache()  # each round builds every record's checks afresh, as one synthesis run does
        records = synth.synthesize(seeds, random_seed=0, tokenizer=tokenizer)
        for rec in records:  # every rule builds in the verifiers
            ifeval.build_checks({"key": 0, "prompt": "", **{k: v for k, v in __import__("json").loads(
                rec["target"]).items() if k in ("instruction_id_list", "kwargs")}}, "training")
        return records

    def templated():
        return compose(tokenizer)

    fns = {"compose + render + verify": compose, "... + chat template": templated}
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(args.rounds):
        for name, fn in fns.items():  # interleaved: this VM's pauses hit both alike
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    median = {name: statistics.median(ts) for name, ts in times.items()}
    n = len(seeds)
    print(f"deterministic synthesis of {n} records (max depth 2, 2 rules + 1 question per leaf), median of "
          f"{args.rounds}, built checks cleared every round")
    for name, t in median.items():
        print(f"  {name:<28} {t:7.3f} s   {n / t:8.1f} records/s")


if __name__ == "__main__":
    main()
