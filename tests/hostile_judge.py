"""A hostile OpenAI-compatible judge on 127.0.0.1: the reply's failure mode is named by the last user turn.

``MODE:<name> …`` picks one of :data:`MODES`; any other turn gets a well-formed "YES". Used to check that the judge
client stays bounded (time, memory) and never caches what is not a reply.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import Counter
from typing import Any

from raif_eval.judge.server import ChatHandler, ChatServer, Completion, chat_completion

MODEL = "hostile-judge"
MODES = ("nonjson", "content_null", "content_list", "content_false", "gzip_bomb", "slow_drip", "infinity_usage",
         "deep_json", "surrogate", "retry_after_day")


class HostileJudge(ChatServer):
    def __init__(self) -> None:
        super().__init__(lambda body: Completion("YES", 3, 1), [MODEL])
        self.RequestHandlerClass = HostileHandler
        self.deliveries: Counter[str] = Counter()
        self.lock = threading.Lock()


class HostileHandler(ChatHandler):
    server: HostileJudge

    def raw(self, payload: bytes, headers: dict[str, str] | None = None, status: int = 200) -> None:
        self.send_body(status, payload, headers)

    def reply(self, body: dict[str, Any], completion: Completion) -> None:
        last = body["messages"][-1]["content"]
        mode = last.split()[0].removeprefix("MODE:") if last.startswith("MODE:") else None
        with self.server.lock:
            delivery = self.server.deliveries[last]
            self.server.deliveries[last] += 1
        ok = chat_completion(body["model"], completion)
        if mode == "nonjson":
            self.raw(b"<html>502 Bad Gateway</html>")
        elif mode in ("content_null", "content_list", "content_false"):
            ok["choices"][0]["message"]["content"] = {"content_null": None, "content_list": [],
                                                      "content_false": False}[mode]
            self.raw(json.dumps(ok).encode())
        elif mode == "gzip_bomb":  # 64 KiB on the wire, 64 MiB inflated
            self.raw(gzip.compress(b"[" + b" " * (64 * 2**20) + b"]", 9), {"Content-Encoding": "gzip"})
        elif mode == "slow_drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.4)
            except OSError:
                pass  # the client gave up, as it should
            self.close_connection = True
        elif mode == "infinity_usage":  # Python's json writes the non-standard Infinity some servers send
            ok["usage"] = {"prompt_tokens": float("inf"), "completion_tokens": 1e999}
            self.raw(json.dumps(ok).encode())
        elif mode == "deep_json":
            self.raw(b"[" * 100_000 + b"]" * 100_000)
        elif mode == "surrogate":
            ok["choices"][0]["message"]["content"] = "YES \ud800 it does"
            self.raw(json.dumps(ok).encode())  # ASCII JSON with a \ud800 escape
        elif mode == "retry_after_day" and delivery == 0:
            self.raw(json.dumps({"error": {"message": "slow down"}}).encode(), {"Retry-After": "86400"}, 429)
        else:
            super().reply(body, completion)
