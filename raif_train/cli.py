"""``raif-train``: RAIF GRPO training and data conversion.

    raif-train grpo --config raif_train/configs/qwen2.5-7b-instruct.yaml [--any_flag value ...]
    raif-train grpo --config FILE --dry_run [--launch_config raif_train/configs/accelerate/zero3.yaml]
    raif-train convert --records ifeval.jsonl --tokenizer /models/Qwen2.5-7B-Instruct --out train.jsonl
    raif-train synth --seeds instructions.jsonl --n 1000 --out synth.jsonl [--llm_url URL --reference_url URL]
    accelerate launch --config_file raif_train/configs/accelerate/zero3.yaml -m raif_train.cli grpo --config ...

``grpo`` reads a YAML config in trl's style (``TrlParser``: every key is a flag of :class:`RAIFScriptArguments`,
:class:`raif_train.trainer.RAIFConfig` (= trl's ``GRPOConfig`` + RAIF's switches) or trl's ``ModelConfig``;
flags on the command line override the file). ``model_name_or_path: embedded`` is the embedded SmolLM2-135M.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from raif_eval.errors import RaifError

DEFAULT_REWARDS = ["raif_format_reward", "raif_ifeval_reward", "raif_judge_reward", "raif_math_reward"]


@dataclass
class RAIFScriptArguments:
    train_files: list[str] = field(default_factory=list, metadata={
        "help": "RAIF-format JSONL files (input, task, target). 'raif-eval:ifeval[:N]' converts raif-eval's IFEval "
                "records for the policy on the fly (smoke tests only: it trains on an evaluation set)."})
    bc_files: list[str] = field(default_factory=list, metadata={
        "help": "Expert traces (question, answer) for behaviour cloning; used when bc_coef > 0."})
    reward_funcs: list[str] = field(default_factory=lambda: list(DEFAULT_REWARDS), metadata={
        "help": "Names in raif_train.rewards, or dotted import paths."})
    judge_url: str | None = field(default=None, metadata={
        "help": "Judge of complex rows: an OpenAI-compatible base URL or preset (RAIF_JUDGE_URL; default embedded)."})
    judge_model: str | None = field(default=None, metadata={"help": "Model the judge endpoint serves."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use only the first N training rows."})
    dry_run: bool = field(default=False, metadata={
        "help": "Parse and check the recipe, print the resolved settings and exit, without loading a model. "
                "Hardware checks (bf16 without a GPU) become warnings."})
    launch_config: str | None = field(default=None, metadata={
        "help": "With --dry_run: the accelerate config the run will be launched with, for the per-step arithmetic "
                "(its num_processes x num_machines; else WORLD_SIZE, else 1)."})

HARDWARE_ERRORS = ("bf16", "fp16", "gpu", "cuda")  # words of transformers' hardware checks


def _reward_funcs(names: list[str]):
    import importlib

    from raif_train import rewards

    funcs = []
    for name in names:
        if name == "raif_math_reward":
            try:
                import math_verify  # noqa: F401
            except ImportError:
                raise RaifError("raif_math_reward needs math-verify: pip install 'math-verify[antlr4_13_2]' (part of "
                                "raif-eval's [train] extra)") from None
        if hasattr(rewards, name):
            funcs.append(getattr(rewards, name))
        elif "." in name:
            module, attr = name.rsplit(".", 1)
            funcs.append(getattr(importlib.import_module(module), attr))
        else:
            raise RaifError(f"unknown reward function {name!r}: use a name from raif_train.rewards "
                            f"({', '.join(DEFAULT_REWARDS)}, ifeval_reward) or a dotted import path")
    return funcs


def _configure_judge(url: str | None, model: str | None) -> None:
    """The judge of complex rows: these flags, else the RAIF_JUDGE_* variables (the embedded toy judge)."""
    from raif_eval.judge import config

    config.configure({"url": url, "model": model})


def _model_path(name: str) -> str:
    if name == "embedded":
        from raif_eval.models.embedded import ensure_embedded_model, model_dir

        ensure_embedded_model()
        return str(model_dir())
    return name


def _train_dataset(files: list[str], tokenizer, limit: int | None):
    import datasets

    from raif_train import data

    parts = []
    for spec in files:
        if spec.startswith("raif-eval:"):
            _, bench, *count = spec.split(":")
            if bench != "ifeval":
                raise SystemExit(f"raif-train: error: {spec}: only raif-eval:ifeval[:N] is built in")
            from raif_eval.benchmarks import ifeval

            records = ifeval.load_records()[: int(count[0])] if count else ifeval.load_records()
            parts.append(datasets.Dataset.from_list([data.raif_row(data.to_raif(r, tokenizer)) for r in records]))
        else:
            parts.append(data.load_raif(spec))
    if not parts:
        raise SystemExit("raif-train: error: no training data: set train_files in the config or --train_files")
    dataset = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    return dataset.select(range(min(limit, len(dataset)))) if limit else dataset


def grpo(argv: list[str]) -> None:
    if "-h" in argv or "--help" in argv:
        print("raif-train grpo --config FILE [--flag value ...]\n  --config FILE  a YAML recipe (raif_train/configs/); "
              "its keys are the flags below, and flags given here override it\n  --dry_run      check the recipe "
              "and print its settings without loading anything\n")
    script, config, model_args, warnings = _parse(argv)
    if script.dry_run:
        _reward_funcs(script.reward_funcs)  # unknown names and missing libraries fail here, not after loading
        print(dry_run_report(script, config, model_args, warnings))
        return
    from transformers import AutoTokenizer

    from raif_train import data
    from raif_train.trainer import RAIFTrainer

    _configure_judge(script.judge_url, script.judge_model)
    model_path = _model_path(model_args.model_name_or_path or "embedded")
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    train = _train_dataset(script.train_files, tokenizer, script.max_train_samples)
    bc = data.load_expert(script.bc_files) if script.bc_files else None
    config.model_init_kwargs = {**(config.model_init_kwargs or {}), **({"dtype": model_args.dtype}
                                                                         if model_args.dtype else {})}
    trainer = RAIFTrainer(model=model_path, processing_class=tokenizer, reward_funcs=_reward_funcs(script.reward_funcs),
                          args=config, train_dataset=train, bc_dataset=bc)
    trainer.train(resume_from_checkpoint=config.resume_from_checkpoint)
    trainer.save_model(config.output_dir)
    tokenizer.save_pretrained(config.output_dir)
    trainer.accelerator.print(f"raif-train: model saved to {config.output_dir}; evaluate it with "
                              f"raif-eval run --model hf --model_args pretrained={config.output_dir} "
                              "--apply_chat_template --tasks raif_complex")


def _parse(argv: list[str]):
    """(script, config, model args, warnings) of a ``grpo`` command line. A dry run on a machine without the
    recipe's hardware reports the check as a warning and resolves the rest as if on CPU."""
    from trl import ModelConfig, TrlParser

    from raif_train.trainer import RAIFConfig

    def parse(args):
        parser = TrlParser((RAIFScriptArguments, RAIFConfig, ModelConfig), prog="raif-train grpo")
        return parser.parse_args_and_config(args=args)

    try:
        try:
            return (*parse(argv), [])
        except ValueError as exc:
            if "--dry_run" not in argv or not any(word in str(exc).lower() for word in HARDWARE_ERRORS):
                raise
            return (*parse([*argv, "--use_cpu", "true"]), [f"this machine cannot run the recipe as set: {exc}"])
    except ValueError as exc:  # a bad key or value in the recipe or on the command line
        raise RaifError(f"raif-train grpo: {exc} (raif-train grpo --help lists the flags; --dry_run checks a "
                        f"recipe without loading anything)") from None


