"""The replay backend: strict parsing of the file, exact lookup by native id."""

import json

import pytest

from raif_eval.errors import ReplayError
from raif_eval.harness.replay import ReplayLM, read_responses


class Req:
    def __init__(self, task, doc_id):
        self.task_name, self.doc = task, {"doc_id": doc_id}


def write(tmp_path, *lines):
    path = tmp_path / "r.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def row(task="raif_ifeval", id_=1000, response="hi"):
    return json.dumps({"task": task, "id": id_, "response": response})


def test_ids_compare_as_strings_and_paper_tasks_fall_back(tmp_path):
    lm = ReplayLM(responses=str(write(tmp_path, row(id_=1000), row(id_="1001", response="yo"))))
    assert lm.generate_until([Req("raif_ifeval", "1000"), Req("raif_ifeval", "1001")]) == ["hi", "yo"]
    assert lm.generate_until([Req("raif_ifeval_paper", "1000")]) == ["hi"]


def test_missing_id_names_task_id_and_fix(tmp_path):
    lm = ReplayLM(responses=str(write(tmp_path, row())))
    with pytest.raises(ReplayError, match=r"no response for task raif_ifeval id 1005.*--limit"):
        lm.generate_until([Req("raif_ifeval", "1000"), Req("raif_ifeval", "1005")])


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"task": "raif_ifeval", "id": 1'], r"r\.jsonl:1 is not valid JSON"),
        ([row(), '{"task": "raif_ifeval", "response": "x"}'], r"r\.jsonl:2 must be an object with keys"),
        ([row(), row()], r"r\.jsonl:2 repeats task raif_ifeval id 1000"),
        ([json.dumps({"task": "t", "id": 1, "response": 5})], "must be strings"),
        ([json.dumps({"task": "t", "id": [1], "response": "x"})], "must be a string or an integer"),
        ([""], "has no responses"),
    ],
)
def test_malformed_files_are_refused(tmp_path, lines, message):
    with pytest.raises(ReplayError, match=message):
        read_responses(write(tmp_path, *lines))


def test_missing_file_and_missing_argument(tmp_path):
    with pytest.raises(ReplayError, match="does not exist"):
        ReplayLM(responses=str(tmp_path / "nope.jsonl"))
    with pytest.raises(ReplayError, match="responses=FILE.jsonl"):
        ReplayLM()
