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
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
                "Hardware checks (bf16 without a GPU) and data files that are not on this machine become "
                "warnings; the data files that are here are checked row by row."})
    launch_config: str | None = field(default=None, metadata={
        "help": "With --dry_run: the accelerate config the run will be launched with, for the per-step arithmetic "
                "(its num_processes x num_machines; else WORLD_SIZE, else 1)."})

HARDWARE_ERRORS = ("bf16", "fp16", "gpu", "cuda")  # words of transformers' hardware checks


def _reward_funcs(names: list[str], judge: Any = None):
    """The reward functions ``names`` name; ``raif_judge_reward`` bound to ``judge`` (a JudgeConfig) when given."""
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
        if name == "raif_judge_reward" and judge is not None:
            from raif_train.judge import YesNoJudge

            funcs.append(rewards.judge_reward(YesNoJudge(judge)))
        elif hasattr(rewards, name):
            funcs.append(getattr(rewards, name))
        elif "." in name:
            module, attr = name.rsplit(".", 1)
            funcs.append(getattr(importlib.import_module(module), attr))
        else:
            raise RaifError(f"unknown reward function {name!r}: use a name from raif_train.rewards "
                            f"({', '.join(DEFAULT_REWARDS)}, ifeval_reward) or a dotted import path")
    return funcs


def _judge(url: str | None, model: str | None):
    """The judge of complex rows: these flags, else the RAIF_JUDGE_* variables (the embedded toy judge)."""
    from raif_eval.judge.config import JudgeConfig

    return JudgeConfig.from_env(url=url, model=model)


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
            _, _bench, *count = spec.split(":")  # checked by _check_grpo_data
            from raif_eval.benchmarks import ifeval

            records = ifeval.load_records()[: int(count[0])] if count else ifeval.load_records()
            parts.append(datasets.Dataset.from_list([data.raif_row(data.to_raif(r, tokenizer)) for r in records]))
        else:
            parts.append(data.load_raif(spec))
    dataset = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    return dataset.select(range(min(limit, len(dataset)))) if limit else dataset


def grpo(argv: list[str]) -> None:
    if "-h" in argv or "--help" in argv:
        print("raif-train grpo --config FILE [--flag value ...]\n  --config FILE  a YAML recipe (raif_train/configs/); "
              "its keys are the flags below, and flags given here override it\n  --dry_run      check the recipe "
              "and print its settings without loading anything\n")
    if "-h" not in argv and "--help" not in argv:
        _check_recipe(argv)
    script, config, model_args, hardware = _parse(argv)
    _reward_funcs(script.reward_funcs)  # unknown names and missing libraries fail here, not after loading
    warnings = _check_grpo_data(script)
    if script.dry_run:
        print(dry_run_report(script, config, model_args, hardware + warnings))
        return
    if hardware:  # reported after the recipe's other faults
        raise RaifError(f"raif-train grpo: {hardware[0]}; run the recipe where that hardware is, or set its bf16 / "
                        "fp16 / use_cpu keys for this machine (raif_train/configs/cpu-embedded.yaml runs on CPU)")
    from raif_train import data
    from raif_train.trainer import RAIFTrainer

    judge = _judge(script.judge_url, script.judge_model)
    model_path = _model_path(model_args.model_name_or_path or "embedded")
    tokenizer = _tokenizer(model_path, "model_name_or_path")
    train = _train_dataset(script.train_files, tokenizer, script.max_train_samples)
    bc = data.load_expert(script.bc_files) if script.bc_files else None
    config.model_init_kwargs = {**(config.model_init_kwargs or {}), **({"dtype": model_args.dtype}
                                                                         if model_args.dtype else {})}
    trainer = RAIFTrainer(model=model_path, processing_class=tokenizer,
                          reward_funcs=_reward_funcs(script.reward_funcs, judge),
                          args=config, train_dataset=train, bc_dataset=bc)
    trainer.train(resume_from_checkpoint=config.resume_from_checkpoint)
    trainer.save_model(config.output_dir)
    tokenizer.save_pretrained(config.output_dir)
    trainer.accelerator.print(f"raif-train: model saved to {config.output_dir}; evaluate it with "
                              f"raif-eval run --model hf --model_args pretrained={config.output_dir} "
                              "--apply_chat_template --tasks raif_complex")


