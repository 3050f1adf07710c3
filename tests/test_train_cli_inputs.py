"""Bad input to ``raif-train convert | synth | grpo`` and ``raif-eval data``: one line, exit 2, no traceback, before
a model, a tokenizer or a dataset is loaded. Most cases run the CLI in this process (as tests/test_train_configs.py
does); a few run it as the console script does, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import ROOT, one_line_error

from raif_train import cli

CPU_RECIPE = str(ROOT / "raif_train" / "configs" / "cpu-embedded.yaml")
IFEVAL_ROW = {"input": "Say hi.", "task": "ifeval",
              "target": {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}}
RECORD = {"prompt": "Write a line.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}


def stops(capsys, argv: list[str], *fragments: str, main=cli.main, prog: str = "raif-train") -> str:
    """``main(argv)`` exits 2 with one ``PROG: error:`` line holding every fragment; returns that line."""
    with pytest.raises(SystemExit) as raised:
        main(argv)
    out, err = capsys.readouterr()
    one_line_error(subprocess.CompletedProcess(argv, raised.value.code, out, err), *fragments, prog=prog)
    return next(line for line in err.splitlines() if line.startswith(f"{prog}: error: "))


def run_train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "raif_train.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def files(tmp_path):
    """Named input files, good and bad."""
    def lines(*rows):
        return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)

    made = {
        "records.jsonl": lines(RECORD),
        "train.jsonl": lines(IFEVAL_ROW),
        "bad.jsonl": b'\xff\xfe{"prompt": "x"}\n',
        "notjson.jsonl": lines(RECORD, "", "{bad"),
        "numbers.jsonl": lines("[1, 2, 3]"),
        "noshape.jsonl": lines(RECORD, {"foo": 1}),
        "nokwargs.jsonl": lines({"prompt": "x", "instruction_id_list": ["punctuation:no_comma"]}),
        "badtarget.jsonl": lines({**IFEVAL_ROW, "target": "{bad"}),
        "seeds.jsonl": lines(json.dumps("Write a poem about the sea."), {"instruction": "Describe a river at night."}),
        "seeds_nofield.jsonl": lines({"instruction": "Write a poem about the sea."}, {"title": "x"}),
        "seeds.json": json.dumps(["Write a poem about the sea.", 5]),
        "corrupt.yaml": "a: [1\n",
        "bin.yaml": b"\xff\xfe: 1\n",
        "list.yaml": "- 1\n- 2\n",
        "unknown.yaml": "model_name_or_path: embedded\nnot_a_key: 3\n",
        "thin_bank.yaml": "en:\n  keywords: [river]\nzh:\n  keywords: [河]\n",
        "blocker": "",
    }
    for name, content in made.items():
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    (tmp_path / "folder").mkdir()
    return tmp_path


# ------------------------------------------------------------------------------------------------------ convert


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--records", "{t}/missing.jsonl"], ["--records", "missing.jsonl", "does not exist"]),
    (["--records", "{t}/bad.jsonl"], ["--records", "bad.jsonl", "UnicodeDecodeError"]),
    (["--records", "{t}/notjson.jsonl"], ["notjson.jsonl:3", "not JSON", "fix or remove that line"]),
    (["--records", "{t}/numbers.jsonl"], ["numbers.jsonl:1", "a JSON list, not an object"]),
    (["--records", "{t}/noshape.jsonl"], ["noshape.jsonl:2", "instruction_id_list", "problem and answer",
                                          "it has foo"]),
    (["--records", "{t}/nokwargs.jsonl"], ["nokwargs.jsonl:1", "needs kwargs"]),
    (["--records", "{t}/records.jsonl", "--to", "records"], ["records.jsonl:1", "needs 'input'"]),
    (["--records", "{t}/train.jsonl", "--to", "records", "--out", "{t}/folder"], ["--out", "is a folder"]),
    (["--records", "{t}/records.jsonl", "--out", "{t}/blocker/out.jsonl"], ["cannot write to --out", "blocker"]),
    (["--records", "{t}/records.jsonl", "--tokenizer", "{t}/no-model"], ["--tokenizer", "no-model",
                                                                          "no tokenizer could be loaded"]),
])
def test_convert(capsys, files, argv, fragments):
    argv = [a.format(t=files) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(files / "out.jsonl")]
    stops(capsys, ["convert", *argv], *fragments)
    assert not (files / "out.jsonl").exists()


def test_convert_as_a_command(files):
    proc = run_train("convert", "--records", str(files / "notjson.jsonl"), "--out", str(files / "out.jsonl"))
    one_line_error(proc, "notjson.jsonl:3", "not JSON", prog="raif-train")
    unknown = run_train("convert", "--records", str(files / "records.jsonl"), "--out", "x.jsonl", "--bogus", "1")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr  # argparse's usage and error lines
    assert unknown.stderr.splitlines()[-1] == "raif-train convert: error: unrecognized arguments: --bogus 1"


# -------------------------------------------------------------------------------------------------------- synth


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--seeds", "{t}/missing.jsonl"], ["--seeds", "missing.jsonl", "does not exist"]),
    (["--seeds", "{t}/bad.jsonl"], ["--seeds", "bad.jsonl", "UnicodeDecodeError"]),
    (["--seeds", "{t}/notjson.jsonl"], ["notjson.jsonl:3", "not JSON"]),
    (["--seeds", "{t}/numbers.jsonl"], ["numbers.jsonl:1", "a JSON list, not an object or a string"]),
    (["--seeds", "{t}/seeds_nofield.jsonl"], ["seeds_nofield.jsonl line 2", "no instruction text", "--field"]),
    (["--seeds", "{t}/seeds.json"], ["seeds.json item 2", "no instruction text"]),
    (["--seeds", "{t}/folder"], ["--seeds", "save_to_disk", "state.json"]),
    (["--n", "-1"], ["--n takes a number of at least 1, not -1"]),
    (["--max_depth", "0"], ["--max_depth", "at least 1"]),
    (["--rules", "-2"], ["--rules", "at least 0"]),
    (["--rules", "0", "--questions", "0"], ["--rules 0 with --questions 0"]),
    (["--max_chars", "4"], ["--max_chars", "--min_chars"]),
    (["--min_reference", "2"], ["--min_reference", "--max_reference"]),
    (["--kinds", "And,Or"], ["--kinds", "Or"]),
    (["--languages", "en,fr"], ["--languages", "en,fr"]),
    (["--bank", "{t}/missing.yaml"], ["--bank", "missing.yaml", "does not exist"]),
    (["--bank", "{t}/corrupt.yaml"], ["--bank", "corrupt.yaml", "is not YAML", "line 2"]),
    (["--bank", "{t}/bin.yaml"], ["--bank", "bin.yaml", "is not UTF-8"]),
    (["--bank", "{t}/list.yaml"], ["--bank", "list.yaml", "YAML mapping"]),
    (["--bank", "{t}/thin_bank.yaml"], ["--bank", "en.forbidden", "non-empty list"]),
    (["--out", "{t}/blocker/out.jsonl"], ["cannot write to --out", "blocker"]),
    (["--out", "{t}/folder"], ["--out", "is a folder"]),
])
def test_synth(capsys, files, argv, fragments):
    argv = [a.format(t=files) for a in argv]
    defaults = {"--seeds": str(files / "seeds.jsonl"), "--out": str(files / "out.jsonl"), "--tokenizer": "none"}
    argv += [x for flag, value in defaults.items() if flag not in argv for x in (flag, value)]
    stops(capsys, ["synth", *argv], *fragments)
    assert not (files / "out.jsonl").exists()


def test_synth_as_a_command(files):
    proc = run_train("synth", "--seeds", str(files / "seeds.jsonl"), "--n", "-3", "--out", str(files / "o.jsonl"))
    one_line_error(proc, "--n takes a number of at least 1, not -3", prog="raif-train")


# --------------------------------------------------------------------------------------------------------- grpo


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--config", "{t}/missing.yaml"], ["--config", "missing.yaml", "does not exist"]),
    (["--config", "{t}/corrupt.yaml"], ["--config", "corrupt.yaml", "is not YAML", "line 2"]),
    (["--config", "{t}/bin.yaml"], ["--config", "bin.yaml", "is not UTF-8"]),
    (["--config", "{t}/list.yaml"], ["--config", "list.yaml", "YAML mapping"]),
    (["--config", "{t}/unknown.yaml"], ["unknown.yaml has unknown keys: not_a_key"]),
    (["--config", CPU_RECIPE, "--train_files", "{t}/bad.jsonl"], ["train_files", "bad.jsonl", "UnicodeDecodeError"]),
    (["--config", CPU_RECIPE, "--train_files", "{t}/notjson.jsonl"], ["train_files", "notjson.jsonl:3", "not JSON"]),
    (["--config", CPU_RECIPE, "--train_files", "{t}/records.jsonl"], ["train_files", "records.jsonl:1",
                                                                       "needs 'input'"]),
    (["--config", CPU_RECIPE, "--train_files", "{t}/badtarget.jsonl"], ["badtarget.jsonl:1", "target", "not JSON"]),
    (["--config", CPU_RECIPE, "--train_files", "{t}/train.jsonl", "--bc_files", "{t}/train.jsonl"],
     ["bc_files", "train.jsonl:1", "question, answer"]),
    (["--config", CPU_RECIPE, "--train_files", "raif-eval:cello"], ["train_files raif-eval:cello",
                                                                    "raif-eval:ifeval:N"]),
    (["--config", CPU_RECIPE, "--max_train_samples", "-1"], ["--max_train_samples", "-1"]),
    (["--config", CPU_RECIPE, "--launch_config", "{t}/missing.yaml"], ["--launch_config", "does not exist"]),
])
def test_grpo_dry_run(capsys, files, argv, fragments):
    stops(capsys, ["grpo", *(a.format(t=files) for a in argv), "--dry_run"], *fragments)


def test_a_dry_run_warns_of_data_that_is_not_here_and_a_run_stops_on_it_before_the_model(capsys, files):
    cli.main(["grpo", "--config", CPU_RECIPE, "--train_files", str(files / "elsewhere.jsonl"), "--dry_run"])
    assert "warning: train_files" in capsys.readouterr().out
    no_model = ["--model_name_or_path", str(files / "no-model")]  # loading it would fail otherwise
    stops(capsys, ["grpo", "--config", CPU_RECIPE, "--train_files", str(files / "elsewhere.jsonl"), *no_model],
          "train_files", "elsewhere.jsonl", "does not exist")
    stops(capsys, ["grpo", "--config", CPU_RECIPE, "--train_files", str(files / "noshape.jsonl"), *no_model],
          "train_files", "noshape.jsonl:1", "needs 'input'")


def test_the_hardware_check_comes_after_the_data_checks(capsys, files):
    import torch

    recipe = files / "bf16.yaml"
    recipe.write_text(f"model_name_or_path: {files / 'no-model'}\nbf16: true\ntrain_files: [{files / 'gone.jsonl'}]\n")
    stops(capsys, ["grpo", "--config", str(recipe)], "train_files", "gone.jsonl", "does not exist")
    if torch.cuda.is_available():
        pytest.skip("this machine supports bf16")
    stops(capsys, ["grpo", "--config", str(recipe), "--train_files", str(files / "train.jsonl")],
          "cannot run the recipe as set", "bf16", "cpu-embedded.yaml")


def test_grpo_as_a_command(files):
    proc = run_train("grpo", "--config", str(files / "missing.yaml"))
    one_line_error(proc, "--config", "missing.yaml", "does not exist", prog="raif-train")


# ------------------------------------------------------------------------------------------------ raif-eval data


def test_data_commands(capsys, monkeypatch, tmp_path):
    from raif_eval import cli as eval_cli

    def data(*argv: str, fragments: tuple[str, ...]):
        stops(capsys, ["data", *argv], *fragments, main=eval_cli.main, prog="raif-eval")

    data("pull", "nosuch", fragments=("unknown benchmark 'nosuch'", "ifeval"))
    monkeypatch.setenv("RAIF_DATA_DIR", str(tmp_path / "absent"))
    data("where", fragments=("RAIF_DATA_DIR=", "absent", "is not a directory"))
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("RAIF_DATA_DIR", str(tmp_path / "a-file"))
    data("verify", "ifeval", fragments=("RAIF_DATA_DIR=", "a-file", "is not a directory"))
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("RAIF_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("RAIF_CACHE_DIR", str(tmp_path / "a-file"))
    data("pull", "infobench", fragments=("cannot write to the download cache", "a-file"))
    with pytest.raises(SystemExit) as raised:
        eval_cli.main(["data", "frob"])
    assert raised.value.code == 2 and "invalid choice: 'frob'" in capsys.readouterr().err


def test_synth_seeds_from_a_saved_dataset_without_the_field(capsys, files):
    import datasets

    datasets.Dataset.from_list([{"instruction": "Write a poem about the sea."}]).save_to_disk(str(files / "ds"))
    capsys.readouterr()
    stops(capsys, ["synth", "--seeds", str(files / "ds"), "--field", "nope", "--tokenizer", "none", "--out",
                   str(files / "out.jsonl")], "--seeds", "ds row 0", "fields tried: nope", "--field")
