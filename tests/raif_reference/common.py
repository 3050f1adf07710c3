"""Shared helpers of the RAIF reference tools: run RAIF's own, unmodified scripts against the paper judge.

Each tool in this folder extracts RAIF's ``COMPLEX_INSTRUCTIONS/`` tree (yuleiqin/RAIF @ 3986069) from the bare
mirror into a temporary directory, writes a shim directory whose ``sitecustomize.py`` (first on the subprocess's
``PYTHONPATH``) patches what RAIF's scripts cannot have here (hard-coded local tokenizer paths, tiktoken
downloads, modules missing from the tree), serves ``tests/paper_judge.py``'s judge on loopback, runs the scripts
with ``subprocess`` and turns what they wrote and what the judge saw into a golden under
``tests/fixtures/raif_paper/``. The RAIF files are never edited.

The goldens hold no benchmark text (``write_fixture`` sanitises them): each tool's ``responses(data_dir)``
recomputes the responses from the benchmark data, judge request bodies keep only sha256s and lengths of their
messages.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
SHARED = (ROOT / ".." / "shared" / "benchmarks").resolve()
FIXTURES = TESTS / "fixtures" / "raif_paper"
MIRROR = Path(os.environ.get("RAIF_MIRROR", "/work/.mirror/yuleiqin+RAIF/repo"))
RAIF_COMMIT = "3986069"
JUDGE_MODEL = "Qwen2.5-72B-INT8"  # RAIF's default judge id (InfoBench/eval.sh)

for _p in (str(TESTS), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)


def require_modules(names: list[str]) -> None:
    """Exit with one clear line when a third-party module RAIF's scripts import is not installed."""
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        print(f"missing Python modules for RAIF's scripts: {', '.join(missing)} "
              f"(install into {sys.prefix} with pip)", file=sys.stderr)
        raise SystemExit(2)


def extract_raif(dest: Path, subdir: str = "COMPLEX_INSTRUCTIONS", commit: str = RAIF_COMMIT) -> Path:
    """Write RAIF's ``subdir`` at ``commit`` under ``dest`` and return ``dest / subdir``.

    The mirror lacks a few large data blobs (``git archive`` fails on them), so files are written one by one and
    missing blobs and symlinks (e.g. ``CFBench/code/_run_multi_urls.py``, pointing outside the tree) are skipped."""
    if not MIRROR.exists():
        print(f"RAIF mirror not found at {MIRROR} (set RAIF_MIRROR)", file=sys.stderr)
        raise SystemExit(2)
    git = ["git", f"--git-dir={MIRROR}"]
    listing = subprocess.run(git + ["ls-tree", "-r", "-z", commit, subdir], check=True, capture_output=True).stdout
    entries = []
    for raw in listing.split(b"\0"):
        if not raw:
            continue
        meta, path = raw.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode != b"120000":
            entries.append((sha.decode(), path.decode()))
    batch = subprocess.run(git + ["cat-file", "--batch"], input="".join(f"{s}\n" for s, _ in entries).encode(),
                           check=True, capture_output=True).stdout
    pos = 0
    for _, path in entries:
        end = batch.index(b"\n", pos)
        header = batch[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[pos:pos + size])
        pos += size + 1
    return dest / subdir


SITECUSTOMIZE = '''\
"""Shims for running RAIF's scripts unmodified (written by tests/raif_reference/common.py)."""
import sys
sys.path.insert(1, {root!r})


def _patch_tokenizers():
    import transformers
    from raif_eval.core.tokens import ApproxTokenizer
    transformers.AutoTokenizer.from_pretrained = staticmethod(lambda *a, **k: ApproxTokenizer())


def _patch_tiktoken():
    import tiktoken

    class _Encoding:  # RAIF builds cl100k_base at import time; the download is unreachable here
        name = "cl100k_base"

        def encode(self, text, **kwargs):
            return list(text.encode("utf-8"))

    tiktoken.get_encoding = lambda name: _Encoding()


for _patch in ({patches}):
    _patch()
'''


