"""Inference modes: the exact messages each mode sends to an OpenAI-compatible endpoint, for every task."""

from __future__ import annotations

import json
import os

import pytest

from fake_judge import FakeJudge
from helpers import data_dir_with_complexbench_fixture
from raif_eval import modes
from raif_eval.errors import RaifError

MODEL = "loopback-model"
TASKS = ["raif_ifeval", "raif_cello", "raif_cfbench", "raif_complexbench", "raif_fbbench", "raif_followbench_en",
         "raif_followbench_zh", "raif_infobench"]
CHINESE = {"raif_cello", "raif_cfbench", "raif_complexbench", "raif_fbbench", "raif_followbench_zh"}

# The texts as they must reach the model, written out here so that any change to a template is seen.
COT = {
    "en": "Let's think step by step. Write your reasoning between <think> and </think>, then give your final response "
          "after </think>. Only the text after </think> counts as your response.",
    "zh": "请一步一步地思考：先把思考过程写在 <think> 和 </think> 之间，然后在 </think> 之后给出最终回答。只有 </think> "
          "之后的内容会被当作你的回答。",
}
SDC = {
    "en": "Before you respond, decompose the instruction above into its sub-instructions and constraints: list each "
          "one and say how they are combined (all at once, one after another, or depending on a condition). Write "
          "this decomposition between <think> and </think>, then give your final response after </think>, "
          "satisfying every constraint. Only the text after </think> counts as your response.",
    "zh": "在回答之前，请先把上面的指令分解为各个子指令和约束条件：逐条列出，并说明它们如何组合（同时满足、先后执行，还是按条件选择）。"
          "把分解过程写在 <think> 和 </think> 之间，然后在 </think> 之后给出满足所有约束的最终回答。只有 </think> 之后的内容会被当作你的回答。",
}
# raif-training.md: the policy's system prompt, a single line, verbatim.
RAIF_SYSTEM = ("You are a helpful assistant. The assistant first thinks about the reasoning process in the mind and "
               "then provides the user with the answer. The reasoning process and answer are enclosed within <think> "
               "</think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think>"
               "<answer> answer here </answer>.")


def expected_messages(mode: str, task: str, doc: dict) -> list[dict[str, str]]:
    base = [dict(m) for m in doc["messages"]] if "messages" in doc else [{"role": "user", "content": doc["prompt"]}]
    lang = "zh" if task in CHINESE else "en"
    if mode == "io":
        return base
    if mode == "raif":
        return [{"role": "system", "content": RAIF_SYSTEM}, *base]
    suffix = (COT if mode == "cot" else SDC)[lang]
    return [*base[:-1], {"role": "user", "content": base[-1]["content"] + "\n\n" + suffix}]


@pytest.fixture(scope="module")
def data_env(tmp_path_factory):
    env = data_dir_with_complexbench_fixture(tmp_path_factory.mktemp("data"))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # (predict_only below: the model's requests are under test here, not the judge's)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.parametrize("mode", modes.MODES)
def test_each_mode_sends_its_exact_messages_for_every_task(mode, tmp_path, data_env):
    import lm_eval
    from lm_eval.tasks import TaskManager

    import raif_eval.harness  # noqa: F401  (registers raif-chat-completions)
    from raif_eval.reports.runs import method_label
    from raif_eval.tasks import TASKS_DIR

    server = FakeJudge(reply=lambda body: "<think>plan</think>\nanswer", model=MODEL,
                       log_path=tmp_path / "requests.jsonl").start()
    try:
        out = lm_eval.simple_evaluate(
            model="raif-chat-completions",
            model_args={"model": MODEL, "base_url": f"{server.url}/chat/completions", "tokenizer_backend": None,
                        "num_concurrent": 4, "max_retries": 1},
            tasks=TASKS, apply_chat_template=True, limit=1, log_samples=True, predict_only=True,
            task_manager=TaskManager(include_path=[str(TASKS_DIR)], include_defaults=False,
                                     metadata={"raif_mode": mode}))
    finally:
        server.stop()
    sent = sorted(json.dumps(json.loads(line)["body"]["messages"], ensure_ascii=False)
                  for line in (tmp_path / "requests.jsonl").read_text(encoding="utf-8").splitlines())
    expected = sorted(json.dumps(expected_messages(mode, task, out["samples"][task][0]["doc"]), ensure_ascii=False)
                      for task in TASKS)
    assert len(sent) == len(TASKS)
    assert sent == expected
    for task in TASKS:  # the raw output is logged; the mode is recorded where reports find it
        assert out["samples"][task][0]["resps"][0][0] == "<think>plan</think>\nanswer"
        assert out["configs"][task]["metadata"]["raif_mode"] == mode
    assert method_label(out) == {"io": "I/O", "cot": "CoT", "sdc": "SDC", "raif": "RAIF"}[mode]


def test_a_user_template_replaces_the_built_in_one(tmp_path):
    template = tmp_path / "mine.jinja"
    template.write_text("{% block system %}Lang={{ lang }} task={{ task }}{% endblock %}"
                        "{% block user %}[{{ history | length }}] {{ prompt | upper }}{% endblock %}")
    mode = modes.load("cot", str(template))
    dialogue = [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "hi"},
                {"role": "user", "content": "write"}]
    assert mode.apply(dialogue, "old system", task="t") == (
        "Lang=en task=t", [*dialogue[:2], {"role": "user", "content": "[2] WRITE"}])
    # a template with only a user block keeps the system message as it was
    only_user = tmp_path / "user.jinja"
    only_user.write_text("{% block user %}{{ prompt }}!{% endblock %}")
    assert modes.load("io", str(only_user)).apply(dialogue, "old system") == (
        "old system", [*dialogue[:2], {"role": "user", "content": "write!"}])
    # an empty system block removes the system message
    no_system = tmp_path / "nosys.jinja"
    no_system.write_text("{% block system %}{% endblock %}")
    assert modes.load("io", str(no_system)).apply(dialogue, "old system")[0] == ""


@pytest.mark.parametrize(("name", "template", "message"), [
    ("bogus", None, "unknown mode 'bogus'"),
    ("cot", "/no/such/file.jinja", "does not exist"),
    ("cot", "plain.jinja", "defines neither"),
    ("cot", "broken.jinja", "line 1"),
    ("cot", "undefined.jinja", "'answer' is undefined"),
])
def test_bad_modes_and_templates_are_one_line_errors(name, template, message, tmp_path):
    (tmp_path / "plain.jinja").write_text("Think first.")
    (tmp_path / "broken.jinja").write_text("{% block user %}{{ prompt {% endblock %}")
    (tmp_path / "undefined.jinja").write_text("{% block user %}{{ answer }}{% endblock %}")
    path = template if template is None or template.startswith("/") else str(tmp_path / template)
    with pytest.raises(RaifError, match=message) as info:
        modes.load(name, path)
    assert "\n" not in str(info.value)


def test_language_follows_the_prompt():
    assert modes.language("请写一首关于春天的诗，不少于100字。") == "zh"
    assert modes.language("Write a poem about spring in at least 100 words.") == "en"
    assert modes.language("用 Python 写一个 function，返回 list 的长度。") == "zh"
    assert modes.language("") == "en"
