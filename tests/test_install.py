"""A non-editable wheel install works where users run it: from a folder outside the checkout, the installed package
(not the checkout) evaluates a replay with a judged task, reports it with bootstrap intervals, and re-judges it."""

import json
import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from fake_judge import MODEL, FakeJudge
from helpers import ROOT, SHARED, write_replay

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv folder, its site-packages) with only the built wheel installed; its dependencies are borrowed from
    this environment (a .pth appended after its own site-packages), so the installed raif_eval is the one that
    runs."""
    tmp = tmp_path_factory.mktemp("wheel")
    wheels = tmp / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(wheels.glob("raif_eval-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("raif_eval/tasks/raif_complex.yaml", "raif_eval/tasks/_raif_template_yaml",
                   "raif_eval/tasks/ifeval/raif_ifeval.yaml", "raif_eval/data/sources.toml",
                   "raif_eval/reports/table1.py", "raif_eval/reports/templates/report.html.jinja",
                   "raif_eval/judges/__init__.py", "raif_eval/judges/presets.yaml",
                   "raif_eval/judges/infobench/first_turn.jinja", "raif_eval/judges/infobench/profiles.yaml",
                   "raif_eval/judges/followbench/zh.jinja", "raif_eval/judge/client.py", "raif_eval/harness/task.py",
                   "raif_eval/verifiers/complexbench_rules.py", "raif_eval/benchmarks/cello.py",
                   "raif_eval/tasks/infobench/raif_infobench.yaml", "raif_train/rewards.py",
                   "raif_eval/modes/cot.jinja", "raif_eval/modes/raif.jinja", "raif_eval/judges/raif_train/question.jinja",
                   "raif_train/configs/cpu-embedded.yaml", "raif_train/configs/accelerate/zero3.yaml"):
        assert needed in names, needed

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "zz_borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                              "--no-deps", "-q", str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    return venv, site


def raif_eval(venv, cwd, *args, env=None):
    # PYTHONPATH: the net guard only, never the checkout
    base = {**os.environ, "PYTHONPATH": os.environ["PYTHONPATH"].split(os.pathsep)[0], **(env or {})}
    return subprocess.run([str(venv / "bin" / "raif-eval"), *args], capture_output=True, text=True, env=base,
                          cwd=cwd, timeout=900)


def test_wheel_install_lists_the_tasks(installed, tmp_path):
    venv, site = installed
    where = raif_eval(venv, tmp_path, "tasks-dir")
    assert where.returncode == 0, where.stderr[-2000:]
    assert where.stdout.strip().startswith(str(site)), where.stdout
    listing = raif_eval(venv, tmp_path, "ls", "tasks")
    assert listing.returncode == 0, listing.stderr[-2000:]
    for name in ("raif_complex", "raif_ifeval", "raif_infobench"):
        assert f"|{name} " in listing.stdout
    assert str(site) in listing.stdout


def test_wheel_install_runs_reports_and_rejudges_outside_the_checkout(installed, tmp_path, ifeval_records,
                                                                      ifeval_gpt4_responses):
    venv, site = installed
    lines = (SHARED / "infobench" / "InfoBench.json").read_text(encoding="utf-8").splitlines()
    infobench_ids = [json.loads(line)["id"] for line in lines[:3]]
    replay = tmp_path / "replay.jsonl"
    write_replay(replay, "raif_ifeval", [r["key"] for r in ifeval_records[:3]], ifeval_gpt4_responses[:3])
    with replay.open("a", encoding="utf-8") as fh:
        for native_id in infobench_ids:
            fh.write(json.dumps({"task": "raif_infobench", "id": native_id, "response": "A short answer."}) + "\n")
    server = FakeJudge().start()
    judge = {"RAIF_JUDGE_URL": server.url, "RAIF_JUDGE_MODEL": MODEL, "RAIF_JUDGE_CACHE": str(tmp_path / "j.sqlite")}
    try:
        run = raif_eval(venv, tmp_path, "run", "--model", "replay", "--model_args", f"responses={replay},model=m",
                        "--tasks", "raif_ifeval,raif_infobench", "--limit", "3", "--output_path", "out",
                        "--log_samples", env=judge)
        assert run.returncode == 0, run.stderr[-3000:]
        results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text(encoding="utf-8"))
        assert {"raif_ifeval", "raif_infobench"} <= set(results["results"])
        assert results["configs"]["raif_ifeval"]["metadata"]["config_source"].startswith(str(site))

        report = raif_eval(venv, tmp_path, "report", "out", "--format", "md,csv,html", "--bootstrap", "50",
                           "--out", "report")
        assert report.returncode == 0, report.stderr[-3000:]
        for name in ("report.md", "table1.csv", "report.html"):
            assert (tmp_path / "report" / name).is_file(), name
        header = (tmp_path / "report" / "table1.csv").read_text(encoding="utf-8").splitlines()[0]
        assert "IFEval CI low" in header and "Info Bench CI high" in header

        rejudged = raif_eval(venv, tmp_path, "judge", "out", "--judge_url", server.url, "--judge_model", MODEL,
                             env={"RAIF_JUDGE_CACHE": str(tmp_path / "j2.sqlite")})
        assert rejudged.returncode == 0, rejudged.stderr[-3000:]
        assert len(list((tmp_path / "out").rglob("results_*.json"))) == 2
    finally:
        server.stop()


LM_EVAL_SCRIPT = "import sys\nfrom lm_eval.__main__ import cli_evaluate\nsys.exit(cli_evaluate())\n"  # pip's shim


def test_plain_lm_eval_finds_the_tasks_without_include_path_until_uninstalled(installed, tmp_path):
    """The wheel's .pth hook: `lm_eval --tasks raif_ifeval` as typed, from a folder outside the checkout; a
    missing data file is one line, exit 2; after `pip uninstall` lm-eval no longer knows the task. Last in this
    module: it uninstalls the wheel."""
    venv, site = installed
    assert (site / "raif_eval_lm_eval.pth").is_file()
    script = tmp_path / "lm_eval"
    script.write_text(LM_EVAL_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.environ["PYTHONPATH"].split(os.pathsep)[0]}

    def lm_eval(*args, **extra):
        return subprocess.run([str(venv / "bin" / "python"), str(script), *args], capture_output=True, text=True,
                              cwd=tmp_path, env={**env, **extra}, timeout=1800)

    run = lm_eval("--tasks", "raif_ifeval", "--model", "dummy", "--limit", "2", "--output_path", "out")
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text(encoding="utf-8"))
    assert results["configs"]["raif_ifeval"]["metadata"]["config_source"].startswith(str(site))
    assert results["n-samples"]["raif_ifeval"]["effective"] == 2

    missing = lm_eval("--tasks", "raif_ifeval", "--model", "dummy", "--limit", "2",
                      RAIF_DATA_DIR=str(tmp_path / "nowhere"), RAIF_OFFLINE="1")
    assert missing.returncode == 2, missing.stderr[-3000:]
    assert "Traceback" not in missing.stderr
    error = [line for line in missing.stderr.splitlines() if line.startswith("lm_eval: error:")]
    assert len(error) == 1 and "RAIF_DATA_DIR" in error[0], missing.stderr[-2000:]

    uninstall = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "uninstall",
                                "-y", "-q", "raif-eval"], capture_output=True, text=True)
    assert uninstall.returncode == 0, uninstall.stderr[-2000:]
    assert not (site / "raif_eval_lm_eval.pth").exists()
    gone = lm_eval("--tasks", "raif_ifeval", "--model", "dummy", "--limit", "2")
    assert gone.returncode != 0 and "raif_ifeval" in gone.stderr and "Tasks not found" in gone.stderr
