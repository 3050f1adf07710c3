"""The shared constraint taxonomy and the structure report: coverage of every benchmark's data, per-check records
in samples (and from samples logged before them), the aggregates and the paired comparison against hand-computed
values, the CLI and the HTML."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import ROOT
from raif_eval import verifiers
from raif_eval.benchmarks import BENCHMARKS, cfbench, complexbench, fbbench, followbench, ifeval, infobench
from raif_eval.core import Judged, Transcript, taxonomy
from raif_eval.core.benchmark import doc_record
from raif_eval.core.scoring import SampleScorer
from raif_eval.reports import structure
from raif_eval.reports.html import render_html
from raif_eval.reports.model import Report

# --------------------------------------------------------------------------------------------- the taxonomy


@pytest.fixture(scope="module")
def coverage(complexbench_data):
    return structure.data_coverage()


def test_every_check_of_every_benchmark_maps_to_a_type(coverage):
    assert set(b.split(" ")[0] for b in coverage.index) == set(BENCHMARKS)
    assert coverage[taxonomy.UNMAPPED].sum() == 0, coverage[taxonomy.UNMAPPED]
    assert set(coverage.columns) - {taxonomy.UNMAPPED, "checks"} <= set(taxonomy.TYPES)
    # the checks counted are the benchmarks' own: 834 IFEval instructions, 4,237 CFBench criteria, 2,250
    # InfoBench questions, one FollowBench check per record, one FB-Bench check per checklist item
    assert coverage.loc["ifeval", "checks"] == 834
    assert coverage.loc["cfbench", "checks"] == 4237
    assert coverage.loc["infobench", "checks"] == 2250
    assert coverage.loc["followbench (language=en)", "checks"] == 820
    assert coverage.loc["fbbench (fbbench_version=v3)", "feedback"] == coverage.loc["fbbench (fbbench_version=v3)",
                                                                                    "checks"]
    # every type column counts at least its checks (a check with several types counts under each)
    kinds = [c for c in coverage.columns if c not in ("checks", taxonomy.UNMAPPED)]
    assert (coverage[kinds].sum(axis=1) >= coverage["checks"]).all()


def test_the_readme_coverage_table_is_the_computed_one(coverage):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert structure.coverage_markdown(coverage) in readme


def test_complexbench_maps_every_published_dimension():
    published = ["Word Matching", "Keywords", "JSON Format", "Markdown Format", "Bullets Format", "Length",
                 "Start with", "End with", "Punctuation", "Template", "Language Style", "Personalization", "Topic",
                 "Sentiment", "Helpfulness", "Target Language", "Supportiveness", "Consistency", "Factuality"]
    assert sorted(complexbench.TAXONOMY) == sorted(published)
    assert complexbench.composition("Selection_and_Chain_3") == ("nested", 3)
    assert complexbench.composition("Chain_1") == ("Chain", 1)
    assert complexbench.composition("And") == ("And", 1)
    assert complexbench.composition("Mystery_2") == (taxonomy.UNMAPPED, 2)


def test_every_mapping_table_names_taxonomy_types():
    for key, definition in BENCHMARKS.items():
        assert definition.constraints is not None, key
        assert set(definition.constraints.table.values()) <= set(taxonomy.TYPES), key
    assert taxonomy.ConstraintMap({"a": "format"}, None, None).types(["a", "zzz", "a"]) == ["format",
                                                                                            taxonomy.UNMAPPED]


def test_synthesis_types_carry_the_type_the_benchmarks_give_them():
    for cls in verifiers.SYNTHESIS:
        assert cls.taxonomy_type in taxonomy.TYPES, cls.key()
        if cls.id in ifeval.TAXONOMY:
            assert cls.taxonomy_type == ifeval.TAXONOMY[cls.id], cls.key()


# ------------------------------------------------------------------------------------ per-check records


def _doc(definition, options=None, index=0):
    return list(definition.documents(definition.settings(options or {}), None))[index]


def test_ifeval_records_are_the_strict_verdicts():
    doc = next(d for d in ifeval.documents(ifeval.BENCHMARK.settings({}), None)
               if len(doc_record(d)["instruction_id_list"]) == 3)
    values = SampleScorer(ifeval.BENCHMARK, ifeval.BENCHMARK.settings({}))(doc, ["a short answer, with a comma"])
    records = values["checks"]
    ids = doc_record(doc)["instruction_id_list"]
    assert [r["labels"] for r in records] == [[i] for i in ids]
    assert [r["verdict"] for r in records] == values["inst_level_strict_acc"]
    assert {(r["composition"], r["depth"], r["source"], r["benchmark"]) for r in records} == {("And", 3, "rule",
                                                                                              "ifeval")}
    assert [r["types"] for r in records] == [[ifeval.TAXONOMY[i]] for i in ids]
    assert taxonomy.check_count([records, [], None]) == 3


def _judged(answer, verdicts):
    return Judged(answer, verdicts, Transcript()).encode()


def _judged_cases():
    """(benchmark, document, verdicts the judge program returns, expected per-check verdicts, task options)."""
    cf = _doc(cfbench.BENCHMARK)
    n = len(doc_record(cf)["criteria"])
    cb = _doc(complexbench.BENCHMARK, index=1)  # Chain_1: question 1 depends on question 0
    fb = _doc(fbbench.BENCHMARK)
    items = [item for item, _ in fbbench.checklist_items(doc_record(fb))]
    judgement = {item: {"评判理由": "r", "评判结果": "是" if i == 0 else "否", "weight": w}
                 for i, (item, w) in enumerate(fbbench.checklist_items(doc_record(fb)))}
    info = _doc(infobench.BENCHMARK)
    q = len(doc_record(info)["decomposed_questions"])
    return [
        (cfbench.BENCHMARK, cf, {"scores": [1.0] + [0.0] * (n - 1), "parsing": "1"}, [1.0] + [0.0] * (n - 1)),
        (cfbench.BENCHMARK, cf, {"scores": [1.0], "parsing": "0"}, [None] * n),  # fallback: not attributable
        (cfbench.BENCHMARK, cf, None, [False] * n),  # judge failed: CSR counts it failed
        (complexbench.BENCHMARK, cb, [False, True], [False, False]),  # the dependency fails question 1
        (fbbench.BENCHMARK, fb, {"judgement": judgement, "score": 0.5}, [True] + [False] * (len(items) - 1)),
        (fbbench.BENCHMARK, fb, None, [None] * len(items)),  # never judged: FB-Bench drops the dialogue
        (fbbench.BENCHMARK, fb, None, [False] * len(items), {"fbbench_on_failure": "zero"}),
        (fbbench.BENCHMARK, fb, {"judgement": {}, "score": 0.0}, [False] * len(items)),  # nothing met
        (infobench.BENCHMARK, info, [True, None], [True, False] + [None] * (q - 2)),  # unreadable reply ends it
        (followbench.BENCHMARK, _doc(followbench.BENCHMARK, index=30), [0, 0.5], [0.0]),
    ]


def test_judged_records_and_samples_logged_before_them(complexbench_data):
    for definition, doc, verdicts, expected, *options in _judged_cases():
        settings = definition.settings(options[0] if options else {})
        filtered = _judged("an answer", verdicts)
        values = SampleScorer(definition, settings)(doc, [filtered])
        records = values["checks"]
        assert [r["verdict"] for r in records] == expected, definition.key
        assert len(records) == len(definition.constraints.structure(doc, settings).constraints)
        # an old sample (no "checks"): mapped from its document, per-sample values and judged result, as logged,
        # under the settings its run recorded
        sample = json.loads(json.dumps({"doc": doc, "filtered_resps": [filtered], **values}))
        del sample["checks"]
        assert structure.sample_checks(sample, definition.key, settings) == records, definition.key


def test_composition_of_fbbench_and_cello_checks():
    docs = list(fbbench.documents(fbbench.BENCHMARK.settings({}), None))
    rm = next(d for d in docs if d["bench_type"] == fbbench.RM and len(doc_record(d)["checklist"]) > 1)
    ec = next(d for d in docs if d["bench_type"] == fbbench.EC and len(doc_record(d)["checklist"]) > 1)
    settings = fbbench.BENCHMARK.settings({})
    assert fbbench.structure(rm, settings).composition == "single"
    assert fbbench.structure(rm, settings).depth == 1  # met at any item
    assert fbbench.structure(ec, settings).composition == "And"
    # a CELLO criterion is a check exactly where it has a value, for any answer
    from raif_eval.benchmarks import cello

    for revise in cello.REVISE_AGAINST:
        settings = cello.BENCHMARK.settings({"cello_revise_against": revise})
        for doc in list(cello.documents(settings, None))[::25]:
            scores = cello.score(doc_record(doc), "某个回答，包含一些内容。", revise)
            assert [c.check for c in cello.structure(doc, settings).constraints] == [c for c in cello.CRITERIA
                                                                                    if scores[c] is not None]


def test_a_document_that_fails_to_score_has_failed_checks(monkeypatch):
    doc = _doc(ifeval.BENCHMARK)
    scorer = SampleScorer(ifeval.BENCHMARK, ifeval.BENCHMARK.settings({}))

    def broken(record, answer, profile="official"):
        raise RuntimeError("boom")

    real = ifeval.score
    monkeypatch.setattr(ifeval, "score", lambda record, answer, profile="official":
                        real(record, answer) if answer == "" else broken(record, answer))
    values = scorer(doc, ["anything"])
    assert values["scoring_failed_docs"].startswith("RuntimeError")
    assert [r["verdict"] for r in values["checks"]] == [False] * len(doc_record(doc)["instruction_id_list"])


# ------------------------------------------------------------------------------------ aggregates by hand


def _check(check, types, composition, depth, verdict, benchmark="ifeval"):
    return {"benchmark": benchmark, "check": check, "labels": ["x"], "types": types, "composition": composition,
            "depth": depth, "verdict": verdict, "source": "rule", "taxonomy": "1"}


def _samples(verdicts):
    """Three documents: ifeval 1 (And of 2), ifeval 2 (single), cfbench 7 (And of 3, one check with two types)."""
    a, b, c, d, e, f = verdicts
    return {
        "ifeval": [
            {"doc": {"doc_id": "1"}, "checks": [_check("0", ["format"], "And", 2, a),
                                                 _check("1", ["length"], "And", 2, b)]},
            {"doc": {"doc_id": "2"}, "checks": [_check("0", ["format"], "single", 1, c)]},
        ],
        "cfbench": [
            {"doc": {"doc_id": "7"}, "checks": [_check("0", ["format", "style"], "And", 3, d, "cfbench"),
                                                 _check("1", ["content"], "And", 3, e, "cfbench"),
                                                 _check("2", ["content"], "And", 3, f, "cfbench")]},
        ],
    }


RUN_A = (True, False, False, 1.0, None, 0.0)
RUN_B = (False, True, True, 1.0, 1.0, 1.0)


def _frame(verdicts):
    rows = []
    for key, samples in _samples(verdicts).items():
        rows += structure.check_rows(key, key, samples)
    return structure.frame_of(rows)


def test_rates_by_type_composition_depth_and_both():
    frame = _frame(RUN_A)
    by_type = structure.rates(frame, ["type"], n=200)
    assert by_type.loc["format", "rate"] == pytest.approx(200 / 3)  # 1, 0, 1
    assert by_type.loc["format", ["checks", "docs", "unscored"]].tolist() == [3, 3, 0]
    assert by_type.loc["length", "rate"] == 0 and by_type.loc["style", "rate"] == 100
    assert by_type.loc["content", ["rate", "checks", "unscored"]].tolist() == [0, 1, 1]  # one unscored, left out
    assert list(by_type.index) == ["format", "length", "content", "style"]  # the taxonomy's order

    by_depth = structure.rates(frame, ["composition", "depth"], n=200)
    assert by_depth.loc[("single", 1), "rate"] == 0
    assert by_depth.loc[("And", 2), ["rate", "checks"]].tolist() == [50, 2]
    # the two-type check counts once here: (1 + 0) / 2, one unscored
    assert by_depth.loc[("And", 3), ["rate", "checks", "unscored"]].tolist() == [50, 2, 1]

    both = structure.rates(frame, ["type", "composition"], n=200)
    assert both.loc[("format", "single"), "rate"] == 0
    assert both.loc[("format", "And"), ["rate", "checks"]].tolist() == [100, 2]
    assert both.loc[("content", "And"), "rate"] == 0


def test_intervals_hold_the_rate_and_are_reproducible():
    frame = _frame(RUN_A)
    first = structure.rates(frame, ["type"], n=300, seed=3)
    again = structure.rates(frame, ["type"], n=300, seed=3)
    pd.testing.assert_frame_equal(first, again)
    for _, row in first.dropna(subset=["rate"]).iterrows():
        assert row["low"] <= row["rate"] <= row["high"]
    # one check, or checks that all agree: the interval is the point
    assert first.loc["length", ["low", "high"]].tolist() == [0, 0]
    assert first.loc["style", ["low", "high"]].tolist() == [100, 100]
    # no interval asked for
    assert structure.rates(frame, ["type"], n=0)["low"].isna().all()


def test_documents_are_resampled_together():
    # two documents of two checks each, one all met and one all failed: any resample of documents gives 0, 50 or
    # 100; resampling checks would give quarters too
    rows = [_check("0", ["format"], "And", 2, True), _check("1", ["format"], "And", 2, True),
            _check("0", ["format"], "And", 2, False), _check("1", ["format"], "And", 2, False)]
    samples = [{"doc": {"doc_id": "1"}, "checks": rows[:2]}, {"doc": {"doc_id": "2"}, "checks": rows[2:]}]
    frame = structure.frame_of(structure.check_rows("ifeval", "ifeval", samples))
    low, high = structure.rates(frame, ["type"], n=2000).loc["format", ["low", "high"]]
    assert (low, high) == (0, 100)


def test_paired_comparison_by_hand():
    a, b = _frame(RUN_A), _frame(RUN_B)
    by_type = structure.paired(a, b, ["type"], n=500)
    fmt = by_type.loc["format"]
    assert (fmt["pairs"], fmt["improved"], fmt["hurt"]) == (3, 1, 1)  # ifeval 1 met → failed, ifeval 2 the reverse
    assert fmt["A"] == pytest.approx(200 / 3) and fmt["B"] == pytest.approx(200 / 3) and fmt["difference"] == 0
    assert fmt["p"] == 1.0
    assert by_type.loc["length", ["A", "B", "difference", "improved", "hurt"]].tolist() == [0, 100, 100, 1, 0]
    # content: the check run A left unscored does not pair
    assert by_type.loc["content", ["pairs", "A", "B", "improved"]].tolist() == [1, 0, 100, 1]
    assert by_type.loc["style", ["difference", "improved", "hurt"]].tolist() == [0, 0, 0]

    by_composition = structure.paired(a, b, ["composition"], n=500)
    single, conj = by_composition.loc["single"], by_composition.loc["And"]
    assert single[["A", "B", "improved"]].tolist() == [0, 100, 1]
    # And: (1 + 0 + 1 + 0) / 4 against (0 + 1 + 1 + 1) / 4, the two-type check once
    assert conj[["pairs", "A", "B", "difference", "improved", "hurt"]].tolist() == [4, 50, 75, 25, 2, 1]
    assert conj["low"] <= 25 <= conj["high"]


def test_paired_comparison_of_a_run_with_itself_is_zero():
    a = _frame(RUN_A)
    same = structure.paired(a, a, ["type"], n=200)
    assert (same["difference"] == 0).all() and (same["improved"] == 0).all() and (same["hurt"] == 0).all()
    assert (same["low"] == 0).all() and (same["high"] == 0).all()


def test_the_report_of_two_runs():
    report = structure.build({"A": _frame(RUN_A), "B": _frame(RUN_B)}, n=200)
    assert report.runs == ["A", "B"]
    assert report.by_type.loc[("format", "B"), "rate"] == pytest.approx(200 / 3)
    assert report.by_type.loc[("content", "B"), ["rate", "checks"]].tolist() == [100, 2]
    assert list(report.comparisons) == ["B vs A"]
    assert report.coverage.loc["cfbench"].to_dict() == {"format": 1, "length": 0, "content": 2, "style": 1,
                                                        "unmapped": 0, "checks": 3}
    assert report.coverage.loc["ifeval", "checks"] == 3
    text = structure.markdown(report)
    assert "## Pass rate by constraint type" in text and "## B vs A: paired, by constraint type" in text
    assert re.search(r"\| length +\| 0\.0 +\| 100\.0 +\| \+100\.0", text)
    assert structure.build({"A": structure.frame_of([])}) is None


def test_unmapped_checks_are_counted_and_noted():
    samples = [{"doc": {"doc_id": "1"}, "checks": [_check("0", ["unmapped"], "And", 2, True),
                                                   _check("1", ["format"], "And", 2, True)]}]
    report = structure.build({"A": structure.frame_of(structure.check_rows("ifeval", "ifeval", samples))}, n=0)
    assert report.coverage.loc["ifeval", "unmapped"] == 1
    assert any("ifeval 1" in note for note in report.notes)


def test_hostile_logged_values_never_raise():
    samples = [{"doc": {"doc_id": "1"}, "checks": [
        {"types": ["format", "format", "made-up"], "composition": "x" * 10_000, "depth": 10 ** 30,
         "verdict": 10 ** 400, "check": "c" * 10_000},
        {"types": ["length"], "depth": True, "verdict": -(10 ** 400), "source": "oracle"}]}]
    rows = structure.check_rows("ifeval", "ifeval", samples)
    assert [(r["type"], r["composition"], r["depth"], r["verdict"]) for r in rows] == [
        ("format", "unmapped", 0, 1.0), ("unmapped", "unmapped", 0, 1.0), ("length", "unmapped", 0, 0.0)]
    assert len(rows[0]["check"]) == 200 and rows[2]["source"] == ""
    frame = structure.frame_of(rows)
    report = structure.build({"A": frame}, n=50)
    assert report.by_type.loc[("unmapped", "A"), "checks"] == 1
    # old samples (no "checks") whose document or values are hostile: no checks, no exception
    for doc in ({"doc_id": "1", "raw": "[1, 2]"}, {"doc_id": "1", "raw": "[" * 100_000},
                {"doc_id": "1", "raw": json.dumps({"category": "mixed", "file_category": "x", "level": 1e400})}):
        for key in BENCHMARKS:
            assert structure.sample_checks({"doc": doc, "hsr": 10 ** 400, "drfr": "yes"}, key) == []


def test_hostile_records_do_not_break_the_report():
    samples = [{"doc": {"doc_id": "1"}, "checks": ["junk", {"verdict": "yes", "types": ["format"]}, {}]},
               {"doc": "not a dict"}, {"checks": None}, ["not", "a", "sample"],
               {"doc": {"doc_id": "2"}, "checks": [{"types": "format", "depth": "deep", "verdict": 2}]}]
    rows = structure.check_rows("ifeval", "ifeval", samples)
    assert [r["type"] for r in rows] == ["format", "unmapped", "unmapped"]
    assert [r["depth"] for r in rows] == [0, 0, 0]
    assert math.isnan(rows[0]["verdict"]) and math.isnan(rows[1]["verdict"]) and rows[2]["verdict"] == 1.0


# ------------------------------------------------------------------------------------ the CLI and the HTML


def _write_run(folder: Path, model: str, verdicts) -> None:
    folder.mkdir(parents=True)
    stamp = "2026-12-02T00-00-00.000000"
    results = {"results": {"raif_ifeval": {"alias": "raif_ifeval", "raif_score,raif": 0.5},
                           "raif_cfbench": {"alias": "raif_cfbench", "raif_score,raif": 0.5}},
               "configs": {"raif_ifeval": {"metadata": {"benchmark": "ifeval", "protocol": "official"}},
                           "raif_cfbench": {"metadata": {"benchmark": "cfbench", "protocol": "official"}}},
               "config": {"model_args": f"model={model}"}}
    (folder / f"results_{stamp}.json").write_text(json.dumps(results), encoding="utf-8")
    for task, samples in _samples(verdicts).items():
        with (folder / f"samples_raif_{task}_{stamp}.jsonl").open("w", encoding="utf-8") as fh:
            for sample in samples:
                fh.write(json.dumps({**sample, "filter": "raif"}) + "\n")


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "raif_eval", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_report_structure_cli(tmp_path):
    _write_run(tmp_path / "a", "io-model", RUN_A)
    _write_run(tmp_path / "b", "cot-model", RUN_B)
    out = tmp_path / "out"
    done = _cli("report", "--structure", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out),
                "--bootstrap", "200", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Pass rate by constraint type" in done.stdout
    text = (out / "structure.md").read_text(encoding="utf-8")
    assert "cot-model / I/O vs io-model / I/O: paired, by constraint type" in text
    paired = pd.read_csv(out / "structure" / "structure_paired_1_type.csv", index_col=0)
    assert paired.loc["length", "difference"] == 100
    html = (out / "structure.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 2 and 'id="structure"' in html
    assert 'id="table1"' not in html
    # --compare with --structure: the same pair
    again = _cli("report", "--structure", "--compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out",
                 str(tmp_path / "again"), "--bootstrap", "200", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again" / "structure.md").read_text(encoding="utf-8").split("\n", 2)[2] == \
        text.split("\n", 2)[2]


def test_report_structure_bad_flags_say_what_to_do(tmp_path):
    _write_run(tmp_path / "a", "m", RUN_A)
    _write_run(tmp_path / "b", "n", RUN_B)
    for args in (["--structure", "--compare", str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "a")],
                 ["--structure", str(tmp_path / "a"), "--format", "latex"],
                 ["--compare", str(tmp_path / "a"), str(tmp_path / "b"), "--train_data", "x.jsonl"]):
        done = _cli("report", *args, cwd=tmp_path)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)


def test_report_structure_without_samples_says_what_to_do(tmp_path):
    _write_run(tmp_path / "a", "m", RUN_A)
    for path in (tmp_path / "a").glob("samples_*"):
        path.unlink()
    done = _cli("report", "--structure", str(tmp_path / "a"), cwd=tmp_path)
    assert done.returncode == 2
    assert "--log_samples" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_html_with_the_structure_section_renders():
    report = Report("structure", None, structure=structure.build({"A": _frame(RUN_A), "B": _frame(RUN_B)}, n=100))
    html = render_html(report)
    assert html.count('src="data:image/png;base64,') == 2
    assert "Pass rate by composition and depth" in html and "B vs A: paired, by composition" in html


# ------------------------------------------------------------------------------------ training data


def _synth_file(path: Path) -> Path:
    from raif_train import synth

    seeds = [synth.Seed(str(i), text, lang) for i, (text, lang) in enumerate([
        ("Write about rivers in spring?", "en"), ("Explain 3 ways to cook rice", "en"), ("Describe a harbor", "en"),
        ("写一首关于春天的诗？", "zh"), ("解释三种煮饭方法", "zh"), ("描述一个港口", "zh")])]
    return synth.write(synth.synthesize(seeds, max_depth=3), path)


def test_synth_records_carry_their_checks_in_the_taxonomy(tmp_path):
    from raif_train import synth

    compositions = set()
    for record in (json.loads(line) for line in _synth_file(tmp_path / "s.jsonl").read_text().splitlines()):
        found = record["structure"]["taxonomy"]
        target = json.loads(record["target"])
        rules = [c for c in found["checks"] if c["source"] == "rule"]
        questions = [c for c in found["checks"] if c["source"] == "judge"]
        assert [c["labels"][0].split("/")[0] for c in rules] == target["instruction_id_list"]
        assert len(questions) == len(target.get("scoring_questions") or [])
        assert all(t in taxonomy.TYPES for c in found["checks"] for t in c["types"])
        assert found["depth"] == record["structure"]["depth"] and found["version"] == taxonomy.VERSION
        kinds = record["structure"]["kinds"]
        assert found["composition"] == (kinds[0] if len(kinds) == 1 else "nested")
        compositions.add(found["composition"])
    assert compositions >= {"nested"}
    # a bank question's type comes from the bank; Chain and Selection questions are content
    bank = synth.banks.load()
    assert {q.get("type") for lang in ("en", "zh") for q in bank[lang]["questions"]} <= set(taxonomy.TYPES)


def test_training_data_beside_the_pass_rates(tmp_path):
    path = _synth_file(tmp_path / "s.jsonl")
    counts = structure.training_types(path)
    expected: dict[str, int] = {}
    for record in (json.loads(line) for line in path.read_text().splitlines()):
        for check in record["structure"]["taxonomy"]["checks"]:
            for kind in check["types"]:
                expected[kind] = expected.get(kind, 0) + 1
    assert counts.to_dict() == expected
    report = structure.build({"A": _frame(RUN_A)}, n=0, training=counts)
    view = structure.training_view(report)
    assert view.loc["format", "training checks"] == expected.get("format", 0)
    assert view.loc["length", "A"].startswith("0.0")
    assert view["training checks"].sum() == sum(expected.values())
    assert "Training data against pass rate, by constraint type" in structure.markdown(report)

    _write_run(tmp_path / "a", "m", RUN_A)
    done = _cli("report", "--structure", str(tmp_path / "a"), "--train_data", str(path), "--bootstrap", "0",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Training data against pass rate" in done.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "x"}\n', encoding="utf-8")
    for given in (bad, tmp_path / "missing.jsonl"):
        done = _cli("report", "--structure", str(tmp_path / "a"), "--train_data", str(given), cwd=tmp_path)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
