"""The ``raif-eval`` command.

``data``, ``report``, ``tasks-dir`` and ``assets`` are raif-eval's own; everything else (``run``, ``ls``,
``validate``, and the legacy flag-only form) is lm-eval's CLI with raif-eval's task folder pre-registered.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

from raif_eval.errors import RaifError

OWN_COMMANDS = ("data", "report", "judge", "tasks-dir", "assets")
HARNESS_COMMANDS = ("run", "ls", "validate")
JUDGE_FLAGS = ("url", "model", "api_key", "concurrency", "timeout", "max_retries", "max_asks", "cache")
JUDGE_SWITCHES = ("skip_unusable",)  # judge flags that take no value
EMBEDDED_BATCH_SIZE = "4"  # measured on 2 CPU cores: 40 s instead of 68 s for 8 IFEval prompts at batch 1

JUDGE_HELP = textwrap.dedent(
    """\
    judge options (for `run` and `judge`; env vars RAIF_JUDGE_URL, RAIF_JUDGE_MODEL, ... work too):
      --judge_url URL[,URL...] OpenAI-compatible base URL, or embedded | vllm | sglang | llamacpp | openai
                               (default: embedded, a toy judge whose numbers are not comparable); several
                               URLs: replicas of one model, each request to the one with fewest in flight, an
                               endpoint that stops answering set aside and its requests retried on the others
      --judge_model NAME       model the endpoints serve (default: the preset's, or the only one served)
      --judge_api_key KEY      default RAIF_JUDGE_API_KEY, then OPENAI_API_KEY; loopback endpoints need none
      --judge_concurrency N    requests in flight per endpoint (default 32); --judge_timeout S (120);
      --judge_max_retries N    (8); --judge_cache FILE (default $RAIF_CACHE_DIR/judge/cache.sqlite)
      --judge_max_asks N       cap on asking afresh after an unreadable reply (default: each benchmark's
                               official count, e.g. CFBench 10; the embedded judge: 1)
      --judge_skip_unusable    an endpoint that fails the start-up check is left out with a warning
                               (default: it stops the run with one line naming it)
    """
)

RUN_HELP = textwrap.dedent(
    """\
    models, documents, data and output (for `run`):
      (no --model)             the embedded SmolLM2-135M-Instruct through lm-eval's hf backend, offline
      --model replay           score responses made elsewhere: --model_args responses=FILE.jsonl (README:
                               "Scoring outputs produced elsewhere"); hf, vllm, local-chat-completions (any
                               OpenAI-compatible server) and the rest of lm-eval's backends work as in lm_eval
      --limit N                the first N documents of each task; --shortest N: the N smallest (the demo's 4),
                               recorded in each task's metadata as raif_selection
      benchmark files          RAIF_DATA_DIR (<dir>/<benchmark>/<file>), else the cache, else a pinned download
                               checked by sha256 (RAIF_OFFLINE=1 never downloads); `raif-eval data where|pull|verify`
      --output_path DIR --log_samples   results and per-document samples (`raif-eval report DIR` and
                               `raif-eval judge DIR` read them); --verbosity INFO shows lm-eval's log lines
    """
)

MODE_FLAGS = ("mode", "mode_template", "cot_model_url", "cot_model", "cot_model_api_key", "cot_max_tokens",
              "enable_thinking")
CHAT_BACKENDS = ("local-chat-completions", "raif-chat-completions", "openai-chat-completions")
LOCAL_BACKENDS = ("hf", "hf-auto", "huggingface", "vllm")

MODE_HELP = textwrap.dedent(
    """\
    inference modes and reasoning models (for `run`; recorded in the results, so reports label rows by method):
      --mode io|cot|sdc|raif   io: the benchmark's prompt (default); cot: think step by step; sdc: decompose the
                               instruction into sub-instructions and constraints first; raif: the RAIF system prompt
                               with <think>/<answer> tags. Also --metadata '{"raif_mode": "cot"}' with lm_eval
      --mode_template FILE     your own Jinja2 template for the mode ({% block system %} / {% block user %})
      --cot_model_url URL      two-model reasoning ("deepclaude"): this OpenAI-compatible reasoning model thinks
      --cot_model NAME         first, and the evaluated model answers the last turn rewritten around its reasoning
      --cot_model_api_key KEY  (default RAIF_COT_API_KEY, then OPENAI_API_KEY); --cot_max_tokens N
      --enable_thinking BOOL   thinking toggle of hybrid models: chat_template_kwargs for chat-completions servers
                               (vLLM, SGLang), chat_template_args for hf and vllm
      Reasoning is stripped before scoring (up to the last </think>; <answer> bodies; an unclosed <think> scores as
      empty); the raw output stays in the logged samples and each task reports no_answer. With
      --model local-chat-completions, a server's reasoning_content is kept in the samples as a <think> block.
    """
)

DESCRIPTION = "\n".join((
    textwrap.dedent(
        """\
        raif-eval: complex instruction-following benchmarks on lm-evaluation-harness.

        lm-eval commands (raif-eval's tasks are pre-registered; a --include_path of yours still works):
          run        evaluate a model; without --model, the embedded SmolLM2-135M-Instruct
          ls         list tasks, groups, subtasks or tags (e.g. `raif-eval ls tasks`)
          validate   check task configurations
        """
    ),
    JUDGE_HELP,
    MODE_HELP,
    textwrap.dedent(
        """\
        raif-eval commands:
          data       pull | verify | where: benchmark files (RAIF_DATA_DIR, cache, pinned downloads)
          judge      re-score the logged samples of a results folder with another judge (no regeneration)
          report     Table 1 / Table 2 reports of runs (Markdown, LaTeX, CSV, HTML)
          tasks-dir  print the task folder, for `lm_eval --include_path "$(raif-eval tasks-dir)"`
          assets     prepare the offline assets (NLTK punkt_tab, the embedded model); idempotent
        """
    ),
))

EPILOG = textwrap.dedent(
    """\
    examples:
      raif-eval run --tasks raif_complex --limit 8 --output_path results/demo --log_samples
      raif-eval run --model replay --model_args responses=outputs.jsonl --tasks raif_ifeval
      raif-eval run --model local-chat-completions --model_args model=m,base_url=http://127.0.0.1:8000/v1/chat/completions \\
          --apply_chat_template --tasks raif_complex
      raif-eval run --tasks raif_complex --judge_url http://127.0.0.1:8000/v1 --judge_model Qwen2.5-72B-Instruct ...
      raif-eval run --tasks raif_complex --mode sdc --limit 8 --output_path results/sdc --log_samples
      raif-eval run --model local-chat-completions --model_args model=qwen,base_url=URL --apply_chat_template \
          --tasks raif_ifeval --cot_model_url http://127.0.0.1:8001/v1 --cot_model DeepSeek-R1
      raif-eval judge results/demo --judge_url vllm --judge_model Qwen2.5-72B-Instruct
      raif-eval data verify
      raif-eval report results/demo
    """
)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in OWN_COMMANDS:
            _own(argv)
        elif not argv or argv[0] in ("-h", "--help"):
            _own_parser().print_help()
        else:
            _harness(argv)
    except RaifError as exc:
        print(f"raif-eval: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


# ---------------------------------------------------------------------------------------------- own commands


def _own_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raif-eval", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    data = sub.add_parser("data", help="benchmark files", description="Benchmark files: resolution order is "
                          "RAIF_DATA_DIR (<dir>/<benchmark>/<file>), then the cache, then a pinned download.")
    data_sub = data.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (
        ("pull", "make every file available locally, downloading what is missing (sha256-checked)"),
        ("verify", "check the hash of every local file; exit 1 if any is missing or differs"),
        ("where", "print where each file is read from"),
    ):
        p = data_sub.add_parser(action, help=text, description=text)
        p.add_argument("benchmarks", nargs="*", metavar="BENCH", help="benchmark keys (default: all)")
        p.add_argument("--fixtures", action="store_true", help="include the official-output fixtures")

    judge = sub.add_parser("judge", help="re-score logged samples with another judge",
                           description="Re-judges the samples of every run below DIR (made with --log_samples) "
                           "and writes new results_*.json and samples beside the old ones. Cached verdicts are "
                           "reused; nothing is regenerated.")
    judge.add_argument("results_dir", metavar="DIR")
    judge.add_argument("--tasks", default=None, help="comma-separated tasks to re-score (default: all of the run)")
    add_judge_flags(judge)

    report = sub.add_parser(
        "report", help="RAIF Table 1 / Table 2 reports of one or more runs",
        description="Reads every results_*.json below each PATH (lm-eval --output_path folders or results files; "
        "one row per run, labelled model / method) and writes Table 1 (benchmarks x runs, Avg., the difference to "
        "each model's baseline method, best bold / second underlined), Table 2 (ComplexBench by composition and "
        "nesting depth, when runs have its samples), per-benchmark breakdowns from the logged samples, the "
        "constraint-structure tables (every benchmark's checks in one taxonomy: pass rate by constraint type, by "
        "composition x depth and type x composition, each further run paired with the first), bootstrap "
        "95%% confidence intervals, as Markdown, LaTeX, CSV and one self-contained HTML file with plots.")
    report.add_argument("paths", metavar="PATH", nargs="*", help="lm-eval output folders or results_*.json files")
    report.add_argument("--label", action="append", default=None, metavar="MODEL[:METHOD]",
                        help="one per PATH, in order; default: the run's model and its --mode (I/O)")
    report.add_argument("--baseline", default="I/O", help="method each model's Avg. is compared with (default I/O)")
    report.add_argument("--out", default=None, help="folder for the report files (default: the first PATH)")
    report.add_argument("--format", default="md,latex,csv,html",
                        help="comma-separated formats to write: md, latex, csv, html (default: all)")
    report.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="bootstrap resamples for the 95%% confidence intervals (0: none; default 1000)")
    report.add_argument("--compare", nargs=2, default=None, metavar=("RUN_A", "RUN_B"),
                        help="paired bootstrap test of RUN_B against RUN_A (results files or folders), per benchmark; "
                             "with --structure, per constraint type and composition")
    report.add_argument("--structure", action="store_true",
                        help="only the constraint-structure report, from the logged samples (no re-scoring): "
                             "structure.md, structure.html and structure/*.csv; pass two or more runs for the paired "
                             "comparison of each with the first")
    report.add_argument("--train_data", default=None, metavar="JSONL",
                        help="a raif-train synth file: its checks per constraint type beside each run's pass rate")

    sub.add_parser("tasks-dir", help="print the task folder")
    sub.add_parser("assets", help="prepare NLTK punkt_tab and the embedded model")
    return parser


def _own(argv: list[str]) -> None:
    args = _own_parser().parse_args(argv)
    if args.command == "data":
        from raif_eval.data.cli import run

        raise SystemExit(run(args.action, args.benchmarks, args.fixtures))
    if args.command == "judge":
        from raif_eval.harness.rejudge import rejudge

        for path in rejudge(args.results_dir, judge_from_flags(vars(args)), args.tasks.split(",") if args.tasks
                            else None):
            print(f"wrote {path}")
    elif args.command == "report":
        from raif_eval.reports.build import compare_runs, write_report

        if args.compare and args.paths:
            raise RaifError("--compare takes its two runs itself: drop the other PATHs, or drop --compare")
        if args.train_data and not args.structure and args.compare:
            raise RaifError("--train_data belongs to the structure report: add --structure, or drop --train_data")
        if args.compare and not args.structure:
            print(compare_runs(*args.compare, n=args.bootstrap or 1000))
            return
        paths = list(args.compare) if args.compare else args.paths
        if not paths:
            raise RaifError("report needs at least one PATH (an lm-eval output folder or results_*.json file)")
        write_report(paths, args.out, labels=args.label, baseline=args.baseline,
                     formats=args.format.split(","), bootstrap=args.bootstrap, structure_only=args.structure,
                     train_data=args.train_data)
    elif args.command == "tasks-dir":
        from raif_eval.tasks import TASKS_DIR

        print(TASKS_DIR)
    elif args.command == "assets":
        from raif_eval.assets import main as assets_main

        assets_main()


# ------------------------------------------------------------------------------------------ lm-eval commands


def add_judge_flags(parser: argparse.ArgumentParser) -> None:
    for name in JUDGE_FLAGS:
        parser.add_argument(f"--judge_{name}", default=None, metavar="VALUE")
    for name in JUDGE_SWITCHES:
        parser.add_argument(f"--judge_{name}", action="store_true", default=None)


def judge_from_flags(values: dict):
    """The run's judge: the judge flags, falling back to the RAIF_JUDGE_* variables, resolved once (a bad value is
    one line, exit 2). It is handed to the evaluation's judge pool; the key never reaches lm-eval's config, results
    or logs."""
    from raif_eval.judge.config import JudgeConfig

    return JudgeConfig.from_env(**{name: values.get(f"judge_{name}") for name in (*JUDGE_FLAGS, *JUDGE_SWITCHES)})


def task_options_help() -> str:
    """The benchmarks' task options, from their definitions."""
    from raif_eval.benchmarks import BENCHMARKS
    from raif_eval.core.benchmark import COMMON_OPTIONS

    def describe(option) -> list[str]:
        choices = "|".join(map(str, option.choices)) if option.choices else "NAME"
        return [f"  {option.name} {choices} (default {option.default})", f"      {option.help}"]

    lines = ["task options (--metadata '{\"name\": value}'; recorded in the results):"]
    for benchmark in BENCHMARKS.values():
        for option in benchmark.options:
            if option.name.startswith(f"{benchmark.key}_"):  # the others belong to the task YAMLs
                lines += describe(option)
    lines.append("  every task (the *_paper tasks default answer_extraction to raif):")
    for option in COMMON_OPTIONS:
        lines += describe(option)
    return "\n".join(lines) + "\n"


def _has_flag(argv: list[str], *flags: str) -> bool:
    return any(a == f or a.startswith(f + "=") for a in argv for f in flags)


def pop_flag(argv: list[str], *flags: str) -> tuple[str | None, list[str]]:
    """The value of the first of ``flags`` (``--f v`` or ``--f=v``), and ``argv`` without it."""
    for i, arg in enumerate(argv):
        for flag in flags:
            if arg == flag and i + 1 < len(argv):
                return argv[i + 1], argv[:i] + argv[i + 2 :]
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1], argv[:i] + argv[i + 1 :]
    return None, argv


def _with_embedded_model(argv: list[str]) -> list[str]:
    """``run`` without ``--model``: the embedded model through lm-eval's ``hf`` backend, offline."""
    from raif_eval.models.embedded import embedded_dtype, model_dir

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    user_args, argv = pop_flag(argv, "--model_args", "-a")
    model_args = f"pretrained={model_dir()},dtype={embedded_dtype()}" + (f",{user_args}" if user_args else "")
    argv += ["--model", "hf", "--model_args", model_args]
    if not _has_flag(argv, "--apply_chat_template"):
        argv.append("--apply_chat_template")
    if not _has_flag(argv, "--batch_size", "-b"):
        argv += ["--batch_size", EMBEDDED_BATCH_SIZE]
    return argv


def _set_flag(argv: list[str], flag: str, value: str) -> list[str]:
    _, argv = pop_flag(argv, flag)
    return [*argv, flag, value]


def _mode_flags(argv: list[str]) -> tuple[list[str], dict[str, str | None]]:
    """Turn the mode and reasoning-model flags into task metadata (``--metadata``), checked now."""
    values = {}
    for name in MODE_FLAGS:
        values[name], argv = pop_flag(argv, f"--{name}")
    metadata: dict[str, object] = {}
    if values["mode"] or values["mode_template"]:
        from raif_eval import modes

        mode = modes.load(values["mode"] or "io", values["mode_template"])  # bad input fails here, in one line
        metadata["raif_mode"] = mode.name
        if values["mode_template"]:
            metadata["raif_mode_template"] = mode.source
    if values["cot_model_url"]:
        metadata["raif_cot_model_url"] = values["cot_model_url"]
        if values["cot_model"]:
            metadata["raif_cot_model"] = values["cot_model"]
        if values["cot_max_tokens"]:
            if not values["cot_max_tokens"].isdigit() or int(values["cot_max_tokens"]) < 1:
                raise RaifError(f"--cot_max_tokens takes a positive integer, not {values['cot_max_tokens']!r}")
            metadata["raif_cot_max_tokens"] = int(values["cot_max_tokens"])
    elif values["cot_model"] or values["cot_max_tokens"] or values["cot_model_api_key"]:
        raise RaifError("--cot_model, --cot_max_tokens and --cot_model_api_key need --cot_model_url (the reasoning "
                        "model's OpenAI-compatible endpoint)")
    if metadata:
        argv += ["--metadata", json.dumps(metadata)]
    return argv, values


def _thinking_flags(argv: list[str], value: str) -> list[str]:
    """``--enable_thinking``: the chat template switch of hybrid reasoning models, where the backend takes it."""
    flag = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value.lower())
    if flag is None:
        raise RaifError(f"--enable_thinking takes true or false, not {value!r}")
    model = pop_flag(argv, "--model")[0]
    if model in LOCAL_BACKENDS:
        return [*argv, "--model_args", json.dumps({"chat_template_args": {"enable_thinking": flag}})]
    if model in CHAT_BACKENDS:
        return [*argv, "--gen_kwargs", json.dumps({"chat_template_kwargs": {"enable_thinking": flag}})]
    raise RaifError(f"--enable_thinking works with the {', '.join(LOCAL_BACKENDS + CHAT_BACKENDS)} backends, "
                    f"not {model!r}")


