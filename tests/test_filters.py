"""Think stripping: the answer is scored, the raw output is logged."""

import lm_eval
import pytest

from helpers import write_replay
from raif_eval.core.answers import strip_reasoning
from raif_eval.harness.filters import StripThinkFilter


@pytest.mark.parametrize(
    ("raw", "answer", "unclosed"),
    [
        ("  plain answer\n", "  plain answer\n", False),  # untouched, byte for byte
        ("<think>plan</think>\n\nThe answer.", "The answer.", False),
        ("reasoning opened by the template</think> answer", "answer", False),
        ("<think>a</think>x<think>b</think>\n final", "final", False),  # after the last close
        ("<think>never closed", "", True),
        ("\n<think>never closed", "", True),
        ("<answer>body</answer> trailing", "body", False),
        ("<think>t</think><answer>\nbody\n</answer>", "body", False),
        ("<answer>unterminated body", "unterminated body", False),
    ],
)
def test_strip_reasoning(raw, answer, unclosed):
    assert strip_reasoning(raw) == (answer, unclosed)


def test_unclosed_keep_and_bad_option():
    assert strip_reasoning("<think>half", unclosed_think="keep") == ("<think>half", True)
    with pytest.raises(ValueError, match="unclosed_think"):
        StripThinkFilter(unclosed_think="drop")


def test_filter_keeps_shape_and_warns(caplog):
    resps = [["<think>x</think>a", "b"], ["<think>open"]]
    with caplog.at_level("WARNING"):
        assert StripThinkFilter().apply(resps, [{}, {}]) == [["a", "b"], [""]]
    assert "1 of 3 responses" in caplog.text


def test_reasoning_is_scored_as_its_answer_and_logged_raw(tmp_path, task_manager, ifeval_records,
                                                          ifeval_gpt4_responses):
    n = 12
    keys = [r["key"] for r in ifeval_records[:n]]
    thinking = [f"<think>Let me plan, carefully, with commas.</think>\n{r}" for r in ifeval_gpt4_responses[:n]]
    results = {}
    for name, responses in (("plain", ifeval_gpt4_responses[:n]), ("thinking", thinking)):
        path = write_replay(tmp_path / f"{name}.jsonl", "raif_ifeval", keys, responses)
        out = lm_eval.simple_evaluate(model="replay", model_args={"responses": str(path)}, tasks=["raif_ifeval"],
                                      task_manager=task_manager, limit=n, log_samples=True)
        results[name] = out
    plain, think = (results[k]["results"]["raif_ifeval"] for k in ("plain", "thinking"))
    for metric in ("prompt_level_strict_acc,raif", "inst_level_loose_acc,raif", "raif_score,raif"):
        assert plain[metric] == think[metric]
    sample = results["thinking"]["samples"]["raif_ifeval"][0]
    assert sample["resps"][0][0].startswith("<think>")
    assert not sample["filtered_resps"][0].startswith("<think>")
