"""Where `make demo`'s minutes go, phase by phase, against the issue's target (<= 5 minutes after set-up).

Runs the demo's own command line (the Makefile's DEMO_ARGS and task list) split into its phases, each a separate
process timed from outside: install (`make setup` in a fresh clone; only with --fresh), model preparation
(`raif-eval assets`, in an empty cache unless --warm), generation (`raif-eval run … --predict_only`), judging
(`raif-eval judge`, the same embedded judge `make demo` uses, in an empty judge cache) and the report. The sum of
generation + judging + report is the demo's time after set-up (the one-process `make demo` shares the model load,
so it is a little faster). Measure on an otherwise idle machine.

    RAIF_DATA_DIR=../shared/benchmarks python bench/demo_time.py [--fresh] [--warm]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 300.0


def makefile_value(name: str) -> str:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return re.search(rf"^{name}\s*[:?]?=\s*(.+)$", text, re.M).group(1).strip()


def timed(label: str, command: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"demo_time: {label} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    print(f"  {label:<34} {elapsed:7.1f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="also time `make setup` in a fresh clone")
    parser.add_argument("--warm", action="store_true", help="keep the model cache (skip the GGUF conversion)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="raif-demo-time-"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "RAIF_JUDGE_CACHE": str(work / "judge.sqlite")}
    if not args.warm:
        env["RAIF_CACHE_DIR"] = str(work / "cache")
    tasks = makefile_value("WITHOUT_COMPLEXBENCH")  # ComplexBench's file is a download the demo may not have
    demo_args = shlex.split(makefile_value("DEMO_ARGS"))
    print(f"make demo, phase by phase: --tasks {tasks} {' '.join(demo_args)}")
    phases = {}
    checkout = ROOT
    if args.fresh:
        checkout = work / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(checkout)], check=True)
        phases["install"] = timed("install (make setup, fresh clone)", ["make", "-s", "setup"], env, checkout)
    bin_dir = checkout / ".venv" / "bin"
    raif_eval = str(bin_dir / "raif-eval")
    phases["model"] = timed("model preparation (assets)", [raif_eval, "assets"], env, checkout)
    out = work / "demo"
    phases["generation"] = timed("generation (run --predict_only)", [
        raif_eval, "run", "--tasks", tasks, *demo_args, "--output_path", str(out), "--log_samples",
        "--predict_only"], env, checkout)
    phases["judging"] = timed("judging (embedded judge)", [raif_eval, "judge", str(out)], env, checkout)
    phases["report"] = timed("report", [raif_eval, "report", str(out), "--out", str(work / "report")], env,
                             checkout)
    after_setup = phases["generation"] + phases["judging"] + phases["report"]
    print(f"  after set-up: {after_setup:.1f} s = {after_setup / TARGET_S:.2f} x the {TARGET_S:.0f} s target"
          f"{'' if args.warm else ' (+ model preparation in a new cache: ' + format(phases['model'], '.1f') + ' s)'}")
    if args.fresh:
        print(f"  from a fresh clone: {sum(phases.values()):.1f} s (target 480 s with a warm pip cache)")


if __name__ == "__main__":
    main()
