"""FollowBench through lm-eval on the whole data: the judge requests are upstream's, byte for byte; the scores
are upstream's formulas (computed here independently, from the data files and the judge's replies)."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import pytest

from fake_judge import MODEL, FakeJudge, scripted_reply
from helpers import ADVERSARIAL, SHARED, run_cli, write_replay
from raif_eval.benchmarks import followbench as fb
from raif_eval.verifiers import followbench_rules as rules
from raif_eval.benchmarks.followbench import cell as Cell
from test_judge_templates_b import official_followbench

LANG_DIRS = {"en": "data", "zh": "data_zh"}
CATEGORIES = ["content", "situation", "style", "format", "example", "mixed"]
JUDGED = ["content", "situation", "style", "format", "mixed"]
RULE_SOURCES = {"E2E", "WIKIEVENTS", "CONLL2003", "text_editing", "cnn_dailymail", "xsum", "samsum", "gigaword",
                "arxiv", "BBH_logical", "BBH_time", "self_made_space", "gsm_8k"}
FORMAT_RULE_IDS = {"en": {22, 30}, "zh": {22}}


def data_file(lang: str, category: str) -> list[dict]:
    return json.loads((SHARED / "followbench" / LANG_DIRS[lang] / f"{category}_constraints.json").read_text("utf-8"))


def upstream_rule_checked(record: dict, lang: str, category: str) -> bool:
    """upstream's routing: acquire_discriminative_eval_input (judge) vs rule_evaluation / example scripts."""
    return (category == "example" or record["source"] in RULE_SOURCES
            or (record["category"] == "format" and record["example_id"] in FORMAT_RULE_IDS[lang]))


def answer_for(position: int, record: dict) -> str:
    """Stand-in model answers: the reference (so some rules pass), adversarial text, plain text."""
    if position % 3 == 0 and record.get("target"):
        return record["target"]
    return ADVERSARIAL[position % len(ADVERSARIAL)] if position % 3 == 1 else f"Answer {position}.\n- point"


def expected_items(lang: str):
    """(native id, category, record, answer, prompt-or-None, instructions) for every level >= 1 record, built
    from the data files alone, as upstream walks them."""
    out = []
    for category in CATEGORIES:
        records = data_file(lang, category)
        evolve, example_id = [], records[0]["example_id"]
        for position, record in enumerate(records):
            if record["example_id"] == example_id:
                evolve.append(record["instruction"])
            else:
                example_id, evolve = record["example_id"], [record["instruction"]]
            if record["level"] < 1:
                continue
            answer = answer_for(position, record)
            judged = not upstream_rule_checked(record, lang, category)
            prompt = official_followbench(lang, category, record["level"], list(evolve), answer) if judged else None
            out.append((f"{category}_constraints:{position}", category, record, answer, prompt))
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory, task_manager):
    """Both languages, every record, replayed answers, judged by the scripted loopback server."""
    import lm_eval

    out = {}
    for lang in ("en", "zh"):
        tmp = tmp_path_factory.mktemp(f"fb_{lang}")
        items = expected_items(lang)
        task = f"raif_followbench_{lang}"
        replay = write_replay(tmp / "r.jsonl", task, [i[0] for i in items], [i[3] for i in items])
        server = FakeJudge().start()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("RAIF_JUDGE_URL", server.url)
            mp.setenv("RAIF_JUDGE_MODEL", MODEL)
            mp.setenv("RAIF_JUDGE_CACHE", str(tmp / "judge.sqlite"))
            result = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(replay)}, tasks=[task],
                                             task_manager=task_manager, log_samples=True)
        server.stop()
        # the start-up probe (one-token "Reply OK.") is not part of the protocol
        bodies = [e["body"] for e in server.log.entries if e["body"].get("max_tokens") != 1]
        assert len(bodies) == len(server.log.entries) - 1
        out[lang] = (items, result, bodies)
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_judge_requests_are_upstreams_prompts_byte_for_byte(runs, lang):
    items, _, bodies = runs[lang]
    expected = [prompt for *_, prompt in items if prompt is not None]
    assert len(expected) == {"en": 470, "zh": 460}[lang]  # spec §3: judged records
    assert len(bodies) == len(expected)  # one request per judged record, none for rule-checked ones
    for body in bodies:
        assert set(body) <= {"model", "messages", "temperature", "max_tokens"}
        assert body["model"] == MODEL and body["temperature"] == 0.0 and body["max_tokens"] == 1024
        assert len(body["messages"]) == 1 and body["messages"][0]["role"] == "user"  # no system message
    assert sorted(b["messages"][0]["content"] for b in bodies) == sorted(expected)


