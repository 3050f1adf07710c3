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


def writable_folder(folder: Path, flag: str) -> Path:
    """``folder``, created if need be, once a file could be written there; else a one-line error naming ``flag``
    (checked before the work whose output would otherwise be lost)."""
    from raif_eval.errors import RaifError

    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".raif-write-check-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise RaifError(f"cannot write to {flag} {folder} ({exc.strerror or exc}); choose a folder you can write "
                        "to") from None
    return folder
