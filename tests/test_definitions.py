"""One definition per benchmark: what the task YAMLs, the task class, the reports and the verifiers read from it."""

from __future__ import annotations

import math
import random

import pytest
import yaml

from raif_eval import verifiers
from raif_eval.benchmarks import BENCHMARKS, complexbench
from raif_eval.core import Check, Judged, Transcript, apply_dependencies
from raif_eval.errors import RaifError
from raif_eval.reports import table1
from raif_eval.tasks import TASKS_DIR
from raif_train import bank

THIN_KEYS = {"include", "task", "metadata"}


def task_yamls() -> dict[str, dict]:
    out = {}
    for path in TASKS_DIR.rglob("*.yaml"):
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "task" in cfg and isinstance(cfg["task"], str):
            out[cfg["task"]] = cfg
    return out


def test_every_member_of_raif_complex_has_a_definition_with_a_column_and_breakdowns():
    group = yaml.safe_load((TASKS_DIR / "raif_complex.yaml").read_text(encoding="utf-8"))
    tasks = task_yamls()
    keys = [tasks[name]["metadata"]["benchmark"] for name in group["task"]]
    assert len(keys) == len(set(keys)) == 7
    for key in keys:
        benchmark = BENCHMARKS[key]
        assert benchmark.column and benchmark.breakdowns, key
        assert benchmark.metrics[0].name == "raif_score"
        assert all(callable(b.build) for b in benchmark.breakdowns)
    # Table 1's columns are the definitions', in the paper's order
    assert [column for _, column in table1.COLUMNS] == ["IFEval", "CELLO", "CF Bench", "Complex Bench", "FB Bench",
                                                        "Follow Bench", "Info Bench"]


def test_task_yamls_only_name_their_benchmark_and_protocol():
    for name, cfg in task_yamls().items():
        assert set(cfg) <= THIN_KEYS, (name, sorted(set(cfg) - THIN_KEYS))
        assert cfg["include"] == "../_raif_template_yaml"
        benchmark = BENCHMARKS[cfg["metadata"]["benchmark"]]
        assert cfg["metadata"]["protocol"] in {p.name for p in benchmark.protocols}
        assert (TASKS_DIR / name.removeprefix("raif_").split("_")[0]).is_dir()
    assert list(TASKS_DIR.rglob("*.py")) == [TASKS_DIR / "__init__.py"], "task folders hold YAML only"


def test_the_task_class_completes_the_config_from_the_definition(task_manager):
    loaded = task_manager.load(["raif_cfbench", "raif_followbench_zh", "raif_ifeval"])["tasks"]
    cfbench, followbench, ifeval = (loaded[t] for t in ("raif_cfbench", "raif_followbench_zh", "raif_ifeval"))
    names = [m["metric"] for m in cfbench.config.metric_list]
    assert names == [m.name for m in BENCHMARKS["cfbench"].all_metrics()] + ["no_answer", "hostile_input",
                                                                                    "scoring_failed_docs", "checks"]
    steps = [s["function"] for s in cfbench.config.filter_list[0]["filter"]]
    assert steps == ["raif_strip_think", "take_first", "raif_judge"]
    judge_step = followbench.config.filter_list[0]["filter"][-1]
    assert {k: judge_step[k] for k in ("function", "benchmark", "profile")} == {
        "function": "raif_judge", "benchmark": "followbench", "profile": "official_zh"}
    assert {k: followbench.config.metadata[k] for k in judge_step["settings"]} == judge_step["settings"]
    assert cfbench.config.filter_list[0]["filter"][0] == {"function": "raif_strip_think", "unclosed_think": "empty",
                                                         "answer": "fixed"}
    assert [s["function"] for s in ifeval.config.filter_list[0]["filter"]] == ["raif_strip_think", "take_first"]
    assert cfbench.config.generation_kwargs["max_gen_toks"] == 2048 and ifeval.config.generation_kwargs[
        "max_gen_toks"] == 1280
    # every option lands in the metadata, so results["configs"] shows how the run was scored
    assert ifeval.config.metadata["ifeval_raif_score"] == "prompt_level_strict_acc"
    assert followbench.config.metadata["followbench_on_unparsed"] == "minus_one"


