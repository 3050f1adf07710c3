"""Judge templates of CFBench, FB-Bench and InFoBench render byte-for-byte the official judge prompts.

The expected text is built from ``judge_prompts.json`` (the verbatim official strings) with the official filling
method, never from our templates: ``str.format`` for FB-Bench (YAML str.format templates) and for CFBench (the runtime
text of an f-string whose only braces are its four placeholders, so one ``format`` pass equals the f-string), and the
upstream f-strings (with the upstream ``if input_task:`` choice) for InFoBench. Field values are real records from
the benchmark data plus adversarial strings (braces, Jinja syntax, edge newlines, tabs, ``\\r``, non-ASCII).
"""

from __future__ import annotations

import itertools
import json
import string
from functools import cache

import jinja2
import pytest

from helpers import ADVERSARIAL, SHARED
from raif_eval.core.templates import names, render

FB_DIR = SHARED / "fbbench" / "data" / "feedback-benchmark"

# ---------------------------------------------------------------- official strings and data


@cache
def prompts(benchmark: str) -> dict:
    return json.loads((SHARED / benchmark / "judge_prompts.json").read_text(encoding="utf-8"))


def load_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def load_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def format_fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]


def assert_same(got: str, expected: str, what: str) -> None:
    if got != expected:
        at = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
        raise AssertionError(
            f"{what}: differs at char {at} (len {len(got)} vs {len(expected)}): "
            f"got {got[max(0, at - 40):at + 40]!r}, expected {expected[max(0, at - 40):at + 40]!r}"
        )


# ---------------------------------------------------------------- CFBench


def cfbench_fields(task: dict, response: str) -> dict:
    """Arguments of the official ``gpt_judge_for_cfbench(prompt, gold_ans, response, criteria)``."""
    return {
        "prompt": task["prompt"],
        "gold_ans": task.get("gold") or "",
        "response": response,
        "criteria": "\n\n".join(c[0] for c in task["criteria"]),
    }


def cfbench_official(fields: dict) -> str:
    return prompts("cfbench")["template"].format(**fields)


def cfbench_cases():
    tasks = load_json(SHARED / "cfbench" / "data" / "cfbench_data.json")
    infer_files = sorted((SHARED / "cfbench" / "output" / "response").glob("*_infer.json"))
    answered = [r for f in infer_files for r in load_json(f)]
    assert tasks and answered
    # Real (task, model response) pairs from the official inference outputs.
    for r in answered:
        yield f"infer idx {r['idx']} {r['infer_model']}", cfbench_fields(r, r["response"])
    # Every task, with a real response (or another task's gold / prompt) as the answer; gold present, empty and absent.
    pool = [r["response"] for r in answered] + [t["gold"] for t in tasks if t["gold"]]
    for i, task in enumerate(tasks):
        yield f"task {i}", cfbench_fields(task, pool[i % len(pool)])
        if i % 10 == 0:
            no_gold = {k: v for k, v in task.items() if k != "gold"}
            yield f"task {i} without gold", cfbench_fields(no_gold, task["prompt"])
    base = cfbench_fields(tasks[0], pool[0])
    yield from adversarial_cases(base)


def adversarial_cases(base: dict):
    for field, value in itertools.product(base, ADVERSARIAL):
        yield f"adversarial {field}={value!r}", {**base, field: value}
    for value in ADVERSARIAL:
        yield f"adversarial all={value!r}", dict.fromkeys(base, value)


def test_cfbench_official_template_is_a_plain_four_field_string():
    template = prompts("cfbench")["template"]
    # Only the four placeholders and no doubled braces: one str.format pass == the f-string's runtime value.
    assert format_fields(template) == ["prompt", "gold_ans", "response", "criteria"]
    assert template.count("{") == template.count("}") == 4
    assert template.startswith("\n我想让你") and template.endswith("[你的评估]: \n")
    assert "\t" in template and "\r" not in template


def test_cfbench_judge_renders_the_official_prompt():
    cases = list(cfbench_cases())
    assert len(cases) > 1000
    assert any(c["gold_ans"] for _, c in cases) and any(not c["gold_ans"] for _, c in cases)
    for what, fields in cases:
        assert_same(render("cfbench", "judge", **fields), cfbench_official(fields), what)


# ---------------------------------------------------------------- FB-Bench