def upstream_scores(items, lang):
    """(hard, soft) per record, as upstream's scripts compute them from the same answers and judge replies."""
    scores = {}
    for native_id, category, record, answer, prompt in items:
        if prompt is None:
            ok = rules.verdict(record, answer, lang, category)  # the rule port is checked in test_followbench_rules
            scores[native_id] = (int(ok), int(ok))
        else:
            reply = scripted_reply({"messages": [{"role": "user", "content": prompt}]})
            scores[native_id] = fb.parse_reply(reply, record["level"], lang).value
    return scores


def upstream_tables(items, scores):
    """HSR / SSR (%) per (category, level) and CSL per category with upstream's n_group and loops."""
    hsr, ssr, csl = {}, {}, {}
    for category in CATEGORIES:
        rows = [(i[2], scores[i[0]], i[4] is not None) for i in items if i[1] == category]
        judged = [r for r in rows if r[2]]
        ruled = [r for r in rows if not r[2]]
        n_group = len(judged) // 5 + len(ruled) // 5
        for level in range(1, 6):
            hard = sum(s[0] for r, s, j in judged if r["level"] == level) + sum(
                s[0] for r, s, j in ruled if r["level"] == level)
            soft = sum(s[1] for r, s, j in judged if r["level"] == level) + sum(
                s[0] for r, s, j in ruled if r["level"] == level)
            hsr[category, level] = hard / n_group * 100
            ssr[category, level] = soft / n_group * 100
        consistency = 0
        for subset in (judged, ruled):  # upstream walks judged and rule records separately, levels 1..5 per group
            run = []
            for record, score, _ in subset:
                if record["level"] == 1:
                    run = []
                run.append(score[0])
                if record["level"] == 5:
                    count = 0
                    for c in run:
                        if c != 1:
                            break
                        count += 1
                    consistency += count
        csl[category] = consistency / n_group
    return hsr, ssr, csl


def mean(xs):
    return sum(xs) / len(xs)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_metrics_equal_upstream_formulas(runs, lang):
    items, result, _ = runs[lang]
    scores = upstream_scores(items, lang)
    hsr, ssr, csl = upstream_tables(items, scores)
    got = result["results"][f"raif_followbench_{lang}"]
    approx = lambda x: pytest.approx(x, rel=1e-12, abs=1e-12)  # noqa: E731 — summation order differs
    for level in range(1, 6):
        assert got[f"hsr_level{level},raif"] == approx(mean([hsr[c, level] for c in CATEGORIES]) / 100)
        assert got[f"ssr_level{level},raif"] == approx(mean([ssr[c, level] for c in CATEGORIES]) / 100)
    assert got["hsr,raif"] == approx(mean([hsr[c, k] for c in CATEGORIES for k in range(1, 6)]) / 100)
    assert got["ssr,raif"] == approx(mean([ssr[c, k] for c in CATEGORIES for k in range(1, 6)]) / 100)
    assert got["raif_score,raif"] == approx(mean([hsr[c, k] for c in JUDGED for k in range(1, 6)]) / 100)
    assert got["csl,raif"] == approx(mean(list(csl.values())))
    # aggregator.py: (L1 + 2 L2 + ... + 5 L5) / 15 per judged category, then the mean
    assert got["hsr_weighted,raif"] == approx(
        mean([sum(k * hsr[c, k] for k in range(1, 6)) / 15 for c in JUDGED]) / 100)
    unparsed = sum(1 for i in items if i[4] is not None and scores[i[0]][0] == -1)
    assert got["judge_unparsed,raif"] == got["judge_parse_failures,raif"] == unparsed > 0
    assert got["judge_failed_docs,raif"] == 0
    assert 0 < sum(scores[i[0]][0] == 1 for i in items if i[4] is None)  # some rules pass, so they are exercised


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_samples_carry_per_record_values_and_the_record(runs, lang):
    items, result, _ = runs[lang]
    scores = upstream_scores(items, lang)
    samples = result["samples"][f"raif_followbench_{lang}"]
    assert len(samples) == len(items)
    by_id = {s["doc"]["doc_id"]: s for s in samples}
    for native_id, category, record, _, _ in items:
        sample = by_id[native_id]
        hard, soft = scores[native_id]
        assert sample["hsr"] == hard and sample["ssr"] == soft
        assert json.loads(json.dumps(sample["hsr"])) == hard  # logs as a plain number
        assert sample["doc"]["category"] == category and sample["doc"]["level"] == record["level"]
        assert sample[f"hsr_level{record['level']}"] == hard
        assert all(sample[f"hsr_level{k}"] is None for k in range(1, 6) if k != record["level"])
        assert json.loads(sample["doc"]["raw"])["instruction"] == sample["doc"]["prompt"] == record["instruction"]