def _harness(argv: list[str]) -> None:
    from raif_eval.harness import patch

    if argv[0] not in HARNESS_COMMANDS:  # lm-eval's legacy flag-only form means `run`
        argv = ["run", *argv]
    judge_values = {}
    for name in JUDGE_FLAGS:
        judge_values[f"judge_{name}"], argv = pop_flag(argv, f"--judge_{name}")
    for name in JUDGE_SWITCHES:
        flag = f"--judge_{name}"
        judge_values[f"judge_{name}"] = True if flag in argv else None
        argv = [a for a in argv if a != flag]
    argv, mode_values = _mode_flags(argv)
    shortest, argv = pop_flag(argv, "--shortest")
    if shortest is not None:
        if not shortest.isdigit() or int(shortest) < 1:
            raise RaifError(f"--shortest takes a positive number of documents per task, not {shortest!r}")
        if _has_flag(argv, "--limit", "-L", "--samples", "-E"):
            raise RaifError("--shortest chooses the documents itself: drop --limit / --samples")
        patch.select_shortest(int(shortest))
    running = argv[0] == "run" and not _has_flag(argv, "-h", "--help")
    judge = judge_from_flags(judge_values) if running else None
    if running:
        _check_run_inputs(argv)
    patch.after_task_check(_check_reasoner)
    if not _has_flag(argv, "--predict_only", "-x"):  # generation only: `raif-eval judge DIR` scores it later
        patch.after_task_check(_check_judge)
    wants_help = _has_flag(argv, "-h", "--help")
    if wants_help and argv[0] == "run":
        print("raif-eval run = lm-eval's run; without --model it evaluates the embedded SmolLM2-135M-Instruct.\n")
        print(RUN_HELP)
        print(JUDGE_HELP)
        print(MODE_HELP)
        print(task_options_help())
    if argv[0] == "run" and len(argv) > 1 and not wants_help and not _has_flag(argv, "--model"):
        argv = _with_embedded_model(argv)
        patch.after_task_check(_prepare_embedded_model)
    elif pop_flag(argv, "--model")[0] == "replay" and not _has_flag(argv, "--apply_chat_template"):
        # replay answers by id, so chat templating changes nothing but lets multi-turn tasks build their turns
        argv.append("--apply_chat_template")
    elif pop_flag(argv, "--model")[0] == "local-chat-completions":  # the same, keeping reasoning_content
        argv = _set_flag(argv, "--model", "raif-chat-completions")
    if mode_values["enable_thinking"] is not None and not wants_help:
        argv = _thinking_flags(argv, mode_values["enable_thinking"])
    if argv[0] == "run":
        # lm-eval 0.4.13 logs at INFO whatever --verbosity says (only LMEVAL_LOG_LEVEL counts): its INFO lines
        # drown the progress bars, so they show with --verbosity INFO only
        level = pop_flag(argv, "--verbosity", "-v")[0]
        os.environ["LMEVAL_LOG_LEVEL"] = level or os.environ.get("LMEVAL_LOG_LEVEL") or "WARNING"
    if wants_help and argv[0] == "ls":
        print("raif-eval ls tasks --raif: raif-eval's groups and tasks only (no indexing of lm-eval's 14,000)\n")
    if argv[0] == "ls" and "--raif" in argv and not wants_help:  # raif-eval's tasks only: no indexing of lm-eval's 14,000
        from lm_eval.tasks.manager import TaskManager

        include = pop_flag(argv, "--include_path")[0]
        print(TaskManager(include_path=patch.include_paths(include), include_defaults=False).list_all_tasks())
        return
    builtin = argv[0] == "ls" or patch.builtin_tasks_needed(
        pop_flag(argv, "--tasks", "-t")[0], pop_flag(argv, "--include_path")[0]
    )
    patch.install(builtin_tasks=builtin)

    from lm_eval.__main__ import cli_evaluate

    from raif_eval.judge.runner import pool_scope

    sys.argv = ["raif-eval", *argv]
    started = time.time()
    if running:  # the run's judge (and reasoning model's key) as the evaluation's pool: its tasks judge through it
        with pool_scope(judge, reasoner_api_key=mode_values["cot_model_api_key"]):
            cli_evaluate()
    else:
        cli_evaluate()
    for note in _closing_notes:  # repeated under the results table, where it is read
        print(f"\nraif-eval: {note}", file=sys.stderr)
    output = pop_flag(argv, "--output_path", "-o")[0]
    if argv[0] == "run" and output and not _has_flag(argv, "-h", "--help"):
        written = sorted(p for p in Path(output).rglob("*.json*") if p.stat().st_mtime >= started - 1)
        if written:
            print("\nraif-eval: wrote " + ", ".join(str(p) for p in written)
                  + f"\n  report: raif-eval report {output}", file=sys.stderr)


