"""Reading the JSON files a run wrote (results, samples) as untrusted input: any fault is one line that names the
file (and line) and what it should be, a :class:`~raif_eval.errors.RaifError`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from raif_eval.errors import RaifError


def read_json(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path`` (``what`` names it in the error: "an lm-eval results file")."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RaifError(f"{path} is not {what} ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(value, dict):
        raise RaifError(f"{path} is not {what} (a JSON {type(value).__name__}, not an object)")
    return value


def read_jsonl(path: Path, what: str) -> list[dict[str, Any]]:
    """The JSON objects of the lines of ``path``, one per non-empty line."""
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
                if not isinstance(row, dict):
                    raise RaifError(f"{path}:{lineno} is not {what} (a JSON {type(row).__name__}, not an object)")
                rows.append(row)
    except (OSError, UnicodeDecodeError) as exc:
        raise RaifError(f"{path} is not {what} ({type(exc).__name__}: {str(exc)[:200]})") from None
    return rows
