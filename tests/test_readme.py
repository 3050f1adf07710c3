"""The README's command lines stay true: every `raif-eval …` / `raif-train …` command in its bash blocks names a
subcommand that exists, and each `--flag` it uses is one that the subcommand's `--help` lists."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import cache

import pytest

from helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
ENTRY = {"raif-eval": "raif_eval", "raif-train": "raif_train.cli"}


def commands() -> list[str]:
    found = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.split(" ", 1)[0] in ENTRY:
                found.append(line)
    return found


@cache
def help_text(program: str, sub: str) -> str:
    args = [sys.executable, "-m", ENTRY[program], *([sub] if sub else []), "--help"]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (args, proc.stderr[-2000:])
    return proc.stdout + proc.stderr


def test_the_readme_has_commands():
    assert len(commands()) >= 20


@pytest.mark.parametrize("line", commands())
def test_readme_command_flags_exist(line):
    try:
        words = shlex.split(line.replace("$(", "(").replace("…", "x"))
    except ValueError:
        words = line.split()
    program, rest = words[0], words[1:]
    sub = rest[0] if rest and not rest[0].startswith("-") else ""
    if program == "raif-eval" and sub == "data":
        sub = "data"
    text = help_text(program, sub)
    for flag in {w.split("=", 1)[0] for w in rest if w.startswith("--")}:
        if flag in ("--help",):
            continue
        assert flag in text, f"{line!r}: {flag} is not in `{program} {sub} --help`"