def write_shims(dest: Path, stubs: dict[str, str] | None = None,
                patches: tuple[str, ...] = ("tokenizers", "tiktoken")) -> Path:
    """A directory for the front of ``PYTHONPATH``: ``sitecustomize.py`` applying ``patches`` (``tokenizers``:
    ``transformers.AutoTokenizer.from_pretrained`` returns ``raif_eval.core.tokens.ApproxTokenizer()``;
    ``tiktoken``: ``tiktoken.get_encoding`` returns an offline stand-in) and one module per ``stubs`` entry
    (module name -> source), for modules RAIF imports that are missing from its tree."""
    dest.mkdir(parents=True, exist_ok=True)
    calls = ", ".join(f"_patch_{p}" for p in patches) + ("," if len(patches) == 1 else "")
    (dest / "sitecustomize.py").write_text(SITECUSTOMIZE.format(root=str(ROOT), patches=calls), encoding="utf-8")
    for name, source in (stubs or {}).items():
        (dest / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return dest


def start_judge(reply=None, model: str = JUDGE_MODEL):
    """The paper judge (or ``reply``) served on 127.0.0.1 in a daemon thread; ``.url`` is the ``/v1`` base and
    ``.log.entries`` records every request body."""
    from fake_judge import FakeJudge
    from paper_judge import paper_reply

    return FakeJudge(reply=reply or paper_reply, model=model).start()


def run_script(args: list[str], cwd: Path, shims: Path, timeout: float = 3600) -> str:
    """Run ``python *args`` in ``cwd`` with ``shims`` first on ``PYTHONPATH``; return stdout, raise with the
    output's tail when it fails."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(shims)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stdout[-3000:] + "\n" + proc.stderr[-3000:]).strip()
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}:\n{tail}")
    return proc.stdout


def request_digest(body: dict[str, Any]) -> str:
    """What identifies a judge request in the goldens: messages, temperature, max_tokens and response_format."""
    key = {"messages": body["messages"], "temperature": body.get("temperature"),
           "max_tokens": body.get("max_tokens"), "response_format": body.get("response_format")}
    return hashlib.sha256(json.dumps(key, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def expand(response: Any) -> str:
    """A stored response: the text, or a recipe ``{"repeat": S, "times": N}`` (S repeated N times) with an
    optional ``"prefix"`` / ``"suffix"``."""
    if isinstance(response, str):
        return response
    return response.get("prefix", "") + response["repeat"] * response["times"] + response.get("suffix", "")


def text_digest(text: str) -> str:
    """sha256 (hex) of ``text`` as UTF-8: how the goldens name benchmark text without storing it."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def responses_digest(responses: dict[str, str]) -> str:
    """sha256 of a tool's ``responses()`` (sorted-key JSON): the goldens' check that the computed responses are
    the ones RAIF judged."""
    return text_digest(json.dumps(responses, sort_keys=True, ensure_ascii=False))


def _sanitised_body(body: dict[str, Any]) -> dict[str, Any]:
    """A judge request body with each message's ``content`` replaced by ``{"sha256", "chars"}``; roles and every
    other field (model, temperature, max_tokens, stream, ...) kept as sent."""
    out = dict(body)
    out["messages"] = [{**m, "content": m["content"] if isinstance(m["content"], dict)
                        else {"sha256": text_digest(m["content"]), "chars": len(m["content"])}}
                       for m in body["messages"]]
    return out


def sanitise(golden: dict[str, Any], tool: str) -> dict[str, Any]:
    """What a golden may hold: no benchmark text (the repository commits no benchmark data).

    - ``responses`` ({id: text or recipe}) becomes ``{"computed_by", "count", "sha256"}``: the tests recompute
      them with ``tests/raif_reference/<tool> responses()`` from the benchmark data;
    - ``request_examples`` keep each body's fields, each message's ``content`` replaced by its sha256 and length;
    - an item's ``checkpoints`` (FB-Bench checklist texts) become their sha256s."""
    out = dict(golden)
    if isinstance(out.get("responses"), dict) and "computed_by" not in out["responses"]:
        texts = {k: expand(v) for k, v in out["responses"].items()}
        out["responses"] = {"computed_by": f"tests/raif_reference/{tool} responses()", "count": len(texts),
                            "sha256": responses_digest(texts)}
    if "request_examples" in out:
        out["request_examples"] = {k: [_sanitised_body(b) for b in bodies]
                                   for k, bodies in out["request_examples"].items()}
    if isinstance(out.get("items"), dict):
        items = {}
        for k, item in out["items"].items():
            if isinstance(item, dict) and "checkpoints" in item:
                item = {**item, "checkpoints": [text_digest(c) for c in item["checkpoints"]]}
            items[k] = item
        out["items"] = items
    return out


def write_fixture(path: Path, golden: dict[str, Any], tool: str) -> int:
    """Write ``sanitise(golden, tool)`` as compact JSON (one line, keys as given); return the size in bytes.
    ``tool``: the writing tool's file name (``cfbench.py``, ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(sanitise(golden, tool), ensure_ascii=False, separators=(",", ":")) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def run_shell(script: str, args: list[str], cwd: Path, shims: Path, timeout: float = 3600) -> str:
    """Run RAIF's shell ``script`` (``sh script *args``) in ``cwd`` as ``run_script`` runs Python, with a
    ``python3``/``python`` on ``PATH`` that is this interpreter (RAIF's scripts call ``python3``)."""
    bin_dir = shims / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ("python3", "python"):  # a wrapper, not a symlink: a symlinked venv python loses the venv
        (bin_dir / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(shims)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    proc = subprocess.run(["sh", script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stdout[-3000:] + "\n" + proc.stderr[-3000:]).strip()
        raise RuntimeError(f"sh {script} exited {proc.returncode}:\n{tail}")
    return proc.stdout


def release(work: Path, keep: bool) -> None:
    """Remove a tool's working directory, or say where it was kept (``--keep``)."""
    if keep:
        print(f"working directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def check_every_item_asked(requests: dict[str, list[str]]) -> None:
    missing = [k for k, v in requests.items() if not v]
    assert not missing, f"no request for {missing[:5]}"
