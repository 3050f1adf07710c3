"""Bad input to ``raif-eval run`` that lm-eval answers with a traceback, or with nothing: one line, exit 2, before
anything is loaded."""

from __future__ import annotations

import json

import pytest

from helpers import one_line_error, run_cli


@pytest.fixture
def replay(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps({"task": "raif_ifeval", "id": "1000", "response": "Hello."}) + "\n")
    return path


def run(replay, *extra):
    return run_cli("run", "--model", "replay", "--model_args", f"responses={replay}", "--tasks", "raif_ifeval",
                   "--limit", "1", *extra)


def test_a_replay_file_that_is_not_utf8(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'\xff\xfe{"task": "raif_ifeval"}\n')
    one_line_error(run(bad), "is not UTF-8 text", "bad.jsonl")


@pytest.mark.parametrize(("metadata", "says"), [
    ("{bad", "is not JSON"),
    ("[1, 2]", "takes a JSON object"),
    ('{"raif_mode": 5}', "the mode is a name"),
])
def test_bad_metadata(replay, metadata, says):
    one_line_error(run(replay, "--metadata", metadata), says)


def test_an_output_path_that_cannot_be_written(replay, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    one_line_error(run(replay, "--output_path", str(blocker / "results"), "--log_samples"),
                   "cannot write results to --output_path")
