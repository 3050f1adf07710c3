"""Judge templates of ComplexBench and FollowBench render byte-for-byte the official judge prompts.

The expected text is built from ``judge_prompts.json`` (the verbatim official strings) with the official method,
never from our templates: ``template.format(**fields)`` for ComplexBench; for FollowBench the documented assembly
(``assembly.level_1`` / ``assembly.level_ge_2``, ``{level}`` / ``{i}`` replaced by decimal integers) re-implemented
here from the JSON pieces. Field values: real ComplexBench instructions and GPT-4 answers
(``llm_generations/gpt4_1106.jsonl``; the data file with the questions is not available), every real FollowBench
instruction group (en + zh), and adversarial strings (braces, Jinja syntax, edge newlines, tabs, ``\\r``, non-ASCII).
"""

from __future__ import annotations

import itertools
import json
import re
import string
from functools import cache

import jinja2
import jinja2.meta
import pytest

from helpers import ADVERSARIAL, SHARED
from raif_eval.core.templates import JUDGES_DIR, environment, names, render

CB_DIR = SHARED / "complexbench"
FB_DIR = SHARED / "followbench"


# ---------------------------------------------------------------- ComplexBench


@cache
def cb_prompts() -> dict:
    return json.loads((CB_DIR / "judge_prompts.json").read_text(encoding="utf-8"))


