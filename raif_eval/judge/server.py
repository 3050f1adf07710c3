"""A minimal OpenAI-compatible chat-completions server on loopback.

It serves the embedded judge in-process (a thread), so the embedded model is reached through exactly the same
client path — HTTP, retries, cache — as any remote judge. Tests build scripted and fault-injecting judges on it.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning: str | None = None  # sent as reasoning_content, as vLLM's reasoning parsers do
    logprobs: dict[str, Any] | None = None  # sent as the choice's logprobs (scripted judges in tests)


Responder = Callable[[dict[str, Any]], Completion]


class ChatServer(ThreadingHTTPServer):
    """``POST /v1/chat/completions`` answered by ``responder(body)``; ``GET /v1/models`` lists ``models``."""

    daemon_threads = True
    request_queue_size = 128  # listen backlog: the default 5 drops connection bursts from a concurrent client

    def __init__(self, responder: Responder, models: list[str], host: str = "127.0.0.1", port: int = 0):
        self.responder = responder
        self.models = list(models)
        super().__init__((host, port), ChatHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> ChatServer:
        threading.Thread(target=self.serve_forever, name="raif-chat-server", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address) -> None:
        # a client that gave up (timed out, re-asked) closed the socket: nothing to report
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class ChatHandler(BaseHTTPRequestHandler):
    server: ChatServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes; Nagle + delayed ACK would add ~40 ms

    def log_message(self, *args) -> None:  # quiet
        pass

    def send_json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, json.dumps(payload).encode("utf-8"), headers)

    def send_body(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """``body`` as it is (scripted servers send malformed ones), labelled JSON."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "owned_by": "raif-eval"} for m in self.server.models]
            self.send_json(200, {"object": "list", "data": data})
        else:
            self.send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        body = self.read_body()
        if body.get("model") not in self.server.models:
            message = f"The model `{body.get('model')}` does not exist."
            self.send_json(404, {"error": {"message": message, "type": "NotFoundError", "code": 404}})
            return
        self.reply(body, self.server.responder(body))

    def reply(self, body: dict[str, Any], completion: Completion) -> None:
        self.send_json(200, chat_completion(body["model"], completion))


def chat_completion(model: str, completion: Completion) -> dict[str, Any]:
    message = {"role": "assistant", "content": completion.text}
    if completion.reasoning is not None:
        message["reasoning_content"] = completion.reasoning
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop",
                     **({"logprobs": completion.logprobs} if completion.logprobs is not None else {})}],
        "usage": {"prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens,
                  "total_tokens": completion.prompt_tokens + completion.completion_tokens},
    }