def test_options_are_checked_with_one_line_errors():
    bench = BENCHMARKS["fbbench"]
    assert bench.settings({}) == {"protocol": "official", "fbbench_version": "v3", "fbbench_on_failure": "drop",
                                  "answer_extraction": "fixed", "paper_tokenizer": None, "paper_judge_tokenizer": None}
    assert bench.settings({"protocol": "paper"}) | {"protocol": "official"} == bench.settings(
        {"fbbench_version": "v1", "answer_extraction": "raif"})
    with pytest.raises(RaifError, match="^paper_tokenizer must be a string, not 3$"):
        bench.settings({"paper_tokenizer": 3})
    with pytest.raises(RaifError, match="^fbbench_version must be one of v3, v1, not 'v2'$"):
        bench.settings({"fbbench_version": "v2"})
    with pytest.raises(RaifError, match="no protocol 'paperz'"):
        bench.settings({"protocol": "paperz"})


# --- typed judge results ---------------------------------------------------------------------------------------

def test_judged_round_trips_and_reads_the_earlier_encoding():
    judged = Judged("答", {"scores": [1.0]}, Transcript(replies=[{"text": "x", "cached": False, "parsed": True}],
                                                     prompt_tokens=3), {"profile": "official", "model": "m"})
    back = Judged.decode(judged.encode())
    assert back == judged and back.bookkeeping()["judge_prompt_tokens"] == 3 and not back.failed
    old = ('{"answer": "a", "judge": {"profile": "official", "model": "m", "endpoint": "h", "verdicts": null, '
           '"replies": [], "parse_failures": 0, "errors": 1, "prompt_tokens": 0, "completion_tokens": 0, '
           '"fatal": "x"}}')
    decoded = Judged.decode(old)
    assert decoded.info == {"profile": "official", "model": "m", "endpoint": "h"} and decoded.transcript.fatal == "x"
    assert decoded.failed and decoded.bookkeeping()["judge_failed_docs"] == 1
    assert Judged.decode(Judged("a", skipped=True).encode()).skipped
    assert Judged.decode("a plain answer") is None and Judged.decode('{"answer": 1}') is None


# --- dependencies through the core ------------------------------------------------------------------------------

def test_one_level_and_transitive_dependencies():
    chain = [Check("0"), Check("1", depends_on=("0",)), Check("2", depends_on=("1",))]
    assert apply_dependencies(chain, [False, True, True]) == [False, False, False]  # transitive
    assert apply_dependencies(chain, [False, True, True], transitive=False) == [False, False, True]
    record = {"main_id": 0, "scoring_questions": [{"point_id": i, "dep": d, "constraint_dimensions": []}
                                                  for i, d in enumerate(([], [0], [1]))]}
    # ComplexBench: one level, and an unknown rule's 2 never zeroes its dependants
    assert complexbench.rely(record, [False, True, True]) == [False, False, True]
    assert complexbench.rely(record, [2, True, None]) == [2, True, False]


# --- one verifier registry -------------------------------------------------------------------------------------

