"""A non-editable `pip install .` ships the task YAMLs, the source registry and the console script."""

import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow


def test_wheel_install_lists_the_tasks(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(wheels.glob("raif_eval-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("raif_eval/tasks/raif_complex.yaml", "raif_eval/tasks/ifeval/raif_ifeval.yaml",
                   "raif_eval/tasks/ifeval/utils.py", "raif_eval/data/sources.toml", "raif_eval/reports/table1.py",
                   "raif_eval/judges/__init__.py", "raif_eval/judges/presets.yaml",
                   "raif_eval/judges/infobench/first_turn.jinja", "raif_eval/judges/infobench/profiles.yaml",
                   "raif_eval/judges/followbench/zh.jinja", "raif_eval/judge/client.py",
                   "raif_eval/tasks/infobench/raif_infobench.yaml", "raif_train/rewards.py",
                   "raif_eval/modes/cot.jinja", "raif_eval/modes/raif.jinja", "raif_eval/judges/raif_train/question.jinja",
                   "raif_train/configs/cpu-embedded.yaml", "raif_train/configs/accelerate/zero3.yaml"):
        assert needed in names, needed

    # A fresh venv that gets only our wheel; its dependencies are borrowed from this environment (a .pth
    # appended after its own site-packages), so the installed copy of raif_eval is the one that runs.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "zz_borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = venv / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                              str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]

    env = {**os.environ, "PYTHONPATH": os.environ["PYTHONPATH"].split(os.pathsep)[0]}  # the net guard only
    where = subprocess.run([str(venv / "bin" / "raif-eval"), "tasks-dir"], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
    assert where.returncode == 0, where.stderr[-2000:]
    assert where.stdout.strip().startswith(str(site)), where.stdout
    listing = subprocess.run([str(venv / "bin" / "raif-eval"), "ls", "tasks"], capture_output=True, text=True,
                             env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr[-2000:]
    for name in ("raif_complex", "raif_ifeval", "raif_infobench"):
        assert f"|{name} " in listing.stdout
    assert str(site) in listing.stdout