def _processes(launch_config: str | None) -> tuple[int, str]:
    import os

    import yaml

    if launch_config:
        launch = yaml.safe_load(Path(launch_config).read_text(encoding="utf-8")) or {}
        count = int(launch.get("num_processes", 1)) * int(launch.get("num_machines", 1) or 1)
        return count, f"{launch_config}: num_processes x num_machines"
    if os.environ.get("WORLD_SIZE"):
        return int(os.environ["WORLD_SIZE"]), "WORLD_SIZE"
    return 1, "one process (no --launch_config, no WORLD_SIZE)"


def dry_run_report(script: RAIFScriptArguments, config, model_args, warnings: list[str]) -> str:
    """What ``--dry_run`` prints: the resolved recipe and its per-step arithmetic, then any warnings."""
    processes, source = _processes(script.launch_config)
    per_step = config.per_device_train_batch_size * config.gradient_accumulation_steps * processes
    generation = config.generation_batch_size or per_step
    warnings = list(warnings)
    if per_step != generation:
        warnings.append(f"one optimizer step sees {per_step} samples but a generation batch has {generation}: "
                        f"set gradient_accumulation_steps (or the launch config's num_processes) so they match, "
                        f"as RAIF's one on-policy step per rollout does")
    importance = config.vllm_importance_sampling_mode if config.vllm_importance_sampling_correction else "off"
    lines = [
        "raif-train grpo --dry_run: the recipe parses; nothing was loaded",
        f"  model: {model_args.model_name_or_path} (dtype {model_args.dtype}); output_dir: {config.output_dir}",
        f"  rewards: {', '.join(script.reward_funcs)}; judge: {script.judge_url or 'embedded'} "
        f"({script.judge_model or 'the model it serves'})",
        f"  data: train {script.train_files or '-'}; behaviour cloning {script.bc_files or '-'} "
        f"(bc_coef {getattr(config, 'bc_coef', None)})",
        f"  rollouts: {config.num_generations} per prompt, generation batch {generation} "
        f"({generation // max(config.num_generations, 1)} prompts); vLLM {config.use_vllm}"
        + (f" ({config.vllm_mode})" if config.use_vllm else ""),
        f"  per optimizer step: {config.per_device_train_batch_size} per device x "
        f"{config.gradient_accumulation_steps} accumulation x {processes} processes ({source}) = {per_step} samples",
        f"  objective: loss {config.loss_type}, beta {config.beta} (k3 KL"
        f"{' x importance ratio' if config.use_bias_correction_kl else ''}), epsilon {config.epsilon}, learning rate "
        f"{config.learning_rate}, warmup {config.warmup_steps}, epochs {config.num_train_epochs}"
        + (f"; vLLM importance sampling {importance}" if config.use_vllm else ""),
        f"  contrast: {config.contrast_mode}, {config.contrast_share:g} of each group without reasoning"
        f"{'' if config.wocot_in_baseline else ' (left out of the group baseline)'}"
        + "".join(f"; RAIF's {name} reproduced" for name in ("ifeval_swapped_args", "wocot_gate",
                                                             "judge_uses_actor_template") if getattr(config, name)),
        f"  behaviour cloning: {config.bc_batch_size} trace(s) per micro-step, cut at {config.bc_max_length} tokens"
        if config.bc_coef else "  behaviour cloning: off",
    ]
    lines += [f"  warning: {w}" for w in warnings]
    return "\n".join(lines)


