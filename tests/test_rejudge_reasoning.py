"""Re-judging a paper run: reasoning the server returned apart from the content stays out of RAIF's answer, an
inline think block stays in, as in the run itself."""

from __future__ import annotations

import json

from raif_eval.core import Judged
from raif_eval.core.answers import WithReasoning, join_reasoning, raif_answer
from raif_eval.harness.rejudge import replay_row
from raif_eval.harness.replay import read_responses


def sample(raw: str, answer: str, judged: bool = False) -> dict:
    scored = Judged(answer, {"x": 1}).encode() if judged else answer
    return {"doc": {"doc_id": "7"}, "resps": [[raw]], "filtered_resps": [scored]}


def test_server_reasoning_is_given_back_apart_and_inline_thinking_is_not(tmp_path):
    joined = join_reasoning("<answer>Hi.</answer>", "I think.")
    row = replay_row("raif_ifeval_paper", sample(str(joined), raif_answer(joined)[0]))
    assert (row["response"], row["reasoning"]) == ("<answer>Hi.</answer>", "I think.")
    inline = "<think>\nI think.\n</think>\n\n<answer>Hi.</answer>"  # the same text, but the model wrote it
    assert "reasoning" not in replay_row("raif_ifeval_paper", sample(inline, raif_answer(inline)[0]))
    # judged tasks keep the answer inside the judge's record
    assert replay_row("raif_infobench_paper", sample(str(joined), "Hi.</answer>", judged=True))["reasoning"]
    # the replay file joins them again, so the paper extraction sees the content alone
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({**row, "id": 7}) + "\n", encoding="utf-8")
    replayed = read_responses(path)[("raif_ifeval_paper", "7")]
    assert isinstance(replayed, WithReasoning) and replayed == joined
    assert raif_answer(replayed)[0] == "Hi.</answer>"
