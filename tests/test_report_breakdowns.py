"""Table 2 and the per-benchmark breakdowns, computed from hand-made sample rows shaped like lm-eval's
``--log_samples`` lines (``doc`` with the record as JSON in ``doc["raw"]``, ``filtered_resps`` holding the judge
filter's JSON, per-sample metric values as top-level keys). Every expected number is worked out by hand below."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from raif_eval.benchmarks import cello, cfbench, fbbench, followbench, ifeval, infobench
from raif_eval.reports import breakdowns as bd
from raif_eval.reports.model import Marks, Table2, rank
from raif_eval.reports.table2 import table2


def sample(doc_id, record, *, filtered=None, answer="answer", **values):
    """One lm-eval sample line (filter ``raif``): doc fields beside ``raw`` go in ``values["doc"]``."""
    doc = {"doc_id": str(doc_id), "prompt": "prompt", "raw": json.dumps(record, ensure_ascii=False),
           **values.pop("doc", {})}
    return {"doc_id": doc_id, "doc": doc, "target": "", "arguments": {"gen_args_0": {"arg_0": "prompt", "arg_1": {}}},
            "resps": [[answer]], "filtered_resps": [filtered if filtered is not None else answer], "filter": "raif",
            "metrics": sorted(values), "doc_hash": "h", "prompt_hash": "h", "target_hash": "h", **values}


def judge_output(verdicts, answer="answer", **extra):
    return json.dumps({"answer": answer, "judge": {"profile": "official", "model": "m", "endpoint": "127.0.0.1",
                                                   "verdicts": verdicts, "replies": [], "parse_failures": 0,
                                                   "errors": 0, "prompt_tokens": 1, "completion_tokens": 1,
                                                   **extra}}, ensure_ascii=False)


def pct(x):
    return pytest.approx(100 * x, abs=1e-9)


# ============================================================================================ Table 2

def cb_record(main_id, category, deps):
    """A record in the upstream schema; ``deps[i]`` is the dep list of question i."""
    return {"main_id": main_id, "group": f"g{main_id}", "idx_in_group": 0, "instruction": f"指令 {main_id}",
            "task_types": "Professional Writing", "constraint_dimensions": ["Length"],
            "composition_types": [category.split("_")[0]], "category": category,
            "scoring_questions": [{"point_id": i, "question": f"问题 {i}", "question_en": f"q {i}", "rule": None,
                                   "constraint_dimensions": ["Length"], "composition_types": [], "dep": d}
                                  for i, d in enumerate(deps)]}


T, F = True, False
# (category, deps per question, raw verdicts of run A) — the dependent verdicts and counts are worked out beside
CB = [
    ("And", [[], [], [], []], [T, T, F, T]),                            # 3 / 4
    ("Chain_1", [[], [], [0]], [F, T, T]),                              # q2 zeroed by q0 -> 1 / 3
    ("Chain_2", [[], [], [], [], [3]], [T, T, T, F, T]),                # q4 zeroed -> 3 / 5
    ("Chain_2", [[], []], [T, T]),                                      # 2 / 2     -> Chain_2 5 / 7
    ("Selection_1", [[], []], [T, F]),                                  # 1 / 2
    ("Selection_2", [[], [], [0], [1]], [F, T, T, T]),                  # q2 zeroed -> 2 / 4
    ("Selection_3", [[], [], [1], []], [T, 2, T, T]),                   # unknown rule 2 fails, zeroes nothing: 3 / 4
    ("Selection_and_Chain_2", [[], [], [], [1], []], [T, F, T, T, F]),  # q3 zeroed -> 2 / 5
    ("Selection_and_Chain_3", [[], [], [], [], [], []], [T, T, T, T, T, F]),  # 5 / 6
    ("Selection_and_Chain_3", [[], []], [None, T]),                     # no judgment counts False: 1 / 2 -> 6 / 8
]
# Run A by hand (fractions of questions)
A = {
    ("And", "1"): 3 / 4,
    ("Chain", "1"): 1 / 3,
    ("Chain", "2"): 5 / 7,
    ("Chain", "Avg."): (1 + 5) / (3 + 7),  # pooled over questions, not (1/3 + 5/7) / 2
    ("Selection", "1"): 1 / 2,
    ("Selection", "2"): 2 / 4,
    ("Selection", "3"): 3 / 4,
    # pooled over Selection_1..3 AND both Selection & Chain cells (6/10 without them)
    ("Selection", "Avg."): (1 + 2 + 3 + 2 + 6) / (2 + 4 + 4 + 5 + 8),
    ("Selection & Chain", "2"): 2 / 5,
    ("Selection & Chain", "3"): 6 / 8,
    ("Selection & Chain", "Avg."): (2 / 5 + 6 / 8) / 2,  # plain mean of the two cells (pooled: 8/13)
    ("Overall", "–"): (3 + 1 + 5 + 1 + 2 + 3 + 2 + 6) / (4 + 3 + 7 + 2 + 4 + 4 + 5 + 8),
}
ROW_ORDER = [("And", "1"), ("Chain", "1"), ("Chain", "2"), ("Chain", "Avg."), ("Selection", "1"),
             ("Selection", "2"), ("Selection", "3"), ("Selection", "Avg."), ("Selection & Chain", "2"),
             ("Selection & Chain", "3"), ("Selection & Chain", "Avg."), ("Overall", "–")]


CB_SETTINGS = {"complexbench_missing": "fail"}
DROP = {"complexbench_missing": "drop"}


def cb_samples(verdicts_of=lambda category, raw: raw, keep=lambda category: True):
    out = []
    for main_id, (category, deps, raw) in enumerate(CB):
        if keep(category):
            record = cb_record(main_id, category, deps)
            out.append(sample(main_id, record, filtered=judge_output(verdicts_of(category, raw)),
                              doc={"category": category}, drfr=[]))
    return out


def test_table2_rows_from_samples_match_hand_computed_values():
    result = table2([("A", cb_samples(), CB_SETTINGS)])
    assert isinstance(result, Table2)
    frame = result.frame
    assert list(frame.index) == ROW_ORDER and frame.index.names == ["Category", "ND"]
    assert list(frame.columns) == ["A"]
    for row, value in A.items():
        assert frame.at[row, "A"] == pct(value), row
    # the three Avg. rows are not the other averages one might take
    assert frame.at[("Chain", "Avg."), "A"] != pytest.approx(100 * (1 / 3 + 5 / 7) / 2)
    assert frame.at[("Selection", "Avg."), "A"] != pytest.approx(100 * 6 / 10)
    assert frame.at[("Selection & Chain", "Avg."), "A"] != pytest.approx(100 * 8 / 13)
    notes = " ".join(result.notes)
    assert "Selection Avg." in notes and "Selection & Chain" in notes and "plain mean" in notes
    assert "A: 1 scoring question(s) without a judgment, counted as failed" in notes and "A: 1 question(s) use a rule" in notes


def test_table2_drop_mode_leaves_instructions_with_missing_judgments_out():
    frame = table2([("A", cb_samples(), DROP)]).frame
    assert frame.at[("Selection & Chain", "3"), "A"] == pct(5 / 6)
    assert frame.at[("Overall", "–"), "A"] == pct(22 / 35)


def test_table2_columns_marks_and_missing_cells():
    runs = [
        ("A", cb_samples(), CB_SETTINGS),
        # B: every And/Chain question met, every Selection-type question failed
        ("B", cb_samples(lambda c, raw: [c.startswith(("And", "Chain"))] * len(raw)), CB_SETTINGS),
        ("C", cb_samples(), CB_SETTINGS),  # ties A on every row
        ("D", cb_samples(keep=lambda c: c == "And"), CB_SETTINGS),  # And only: all other cells missing
    ]
    result = table2(runs)
    frame = result.frame
    assert list(frame.columns) == ["A", "B", "C", "D"]
    assert (frame["C"] == frame["A"]).all()
    b = {("And", "1"): 1, ("Chain", "1"): 1, ("Chain", "2"): 1, ("Chain", "Avg."): 1,
         **{row: 0 for row in ROW_ORDER if row[0].startswith("Selection")}, ("Overall", "–"): (4 + 3 + 7) / 37}
    for row, value in b.items():
        assert frame.at[row, "B"] == pct(value), row
    assert frame.at[("And", "1"), "D"] == pct(3 / 4) and frame.at[("Overall", "–"), "D"] == pct(3 / 4)
    assert frame["D"].drop([("And", "1"), ("Overall", "–")]).isna().all()
    expected = {
        ("And", "1"): Marks("B", "A"),  # A, C, D tie at 75: the leftmost is second
        ("Chain", "1"): Marks("B", "A"), ("Chain", "2"): Marks("B", "A"), ("Chain", "Avg."): Marks("B", "A"),
        **{row: Marks("A", "C") for row in ROW_ORDER if row[0].startswith("Selection")},  # D's NaN ignored
        ("Overall", "–"): Marks("D", "A"),  # 75 > 62.16 (A = C) > 37.84
    }
    assert result.marks == expected
    assert any("D: no instructions for" in n and "Selection & Chain Avg." in n for n in result.notes)
    with pytest.raises(ValueError, match="unique"):
        table2([("A", cb_samples(), CB_SETTINGS), ("A", cb_samples(), CB_SETTINGS)])


def test_rank_compares_printed_values_and_leftmost_wins_ties():
    assert rank(pd.Series({"x": 70.001, "y": 70.004, "z": math.nan})) == Marks("x", "y")  # both print 70.00
    assert rank(pd.Series({"x": 70.001, "y": 70.004}), digits=None) == Marks("y", "x")
    assert rank(pd.Series({"x": math.nan, "y": 1.0})) == Marks(None, None)  # one value: nothing to mark
    assert rank(pd.Series({"x": 2.0, "y": 1.0})) == Marks("x", "y")
    assert rank(pd.Series({"x": math.nan}, dtype=float)) == Marks(None, None)


# ============================================================================================ IFEval

def ifeval_sample(i, ids, strict, loose):
    return sample(i, {"key": 1000 + i, "prompt": "p", "instruction_id_list": ids, "kwargs": [{}] * len(ids)},
                  doc={"raif_score_metric": "prompt_level_strict_acc"}, prompt_level_strict_acc=all(strict),
                  inst_level_strict_acc=strict, prompt_level_loose_acc=all(loose), inst_level_loose_acc=loose,
                  raif_score=all(strict))


IFEVAL = [
    ifeval_sample(0, ["a:x", "a:y"], [T, F], [T, T]),
    ifeval_sample(1, ["a:x"], [F], [T]),
    ifeval_sample(2, ["b:z", "a:x", "b:w"], [T, T, T], [T, T, F]),
]


def _lookup(frame, keys, metric):
    hit = frame
    for column, value in keys.items():
        hit = hit[hit[column] == value]
    hit = hit[hit["metric"] == metric]
    assert len(hit) == 1, (keys, metric, hit)
    return hit["value"].item(), hit["n"].item()


def test_ifeval_by_instruction():
    frame = ifeval.by_instruction(IFEVAL)
    assert list(frame.columns) == ["level", "instruction", "metric", "value", "n"]
    expected = {  # (level, id): (strict, loose, entries)
        ("group", "a"): (2 / 4, 4 / 4, 4),  # strict: a:x T F T, a:y F; loose all T
        ("group", "b"): (2 / 2, 1 / 2, 2),
        ("instruction", "a:x"): (2 / 3, 3 / 3, 3),
        ("instruction", "a:y"): (0, 1, 1),
        ("instruction", "b:w"): (1, 0, 1),
        ("instruction", "b:z"): (1, 1, 1),
    }
    assert list(zip(frame["level"], frame["instruction"]))[::2] == list(expected)  # groups first, sorted
    for (level, key), (strict, loose, n) in expected.items():
        assert _lookup(frame, {"level": level, "instruction": key}, "strict") == (pct(strict), n)
        assert _lookup(frame, {"level": level, "instruction": key}, "loose") == (pct(loose), n)


def test_ifeval_by_prompt_size():
    frame = ifeval.by_prompt_size(IFEVAL)
    assert _lookup(frame, {"instructions": 1}, "strict") == (0, 1)
    assert _lookup(frame, {"instructions": 1}, "loose") == (100, 1)
    assert _lookup(frame, {"instructions": 2}, "strict") == (0, 1)
    assert _lookup(frame, {"instructions": 3}, "strict") == (100, 1)
    assert _lookup(frame, {"instructions": 3}, "loose") == (0, 1)


# ============================================================================================ CFBench

def cf_sample(i, split, criteria, scores, parsing, csr, isr, psr):
    record = {"idx": i, "prompt": "p", "split": split, "criteria": criteria}
    return sample(i, record, filtered=judge_output({"scores": scores, "parsing": parsing}), doc={"split": split},
                  csr=csr, isr=isr, psr=psr, raif_score={"csr": csr, "isr": isr, "psr": psr},
                  judge_fallback=int(parsing == "0"), judge_unparsed=int(parsing == "-1"))


P, S = "主需", "次需"
CFBENCH = [
    # easy, strict: CSR 0.5; PSR: primary met, secondary mean 0.33 -> 0.5 + 0.165 <= 0.8 -> 0
    cf_sample(0, "easy", [["t1", P, "内容约束", "x"], ["t2", S, "格式约束", "x"], ["t3", S, "内容约束", "x"],
                          ["t4", S, "语言约束", "x"]], [1.0, 0.0, 1.0, 0.0], "1", 0.5, 0, 0),
    # hard, strict: a primary criterion failed -> PSR 0; the second criterion has no primary type
    cf_sample(1, "hard", [["u1", P, "格式约束", "x"], ["u2", P, "", ""]], [0.0, 1.0], "1", 0.5, 0, 0),
    # hard, fallback: three 1-scores for three criteria, yet not aligned with them -> no per-constraint stats
    cf_sample(2, "hard", [["v1", P, "内容约束", "x"], ["v2", S, "数值约束", "x"], ["v3", S, "数值约束", "x"]],
              [1.0, 1.0, 1.0], "0", 1.0, 1, 1),
    # easy, unparsed
    cf_sample(3, "easy", [["w0", P, "数值约束", "x"]], [0.0], "-1", 0.0, 0, 0),
    # hard, strict, all secondary: CSR 0.67 -> PSR 0 (not > 0.8)
    cf_sample(4, "hard", [["w1", S, "内容约束", "x"], ["w2", S, "风格约束", "x"], ["w3", S, "风格约束", "x"]],
              [1.0, 1.0, 0.0], "1", 0.67, 0, 0),
]


def test_cfbench_by_constraint():
    frame = cfbench.by_constraint(CFBENCH)
    assert list(frame.columns) == ["by", "label", "metric", "value", "n"]
    types = {  # strict prompts 0, 1, 4 only
        "内容约束": (3 / 3, 3),  # t1, t3, w1
        "格式约束": (0 / 2, 2),  # t2, u1
        "风格约束": (1 / 2, 2),  # w2, w3
        "语言约束": (0 / 1, 1),  # t4
        "(none)": (1 / 1, 1),  # u2
    }
    got = frame[frame["by"] == "primary type"]
    assert set(got["label"]) == set(types)  # 数值约束 only occurs in the fallback and unparsed prompts
    for label, (value, n) in types.items():
        assert _lookup(frame, {"by": "primary type", "label": label}, "satisfaction") == (pct(value), n)
    assert _lookup(frame, {"by": "priority", "label": P}, "satisfaction") == (pct(2 / 3), 3)  # t1 1, u1 0, u2 1
    assert _lookup(frame, {"by": "priority", "label": S}, "satisfaction") == (pct(3 / 6), 6)
    split = {  # upstream's round(np.mean(v), 2) per split, every prompt counted
        "easy": ((0.5 + 0.0) / 2, 0, 0, 2),
        "hard": (0.72, 0.33, 0.33, 3),  # CSR mean(0.5, 1.0, 0.67) = 0.7233..., ISR = PSR = 1/3, all rounded
        "all": (0.53, 0.2, 0.2, 5),  # CSR 2.67 / 5 = 0.534
    }
    for label, (csr, isr, psr, n) in split.items():
        for metric, value in (("CSR", csr), ("ISR", isr), ("PSR", psr)):
            assert _lookup(frame, {"by": "split", "label": label}, metric) == (pct(value), n), (label, metric)
    for label, (value, n) in {"1": (3 / 5, 3), "0": (1 / 5, 1), "-1": (1 / 5, 1)}.items():
        assert _lookup(frame, {"by": "judge parsing", "label": label}, "share of prompts") == (pct(value), n)


# ============================================================================================ FollowBench

def fb_sample(i, category, group, level, hsr, ssr, unparsed=0):
    record = {"id": f"{category}_constraints:{i}", "level": level, "file_category": category,
              "group": f"{category}:{group}", "rule": False}
    return sample(i, record, doc={"category": category, "level": level, "rule_checked": False},
                  raif_score=hsr, hsr=hsr, ssr=ssr, csl=hsr, judge_unparsed=unparsed)


FOLLOWBENCH = [
    fb_sample(0, "content", 0, 1, 1, 1.0), fb_sample(1, "content", 0, 2, 1, 1.0), fb_sample(2, "content", 0, 3, 0, 0.5),
    fb_sample(3, "content", 1, 1, 1, 1.0), fb_sample(4, "content", 1, 2, -1, -1, unparsed=1),
    fb_sample(5, "content", 1, 3, 1, 1.0),
    fb_sample(6, "style", 0, 1, 0, 0.0),
]


def test_followbench_grid():
    frame = followbench.grid(FOLLOWBENCH)
    assert list(frame.columns) == ["category", "level", "metric", "value", "n"]
    cells = {  # (category, level): (HSR, SSR, records)
        ("content", 1): (1, 1, 2),
        ("content", 2): ((1 - 1) / 2, (1.0 - 1) / 2, 2),  # the unparsed -1 lowers both (50 / 100 if read as 0 / left out)
        ("content", 3): ((0 + 1) / 2, (0.5 + 1.0) / 2, 2),
        ("style", 1): (0, 0, 1),
    }
    for (category, level), (h, s, n) in cells.items():
        assert _lookup(frame, {"category": category, "level": level}, "HSR") == (pct(h), n)
        assert _lookup(frame, {"category": category, "level": level}, "SSR") == (pct(s), n)
    # CSL: group 0 passes levels 1, 2 -> 2; group 1 passes level 1, then -1 -> 1; mean 1.5 (levels, not x 100)
    assert _lookup(frame, {"category": "content", "level": "all"}, "CSL") == (1.5, 2)
    assert _lookup(frame, {"category": "style", "level": "all"}, "CSL") == (0, 1)
    assert _lookup(frame, {"category": "content", "level": "all"}, "unparsed") == (1, 6)
    assert _lookup(frame, {"category": "style", "level": "all"}, "unparsed") == (0, 1)
    assert list(dict.fromkeys(frame["category"])) == ["content", "style"]  # upstream's category order


# ============================================================================================ CELLO

def cello_sample(i, task_file, format=None, input=None, task=None, count=None):
    scores = {"format": format, "input": input, "task": task, "count": count}
    row = {"task_file": task_file, **scores}
    return sample(i, {"Instruction_id": f"id{i}", "task_file": task_file}, doc={"task_file": task_file},
                  raif_score=row, cello_average=row, **{f"cello_{k}": v for k, v in scores.items()})


CELLO = [
    cello_sample(0, "extraction", format=1.0, input=0.5),
    cello_sample(1, "extraction", format=0.0, task=1.0),
    cello_sample(2, "Summarization", input=0.8),
    cello_sample(3, "Structure_hard", input=0.6),
    cello_sample(4, "Structure_simple", input=1.0),
]


def test_cello_grid_skips_criteria_that_do_not_apply():
    frame = cello.grid(CELLO)
    assert list(frame.columns) == ["task_file", "metric", "value", "n"]
    extraction_score = (0.5 + 0.5 + 1.0) / 3  # format mean 0.5, input 0.5, task 1.0 (its None is skipped, not 0)
    cells = {
        ("extraction", "format"): (0.5, 2), ("extraction", "input"): (0.5, 1), ("extraction", "task"): (1.0, 1),
        ("extraction", "score"): (extraction_score, 2),
        ("Summarization", "input"): (0.8, 1), ("Summarization", "score"): (0.8, 1),
        ("Structure_hard", "score"): (0.6, 1), ("Structure_simple", "score"): (1.0, 1),
        ("Structure", "score"): ((0.6 + 1.0) / 2, 2),
        ("Ave_complex_ins", "score"): (extraction_score, 5),
        ("Ave_complex_input", "score"): ((0.8 + 0.8) / 2, 5),  # Summarization, Structure
        ("Average", "score"): ((extraction_score + 0.8) / 2, 5),
        ("all", "format"): (0.5, 1), ("all", "input"): ((0.5 + 0.8 + 0.6 + 1.0) / 4, 4), ("all", "task"): (1.0, 1),
    }
    for (task_file, metric), (value, n) in cells.items():
        assert _lookup(frame, {"task_file": task_file}, metric) == (pct(value), n), (task_file, metric)
    count = _lookup(frame, {"task_file": "extraction"}, "count")
    assert math.isnan(count[0]) and count[1] == 0
    files = list(dict.fromkeys(frame["task_file"]))
    assert files[:4] == ["extraction", "Summarization", "Structure_hard", "Structure_simple"]  # official order


# ============================================================================================ FB-Bench

EC, RM = "Error Correction", "Response Maintenance"


def fbb_sample(i, bench, task_type, score, errors=(), feedback=()):
    record = {"bench_type": bench, "task_type": task_type, "error_type": list(errors),
              "feedback_type": list(feedback), "checklist": []}
    return sample(i, record, doc={"bench_type": bench, "task_type": task_type},
                  raif_score=score, fb_overall=score, fb_score=score)


FBBENCH = [
    fbb_sample(0, EC, "Mathematics", 1.0, ["Logical Error"], ["Pointing Out Errors"]),
    fbb_sample(1, EC, "Mathematics", 0.5, ["Logical Error", "Factual Error"], ["Simple Questioning"]),
    fbb_sample(2, EC, "Coding", 0.0, ["Factual Error"], ["Pointing Out Errors"]),
    fbb_sample(3, RM, "Mathematics", 1.0, feedback=["Misinformation"]),
    fbb_sample(4, RM, "Coding", None, feedback=["Misinformation"]),  # judgment dropped
    fbb_sample(5, RM, "Coding", 0.6, feedback=["Simple Questioning"]),
]


def test_fbbench_tables():
    frame = fbbench.tables(FBBENCH)
    assert list(frame.columns) == ["table", "label", "metric", "value", "n"]
    expected = {
        # cells: EC Math 0.75, EC Coding 0.0, RM Math 1.0, RM Coding 0.6 (the dropped sample is absent)
        ("overall", "all", "EC"): (0.375, 3), ("overall", "all", "RM"): (0.8, 2),
        ("overall", "all", "Overall"): ((0.75 + 0.0 + 1.0 + 0.6) / 4, 5),
        ("task type", "Mathematics", "EC"): (0.75, 2), ("task type", "Mathematics", "RM"): (1.0, 1),
        ("task type", "Mathematics", "Overall"): (0.875, 3),
        ("task type", "Coding", "EC"): (0.0, 1), ("task type", "Coding", "RM"): (0.6, 1),
        ("task type", "Coding", "Overall"): (0.3, 2),
        ("error type", "Logical Error", "EC"): (0.75, 2),  # Math cell [1.0, 0.5]
        ("error type", "Factual Error", "EC"): ((0.5 + 0.0) / 2, 2),  # Math cell 0.5, Coding cell 0.0
        ("feedback type (EC)", "Pointing Out Errors", "EC"): ((1.0 + 0.0) / 2, 2),
        ("feedback type (EC)", "Simple Questioning", "EC"): (0.5, 1),
        ("feedback type (RM)", "Misinformation", "RM"): (1.0, 1),
        ("feedback type (RM)", "Simple Questioning", "RM"): (0.6, 1),
    }
    for (table, label, metric), (value, n) in expected.items():
        assert _lookup(frame, {"table": table, "label": label}, metric) == (pct(value), n), (table, label, metric)
    empty = _lookup(frame, {"table": "error type", "label": "Not Following Instructions"}, "EC")
    assert math.isnan(empty[0]) and empty[1] == 0
    assert frame[frame["table"] == "error type"]["metric"].eq("EC").all()


# ============================================================================================ InFoBench

def ib_sample(i, subset, labels, values):
    record = {"id": f"t{i}", "instruction": "i", "input": "", "subset": subset,
              "decomposed_questions": [f"q{k}?" for k in range(len(labels))], "question_label": labels}
    easy = subset == "Easy_set"
    return sample(i, record, raif_score=values, drfr=values, drfr_easy=values if easy else [],
                  drfr_hard=[] if easy else values)


INFOBENCH = [
    ib_sample(0, "Easy_set", [["Content"], ["Format"], ["Content", "Number"]], [T, F, T]),
    # the second reply was unreadable: None (not met), questions 3 and 4 never asked
    ib_sample(1, "Hard_set", [["Format"], ["Style"], ["Content"], ["Linguistic"]], [T, None]),
]


def test_infobench_by_subset():
    frame = infobench.by_subset(INFOBENCH)
    assert list(frame.columns) == ["by", "label", "metric", "value", "n"]
    expected = {
        ("subset", "Easy"): (2 / 3, 3), ("subset", "Hard"): (1 / 2, 2), ("subset", "all"): (3 / 5, 5),
        ("label", "Content"): (2 / 2, 2),  # the Hard Content question was never asked
        ("label", "Format"): (1 / 2, 2), ("label", "Number"): (1, 1), ("label", "Style"): (0, 1),
    }
    for (by, label), (value, n) in expected.items():
        assert _lookup(frame, {"by": by, "label": label}, "DRFR") == (pct(value), n), (by, label)
    assert "Linguistic" not in set(frame["label"])


# ============================================================================================ judge usage and the run

RESULTS = {
    "results": {
        "raif_ifeval": {"alias": "raif_ifeval", "prompt_level_strict_acc,raif": 0.5},
        "raif_infobench": {"alias": "raif_infobench", "drfr,raif": 0.6, "judge_parse_failures,raif": 1,
                           "judge_parse_failure_rate,raif": 0.25, "judge_failed_docs,raif": 0,
                           "judge_prompt_tokens,raif": 120, "judge_completion_tokens,raif": 7},
        "raif_followbench_en": {"judge_parse_failures,raif": 2, "judge_parse_failure_rate,raif": 0.5,
                                "judge_failed_docs,raif": 1, "judge_prompt_tokens,raif": 30,
                                "judge_completion_tokens,raif": 3, "judge_unparsed,raif": 1},
        "raif_followbench_zh": {"judge_parse_failures,raif": 0, "judge_parse_failure_rate,raif": 0.0,
                                "judge_failed_docs,raif": 0, "judge_prompt_tokens,raif": 10,
                                "judge_completion_tokens,raif": 1, "judge_unparsed,raif": 0},
        "raif_cello": {"cello_average,raif": 0.7},
        "raif_followbench": {"hsr,raif": 0.4},  # a group: no config
    },
    "configs": {
        "raif_ifeval": {"metadata": {"benchmark": "ifeval"}},
        "raif_infobench": {"metadata": {"benchmark": "infobench", "judge": {"model": "judge-x", "endpoint": "h"}}},
        "raif_followbench_en": {"metadata": {"benchmark": "followbench", "judge": {"model": "judge-x"}}},
        "raif_followbench_zh": {"metadata": {"benchmark": "followbench", "judge": {"model": "judge-x"}, "table1": False}},
        "raif_cello": {"metadata": {"benchmark": "cello"}},  # logged without samples here: skipped
    },
}


def test_judge_usage():
    frame = bd.judge_usage(RESULTS)
    assert list(frame["task"]) == ["raif_infobench", "raif_followbench_en", "raif_followbench_zh"]
    info = frame.set_index("task").loc["raif_infobench"]
    assert info["judge"] == "judge-x" and info["parse failures"] == 1 and info["parse failure rate"] == 25
    assert info["failed docs"] == 0 and info["prompt tokens"] == 120 and info["completion tokens"] == 7
    assert pd.isna(info["unparsed"])
    en = frame.set_index("task").loc["raif_followbench_en"]
    assert en["failed docs"] == 1 and en["unparsed"] == 1 and en["parse failure rate"] == 50


def _write_run(folder, samples_by_task, stamp="2026-01-02T03-04-05.000001"):
    folder.mkdir(parents=True)
    path = folder / f"results_{stamp}.json"
    path.write_text(json.dumps(RESULTS), encoding="utf-8")
    for task, rows in samples_by_task.items():
        with (folder / f"samples_{task}_{stamp}.jsonl").open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def test_breakdowns_of_a_run_folder(tmp_path):
    zh = [fb_sample(0, "format", 0, 1, 0, 0.0)]
    other_filter = {**IFEVAL[0], "filter": "other"}  # a second filter's line must not count twice
    path = _write_run(tmp_path / "run", {"raif_ifeval": IFEVAL + [other_filter], "raif_infobench": INFOBENCH,
                                         "raif_followbench_en": FOLLOWBENCH, "raif_followbench_zh": zh})
    found = bd.breakdowns(path, json.loads(path.read_text()))
    assert set(found) == {"IFEval by instruction", "IFEval by instructions per prompt",
                          "InFoBench by subset and question label",
                          "FollowBench by category and level (raif_followbench_en)",
                          "FollowBench by category and level (raif_followbench_zh)", "Judge usage"}
    pd.testing.assert_frame_equal(found["IFEval by instruction"], ifeval.by_instruction(IFEVAL))
    pd.testing.assert_frame_equal(found["InFoBench by subset and question label"], infobench.by_subset(INFOBENCH))
    assert set(found["FollowBench by category and level (raif_followbench_zh)"]["category"]) == {"format"}
    for frame in found.values():
        assert isinstance(frame.index, pd.RangeIndex)
    # a run logged without samples has no breakdowns at all
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "results_x.json").write_text(json.dumps(RESULTS))
    assert bd.breakdowns(bare / "results_x.json", RESULTS) == {}


def test_table2_confidence_intervals_bracket_each_cell():
    from raif_eval.reports.build import _table2_ci
    from raif_eval.reports.table2 import table2

    runs = [("run A", cb_samples(), CB_SETTINGS)]
    table = table2(runs)
    ci = _table2_ci(runs, table, n=200)
    for key, value in table.frame["run A"].items():
        bounds = ci.at[key, "run A"]
        if value == value:  # not NaN
            low, high = bounds
            assert low - 1e-9 <= value <= high + 1e-9, key
    assert ci.equals(_table2_ci(runs, table, n=200))  # seeded