def test_the_registry_serves_every_benchmarks_rules_in_both_readings():
    for reading in verifiers.READINGS:
        ids = set(verifiers.registry(reading))
        assert {"punctuation:no_comma", "complexbench:rule", "followbench:rule", "cello:format", "cello:count",
                "cello:keywords", "cello:word_count"} <= ids
        # the rules found without IFEval's checkers are the registry's own
        own = verifiers.own_classes(reading)
        assert own and all(verifiers.registry(reading)[i] is cls for i, cls in own.items())
    assert "detectable_format:xml_format" in verifiers.registry("training")
    assert "detectable_format:xml_format" not in verifiers.registry("official")
    rule = verifiers.build("complexbench:rule", rule="model_length:[1,5]")
    assert rule.verdict(["abc"]) is True and rule.check("abcdefgh") is False
    with pytest.raises(KeyError, match="no verifier"):
        verifiers.build("no:such_id")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_synthesis_type_is_the_training_readings_check_with_its_wording(lang):
    rng = random.Random(1)
    words = bank.load()[lang]
    for kind in verifiers.synthesis_types(lang):
        kwargs = kind.sample(rng, lang, words)
        constraint = kind(**kwargs)
        checker = verifiers.build(kind.id, "training", **kwargs)
        assert constraint.describe(lang)
        for ok in (True, False):
            text = constraint.example(ok, lang)
            assert bool(constraint.check(text)) is ok and bool(checker.check(text)) is ok, (kind.key(), ok)
    assert len({k.key() for k in verifiers.SYNTHESIS}) == len(verifiers.SYNTHESIS)


def test_cello_criteria_come_from_the_registry():
    criteria = [{"criterion": "keywords", "limit": ["甲", "乙"]}]
    assert verifiers.build("cello:task", criteria=criteria).check("甲") == 0.5
    assert verifiers.build("cello:task", criteria=[{"criterion": "NULL", "limit": ""}]).check("甲") is None
    assert math.isclose(verifiers.build("cello:count", criteria=[{"criterion": "word-max", "limit": 2}]).check(
        "甲乙丙丁"), 0.5)


def test_predict_only_defers_judging_to_raif_eval_judge(task_manager, tmp_path, monkeypatch):
    import lm_eval

    from fake_judge import MODEL, FakeJudge
    from helpers import write_replay
    from raif_eval.benchmarks import infobench

    records = infobench.load_records()[:2]
    replay = write_replay(tmp_path / "r.jsonl", "raif_infobench", [r["id"] for r in records], ["an answer", "another"])
    server = FakeJudge().start()
    try:
        monkeypatch.setenv("RAIF_JUDGE_URL", server.url)
        monkeypatch.setenv("RAIF_JUDGE_MODEL", MODEL)
        out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(replay)}, tasks=["raif_infobench"],
                                      task_manager=task_manager, limit=2, predict_only=True, log_samples=True,
                                      apply_chat_template=True)
    finally:
        server.stop()
    assert server.log.entries == []  # nothing was asked
    judged = [Judged.decode(s["filtered_resps"][0]) for s in out["samples"]["raif_infobench"]]
    assert [(j.skipped, j.answer) for j in judged] == [(True, "an answer"), (True, "another")]
    assert out["configs"]["raif_infobench"]["filter_list"][0]["filter"][-1]["deferred"] is True


def test_runs_that_recorded_only_the_options_they_set_compare_with_runs_that_record_all():
    from raif_eval.results import task_settings as benchmark_options

    old = {"configs": {"raif_fbbench": {"metadata": {"benchmark": "fbbench", "version": 1.0}}}}  # earlier versions
    new = {"configs": {"raif_fbbench": {"metadata": {"benchmark": "fbbench", "protocol": "official",
                                                     "fbbench_version": "v3", "fbbench_on_failure": "drop"}}}}
    assert benchmark_options(old, "raif_fbbench") == benchmark_options(new, "raif_fbbench")
    other = {"configs": {"raif_fbbench": {"metadata": {"benchmark": "fbbench", "fbbench_version": "v1"}}}}
    assert benchmark_options(other, "raif_fbbench") != benchmark_options(new, "raif_fbbench")


