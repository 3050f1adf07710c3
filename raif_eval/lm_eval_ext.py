"""lm-eval task classes for what a task YAML cannot express.

:class:`MultiTurnChatTask` sends a document's whole dialogue — earlier user and assistant turns, then the final
user turn — as real chat turns. lm-eval has no YAML field for a per-document history, so a task names this class
(``class: !function raif_eval.lm_eval_ext.MultiTurnChatTask``) and everything else in its YAML (dataset, filters,
``process_results``, metrics) applies unchanged. Documents carry ``messages``: ``[{"role", "content"}, …]``
ending with the user turn the model answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lm_eval.api.task import ConfigurableTask

from raif_eval.errors import RaifError


class MultiTurnChatTask(ConfigurableTask):
    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        config = dict(config or {})
        config.pop("class", None)  # lm-eval's TaskConfig has no such field
        super().__init__(config=config, **kwargs)

    def fewshot_context(self, doc: dict, num_fewshot: int, system_instruction: str | None = None,
                        apply_chat_template: bool = False, fewshot_as_multiturn: bool = False,
                        chat_template: Callable[..., str] | None = None, gen_prefix: str | None = None,
                        **kwargs: Any) -> str:
        if not apply_chat_template or chat_template is None:
            raise RaifError(f"{self.config.task} sends dialogue histories as chat turns: run it with "
                            f"--apply_chat_template (raif-eval adds it for the embedded and replay models)")
        if num_fewshot:
            raise RaifError(f"{self.config.task} is zero-shot: drop --num_fewshot")
        description = self.resolve_field(doc, self.config.description) or ""
        system = "\n\n".join(part for part in (system_instruction, description) if part)
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": m["role"], "content": m["content"]} for m in doc["messages"]]
        return chat_template(messages, add_generation_prompt=True)