def test_unparsed_replies_count_zero_on_request(task_manager, tmp_path, monkeypatch):
    import lm_eval
    from lm_eval.tasks import TaskManager

    from raif_eval.tasks import TASKS_DIR

    items = [i for i in expected_items("en") if i[1] == "situation"]
    replay = write_replay(tmp_path / "r.jsonl", "raif_followbench_en", [i[0] for i in items], [i[3] for i in items])
    server = FakeJudge().start()
    monkeypatch.setenv("RAIF_JUDGE_URL", server.url)
    monkeypatch.setenv("RAIF_JUDGE_MODEL", MODEL)
    monkeypatch.setenv("RAIF_JUDGE_CACHE", str(tmp_path / "judge.sqlite"))
    scores = {}
    try:
        for mode in ("minus_one", "zero"):
            manager = TaskManager(include_path=[str(TASKS_DIR)], include_defaults=False,
                                  metadata={"followbench_on_unparsed": mode})
            out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(replay)},
                                          tasks=["raif_followbench_en"], task_manager=manager, log_samples=True,
                                          samples={"raif_followbench_en": list(range(125, 125 + len(items)))})
            scores[mode] = out
    finally:
        server.stop()
    minus, zero = (scores[m]["results"]["raif_followbench_en"] for m in ("minus_one", "zero"))
    assert minus["judge_unparsed,raif"] == zero["judge_unparsed,raif"] > 0
    assert min(s["hsr"] for s in scores["minus_one"]["samples"]["raif_followbench_en"]) == -1
    assert min(s["hsr"] for s in scores["zero"]["samples"]["raif_followbench_en"]) == 0
    # each unparsed record moved from -1 to 0: the level sums rise by exactly the number of such records
    assert zero["hsr,raif"] > minus["hsr,raif"]
    n_levels = 5
    per_level = len(items) // n_levels
    assert (zero["hsr,raif"] - minus["hsr,raif"]) * per_level * n_levels == pytest.approx(zero["judge_unparsed,raif"])


def test_bad_on_unparsed_option_is_a_one_line_error(tmp_path):
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={tmp_path / 'none.jsonl'}",
                   "--tasks", "raif_followbench_en", "--metadata", '{"followbench_on_unparsed": "nan"}')
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [x for x in proc.stderr.splitlines() if x.startswith("raif-eval: error: ")]
    assert len(lines) == 1 and "followbench_on_unparsed" in lines[0] and "minus_one" in lines[0]
    assert "Traceback" not in proc.stderr


# --- aggregation on hand-made verdicts ----------------------------------------------------------------------

def _cells(category, group, values, soft=None):
    hard = [Cell(v, category, k, f"{category}:{group}") for k, v in enumerate(values, 1)]
    softs = [Cell(v, category, k, f"{category}:{group}") for k, v in enumerate(soft or values, 1)]
    return hard, softs