def test_rejudging_carries_what_the_user_chose_not_each_protocols_defaults():
    from raif_eval.results import task_options

    def config(protocol, **options):
        bench = BENCHMARKS["fbbench"]
        return {"metadata": {"benchmark": "fbbench", "version": 1.0,
                             **bench.settings({"protocol": protocol, **options})}}

    mixed = {"configs": {"raif_fbbench": config("official"), "raif_fbbench_paper": config("paper")}}
    assert task_options(mixed) == {}  # v3 for the one, v1 for the other, as each protocol implies
    chosen = {"configs": {"raif_fbbench": config("official", fbbench_on_failure="zero", answer_extraction="raif"),
                          "raif_fbbench_paper": config("paper", fbbench_on_failure="zero", answer_extraction="raif")}}
    assert task_options(chosen) == {"fbbench_on_failure": "zero", "answer_extraction": "raif"}
    # a run recorded before `drop` became the default keeps its `zero`
    old = {"configs": {"raif_fbbench": {"metadata": {"benchmark": "fbbench", "fbbench_version": "v3",
                                                     "fbbench_on_failure": "zero"}}}}
    assert task_options(old) == {"fbbench_on_failure": "zero"}
    zh = {"configs": {"raif_followbench_zh": {"metadata": {"benchmark": "followbench", "language": "zh"}}}}
    assert task_options(zh) == {}  # the task's own language is its YAML's, not a run option


# Options that choose which data is read (the documents differ by design); every other option changes scoring only
DATA_OPTIONS = {"fbbench_version", "complexbench_language", "complexbench_data_file", "language"}


def test_options_are_handed_to_scoring_never_copied_into_documents(complexbench_data):
    for key, benchmark in BENCHMARKS.items():
        for protocol in benchmark.protocols:
            base = benchmark.settings({"protocol": protocol.name})
            docs = benchmark.documents(base, None)
            for option in benchmark.all_options:
                if option.name in DATA_OPTIONS or not option.choices:
                    continue
                for choice in option.choices:
                    other = {**base, option.name: choice}
                    assert benchmark.documents(other, None) == docs, (key, protocol.name, option.name, choice)


def test_every_benchmark_in_the_registry_has_its_tasks_judge_profiles_data_and_package_entries():
    """A forgotten piece of a benchmark (a protocol without its task, a judged protocol without its profile, a
    benchmark without pinned data or without its folders in the wheel) fails here, not in a user's run."""
    import tomllib

    from helpers import ROOT
    from raif_eval.core.templates import names
    from raif_eval.data import registry

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = set(setuptools["packages"])
    suites = {protocol: set(yaml.safe_load((TASKS_DIR / f"{group}.yaml").read_text(encoding="utf-8"))["task"])
              for protocol, group in (("official", "raif_complex"), ("paper", "raif_complex_paper"))}
    found = {}
    for path in TASKS_DIR.rglob("raif_*.yaml"):
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(cfg.get("task"), str):
            found[cfg["task"]] = (path.parent.name, cfg["metadata"])
    for key, benchmark in BENCHMARKS.items():
        data = registry.benchmark(key)
        assert any(f.role == "data" for f in data.files), key
        for protocol in benchmark.protocols:
            tasks = {task: folder for task, (folder, meta) in found.items()
                     if meta["benchmark"] == key and meta["protocol"] == protocol.name}
            assert tasks, f"{key} has no task YAML for its {protocol.name} protocol"
            assert set(tasks) & suites[protocol.name], f"no {key} task of the {protocol.name} protocol in its suite"
            for task, folder in tasks.items():
                assert f"raif_eval.tasks.{folder}" in packages, task
                settings = benchmark.settings(found[task][1])
                if benchmark.judged:
                    profile = benchmark.judge_profile(settings)  # raises when profiles.yaml lacks the entry
                    assert profile.name, task
        if benchmark.judged:
            assert f"raif_eval.judges.{key}" in packages and names(key), key
            assert (benchmark.judge_program(benchmark.settings({})) is not None)
    assert "**/*.jinja" in setuptools["package-data"]["raif_eval.judges"]
    assert "**/*.yaml" in setuptools["package-data"]["raif_eval.judges"]
    assert "**/*.yaml" in setuptools["package-data"]["raif_eval.tasks"]
