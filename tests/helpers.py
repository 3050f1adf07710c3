"""Shared helpers of the test modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETGUARD = Path(__file__).resolve().parent / "netguard"
SHARED = (ROOT / ".." / "shared" / "benchmarks").resolve()

# Field values that would break a template engine that re-renders, a chained str.replace, or newline
# normalisation: judge prompts must carry them through unchanged.
ADVERSARIAL = [
    '',
    '{',
    '}',
    '{}',
    '{{',
    '}}',
    '{{ x }}',
    '{{ prompt }}',
    '{question}',
    '{SYS_MSG}',
    '{checklist_judgement}',
    '{% if %}',
    '{% if input %}x{% endif %}',
    '{% raw %}{{ y }}{% endraw %}',
    '{# comment',
    '#} {#- x -#}',
    '%}',
    '\nleading newline',
    'trailing newline\n',
    '\n\nboth\n\n',
    '\ttab\tinside\t',
    'crlf\r\nand lone cr\r',
    ' surrounding spaces ',
    '非ASCII：中文，“引号” ” \u2028 line sep \xa0 nbsp 😀 é',
    "'''",
    '"quoted" \\backslash\\ \\n literal',
    'None',
    '{{ answer }}',
    '{input}',
    '{level}',
    '{i}',
    '{0}',
    '{% if level == 1 %}x{% endif %}',
    '#} {#- x -#} %}',
    '中文：“引号”，【模型回复开始】 \u2028 \xa0 😀 é',
    '```json\n{\n  "名字": ["奥利奥"]\n}\n```',
]


def write_replay(path: Path, task: str, ids, responses) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for native_id, response in zip(ids, responses):
            fh.write(json.dumps({"task": task, "id": native_id, "response": response}) + "\n")
    return path


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """``raif-eval ARGS`` in a subprocess (same code path as the console script)."""
    return subprocess.run(
        [sys.executable, "-m", "raif_eval", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_error(proc: subprocess.CompletedProcess, *fragments: str, prog: str = "raif-eval") -> None:
    """``raif-eval`` (or ``prog``: ``raif-train``) stopped with exit 2 and one ``PROG: error:`` line holding every
    fragment, no traceback, before generating anything."""
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "Running generate_until" not in proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.startswith(f"{prog}: error: ")]
    assert len(lines) == 1, proc.stderr[-2000:]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


COMPLEXBENCH_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "complexbench"


def data_dir_with_complexbench_fixture(root: Path) -> dict[str, str]:
    """A RAIF_DATA_DIR laid out like the real one: the shared benchmarks, plus the hand-made ComplexBench records
    standing in for data_final.json (which is not shipped). Returns the environment that selects it."""
    root.mkdir(parents=True, exist_ok=True)
    for bench in SHARED.iterdir():
        if bench.is_dir() and bench.name != "complexbench":
            (root / bench.name).symlink_to(bench, target_is_directory=True)
    target = root / "complexbench" / "data"
    target.mkdir(parents=True)
    for name in ("data_final.json", "data_release.json"):  # the paper protocol reads data_release
        (target / name).symlink_to(COMPLEXBENCH_FIXTURE / "data" / "data_final.json")
    return {"RAIF_DATA_DIR": str(root), "RAIF_DATA_VERIFY": "0"}


def save_tiny_model(path: Path) -> str:
    """A 2-layer Qwen2 built from a config with the embedded model's tokenizer, saved to ``path`` (no download)."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from raif_eval.models.embedded import ensure_embedded_model, model_dir

    ensure_embedded_model()
    tokenizer = AutoTokenizer.from_pretrained(model_dir())
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048)
    Qwen2ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)