def test_aggregation_on_two_groups_matches_the_official_formulas():
    # category "a": one judged group and one rule group; "b": two judged groups, one with an unparsed reply (-1)
    a_judged = _cells("a", 0, [1, 1, 0, 1, 1], [1.0, 1.0, 0.5, 0.75, 1.0])
    a_rule = _cells("a", 1, [1, 0, 1, 1, 0])
    b_one = _cells("b", 0, [1, 1, 1, 1, 1], [1.0, 1.0, 1.0, 1.0, 1.0])
    b_two = _cells("b", 1, [0, -1, 0, 0, 1], [0.0, -1, 2 / 3, 0.5, 1.0])
    hard = a_judged[0] + a_rule[0] + b_one[0] + b_two[0]
    soft = a_judged[1] + a_rule[1] + b_one[1] + b_two[1]
    # upstream: HSR(C, L) = 100 * (judged sum + rule sum) / (n_judged // 5 + n_rule // 5)
    official_hsr = {("a", 1): 100 * (1 + 1) / 2, ("a", 2): 100 * (1 + 0) / 2, ("a", 3): 100 * (0 + 1) / 2,
                    ("a", 4): 100 * (1 + 1) / 2, ("a", 5): 100 * (1 + 0) / 2,
                    ("b", 1): 100 * (1 + 0) / 2, ("b", 2): 100 * (1 - 1) / 2, ("b", 3): 100 * (1 + 0) / 2,
                    ("b", 4): 100 * (1 + 0) / 2, ("b", 5): 100 * (1 + 1) / 2}
    official_ssr = {("a", 1): 100 * (1.0 + 1) / 2, ("a", 2): 100 * (1.0 + 0) / 2, ("a", 3): 100 * (0.5 + 1) / 2,
                    ("a", 4): 100 * (0.75 + 1) / 2, ("a", 5): 100 * (1.0 + 0) / 2,
                    ("b", 1): 100 * (1.0 + 0.0) / 2, ("b", 2): 100 * (1.0 - 1) / 2,
                    ("b", 3): 100 * (1.0 + 2 / 3) / 2, ("b", 4): 100 * (1.0 + 0.5) / 2, ("b", 5): 100 * (1.0 + 1.0) / 2}
    # CSL: consecutive 1s from level 1 per group -> a: 2 (judged) + 1 (rule); b: 5 + 0
    official_csl = {"a": (2 + 1) / 2, "b": (5 + 0) / 2}
    got_hsr = fb.rates(hard)
    got_ssr = fb.rates(soft)
    for key in official_hsr:
        assert 100 * got_hsr[key] == pytest.approx(official_hsr[key], abs=1e-12)
        assert 100 * got_ssr[key] == pytest.approx(official_ssr[key], abs=1e-12)
    assert fb.csl_per_category(hard) == official_csl
    assert fb.csl(hard) == (1.5 + 2.5) / 2
    curve = fb.level_curve(hard, ["a", "b"])
    assert curve == pytest.approx({k: (official_hsr["a", k] + official_hsr["b", k]) / 200 for k in range(1, 6)})
    assert fb.overall(hard, ["a", "b"]) == pytest.approx(sum(official_hsr.values()) / 1000)
    # the unparsed -1 drags b's level-2 HSR below what the parsed record alone gives (50)
    assert got_hsr["b", 2] == 0.0 < 0.5


def test_aggregation_skips_null_cells_and_empty_levels():
    hard, _ = _cells("content", 0, [1, 0])
    assert fb.at_level(1)(hard + [None]) == 1.0 and fb.at_level(2)(hard) == 0.0
    assert math.isnan(fb.at_level(3)(hard))
    assert math.isnan(fb.raif_score([Cell(1, "example", 1, "example:0")]))  # example is not a judged category
    assert fb.csl(hard) == 1.0


def test_cells_pickle_and_serialise_as_numbers():
    import pickle

    cell = Cell(-1, "style", 3, "style:7")
    back = pickle.loads(pickle.dumps(cell))
    assert back == -1 and back.tags == {"category": "style", "level": 3, "group": "style:7"}
    assert json.dumps({"hsr": cell}) == '{"hsr": -1.0}'


def test_group_score_is_the_mean_of_both_languages_and_raif_complex_takes_english(task_manager):
    import yaml

    from raif_eval.tasks import TASKS_DIR

    group = yaml.safe_load((TASKS_DIR / "followbench" / "raif_followbench.yaml").read_text())
    assert group["task"] == ["raif_followbench_en", "raif_followbench_zh"]
    assert group["aggregate_metric_list"][0]["weight_by_size"] is False
    suite = yaml.safe_load((TASKS_DIR / "raif_complex.yaml").read_text())
    assert "raif_followbench_en" in suite["task"] and "raif_followbench_zh" not in suite["task"]
    assert "raif_followbench" not in suite["task"]