def convert(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="raif-train convert", description=(
        "Convert constraint records (IFEval, InFoBench, ComplexBench shapes, or {prompt, scoring_questions}) and "
        "maths problems (DeepScaleR's {problem, answer}: the answer becomes the row's target) to "
        "RAIF-format training rows templated for a policy's tokenizer, or back with --to records."))
    parser.add_argument("--records", required=True, help="input JSONL")
    parser.add_argument("--out", required=True, help="output JSONL")
    parser.add_argument("--tokenizer", default="embedded", help="the policy's tokenizer folder (for --to raif)")
    parser.add_argument("--to", choices=("raif", "records"), default="raif")
    parser.add_argument("--format", choices=("raif", "trl"), default="raif",
                        help="raif: RAIF's columns (input, task, target); trl: also `prompt` (the input with its "
                             "<think> prefill) and `template`, the columns stock `trl grpo` and the rewards read")
    parser.add_argument("--system", default=None, help="system prompt (default: RAIF's think/answer prompt)")
    args = parser.parse_args(argv)
    from raif_train import data

    rows = data.read_jsonl(args.records)
    if args.to == "records":
        out = [data.from_raif(r) for r in rows]
    else:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(_model_path(args.tokenizer))
        out = [data.to_raif(r, tokenizer, args.system) for r in rows]
        if args.format == "trl":
            out = [{**r, **data.raif_row(r)} for r in out]
    print(f"wrote {len(out)} rows to {data.write_jsonl(out, args.out)}")