_closing_notes: list[str] = []


def _check_run_inputs(argv: list[str]) -> None:
    """What lm-eval reports as a traceback, or not at all, caught before anything is loaded: ``--metadata`` that is
    not a JSON object, and an ``--output_path`` that cannot be written (lm-eval logs a warning and exits 0)."""
    rest = argv
    while True:
        value, rest = pop_flag(rest, "--metadata")
        if value is None:
            break
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise RaifError(f"--metadata takes a JSON object, e.g. '{{\"fbbench_version\": \"v1\"}}'; {value!r} is "
                            f"not JSON ({exc})") from None
        if not isinstance(parsed, dict):
            raise RaifError(f"--metadata takes a JSON object ({{...}}), not {value!r}")
    output = pop_flag(argv, "--output_path", "-o")[0]
    if output:
        from raif_eval.paths import writable_folder

        folder = Path(output)
        writable_folder(folder.parent if folder.suffix == ".json" else folder, "--output_path")


def _check_judge(loaded: dict) -> None:
    """Judged tasks: check every judge endpoint now (one tiny request each), before any generation, and record
    which judge scored them in their config (it lands in the results file)."""
    from raif_eval.harness.task import judged_tasks
    from raif_eval.judge.runner import active_pool

    tasks = judged_tasks(loaded)
    pool = active_pool()
    if not tasks or pool is None:
        return
    config = pool.check()
    info = config.describe()
    for task in tasks:
        task.config.metadata = {**(task.config.metadata or {}), "judge": info}
    if "note" in info:
        _closing_notes.append(info["note"])
        print(f"raif-eval: {info['note']}", file=sys.stderr)


def _check_reasoner(loaded: dict) -> None:
    """Two-model reasoning: check the reasoning model's endpoint now, before any model is loaded (once per
    evaluation: the tasks find it checked)."""
    from raif_eval.judge.reasoner import config_from
    from raif_eval.judge.runner import active_pool

    pool = active_pool()
    if pool is None:
        return
    configs = {config_from(task.config.metadata, pool.judge, pool.reasoner_api_key)
               for task in loaded.get("tasks", {}).values()} - {None}
    for config in configs:
        pool.check(config)


def _prepare_embedded_model(_loaded: dict) -> None:
    from raif_eval.models.embedded import ensure_embedded_model

    ensure_embedded_model()


if __name__ == "__main__":
    main()
