"""The word banks, judge-checked constraints, chain steps and selection conditions of ``raif-train synth``
(``templates/synth_bank.yaml``; pass your own with ``--bank``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATES = Path(__file__).resolve().parent / "templates"
_override: list[Path] = []


def use(path: str | Path | None) -> None:
    """Read the bank from ``path`` instead of the shipped one (None: back to the shipped one)."""
    _override[:] = [Path(path)] if path else []
    load.cache_clear()


@cache
def load() -> dict[str, Any]:
    path = _override[0] if _override else TEMPLATES / "synth_bank.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))