@cache
def cb_generations() -> list[dict]:
    with (CB_DIR / "llm_generations" / "gpt4_1106.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


CB_TEMPLATES = {
    "evaluation": "EVALUATION_PROMPT",
    "extraction": "EXTRACTION_PROMPT",
    "extraction_each": "EXTRACTION_PROMPT_EACH",
}

CB_QUESTIONS = [
    "模型回复是否生成为李白的诗歌？",
    "模型是否正确判断用户问题和旅游相关？",
    "回复中每个名字的长度是否都不超过3个字？",
    "Does the response end with the sentence \"生成结束。\"?",
]


def cb_field_sets(placeholders: list[str]):
    """Real instruction/answer pairs (truncated as the official scripts do) and adversarial values."""
    gens = cb_generations()
    for k, rec in enumerate(gens):
        values = [rec["instruction"][:6000], (rec["generated"] or "None")[:4000], CB_QUESTIONS[k % len(CB_QUESTIONS)]]
        yield dict(zip(placeholders, values))
    for k, value in enumerate(ADVERSARIAL):
        yield dict(zip(placeholders, [value, ADVERSARIAL[-1 - k], ADVERSARIAL[(k * 7) % len(ADVERSARIAL)]]))
    yield dict(zip(placeholders, ADVERSARIAL[:3]))
    yield dict.fromkeys(placeholders, "None")


def test_complexbench_templates_exist():
    assert names("complexbench") == sorted(CB_TEMPLATES)


@pytest.mark.parametrize("name", sorted(CB_TEMPLATES))
def test_complexbench_placeholders_are_the_official_ones(name):
    official = cb_prompts()[CB_TEMPLATES[name]]
    source = (JUDGES_DIR / "complexbench" / f"{name}.jinja").read_text(encoding="utf-8")
    ast = environment().parse(source)
    assert jinja2.meta.find_undeclared_variables(ast) == set(official["placeholders"])
    fields = [f for _, f, _, _ in string.Formatter().parse(official["template"]) if f is not None]
    assert sorted(set(fields)) == sorted(official["placeholders"])


@pytest.mark.parametrize("name", sorted(CB_TEMPLATES))
def test_complexbench_renders_the_official_prompt(name):
    official = cb_prompts()[CB_TEMPLATES[name]]
    template, placeholders = official["template"], official["placeholders"]
    count = 0
    for fields in cb_field_sets(placeholders):
        expected = template.format(**fields)
        got = render("complexbench", name, **fields)
        assert got == expected, (name, fields)
        count += 1
    assert count > 1150


def test_complexbench_fixed_text_details():
    fields = dict.fromkeys(["input", "output", "question"], "X")
    evaluation = render("complexbench", "evaluation", **fields)
    assert evaluation.startswith("\n请你作为") and evaluation.endswith("满足**问题**：\n")
    fields = dict.fromkeys(["instruction", "response", "question"], "X")
    each = render("complexbench", "extraction_each", **fields)
    assert '```json\n{\n  "名字": ["奥利奥", "斑点", "墨墨"]\n}\n```' in each and "{{" not in each
    assert each.endswith("\n\n\n【解释】")
    assert render("complexbench", "extraction", **fields).endswith("X\n\n\n【解释】")


@pytest.mark.parametrize("name", sorted(CB_TEMPLATES))
def test_complexbench_missing_field_is_an_error(name):
    fields = dict.fromkeys(cb_prompts()[CB_TEMPLATES[name]]["placeholders"], "x")
    fields.pop("question")
    with pytest.raises(jinja2.UndefinedError):
        render("complexbench", name, **fields)


# ---------------------------------------------------------------- FollowBench

FB_LANGS = {"en": "data", "zh": "data_zh"}
FB_CATEGORIES = ["content", "situation", "style", "format", "mixed"]
FB_LEVELS = [1, 2, 3, 4, 5]


@cache
def fb_prompts() -> dict:
    return json.loads((FB_DIR / "judge_prompts.json").read_text(encoding="utf-8"))


@cache
def fb_groups(lang: str, category: str) -> dict[int, list[str]]:
    """example_id -> instructions of levels 0..5, the records of that example_id in file order."""
    records = json.loads((FB_DIR / FB_LANGS[lang] / f"{category}_constraints.json").read_text(encoding="utf-8"))
    groups: dict[int, list[dict]] = {}
    for rec in records:
        groups.setdefault(rec["example_id"], []).append(rec)
    for recs in groups.values():
        assert [r["level"] for r in recs] == [0, 1, 2, 3, 4, 5]
    return {eid: [r["instruction"] for r in recs] for eid, recs in groups.items()}


def official_followbench(lang: str, category: str, level: int, instructions: list[str], answer: str) -> str:
    """The documented assembly of judge_prompts.json, from its pieces only."""
    pieces, labels = fb_prompts()[lang][category], fb_prompts()[lang]["labels"]

    def sub(text: str, i: int | None = None) -> str:
        """{level} and {i} replaced by decimal integers (the level-1 pieces have neither)."""
        text = text.replace("{level}", str(level))
        return text if i is None else text.replace("{i}", str(i))

    init, c1 = sub(labels["init"]), sub(labels["c1"])
    if level == 1:
        # intro_level1 + labels.init + I0 + '\n\n' + labels.c1 + I1 + '\n\n' + labels.a1 + ANSWER + '\n\n'
        #   + system_level1
        return (sub(pieces["intro_level1"]) + init + instructions[0] + "\n\n" + c1 + instructions[1] + "\n\n"
                + sub(labels["a1"]) + answer + "\n\n" + sub(pieces["system_level1"]))
    # intro_levelN + labels.init + I0 + '\n\n' + labels.c1 + I1 + '\n\n'
    #   + (for i in 2..level: labels.ci + I_i + '\n\n') + labels.an + ANSWER + '\n\n' + system_levelN
    text = sub(pieces["intro_levelN"]) + init + instructions[0] + "\n\n" + c1 + instructions[1] + "\n\n"
    for i in range(2, level + 1):
        text += sub(labels["ci"], i) + instructions[i] + "\n\n"
    return text + sub(labels["an"]) + answer + "\n\n" + sub(pieces["system_levelN"])


FB_ANSWERS = [
    "Sure! Here is the answer.\n\n1. First point\n2. Second point",
    "好的，以下是回答：\n- 第一点\n- 第二点\n\n['YES', 'NO']",
    *ADVERSARIAL,
]


def test_followbench_assembly_is_the_documented_one():
    """The assembly implemented above is the one the JSON documents (fails if the JSON's rules change)."""
    assembly = fb_prompts()["assembly"]
    assert assembly["level_1"] == (
        "intro_level1 + labels.init + I0 + '\\n\\n' + labels.c1 + I1 + '\\n\\n' + labels.a1 + ANSWER + '\\n\\n' + "
        "system_level1")
    assert assembly["level_ge_2"] == (
        "intro_levelN + labels.init + I0 + '\\n\\n' + labels.c1 + I1 + '\\n\\n' + (for i in 2..level: labels.ci + I_i "
        "+ '\\n\\n') + labels.an + ANSWER + '\\n\\n' + system_levelN")
    for lang in FB_LANGS:
        placeholders = set()
        for piece in itertools.chain(fb_prompts()[lang]["labels"].values(),
                                     *(fb_prompts()[lang][c].values() for c in FB_CATEGORIES)):
            assert "\r" not in piece
            placeholders |= set(re.findall(r"\{[^{}]*\}", piece))
        assert placeholders == {"{level}", "{i}"}


def test_followbench_templates_exist():
    assert names("followbench") == ["en", "zh"]


@pytest.mark.parametrize("lang", sorted(FB_LANGS))
def test_followbench_fields(lang):
    source = (JUDGES_DIR / "followbench" / f"{lang}.jinja").read_text(encoding="utf-8")
    undeclared = jinja2.meta.find_undeclared_variables(environment().parse(source)) - set(environment().globals)
    assert undeclared == {"category", "level", "instructions", "answer"}


@pytest.mark.parametrize(("lang", "category", "level"), itertools.product(sorted(FB_LANGS), FB_CATEGORIES, FB_LEVELS))
def test_followbench_renders_the_official_prompt(lang, category, level):
    groups = fb_groups(lang, category)
    assert len(groups) >= 13
    for n, (eid, instructions) in enumerate(groups.items()):
        fields = {"category": category, "level": level, "instructions": instructions[: level + 1]}
        # every answer on the first group, then a rotating pair per group
        answers = FB_ANSWERS if n == 0 else [FB_ANSWERS[n % len(FB_ANSWERS)], FB_ANSWERS[(3 * n + 1) % len(FB_ANSWERS)]]
        for answer in answers:
            expected = official_followbench(lang, category, level, fields["instructions"], answer)
            got = render("followbench", lang, answer=answer, **fields)
            assert got == expected, (lang, category, level, eid, answer)


@pytest.mark.parametrize(("lang", "category", "level"), itertools.product(sorted(FB_LANGS), FB_CATEGORIES, FB_LEVELS))
def test_followbench_adversarial_instructions(lang, category, level):
    for k in range(len(ADVERSARIAL)):
        instructions = [ADVERSARIAL[(k + j * 5) % len(ADVERSARIAL)] for j in range(level + 1)]
        answer = ADVERSARIAL[-1 - k]
        expected = official_followbench(lang, category, level, instructions, answer)
        assert render("followbench", lang, category=category, level=level, instructions=instructions,
                      answer=answer) == expected


def _md_blocks() -> dict[str, str]:
    text = (FB_DIR / "judge_prompts.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^## ([^\n]+)\n\n```text\n(.*?)\n```$", text, flags=re.S | re.M))


