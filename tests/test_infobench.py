"""InFoBench through lm-eval: the judge conversations our task holds are upstream's, turn for turn, and DRFR
(overall, Easy, Hard) is upstream's ``bool_ratio`` over the verdicts upstream would have stored."""

from __future__ import annotations

import json

import pytest

from fake_judge import MODEL, FakeJudge, scripted_reply
from helpers import SHARED, write_replay
from test_judge_templates_a import infobench_official_turns

RECORDS = [json.loads(line) for line in (SHARED / "infobench" / "InfoBench.json").read_text("utf-8").splitlines()
           if line.strip()]


def upstream_parse(generation: str):
    """evaluation.py's reading of one reply (spec §6)."""
    if generation.lower().startswith("yes"):
        return True
    if generation.lower().startswith("no"):
        return False
    if "YES" in generation and "NO" not in generation:
        return True
    if "NO" in generation and "YES" not in generation:
        return False
    return None


def upstream_conversation(record: dict, output: str):
    """Every request upstream sends for one record, and the stored ``eval`` list."""
    turns = infobench_official_turns(record["input"], output, record["decomposed_questions"])
    messages, requests, verdicts = [], [], []
    for turn in turns:
        messages = messages + [{"role": "user", "content": turn}]
        requests.append(messages)
        reply = scripted_reply({"messages": messages})
        verdicts.append(upstream_parse(reply))
        if verdicts[-1] is None:
            break  # early stop: the remaining questions are never asked
        messages = messages + [{"role": "assistant", "content": reply}]
    return requests, verdicts


def bool_ratio(evals: list[list]) -> float:
    """upstream ``bool_ratio``: true / (true + false), unreadable (None) counted as false."""
    flat = [v for e in evals for v in e]
    return sum(v is True for v in flat) / len(flat)


# Easy and Hard, with and without input (Easy ids are user_oriented_*, Hard ones domain_oriented_*).
PICKED = [i for i, r in enumerate(RECORDS)
          if i % 41 == 0 or (i % 37 == 5 and r["input"]) or (i % 31 == 7 and not r["input"])]


@pytest.fixture(scope="module")
def run(tmp_path_factory, task_manager):
    import lm_eval

    tmp = tmp_path_factory.mktemp("infobench")
    picked = PICKED
    outputs = {i: (RECORDS[(i * 7 + 3) % len(RECORDS)]["input"] or f"Output {i}: a short reply.") for i in picked}
    replay = write_replay(tmp / "r.jsonl", "raif_infobench", [RECORDS[i]["id"] for i in picked],
                          [outputs[i] for i in picked])
    server = FakeJudge().start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("RAIF_JUDGE_URL", server.url)
            mp.setenv("RAIF_JUDGE_MODEL", MODEL)
            mp.setenv("RAIF_JUDGE_CACHE", str(tmp / "judge.sqlite"))
            result = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(replay)},
                                             tasks=["raif_infobench"], task_manager=task_manager, log_samples=True,
                                             samples={"raif_infobench": picked})
    finally:
        server.stop()
    bodies = [e["body"] for e in server.log.entries if e["body"].get("max_tokens") != 1]  # minus the probe
    return picked, outputs, result, bodies


def test_picked_records_cover_both_subsets_with_and_without_input(run):
    picked = run[0]
    kinds = {(RECORDS[i]["subset"], bool(RECORDS[i]["input"])) for i in picked}
    assert kinds == {("Easy_set", True), ("Easy_set", False), ("Hard_set", True), ("Hard_set", False)}


def test_judge_conversations_are_upstreams(run):
    picked, outputs, _, bodies = run
    expected = []
    for i in picked:
        requests, _ = upstream_conversation(RECORDS[i], outputs[i])
        expected += requests
    for body in bodies:
        # exactly upstream's request: model, messages, temperature 0; no system message, no max_tokens, no seed
        assert set(body) == {"model", "messages", "temperature"} and body["temperature"] == 0
        assert body["messages"][0]["role"] == "user"
        assert [m["role"] for m in body["messages"]] == ["user", "assistant"] * (len(body["messages"]) // 2) + ["user"]
    key = lambda messages: json.dumps(messages, ensure_ascii=False)  # noqa: E731
    assert sorted(key(b["messages"]) for b in bodies) == sorted(key(m) for m in expected)


def test_drfr_overall_easy_hard_equal_upstream_bool_ratio(run):
    picked, outputs, result, _ = run
    evals = {i: upstream_conversation(RECORDS[i], outputs[i])[1] for i in picked}
    got = result["results"]["raif_infobench"]
    assert any(None in e for e in evals.values())  # early stops happen, so the denominator rule is exercised
    assert got["drfr,raif"] == got["raif_score,raif"] == pytest.approx(bool_ratio(list(evals.values())), abs=1e-15)
    easy = [e for i, e in evals.items() if RECORDS[i]["subset"] == "Easy_set"]
    hard = [e for i, e in evals.items() if RECORDS[i]["subset"] == "Hard_set"]
    assert got["drfr_easy,raif"] == pytest.approx(bool_ratio(easy), abs=1e-15)
    assert got["drfr_hard,raif"] == pytest.approx(bool_ratio(hard), abs=1e-15)
    assert got["drfr_easy,raif"] != got["drfr_hard,raif"]
    samples = {s["doc"]["doc_id"]: s for s in result["samples"]["raif_infobench"]}
    for i in picked:
        sample = samples[RECORDS[i]["id"]]
        assert sample["drfr"] == evals[i]  # true / false / null per asked question
        easy_sample = RECORDS[i]["subset"] == "Easy_set"
        assert sample["drfr_easy"] == (evals[i] if easy_sample else [])
        assert sample["drfr_hard"] == ([] if easy_sample else evals[i])


def test_drfr_aggregation_on_a_three_record_fixture():
    from raif_eval.benchmarks import infobench

    # easy: [T, F, None] (early stop after the third of five questions); hard: [T, T], [F]
    per_doc = {"easy": [[True, False, None]], "hard": [[True, True], [False]]}
    assert infobench.drfr(per_doc["easy"] + per_doc["hard"]) == 3 / 6
    assert infobench.drfr(per_doc["easy"]) == 1 / 3 and infobench.drfr(per_doc["hard"]) == 2 / 3
    assert infobench.drfr(per_doc["easy"] + [[], []]) == 1 / 3  # the other subset's empty lists change nothing