def fbbench_fields(record: dict, second_response: str, *, reference: bool) -> dict:
    """Fields as the official ``gen_judgment.py`` derives them from a dataset record."""
    skeleton = {}
    for item in record["checklist"]:
        ckpt, weight = (item[0], item[1]) if isinstance(item, list) else (item, None)
        skeleton[ckpt] = {"评判理由": "", "评判结果": "", "weight": weight}
    fields = {
        "user_query": record["user_query"],
        "origin_first_response": record["origin_first_response"],
        "feedback": record["feedback"],
        "second_response": second_response,
        "checklist": str(record["checklist"]),
        "checklist_judgement": json.dumps(skeleton, indent=4, ensure_ascii=False),
    }
    if reference:
        fields["reference_second_response"] = record["reference_second_response"]
    return fields


FB_TEMPLATES = {  # our template name -> (version key, json key)
    "judge_v3": ("v3_HEAD", "prompt_template_zh"),
    "judge_v1": ("v1", "prompt_template_zh"),
    "judge_v1_en": ("v1", "prompt_template_en"),
}


def fbbench_official(name: str, fields: dict) -> str:
    version, key = FB_TEMPLATES[name]
    return prompts("fbbench")[version][key].format(**fields)


def fbbench_cases(name: str):
    reference = name != "judge_v3"
    judged = load_jsonl(FB_DIR / "model_judgment" / "gpt-4o-2024-08-06" / "Qwen2.5-7B-Instruct.jsonl")
    pool = [r["second_response"] for r in judged]
    if not reference:  # the official v3 judgments: record + the model's real second response
        for i, r in enumerate(judged):
            yield f"judgment line {i}", fbbench_fields(r, r["second_response"], reference=False)
    dataset = load_json(FB_DIR / ("fb_bench_dataset.json" if reference else "fb_bench_dataset_v3.json"))
    for i, r in enumerate(dataset):
        yield f"dataset record {i}", fbbench_fields(r, pool[(i * 7) % len(pool)], reference=reference)
    yield from adversarial_cases(fbbench_fields(dataset[0], pool[0], reference=reference))


@pytest.mark.parametrize("name", list(FB_TEMPLATES))
def test_fbbench_official_templates_are_plain_format_strings(name):
    version, key = FB_TEMPLATES[name]
    template = prompts("fbbench")[version][key]
    expected = ["user_query", "origin_first_response", "feedback", "second_response",
                *(["reference_second_response"] if version == "v1" else []), "checklist", "checklist_judgement"]
    assert format_fields(template) == expected
    assert "{{" not in template and "}}" not in template and "\r" not in template
    assert template.endswith("```json\n{checklist_judgement}\n```\n")


@pytest.mark.parametrize("name", list(FB_TEMPLATES))
def test_fbbench_judge_renders_the_official_prompt(name):
    cases = list(fbbench_cases(name))
    assert len(cases) > 700
    checklists = [c["checklist"] for _, c in cases]
    assert any(c.startswith("[[") for c in checklists) and any(c.startswith("['") for c in checklists)
    judgements = [c["checklist_judgement"] for _, c in cases]
    assert any('"weight": null' in j for j in judgements) and any('"weight": 0.' in j for j in judgements)
    for what, fields in cases:
        assert_same(render("fbbench", name, **fields), fbbench_official(name, fields), f"{name} {what}")


def test_fbbench_derived_fields_match_the_spec_example():
    fields = fbbench_fields({"user_query": "q", "origin_first_response": "a", "feedback": "f",
                             "checklist": [["项一", 0.5], ["项二", 0.5]]}, "s", reference=False)
    assert fields["checklist"] == "[['项一', 0.5], ['项二', 0.5]]"
    assert fields["checklist_judgement"].startswith('{\n    "项一": {\n        "评判理由": "",')
    fields = fbbench_fields({"user_query": "q", "origin_first_response": "a", "feedback": "f",
                             "checklist": ["项一"]}, "s", reference=False)
    assert fields["checklist"] == "['项一']" and '"weight": null' in fields["checklist_judgement"]


# ---------------------------------------------------------------- InFoBench


def infobench_official_turns(input_task, output, questions) -> list[str]:
    """User turns exactly as upstream ``run_evaluation`` builds them (templates from judge_prompts.json)."""
    p = prompts("infobench")
    turns = []
    for question in questions:
        if not turns:
            if input_task:  # upstream: `if input_task:` (truthiness)
                content = p["first_turn_with_input"].format(
                    SYS_MSG=p["SYS_MSG"], input=input_task, output=output, question=question)
            else:
                content = p["first_turn_without_input"].format(SYS_MSG=p["SYS_MSG"], output=output, question=question)
        else:
            content = p["later_turn"].format(question=question)
        turns.append(content)
    return turns