@pytest.mark.parametrize(("heading", "lang", "level"), [
    ("English, level 1 (category `content`)", "en", 1),
    ("English, level 3 (category `content`)", "en", 3),
    ("Chinese, level 2 (category `content`)", "zh", 2),
])
def test_followbench_matches_the_readme_renderings(heading, lang, level):
    """Spec §7: the renderings in judge_prompts.md, with their placeholders passed as the field values."""
    instructions = ["{INITIAL_INSTRUCTION}"] + [f"{{INSTRUCTION_LEVEL_{k}}}" for k in range(1, level + 1)]
    got = render("followbench", lang, category="content", level=level, instructions=instructions,
                 answer="{MODEL_ANSWER}")
    assert got == _md_blocks()[heading]


@pytest.mark.parametrize("lang", sorted(FB_LANGS))
@pytest.mark.parametrize("bad", [
    {"category": "example"},
    {"category": "Content"},
    {"level": 0},
    {"level": 6},
    {"instructions": ["seed", "l1", "l2"]},
    {"instructions": ["seed", "l1", "l2", "l3", "l4"]},
])
def test_followbench_invalid_fields_are_errors(lang, bad):
    fields = {"category": "style", "level": 3, "instructions": ["seed", "l1", "l2", "l3"], "answer": "a", **bad}
    with pytest.raises(jinja2.UndefinedError):
        render("followbench", lang, **fields)


@pytest.mark.parametrize("lang", sorted(FB_LANGS))
def test_followbench_missing_field_is_an_error(lang):
    with pytest.raises(jinja2.UndefinedError):
        render("followbench", lang, category="style", level=1, instructions=["seed", "l1"])


def test_template_files_have_no_carriage_returns():
    for path in [*(JUDGES_DIR / "complexbench").glob("*.jinja"), *(JUDGES_DIR / "followbench").glob("*.jinja")]:
        assert b"\r" not in path.read_bytes(), path