def _parse(argv: list[str]):
    """(script, config, model args, hardware problems) of a ``grpo`` command line. On a machine without the
    recipe's hardware the rest is resolved as if on CPU, so that the other checks come first; a dry run reports
    the hardware problem as a warning, a run as an error."""
    from trl import ModelConfig, TrlParser

    from raif_train.trainer import RAIFConfig

    def parse(args):
        parser = TrlParser((RAIFScriptArguments, RAIFConfig, ModelConfig), prog="raif-train grpo")
        return parser.parse_args_and_config(args=args)

    try:
        try:
            return (*parse(argv), [])
        except ValueError as exc:
            if not any(word in str(exc).lower() for word in HARDWARE_ERRORS):
                raise
            problem = f"this machine cannot run the recipe as set: {str(exc).strip().rstrip('.')}"
            return (*parse([*argv, "--use_cpu", "true"]), [problem])
    except ValueError as exc:  # a bad key or value in the recipe or on the command line
        unknown = re.search(r"Unknown arguments from config file: \[(.*?)\]", str(exc))
        if unknown:
            keys = [k.strip(" '\"")[2:] for k in unknown.group(1).split(",") if k.strip(" '\"").startswith("--")]
            exc = f"the recipe {_flag_value(argv, '--config')} has unknown keys: {', '.join(keys)}; remove them"
        raise RaifError(f"raif-train grpo: {exc} (raif-train grpo --help lists the flags; --dry_run checks a "
                        f"recipe without loading anything)") from None


def _processes(launch_config: str | None) -> tuple[int, str]:
    import os

    if launch_config:
        launch = _yaml_mapping(launch_config, "--launch_config", "an accelerate config file")
        try:
            count = int(launch.get("num_processes", 1)) * int(launch.get("num_machines", 1) or 1)
        except (TypeError, ValueError):
            raise RaifError(f"--launch_config {launch_config}: num_processes and num_machines must be whole "
                            "numbers") from None
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

    rows = _check_convert(args)
    if args.to == "records":
        out = [data.from_raif(r) for r in rows]
    else:
        tokenizer = _tokenizer(_model_path(args.tokenizer), "--tokenizer")
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
    from raif_eval.judge.runner import check_endpoints
    from raif_train import bank
    from raif_train.judge import YesNoJudge

    _check_synth(args)
    bank.use(args.bank)
    try:
        chosen = synthesis.load_seeds(args.seeds, args.n, args.seed, args.field, args.min_chars, args.max_chars,
                                      args.languages.split(","))
    except ValueError as exc:  # a saved dataset's rows without instruction text
        raise RaifError(f"--seeds {exc}; name the instruction field with --field") from None
    judge = YesNoJudge(_judge(args.judge_url, args.judge_model))
    llm_config = (check_endpoints(JudgeConfig(url=args.llm_url, model=args.llm_model).resolved()) if args.llm_url
                  else None)
    reference = (check_endpoints(JudgeConfig(url=args.reference_url, model=args.reference_model).resolved())
                 if args.reference_url else None)
    tokenizer = None
    if args.tokenizer.lower() != "none":
        tokenizer = _tokenizer(_model_path(args.tokenizer), "--tokenizer")
    records = synthesis.synthesize(chosen, args.seed, tuple(args.kinds.split(",")), args.max_depth, args.rules,
                                   args.questions, tokenizer, llm_config, reference, args.min_reference,
                                   args.max_reference, judge)
    print(f"wrote {len(records)} records from {len(chosen)} seeds to {synthesis.write(records, args.out)}")


# ---------------------------------------------------------------------------------------------- input checks
# Bad input is one line and exit 2 (a RaifError, which main prints), found before a model, a tokenizer or a
# dataset is loaded.


