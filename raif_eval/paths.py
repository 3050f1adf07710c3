"""Where raif-eval keeps what it downloads or derives (data, converted models, punkt tables)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``RAIF_CACHE_DIR``, else ``$XDG_CACHE_HOME/raif-eval``, else ``~/.cache/raif-eval``."""
    if os.environ.get("RAIF_CACHE_DIR"):
        return Path(os.environ["RAIF_CACHE_DIR"]).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "raif-eval"