def synth(argv: list[str]) -> None:
    from raif_train import synth as synthesis

    summary = plain(synthesis.__doc__.split("\n\n")[0])
    parser = argparse.ArgumentParser(prog="raif-train synth", description=summary,
                                     epilog="Everything is deterministic for a given --seed, seed file and cached "
                                     "LLM replies. See the module docs of raif_train.synth.")
    seeds = parser.add_argument_group("seeds")
    seeds.add_argument("--seeds", required=True, help="JSONL/JSON of plain instructions, or a save_to_disk folder")
    seeds.add_argument("--field", default=None, help="the instruction field (default: instruction, prompt, text, …)")
    seeds.add_argument("--n", type=int, default=None, help="sample this many seeds (default: all)")
    seeds.add_argument("--min_chars", type=int, default=8)
    seeds.add_argument("--max_chars", type=int, default=2000)
    seeds.add_argument("--languages", default="en,zh", help="keep seeds in these languages (en, zh)")
    comp = parser.add_argument_group("composition")
    comp.add_argument("--seed", type=int, default=0, help="random seed (per record: seed + seed id)")
    comp.add_argument("--kinds", default="And,Chain,Selection", help="composition types to use")
    comp.add_argument("--max_depth", type=int, default=2, help="nesting depth, 1..N per record")
    comp.add_argument("--rules", type=int, default=2, help="rule constraints per leaf")
    comp.add_argument("--questions", type=int, default=1, help="judge-checked constraints per leaf")
    comp.add_argument("--bank", default=None, help="YAML bank of words, questions, steps and conditions")
    llm = parser.add_argument_group("LLM rewrite, quality check (OpenAI-compatible endpoints; cached)")
    llm.add_argument("--llm_url", default=None, help="rewrite instructions naturally with this endpoint")
    llm.add_argument("--llm_model", default=None)
    llm.add_argument("--reference_url", default=None, help="answer each instruction for the quality check")
    llm.add_argument("--reference_model", default=None)
    llm.add_argument("--min_reference", type=float, default=0.0, help="drop records whose reference meets less")
    llm.add_argument("--max_reference", type=float, default=1.0, help="drop records whose reference meets more")
    llm.add_argument("--judge_url", default=None, help="judge of the scoring questions (default RAIF_JUDGE_URL)")
    llm.add_argument("--judge_model", default=None)
    out = parser.add_argument_group("output")
    out.add_argument("--out", required=True, help="output JSONL")
    out.add_argument("--tokenizer", default="embedded",
                     help="template `input` for this policy (a folder, or embedded); none: constraint records only")
    args = parser.parse_args(argv)

    from raif_eval.judge.config import JudgeConfig
    from raif_eval.judge.preflight import preflight
    from raif_train import bank

    bank.use(args.bank)
    try:
        _configure_judge(args.judge_url, args.judge_model)
        llm_config = preflight(JudgeConfig(url=args.llm_url, model=args.llm_model).resolved()) if args.llm_url \
            else None
        reference = preflight(JudgeConfig(url=args.reference_url, model=args.reference_model).resolved()) \
            if args.reference_url else None
    except RaifError as exc:
        raise SystemExit(f"raif-train: error: {exc}") from None
    tokenizer = None
    if args.tokenizer.lower() != "none":
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(_model_path(args.tokenizer))
    chosen = synthesis.load_seeds(args.seeds, args.n, args.seed, args.field, args.min_chars, args.max_chars,
                                  args.languages.split(","))
    records = synthesis.synthesize(chosen, args.seed, tuple(args.kinds.split(",")), args.max_depth, args.rules,
                                   args.questions, tokenizer, llm_config, reference, args.min_reference,
                                   args.max_reference)
    print(f"wrote {len(records)} records from {len(chosen)} seeds to {synthesis.write(records, args.out)}")


def plain(doc: str) -> str:
    """A docstring as console text: ``code`` and :class:`a.b.C` roles become code and C."""
    import re

    text = re.sub(r":\w+:`~?([^`]+)`", lambda m: m.group(1).rsplit(".", 1)[-1], doc.strip())
    return text.replace("``", "")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"grpo": grpo, "convert": convert, "synth": synth}
    if not argv or argv[0] not in commands:
        print(plain(__doc__), file=sys.stderr if argv else sys.stdout)
        raise SystemExit(0 if not argv or argv[0] in ("-h", "--help") else 2)
    try:
        commands[argv[0]](argv[1:])
    except RaifError as exc:
        print(f"raif-train: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