def upstream_fstring_turn(SYS_MSG, input_task, output, question, first):  # noqa: N803
    """The f-strings of upstream evaluation.py, copied: cross-checks the JSON templates themselves."""
    if not first:
        return f"{question}\n"
    if input_task:
        return f"{SYS_MSG}\n\nInput:\n\"{input_task}\"\n\nGenerated Text:\n\"{output}\"\n\nQuestion:\n{question}\n"
    return f"{SYS_MSG}\n\nGenerated Text:\n\"{output}\"\n\nQuestion:\n{question}\n"


def our_turns(input_task, output, questions) -> list[str]:
    return [
        render("infobench", "first_turn", input=input_task, output=output, question=q) if i == 0
        else render("infobench", "later_turn", question=q)
        for i, q in enumerate(questions)
    ]


def infobench_cases():
    records = load_jsonl(SHARED / "infobench" / "InfoBench.json")
    assert len(records) == 500
    # No official model outputs are shipped: use other records' instructions / inputs as realistic outputs.
    for i, r in enumerate(records):
        other = records[(i * 13 + 5) % len(records)]
        output = other["input"] or other["instruction"]
        yield f"record {r['id']}", r["input"], output, r["decomposed_questions"]
    r = records[0]
    questions = r["decomposed_questions"]
    for value in ADVERSARIAL:
        yield f"adversarial input={value!r}", value, r["instruction"], questions
        yield f"adversarial output={value!r}", r["input"], value, questions
        yield f"adversarial question={value!r}", r["input"], r["instruction"], [value, value]
        yield f"adversarial all={value!r}", value, value, [value, value, value]
    for empty in ("", None):  # falsy input -> the without-input turn, as upstream
        yield f"input={empty!r}", empty, r["instruction"], questions
    yield "whitespace-only input", " ", r["instruction"], questions  # truthy -> with-input turn


def test_infobench_official_templates_match_upstream_fstrings():
    p = prompts("infobench")
    sys_msg = p["SYS_MSG"]
    assert sys_msg.count("\u201d") == 1 and sys_msg.endswith("'NO'.'''") and "{" not in sys_msg
    for has_input, first in [(True, True), (False, True), (True, False)]:
        args = ("IN" if has_input else "", "OUT", "Q?")
        expected = infobench_official_turns(*args[:2], [args[2]] if first else ["Q0", args[2]])[-1]
        assert expected == upstream_fstring_turn(sys_msg, *args, first=first)


def test_infobench_turns_render_the_official_prompts():
    cases = list(infobench_cases())
    real = [c for c in cases if c[0].startswith("record ")]
    assert sum(1 for c in real if c[1]) == 225 and sum(1 for c in real if not c[1]) == 275
    n_turns = 0
    for what, input_task, output, questions in cases:
        expected = infobench_official_turns(input_task, output, questions)
        got = our_turns(input_task, output, questions)
        assert len(got) == len(expected)
        for k, (g, e) in enumerate(zip(got, expected)):
            assert_same(g, e, f"{what} turn {k}")
        n_turns += len(got)
    assert n_turns > 2250


def test_infobench_first_turn_keeps_sys_msg_bytes():
    text = render("infobench", "first_turn", input="", output="o", question="q")
    sys_msg = prompts("infobench")["SYS_MSG"]
    assert text.startswith(sys_msg + "\n\nGenerated Text:")
    assert text.count("\u201d") == 1 and "'NO'.'''\n\n" in text and text.endswith("q\n")
    with_input = render("infobench", "first_turn", input="i", output="o", question="q")
    assert with_input == sys_msg + '\n\nInput:\n"i"\n\nGenerated Text:\n"o"\n\nQuestion:\nq\n'


# ---------------------------------------------------------------- all three


def test_template_sets_and_strict_fields():
    assert names("cfbench") == ["judge"]
    assert names("fbbench") == ["judge_v1", "judge_v1_en", "judge_v3"]
    assert names("infobench") == ["first_turn", "later_turn"]
    with pytest.raises(jinja2.UndefinedError):
        render("fbbench", "judge_v1", user_query="q", origin_first_response="a", feedback="f", second_response="s",
               checklist="[]", checklist_judgement="{}")  # reference_second_response missing
    with pytest.raises(jinja2.UndefinedError):
        render("infobench", "first_turn", output="o", question="q")  # input is required (may be empty)
