"""The embedded judge: SmolLM2-135M-Instruct behind an in-process OpenAI-compatible server.

A fresh machine with no judge endpoint still runs every judged task end to end. It is a toy — results made with it
carry :data:`raif_eval.judge.config.TOY_NOTE` — and requests are served one at a time (one model, CPU).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from raif_eval.judge.server import ChatServer, Completion

MODEL_NAME = "embedded-smollm2-135m-instruct"
DEFAULT_MAX_TOKENS = 128  # a toy judge's verdicts are short; RAIF_EMBEDDED_JUDGE_MAX_TOKENS overrides

_lock = threading.Lock()
_server: ChatServer | None = None


class EmbeddedResponder:
    def __init__(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from raif_eval.models.embedded import embedded_dtype, ensure_embedded_model

        path = ensure_embedded_model()
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, embedded_dtype())).eval()
        self.cap = int(os.environ.get("RAIF_EMBEDDED_JUDGE_MAX_TOKENS") or DEFAULT_MAX_TOKENS)
        self._generate = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Completion:
        messages = [{"role": m["role"], "content": m.get("content") or ""} for m in body["messages"]]
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                 return_dict=True)["input_ids"]
        max_new = min(int(body.get("max_tokens") or self.cap), self.cap)
        with self._generate, self.torch.inference_mode():
            out = self.model.generate(ids, max_new_tokens=max_new, do_sample=False,
                                      pad_token_id=self.tokenizer.pad_token_id)
        new = out[0, ids.shape[1]:]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        return Completion(text, prompt_tokens=int(ids.shape[1]), completion_tokens=int(new.shape[0]))


def embedded_base_url() -> str:
    """Start the embedded judge once per process (loading the model) and return its base URL."""
    global _server
    with _lock:
        if _server is None:
            _server = ChatServer(EmbeddedResponder(), models=[MODEL_NAME]).start()
        return _server.url