def _flag_value(argv: list[str], flag: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def _existing(value: str, flag: str, what: str) -> Path:
    path = Path(value)
    if not path.exists():
        raise RaifError(f"{flag} {value} does not exist; give {what}")
    return path


def _yaml_mapping(value: str, flag: str, what: str) -> dict[str, Any]:
    """The YAML mapping in the file ``flag`` names."""
    import yaml

    path = _existing(value, flag, what)
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise RaifError(f"{flag} {value} is not UTF-8 text ({exc}); give {what}") from None
    except OSError as exc:
        raise RaifError(f"{flag} {value} cannot be read ({exc.strerror or exc}); give {what}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise RaifError(f"{flag} {value} is not YAML ({where}{getattr(exc, 'problem', None) or exc}); fix it, or "
                        f"give {what}") from None
    if not isinstance(loaded, dict):
        raise RaifError(f"{flag} {value} must hold a YAML mapping (key: value lines), not "
                        f"{'nothing' if loaded is None else 'a ' + type(loaded).__name__}; give {what}")
    return loaded


def _jsonl_rows(value: str, flag: str, what: str, kinds: tuple[type, ...] = (dict,)) -> list[tuple[int, Any]]:
    """(line number, row) for each non-empty line of the JSONL file ``flag`` names."""
    from raif_eval.jsonio import read_jsonl

    path = _existing(value, flag, what)
    try:
        return read_jsonl(path, what, kinds, numbered=True)
    except RaifError as exc:
        fix = "; fix or remove that line" if str(exc).startswith(f"{path}:") else ""
        raise RaifError(f"{flag} {exc}{fix}") from None


def _row_error(flag: str, value: str, lineno: int | str, problem: str) -> RaifError:
    return RaifError(f"{flag} {value}:{lineno} {problem}; fix or remove that row")


def _output_file(value: str, flag: str) -> None:
    from raif_eval.paths import writable_folder

    path = Path(value)
    if path.is_dir():
        raise RaifError(f"{flag} {value} is a folder; give the name of the JSONL file to write")
    writable_folder(path.parent, flag)


def _tokenizer(path: str, flag: str):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise RaifError(f"{flag} {path}: no tokenizer could be loaded ({type(exc).__name__}: {str(exc)[:300]}); give "
                        "a model folder, a Hub name that is reachable or cached, or embedded") from None


def _record_problem(row: dict[str, Any]) -> str | None:
    """What keeps a constraint record from converting (:func:`raif_train.data.to_raif`), or None."""
    from raif_train import data

    try:
        kind = data.constraint_kind(row)
    except ValueError as exc:
        return f"is not a constraint record: {exc}; it has {', '.join(sorted(row)) or 'no fields'}"
    if not isinstance(data.record_prompt(row), str) or not data.record_prompt(row).strip():
        return "has no prompt text (prompt, instruction or problem)"
    if "instruction_id_list" in row:
        ids, kwargs = row["instruction_id_list"], row.get("kwargs")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return "needs instruction_id_list as a list of instruction ids"
        if not isinstance(kwargs, list) or len(kwargs) != len(ids) or \
                not all(k is None or isinstance(k, dict) for k in kwargs):
            return "needs kwargs, a list of objects (or null) with one per instruction_id_list entry"
    if kind == "complex":
        questions = row.get("scoring_questions", row.get("decomposed_questions"))
        if not isinstance(questions, list) or not questions or \
                any(isinstance(q, dict) and not isinstance(q.get("question"), str) for q in questions):
            return ("needs scoring_questions (or decomposed_questions), a non-empty list of questions (text, or "
                    "objects with a 'question')")
    return None


def _raif_row_problem(row: dict[str, Any]) -> str | None:
    """What keeps a RAIF-format row from training (:func:`raif_train.data.raif_row`), or None."""
    import json

    from raif_train import data

    if not isinstance(row.get("input"), str):
        return ("is not a RAIF-format row: it needs 'input', the chat-templated prompt text (raif-train convert "
                f"writes such rows); it has {', '.join(sorted(row)) or 'no fields'}")
    if not isinstance(row.get("task", ""), (str, type(None))):
        return "needs 'task' as text: ifeval..., complex... or default"
    try:
        data.raif_row(row)
    except json.JSONDecodeError as exc:
        return f"has a target that is not JSON ({exc.msg})"
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        return f"is not a usable RAIF-format row ({exc})"
    return None


def _trace_problem(row: dict[str, Any]) -> str | None:
    from raif_train import data

    missing = [f for f in data.EXPERT_FIELDS if not isinstance(row.get(f), str)]
    return f"is not an expert trace: it needs the text field(s) {', '.join(missing)}" if missing else None


def _check_convert(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The rows of ``--records``, each checked for the conversion asked, once ``--out`` can be written."""
    if args.to == "records":
        what, problem = "a JSONL file of RAIF-format rows (input, task, target)", _raif_row_problem
    else:
        what, problem = "a JSONL file of constraint records (IFEval, InFoBench, ComplexBench or maths rows)", \
            _record_problem
    rows = _jsonl_rows(args.records, "--records", what)
    for lineno, row in rows:
        fault = problem(row)
        if fault:
            raise _row_error("--records", args.records, lineno, fault)
    _output_file(args.out, "--out")
    return [row for _, row in rows]


def _check_recipe(argv: list[str]) -> None:
    """The ``--config`` recipe is a readable YAML mapping (trl's parser would raise a traceback)."""
    value = _flag_value(argv, "--config")
    if value is not None:
        _yaml_mapping(value, "--config", "a YAML recipe (raif_train/configs/ has examples)")


def _check_grpo_data(script: RAIFScriptArguments) -> list[str]:
    """The training and expert-trace files, row by row, before anything is loaded. A file that is not there is an
    error, or in a dry run a warning (the run may be launched where it is)."""
    if not script.train_files:
        raise RaifError("raif-train grpo: no training data; set train_files in the recipe or pass --train_files "
                        "FILE.jsonl (RAIF-format rows, as raif-train convert or synth write them)")
    if script.max_train_samples is not None and script.max_train_samples < 1:
        raise RaifError(f"--max_train_samples takes a positive number of rows, not {script.max_train_samples}")
    warnings = []
    for flag, files, what, problem in (
        ("train_files", script.train_files, "a JSONL file of RAIF-format rows (input, task, target; raif-train "
         "convert writes them)", _raif_row_problem),
        ("bc_files", script.bc_files, "a JSONL file of expert traces (question, answer)", _trace_problem),
    ):
        for spec in files:
            if flag == "train_files" and spec.startswith("raif-eval:"):
                _, bench, *count = spec.split(":")
                if bench != "ifeval" or len(count) > 1 or (count and not count[0].isdigit()):
                    raise RaifError(f"train_files {spec}: only raif-eval:ifeval or raif-eval:ifeval:N (N rows) is "
                                    "built in; give other data as a RAIF-format JSONL file")
                continue
            if script.dry_run and not Path(spec).exists():
                warnings.append(f"{flag} {spec} does not exist here; the run stops unless it does where it runs")
                continue
            rows = _jsonl_rows(spec, flag, what)
            if not rows:
                raise RaifError(f"{flag} {spec} has no rows; give {what}")
            for lineno, row in rows:
                fault = problem(row)
                if fault:
                    raise _row_error(flag, spec, lineno, fault)
    return warnings


def _check_synth(args: argparse.Namespace) -> None:
    """The numbers, the seed file, the bank and the output of ``synth``, before any endpoint or tokenizer."""
    from raif_train import synth as synthesis
    from raif_train.bank import TEMPLATES

    for flag, value, least in (("--n", args.n, 1), ("--min_chars", args.min_chars, 0), ("--max_depth",
                               args.max_depth, 1), ("--rules", args.rules, 0), ("--questions", args.questions, 0)):
        if value is not None and value < least:
            raise RaifError(f"{flag} takes a number of at least {least}, not {value}")
    if args.max_chars < args.min_chars:
        raise RaifError(f"--max_chars ({args.max_chars}) is below --min_chars ({args.min_chars}); no seed could pass")
    if args.rules + args.questions < 1:
        raise RaifError("--rules 0 with --questions 0 leaves a record nothing to check; ask for at least one")
    if not 0 <= args.min_reference <= args.max_reference <= 1:
        raise RaifError(f"--min_reference {args.min_reference} and --max_reference {args.max_reference} must be "
                        "fractions with 0 <= min <= max <= 1")
    unknown = set(args.kinds.split(",")) - set(synthesis.KINDS)
    if unknown:
        raise RaifError(f"--kinds: unknown composition kind(s) {', '.join(sorted(unknown))}; use "
                        f"{', '.join(synthesis.KINDS)}")
    languages = args.languages.split(",")
    if set(languages) - {"en", "zh"}:
        raise RaifError(f"--languages takes en, zh or en,zh, not {args.languages!r}")

    seeds = _existing(args.seeds, "--seeds", "a JSONL or JSON file of instructions, or a save_to_disk folder")
    what = "a file of seed instructions (text, or objects with an instruction field)"
    if seeds.is_dir():
        if not (seeds / "state.json").is_file():
            raise RaifError(f"--seeds {args.seeds} is a folder but not a dataset saved with datasets' "
                            "save_to_disk (it has no state.json); give that folder or a JSONL/JSON file")
    else:
        if seeds.suffix == ".json":
            from raif_eval.jsonio import read_json

            try:
                rows = list(enumerate(read_json(seeds, what, list), 1))
            except RaifError as exc:
                raise RaifError(f"--seeds {exc}") from None
            where = "item"
        else:
            rows, where = _jsonl_rows(args.seeds, "--seeds", what, (dict, str)), "line"
        for number, row in rows:
            if isinstance(row, str):
                continue
            name = None
            if isinstance(row, dict):
                name = args.field or next((f for f in synthesis.SEED_FIELDS if isinstance(row.get(f), str)), None)
            if name is None or not isinstance(row.get(name), str):
                tried = args.field or ", ".join(synthesis.SEED_FIELDS)
                raise RaifError(f"--seeds {args.seeds} {where} {number} has no instruction text (fields tried: "
                                f"{tried}); fix that row, or name the field with --field")

    if args.bank:
        shipped = _yaml_mapping(str(TEMPLATES / "synth_bank.yaml"), "bank", "the shipped bank")
        bank = _yaml_mapping(args.bank, "--bank", "a YAML bank like raif_train/templates/synth_bank.yaml")
        for lang in languages:
            section = bank.get(lang)
            if not isinstance(section, dict):
                raise RaifError(f"--bank {args.bank} has no '{lang}:' section (or --languages should leave {lang} "
                                "out); copy raif_train/templates/synth_bank.yaml and edit it")
            for key, reference in shipped[lang].items():
                items = section.get(key)
                if not isinstance(items, list) or not items:
                    raise RaifError(f"--bank {args.bank}: {lang}.{key} must be a non-empty list, as in "
                                    "raif_train/templates/synth_bank.yaml")
                needed = set.intersection(*(set(r) for r in reference)) if isinstance(reference[0], dict) else None
                for i, item in enumerate(items, 1):
                    if needed is not None and (not isinstance(item, dict) or needed - set(item)):
                        raise RaifError(f"--bank {args.bank}: {lang}.{key} item {i} needs the keys "
                                        f"{', '.join(sorted(needed))}, as in raif_train/templates/synth_bank.yaml")
                    if needed is None and not isinstance(item, (str, int, float)):
                        raise RaifError(f"--bank {args.bank}: {lang}.{key} item {i} must be a plain value, as in "
                                        "raif_train/templates/synth_bank.yaml")
    _output_file(args.out, "--out")


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
