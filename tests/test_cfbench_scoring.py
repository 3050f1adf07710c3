"""CFBench scoring reproduces upstream (``code/evalaute.py``) on its own outputs, and the judge program asks what
upstream asks.

Expectations come from the upstream fixtures (``output/judge/*_eval.json``: stored judge replies, parsed scores,
parsing status and per-prompt metrics; ``output/scores.xlsx``: aggregated rows), from the verbatim judge template
(``judge_prompts.json``) and from the rules of spec ``cfbench.md`` §4–§6 — never from our own output.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter

import openpyxl
import pytest

from helpers import SHARED
from raif_eval.benchmarks import cfbench
from raif_eval.judge.client import Reply
from raif_eval.core.judging import JudgeProfile
from raif_eval.judge.runner import DocJudge

CF = SHARED / "cfbench"


def load_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


RECORDS = cfbench.load_records()
EVAL_FILES = sorted((CF / "output" / "judge").glob("*_eval.json"))
MODELS = [path.name.removesuffix("_eval.json") for path in EVAL_FILES]
EVAL_ITEMS = [(model, item) for model, path in zip(MODELS, EVAL_FILES) for item in load_json(path)]
ITEM_IDS = [f"{model}-idx{item['idx']}" for model, item in EVAL_ITEMS]
TEMPLATE = load_json(CF / "judge_prompts.json")["template"]


def official_prompt(record: dict, answer: str) -> str:
    """``gpt_judge_for_cfbench`` filled as upstream fills it (spec §5: one ``str.format`` pass)."""
    return TEMPLATE.format(prompt=record["prompt"], gold_ans=record["gold"], response=answer,
                           criteria="\n\n".join(c[0] for c in record["criteria"]))


def texts(idx: int) -> list[str]:
    return [c[0] for c in RECORDS[idx]["criteria"]]


def reply_for(criteria: list[str], scores: list[str]) -> str:
    """A reply in the format the template asks for."""
    return "\n\n".join(f"{c}\t{s}" for c, s in zip(criteria, scores))


def xlsx_last_rows() -> dict[str, dict]:
    """The last row per model of sheet ``score`` (upstream appends one row per judge run)."""
    sheet = openpyxl.load_workbook(CF / "output" / "scores.xlsx", read_only=True)["score"]
    header, *rows = sheet.iter_rows(values_only=True)
    return {row[1]: dict(zip(header, row)) for row in rows}


# ---------------------------------------------------------------- data and prompt

def test_load_records_is_the_benchmark_in_order():
    assert len(RECORDS) == 1000
    assert [r["idx"] for r in RECORDS] == list(range(1000))
    assert Counter(r["split"] for r in RECORDS) == {"easy": 500, "hard": 500}
    assert sum(len(r["criteria"]) for r in RECORDS) == 4237  # spec §3
    assert RECORDS[0]["split"] == "hard"  # interleaved, spec §3


def test_judge_prompt_is_the_official_template():
    with_gold = next(r for r in RECORDS if r["gold"])
    answer = "{criteria} {{ prompt }} {prompt}\n\t尾"  # would be re-substituted by chained replaces
    assert cfbench.judge_prompt(with_gold, answer) == official_prompt(with_gold, answer)
    no_gold = {k: v for k, v in RECORDS[46].items() if k != "gold"}
    assert cfbench.judge_prompt(no_gold, "x") == official_prompt({**no_gold, "gold": ""}, "x")


# ---------------------------------------------------------------- (a) parser on the stored judge replies

@pytest.mark.parametrize(("model", "item"), EVAL_ITEMS, ids=ITEM_IDS)
def test_parsers_reproduce_stored_scores(model, item):
    assert item["criteria"] == RECORDS[item["idx"]]["criteria"]
    strict = cfbench.parse_strict(item["judge_response"], texts(item["idx"]))
    if item["judge_parsing"] == "1":
        assert strict == [float(s) for s in item["judge_score"]]
    else:
        # The stored reply is the last round's, which failed the strict parser; the fallback gives the stored list.
        assert strict is None
        assert cfbench.parse_fallback(item["judge_response"]) == (item["judge_score"], item["judge_parsing"])


def test_fixture_parsing_statuses_are_the_specs():
    fallback = {(model, item["idx"]) for model, item in EVAL_ITEMS if item["judge_parsing"] != "1"}
    assert fallback == {("abab", 1), ("deepseek_v2", 1)}  # spec §6 table, bold entries
    assert len(EVAL_ITEMS) == 8 * 4


# ---------------------------------------------------------------- (b) per-prompt metrics

@pytest.mark.parametrize(("model", "item"), EVAL_ITEMS, ids=ITEM_IDS)
def test_prompt_metrics_reproduce_stored_metrics(model, item):
    got = cfbench.prompt_metrics(RECORDS[item["idx"]], item["judge_score"], item["judge_parsing"])
    stored = item["judge_metric"]
    assert got == {"csr": stored["CSR"], "isr": stored["ISR"], "psr": stored["PSR"]}


# ---------------------------------------------------------------- (c) per-model aggregation vs scores.xlsx

def our_row(model: str) -> dict[str, float]:
    """Stored judge replies → our parsers → our metrics → our aggregation."""
    rows = []
    for name, item in EVAL_ITEMS:
        if name != model:
            continue
        record = RECORDS[item["idx"]]
        strict = cfbench.parse_strict(item["judge_response"], texts(item["idx"]))
        scores, parsing = (strict, "1") if strict is not None else cfbench.parse_fallback(item["judge_response"])
        rows.append((record["split"], cfbench.prompt_metrics(record, scores, parsing)))
    assert len(rows) == 4
    return cfbench.benchmark_scores(rows)


@pytest.mark.parametrize("model", MODELS)
def test_aggregation_matches_last_xlsx_row(model):
    expected = xlsx_last_rows()[model]
    got = our_row(model)
    assert list(got) == list(cfbench.COLUMNS) == [h for h in expected if h not in ("time", "name")]
    for column in ("CSR_hard", "ISR_hard", "PSR_hard", "CSR", "ISR", "PSR"):
        assert got[column] == expected[column], column
    for column in ("CSR_easy", "ISR_easy", "PSR_easy"):  # no easy prompt among idx 0-3: empty cells
        assert expected[column] is None and math.isnan(got[column]), column


def test_spec_table_and_raif_score():
    # spec §6 expected table (CSR, ISR, PSR), cross-checking the xlsx reading above
    table = {"abab": (0.89, 0.5, 0.75), "deepseek_v2": (0.84, 0.25, 0.75), "ernie35": (0.84, 0.25, 0.75),
             "ernie4": (0.76, 0.25, 0.5), "glm4": (0.84, 0.25, 0.75), "gpt35_turbo_1106": (0.76, 0.25, 0.25),
             "gpt4_0125_preview": (0.64, 0.0, 0.5), "gpt4_turbo_0409": (0.84, 0.25, 0.75)}
    assert set(table) == set(MODELS)
    for model, (csr, isr, psr) in table.items():
        got = our_row(model)
        assert (got["CSR"], got["ISR"], got["PSR"]) == (csr, isr, psr), model
        assert cfbench.raif_score(got) == pytest.approx((csr + isr + psr) / 3, abs=1e-12)


# ---------------------------------------------------------------- (d) strict parser branches

def test_strict_accepts_the_format_and_float_spellings():
    crit = texts(0)
    assert cfbench.parse_strict(reply_for(crit, list("110101")), crit) == [1, 1, 0, 1, 0, 1]
    # float() reads these as 0/1; upstream accepts them too
    spelled = reply_for(crit, ["1.0", " 1", "0.0", "1 ", "0", "1"]) + "\n"
    assert cfbench.parse_strict(spelled, crit) == [1, 1, 0, 1, 0, 1]


def test_strict_block_count_mismatch():
    crit = texts(0)
    full = reply_for(crit, ["1"] * 6)
    assert cfbench.parse_strict(reply_for(crit[:5], ["1"] * 5), crit) is None
    assert cfbench.parse_strict(full + "\n\n", crit) is None  # a trailing blank block counts
    assert cfbench.parse_strict(full.replace("\n\n", "\n"), crit) is None  # single newlines: one block
    assert cfbench.parse_strict("", crit) is None


def test_strict_missing_or_extra_tab():
    crit = texts(2)
    assert cfbench.parse_strict(reply_for(crit, ["1"] * 4).replace("\t1", " 1", 1), crit) is None
    assert cfbench.parse_strict(reply_for(crit, ["1", "1", "1\t", "1"]), crit) is None  # three parts


def test_strict_text_must_match_exactly():
    crit = texts(3)
    assert cfbench.parse_strict(reply_for([c + "。" for c in crit], ["1"] * 5), crit) is None
    # spec §7.1: trailing whitespace in the criterion (idx 10, #2 and #4 end with a space) must be echoed
    crit10 = texts(10)
    assert crit10[2].endswith(" ") and crit10[4].endswith(" ")
    assert cfbench.parse_strict(reply_for([c.strip() for c in crit10], ["1"] * 9), crit10) is None
    assert cfbench.parse_strict(reply_for(crit10, ["1"] * 9), crit10) == [1.0] * 9
    # a criterion holding a single newline (idx 23, #2): the judge must keep it
    crit23 = texts(23)
    assert "\n" in crit23[2]
    flattened = [c.replace("\n", "") for c in crit23]
    assert cfbench.parse_strict(reply_for(flattened, ["1"] * len(crit23)), crit23) is None
    assert cfbench.parse_strict(reply_for(crit23, ["1"] * len(crit23)), crit23) == [1.0] * len(crit23)


@pytest.mark.parametrize("score", ["2", "0.5", "-1", "nan", "inf", "yes", "", "1。", "是"])
def test_strict_rejects_scores_other_than_0_1(score):
    crit = texts(2)
    assert cfbench.parse_strict(reply_for(crit, ["1", score, "0", "1"]), crit) is None


def test_strict_parsed_wrapper():
    crit = texts(2)
    assert cfbench.strict_parsed(reply_for(crit, list("1101")), crit) == ([1.0, 1.0, 0.0, 1.0], True)
    assert cfbench.strict_parsed("Error", crit).ok is False


# ---------------------------------------------------------------- (d) fallback branches

def test_fallback_keeps_only_ones():
    crit = texts(1)
    reply = reply_for([c + "。" for c in crit], ["1", "0", "1.0", "0", " 1", "0.0"])
    assert cfbench.parse_fallback(reply) == (["1", "1.0", "1"], "0")


def test_fallback_reads_single_newline_lines_and_drops_odd_ones():
    reply = "a\t1\nb\t0\nc\t1\textra\nno tab 1\nd\tyes\ne\t2\nf\t1"
    # two tabs, no tab, non-numeric (raises upstream; dropped here), out of range: all dropped
    assert cfbench.parse_fallback(reply) == (["1", "1"], "0")


def test_fallback_nothing_left():
    assert cfbench.parse_fallback("无法评估") == (["0"], "-1")
    assert cfbench.parse_fallback("") == (["0"], "-1")
    # every criterion scored 0 but the text mismatched: zeros are dropped, so nothing survives
    assert cfbench.parse_fallback(reply_for(["x", "y"], ["0", "0"])) == (["0"], "-1")


def test_error_text():
    # upstream stores "Error" after 10 failed requests: the strict parser fails, the fallback gives ["0"], "-1"
    assert cfbench.parse_strict("Error", texts(810)) is None  # a 1-criterion prompt: count matches, no tab
    assert cfbench.parse_fallback("Error") == (["0"], "-1")
    assert cfbench.verdicts_or_failure(None) == {"scores": [0.0], "parsing": "-1", "judge_failed": True}
    assert cfbench.verdicts_or_failure({"scores": [1.0], "parsing": "0"}) == {
        "scores": [1.0], "parsing": "0", "judge_failed": False}


# ---------------------------------------------------------------- (d) PSR branches

def metrics(idx, scores, parsing="1"):
    return cfbench.prompt_metrics(RECORDS[idx], scores, parsing)


def test_psr_all_primary():
    assert {c[1] for c in RECORDS[112]["criteria"]} == {"主需"}
    assert metrics(112, ["1", "1", "1"]) == {"csr": 1.0, "isr": 1, "psr": 1}
    assert metrics(112, ["1", "0", "1"]) == {"csr": 0.67, "isr": 0, "psr": 0}


def test_psr_all_secondary():
    assert {c[1] for c in RECORDS[655]["criteria"]} == {"次需"} and len(RECORDS[655]["criteria"]) == 5
    assert metrics(655, ["1"] * 5) == {"csr": 1.0, "isr": 1, "psr": 1}
    assert metrics(655, ["1", "1", "0", "1", "1"]) == {"csr": 0.8, "isr": 0, "psr": 0}  # CSR must exceed 0.8
    assert metrics(377, ["1", "1", "0"]) == {"csr": 0.67, "isr": 0, "psr": 0}


def test_psr_mixed_threshold():
    # idx 0: one 主需 then five 次需
    assert [c[1] for c in RECORDS[0]["criteria"]] == ["主需"] + ["次需"] * 5
    assert metrics(0, ["1", "1", "1", "1", "0", "0"])["psr"] == 0  # secondary mean 0.6: 0.5 + 0.3 is not > 0.8
    assert metrics(0, ["1", "1", "1", "1", "1", "0"]) == {"csr": 0.83, "isr": 0, "psr": 1}  # 0.8 > 0.6
    assert metrics(0, ["0", "1", "1", "1", "1", "1"]) == {"csr": 0.83, "isr": 0, "psr": 0}  # a primary failed
    # idx 3: two 主需 then three 次需; 2/3 -> 0.67 passes, 1/3 fails
    assert [c[1] for c in RECORDS[3]["criteria"]] == ["主需"] * 2 + ["次需"] * 3
    assert metrics(3, ["1", "1", "1", "0", "1"]) == {"csr": 0.8, "isr": 0, "psr": 1}
    assert metrics(3, ["1", "1", "0", "1", "0"]) == {"csr": 0.6, "isr": 0, "psr": 0}
    # idx 10: primary last in the list; position, not order, decides
    assert [c[1] for c in RECORDS[10]["criteria"]][-1] == "主需"
    assert metrics(10, ["1"] * 8 + ["0"])["psr"] == 0


def test_psr_fallback_and_unparsed():
    # parsing "0": scores are not aligned with criteria, so priorities are ignored; CSR > 0.8 decides
    assert metrics(1, ["1", "1", "1"], "0") == {"csr": 1.0, "isr": 1, "psr": 1}  # abab idx 1
    assert metrics(112, ["1", "1", "1", "1", "0"], "0") == {"csr": 0.8, "isr": 0, "psr": 0}
    assert metrics(1, ["0"], "-1") == {"csr": 0.0, "isr": 0, "psr": 0}
    assert metrics(1, ["1"], "-1")["psr"] == 0


def test_isr_reads_the_rounded_csr():
    # spec §7.3: ISR compares the *rounded* CSR with 1 (a fallback list long enough to round up to 1.0)
    assert metrics(1, ["1"] * 299 + ["0"], "0") == {"csr": 1.0, "isr": 1, "psr": 1}


def test_metric_errors():
    with pytest.raises(ValueError):
        metrics(0, ["1"] * 5)  # 5 scores for 6 criteria with parsing "1"
    with pytest.raises(ValueError):
        metrics(0, ["1"] * 6, "2")


# ---------------------------------------------------------------- benchmark rounding

def test_benchmark_score_rounds_like_numpy():
    assert math.isnan(cfbench.benchmark_score([]))
    # round(np.mean(v), 2) on a tie: numpy scales and rounds half to even (83.5 -> 84); Python's round(0.835, 2)
    # would give 0.83, so these pin numpy's behaviour
    assert cfbench.benchmark_score([1] * 835 + [0] * 165) == 0.84
    assert cfbench.benchmark_score([0.83, 0.84]) == 0.84
    assert cfbench.benchmark_score([1] * 845 + [0] * 155) == 0.84


def test_benchmark_scores_by_split():
    rows = [("easy", {"csr": 1.0, "isr": 1, "psr": 1}), ("hard", {"csr": 0.8, "isr": 0, "psr": 1}),
            ("easy", {"csr": 0.5, "isr": 0, "psr": 0})]
    assert cfbench.benchmark_scores(rows) == {
        "CSR_easy": 0.75, "ISR_easy": 0.5, "PSR_easy": 0.5, "CSR_hard": 0.8, "ISR_hard": 0.0, "PSR_hard": 1.0,
        "CSR": 0.77, "ISR": 0.33, "PSR": 0.67}


# ---------------------------------------------------------------- (e) the judge program against a stub endpoint

class StubClient:
    """Stands in for JudgeClient: ``replies(attempt)`` gives the reply text (None: failed for good)."""

    def __init__(self, replies):
        self.replies, self.calls = replies, []

    async def complete(self, messages, params, attempt):
        self.calls.append((messages, dict(params), attempt))
        text = self.replies(attempt)
        return Reply(text, error=None if text is not None else "gave up")


TURBO = load_json(CF / "output" / "response" / "ernie4turbo_infer.json")
OFFICIAL = JudgeProfile("official", reference_model="gpt-4o", params={"temperature": 0.01})


def run_judge(replies, item, profile=OFFICIAL):
    client = StubClient(replies)
    doc = DocJudge(client, profile)
    verdicts = asyncio.run(cfbench.judge(doc, RECORDS[item["idx"]], item["response"]))
    return verdicts, client.calls, doc.transcript


@pytest.mark.parametrize("item", TURBO, ids=[f"idx{t['idx']}" for t in TURBO])
def test_judge_reasks_ten_times_then_falls_back_on_the_last_reply(item):
    crit = texts(item["idx"])
    n = len(crit)
    mismatched = reply_for([c + " " for c in crit], ["1", "0"] * n)  # fails the strict parser
    replies = lambda attempt: "我无法评估。" if attempt < 9 else mismatched  # noqa: E731
    verdicts, calls, transcript = run_judge(replies, item)
    expected_prompt = official_prompt(RECORDS[item["idx"]], item["response"])
    assert [attempt for _, _, attempt in calls] == list(range(10))
    for messages, params, _ in calls:
        assert messages == [{"role": "user", "content": expected_prompt}]
        assert params == {"temperature": 0.01}
    assert transcript.parse_failures == 10
    ones = [1.0 for i in range(n) if i % 2 == 0]
    assert verdicts == {"scores": ones, "parsing": "0"}


def test_judge_stops_at_the_first_parsable_reply():
    item = TURBO[2]
    crit = texts(item["idx"])
    replies = lambda attempt: reply_for(crit, ["1", "0", "1", "1"]) if attempt == 3 else "Error"  # noqa: E731
    verdicts, calls, _ = run_judge(replies, item)
    assert len(calls) == 4
    assert verdicts == {"scores": [1.0, 0.0, 1.0, 1.0], "parsing": "1"}
    assert cfbench.prompt_metrics(RECORDS[item["idx"]], verdicts["scores"], verdicts["parsing"]) == {
        "csr": 0.75, "isr": 0, "psr": 0}


def test_judge_nothing_parsable_gives_minus_one():
    verdicts, calls, _ = run_judge(lambda attempt: "Error", TURBO[0])
    assert len(calls) == 10
    assert verdicts == {"scores": [0.0], "parsing": "-1"}


def test_judge_endpoint_failure_counts_as_upstream_error():
    replies = lambda attempt: None if attempt == 2 else "garbage"  # noqa: E731
    verdicts, calls, transcript = run_judge(replies, TURBO[1])
    assert verdicts is None and len(calls) == 3 and transcript.errors == 1
    outcome = cfbench.verdicts_or_failure(verdicts)
    assert outcome == {"scores": [0.0], "parsing": "-1", "judge_failed": True}
    assert cfbench.prompt_metrics(RECORDS[1], outcome["scores"], outcome["parsing"]) == {
        "csr": 0.0, "isr": 0, "psr": 0}


def test_judge_adds_only_the_profiles_system_message():
    item = TURBO[3]
    profile = JudgeProfile("raif", system="You are a helpful assistant.", params={"temperature": 0})
    verdicts, calls, _ = run_judge(lambda attempt: reply_for(texts(3), ["1"] * 5), item, profile)
    assert calls[0][0] == [{"role": "system", "content": "You are a helpful assistant."},
                           {"role": "user", "content": official_prompt(RECORDS[3], item["response"])}]
    assert verdicts == {"scores": [1.0] * 5, "parsing": "1"}
