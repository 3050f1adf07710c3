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
                   "cannot write to --output_path")


@pytest.fixture(scope="module")
def a_run(tmp_path_factory):
    """A finished replay run of two IFEval documents, with its samples."""
    tmp = tmp_path_factory.mktemp("run")
    path = tmp / "r.jsonl"
    path.write_text("".join(json.dumps({"task": "raif_ifeval", "id": key, "response": "Hello."}) + "\n"
                            for key in ("1000", "1001")))
    proc = run_cli("run", "--model", "replay", "--model_args", f"responses={path}", "--tasks", "raif_ifeval",
                   "--limit", "2", "--output_path", str(tmp / "out"), "--log_samples")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return tmp / "out"


def _copy(run, tmp_path):
    import shutil

    shutil.copytree(run, tmp_path / "out")
    return tmp_path / "out", next((tmp_path / "out").rglob("results_*.json")), \
        next((tmp_path / "out").rglob("samples_*.jsonl"))


@pytest.mark.parametrize(("damage", "says"), [
    (lambda results, samples: results.write_text("[1, 2]"), "not an object"),
    (lambda results, samples: results.write_text('{"results": [1]}'), "must be objects"),
    (lambda results, samples: results.write_bytes(b"\xff\xfe"), "is not a readable lm-eval results file"),
    (lambda results, samples: samples.write_text("{not json\n"), ":1 is not an lm-eval samples file"),
])
def test_report_on_damaged_files(a_run, tmp_path, damage, says):
    out, results, samples = _copy(a_run, tmp_path)
    damage(results, samples)
    one_line_error(run_cli("report", str(out), "--bootstrap", "0"), says)


def test_report_to_an_unwritable_folder(a_run, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    one_line_error(run_cli("report", str(a_run), "--out", str(blocker / "x"), "--bootstrap", "0"),
                   "cannot write to --out")


@pytest.mark.parametrize(("damage", "says"), [
    (lambda results, samples: results.write_bytes(b"\xff\xfe"), "is not an lm-eval results file"),
    (lambda results, samples: samples.write_bytes(b"\xff\xfe{}\n"), "is not an lm-eval samples file"),
    (lambda results, samples: samples.write_text('{"doc_id": 0}\n'), "lacks doc, doc_id or resps"),
])
def test_judge_on_damaged_files(a_run, tmp_path, damage, says):
    out, results, samples = _copy(a_run, tmp_path)
    damage(results, samples)
    one_line_error(run_cli("judge", str(out)), says)


def test_judge_with_tasks_the_run_does_not_have(a_run):
    one_line_error(run_cli("judge", str(a_run), "--tasks", "raif_cfbench"), "has the tasks raif_cfbench",
                   "raif_ifeval")
