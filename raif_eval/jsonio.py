"""Reading the JSON files a run wrote (results, samples) as untrusted input: any fault is one line that names the
file (and line) and what it should be, a :class:`~raif_eval.errors.RaifError`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from raif_eval.errors import RaifError


_KINDS = {dict: "an object", list: "a list", str: "a string"}


def _wanted(kinds: tuple[type, ...]) -> str:
    return " or ".join(_KINDS.get(kind, kind.__name__) for kind in kinds)


def read_json(path: Path, what: str, kind: type = dict) -> Any:
    """The JSON object in ``path`` (``what`` names it in the error: "an lm-eval results file"); with ``kind=list``,
    the JSON list."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RaifError(f"{path} is not {what} ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(value, kind):
        raise RaifError(f"{path} is not {what} (a JSON {type(value).__name__}, not {_wanted((kind,))})")
    return value


def read_jsonl(path: Path, what: str, kinds: tuple[type, ...] = (dict,), numbered: bool = False) -> list[Any]:
    """The JSON objects of the lines of ``path``, one per non-empty line (``kinds``: the JSON types a line may
    hold; objects by default); ``numbered``: ``(line number, object)`` pairs, for messages about a row."""
    rows = []
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError) as exc:
                    raise RaifError(f"{path}:{lineno} is not {what} (not JSON: {str(exc)[:200]})") from None
                if not isinstance(row, kinds):
                    raise RaifError(f"{path}:{lineno} is not {what} (a JSON {type(row).__name__}, not "
                                    f"{_wanted(kinds)})")
                rows.append((lineno, row) if numbered else row)
    except (OSError, UnicodeDecodeError) as exc:
        raise RaifError(f"{path} is not {what} ({type(exc).__name__}: {str(exc)[:200]})") from None
    return rows
