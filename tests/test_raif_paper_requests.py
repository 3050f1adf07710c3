"""What the ``*_paper`` tasks send: one document of every paper task through an OpenAI-compatible model server and
the loopback judge, with the bodies RAIF's driver would send (shared/specs/raif-protocol.md)."""

from __future__ import annotations

import json

import lm_eval
import pytest

from fake_judge import FakeJudge
from helpers import data_dir_with_complexbench_fixture
from paper_judge import paper_reply
from raif_eval.core import tokens
from raif_eval.judge.server import Completion

RAIF_SYSTEM = "You are a helpful assistant."
VICUNA = ("A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
          "detailed, and polite answers to the user's questions. USER: {} ASSISTANT:")
TASKS = ["raif_ifeval_paper", "raif_cello_paper", "raif_cfbench_paper", "raif_complexbench_paper",
         "raif_fbbench_paper", "raif_followbench_en_paper", "raif_followbench_zh_paper", "raif_infobench_paper"]
DIVISOR = {"raif_fbbench_paper": 1.1}


def budget(messages: list[dict], divisor: float = 1.3) -> int:
    return tokens.rlmo_max_tokens(tokens.counter(None)(tokens.messages_text(messages)), divisor)


@pytest.fixture(scope="module")
def paper_requests(tmp_path_factory):
    """(model requests, judge requests, lm-eval output) of one document per paper task; the model thinks
    through the server's reasoning field and answers inside answer tags."""
    import raif_eval.harness  # noqa: F401  (registers raif-chat-completions)
    from lm_eval.tasks import TaskManager

    from raif_eval.tasks import TASKS_DIR

    tmp = tmp_path_factory.mktemp("paper-requests")
    env = {**data_dir_with_complexbench_fixture(tmp / "data"), "RAIF_JUDGE_CACHE": str(tmp / "cache.sqlite")}
    model = FakeJudge(reply=lambda body: Completion("<answer>The answer.</answer>", reasoning="I think."),
                      model="paper-model").start()
    judge = FakeJudge(reply=paper_reply).start()
    manager = TaskManager(include_path=[str(TASKS_DIR)], include_defaults=False,
                          metadata={"paper_tokenizer": "approx"})
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**env, "RAIF_JUDGE_URL": judge.url}.items():
            patch.setenv(key, value)
        try:
            out = lm_eval.simple_evaluate(
                model="raif-chat-completions",
                model_args={"model": "paper-model", "base_url": f"{model.url}/chat/completions",
                            "tokenizer_backend": None, "num_concurrent": 1, "max_retries": 1},
                tasks=TASKS, task_manager=manager, apply_chat_template=True, limit=1, log_samples=True)
        finally:
            model.stop()
            judge.stop()
    judged = [e["body"] for e in judge.log.entries if e["body"].get("max_tokens") != 1]
    return [e["body"] for e in model.log.entries], judged, out


def _sample(out, task):
    return out["samples"][task][0]


def _model_request(requests, last: str):
    """The model request whose last turn is ``last``."""
    found = [r for r in requests if r["messages"][-1]["content"] == last]
    assert len(found) == 1, last[:80]
    return found[0]


@pytest.mark.parametrize("task", TASKS)
def test_generation_requests_are_raifs(paper_requests, task):
    requests, _, out = paper_requests
    sample = _sample(out, task)
    doc = sample["doc"]
    if task == "raif_cello_paper":
        last = json.loads(doc["raw"])["Instruction"].strip()
    elif task.startswith("raif_followbench"):
        last = VICUNA.format(doc["prompt"])
    else:
        last = doc["prompt"]
    messages = (body := _model_request(requests, last))["messages"]
    if task == "raif_cello_paper":  # conversations: no system message, the history, the stripped instruction
        assert messages[0]["role"] == "user" and all(m["role"] != "system" for m in messages)
    else:
        assert messages[0] == {"role": "system", "content": RAIF_SYSTEM}
    if task == "raif_fbbench_paper":  # its own generation script: the three turns after the system message
        assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    if task.startswith("raif_followbench"):
        assert messages[1]["content"] == VICUNA.format(doc["prompt"])
    if task in ("raif_ifeval_paper", "raif_cfbench_paper", "raif_infobench_paper", "raif_complexbench_paper"):
        assert messages[1:] == [{"role": "user", "content": doc["prompt"]}]
    # RAIF's generation budget, from the prompt's length with the evaluated model's tokenizer (here: approx)
    assert body["max_tokens"] == budget(messages, DIVISOR.get(task, 1.3))
    assert body["temperature"] == 0 and "response_format" not in body


@pytest.mark.parametrize("task", TASKS)
def test_raifs_answer_extraction_by_default(paper_requests, task):
    """message.content without the server's reasoning, the leading <answer> removed, the trailing one kept."""
    _, _, out = paper_requests
    sample = _sample(out, task)
    assert sample["resps"][0][0] == "<think>\nI think.\n</think>\n\n<answer>The answer.</answer>"  # logged raw
    scored = sample["filtered_resps"][0]
    answer = json.loads(scored)["answer"] if scored.startswith("{") else scored
    assert answer == "The answer.</answer>"
    assert out["configs"][task]["metadata"]["answer_extraction"] == "raif"


def test_judge_requests_of_complexbench_and_followbench_zh(paper_requests):
    """The two judged paper tasks without a RAIF golden: [system, user], temperature 0.0, stream false,
    max_tokens by RAIF's driver formula, no JSON mode."""
    _, judged, out = paper_requests
    complexbench = [b for b in judged if "【评分问题" in b["messages"][-1]["content"]
                    or "**问题**" in b["messages"][-1]["content"]]
    instruction = _sample(out, "raif_followbench_zh_paper")["doc"]["prompt"]
    followbench = [b for b in judged if instruction in b["messages"][-1]["content"]]
    assert complexbench and followbench
    for body in complexbench + followbench:
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert body["messages"][0]["content"] == RAIF_SYSTEM
        assert body["temperature"] == 0.0 and isinstance(body["temperature"], float) and body["stream"] is False
        assert body["max_tokens"] == budget(body["messages"]) and "response_format" not in body


def test_paper_tasks_can_score_with_the_fixed_extraction(tmp_path, task_manager, monkeypatch):
    """raif-eval's extraction is one option away."""
    from helpers import write_replay

    path = write_replay(tmp_path / "r.jsonl", "raif_ifeval", [1000], ["<think>x</think><answer>Hi.</answer>"])
    for policy, expected in (("raif", "<think>x</think><answer>Hi.</answer>"), ("fixed", "Hi.")):
        from lm_eval.tasks import TaskManager

        from raif_eval.tasks import TASKS_DIR

        manager = TaskManager(include_path=[str(TASKS_DIR)], include_defaults=False,
                              metadata={"answer_extraction": policy})
        out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(path)},
                                      tasks=["raif_ifeval_paper"], task_manager=manager, limit=1, log_samples=True)
        assert out["samples"]["raif_ifeval_paper"][0]["filtered_resps"][0] == expected, policy
