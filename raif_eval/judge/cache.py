"""Persistent judge cache: every verdict is stored the moment it arrives, so no judge call is ever paid twice.

SQLite in WAL mode, safe for concurrent writers in several processes. The key is the sha256 of the judge model,
the exact messages, the request parameters and the attempt number (a deliberate re-ask of the same prompt, as
some official protocols do after an unparseable reply, is a different request). The API key is never stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    reply TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL
)
"""


def request_key(model: str, messages: list[dict], params: dict[str, Any], attempt: int = 0) -> str:
    body = json.dumps({"model": model, "messages": messages, "params": params, "attempt": attempt},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()  # any str, same keys as before


class JudgeCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed row survives a process kill
        self._db.execute(SCHEMA)

    def get(self, key: str) -> tuple[str, int, int] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT reply, prompt_tokens, completion_tokens FROM replies WHERE key = ?", (key,)
            ).fetchone()
        return row

    def put(self, key: str, model: str, request: dict[str, Any], reply: str, prompt_tokens: int,
            completion_tokens: int) -> None:
        stored = json.dumps(request, ensure_ascii=False)
        if not stored.isascii():  # lone surrogates (a broken response) cannot be stored as UTF-8 text
            stored = stored.encode("utf-8", "replace").decode("utf-8")
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, model, stored, reply, prompt_tokens, completion_tokens, time.time()),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            try:  # fold the write-ahead log into the database so the next run reads one file
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.OperationalError:
                pass
            self._db.close()
