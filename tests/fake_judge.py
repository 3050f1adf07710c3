"""A scripted OpenAI-compatible judge on 127.0.0.1 with fault injection, for deterministic judge tests.

Replies are a pure function of the request (so a run with faults must score exactly like a run without). Faults
are drawn per (request, delivery number) from a seeded generator, and at most ``max_consecutive_faults`` in a row
hit the same request, so bounded retries always get through. Every request is logged with the identity of its
body. ``python tests/fake_judge.py --port-file F`` runs one as a separate process (for kill tests).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raif_eval.judge.server import ChatHandler, ChatServer, Completion  # noqa: E402

MODEL = "fake-judge"


def identity(body: dict[str, Any]) -> str:
    """What makes two requests the same: everything in the body (model, messages, parameters)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


LIST_ASK = re.compile(r"only output a Python LIST with (\d+) elements?")


def scripted_reply(body: dict[str, Any]) -> str:
    """A deterministic verdict for the last user turn: mostly YES/NO, sometimes unreadable. A FollowBench prompt
    (asking for a Python list of N verdicts) gets such a list on its last line, or now and then none."""
    last = body["messages"][-1]["content"]
    bucket = int(hashlib.sha256(last.encode()).hexdigest(), 16) % 10
    asked = LIST_ASK.search(last)
    if asked:
        n = int(asked.group(1))
        if bucket == 9:
            return "The constraints are hard to judge."
        verdicts = ["YES" if int(hashlib.sha256(f"{last}{i}".encode()).hexdigest(), 16) % 3 else "NO" for i in range(n)]
        return f"1) The added constraints are ...\n2) ...\n{verdicts}"
    if bucket < 6:
        return "YES. The text satisfies it."
    if bucket < 9:
        return "NO, it does not."
    return "It is hard to say."


@dataclass
class Faults:
    error_500: float = 0.0
    rate_limit: float = 0.0
    hang: float = 0.0
    malformed: float = 0.0
    drop: float = 0.0
    hang_s: float = 3.0
    retry_after: str = "0.05"
    max_consecutive_faults: int = 3
    seed: int = 0

    def draw(self, key: str, delivery: int, consecutive: int) -> str | None:
        if consecutive >= self.max_consecutive_faults:
            return None
        x = random.Random(f"{self.seed}:{key}:{delivery}").random()
        for name in ("error_500", "rate_limit", "hang", "malformed", "drop"):
            p = getattr(self, name)
            if x < p:
                return name
            x -= p
        return None


@dataclass
class Log:
    entries: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.entries.append(entry)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry) + "\n")


class FakeJudge(ChatServer):
    def __init__(self, faults: Faults | None = None, latency: float = 0.0, log_path: Path | None = None,
                 reply=scripted_reply, model: str = MODEL):
        self.faults = faults or Faults()
        self.latency = latency
        self.log = Log(path=log_path)
        self.deliveries: Counter[str] = Counter()
        self.consecutive: Counter[str] = Counter()
        self.counter_lock = threading.Lock()
        self.auth_headers: set[str] = set()
        def respond(body):  # a reply function may return a Completion (e.g. with reasoning) or just the text
            out = reply(body)
            return out if isinstance(out, Completion) else Completion(out, prompt_tokens=10, completion_tokens=3)

        super().__init__(respond, [model])
        self.RequestHandlerClass = FaultyHandler

    def successes(self) -> list[str]:
        return [e["id"] for e in self.log.entries if e["fault"] is None]


class FaultyHandler(ChatHandler):
    server: FakeJudge

    def reply(self, body: dict[str, Any], completion: Completion) -> None:
        server = self.server
        server.auth_headers.add(self.headers.get("Authorization", ""))
        key = identity(body)
        with server.counter_lock:
            delivery = server.deliveries[key]
            server.deliveries[key] += 1
            fault = server.faults.draw(key, delivery, server.consecutive[key])
            server.consecutive[key] = server.consecutive[key] + 1 if fault else 0
        server.log.add({"id": key, "fault": fault, "t": time.time(), "body": body})
        last = body["messages"][-1]["content"]
        if last.startswith("HTTP400:"):  # scripted client error: the rest of the turn is the error message
            self.send_json(400, {"error": {"message": last.removeprefix("HTTP400:"), "type": "BadRequestError"}})
            return
        if server.latency:
            time.sleep(server.latency)
        if fault == "error_500":
            self.send_json(500, {"error": {"message": "injected", "type": "server_error"}})
        elif fault == "rate_limit":
            self.send_json(429, {"error": {"message": "slow down", "type": "rate_limit"}},
                           {"Retry-After": server.faults.retry_after})
        elif fault == "hang":
            time.sleep(server.faults.hang_s)
            self.close_connection = True
        elif fault == "malformed":
            data = b'{"id": "chatcmpl-x", "choices": [{"message": {"content": "YE'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif fault == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        else:
            super().reply(body, completion)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    server = FakeJudge(latency=args.latency, log_path=Path(args.log))
    Path(args.port_file).write_text(server.url)
    server.serve_forever()


if __name__ == "__main__":
    main()
