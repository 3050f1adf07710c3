"""The lm-eval task class every raif-eval task uses (``class: !function raif_eval.lm_eval_ext.RaifTask``).

It does what a task YAML cannot express, once for all tasks; everything else in the YAML (dataset, filters,
``process_results``, metrics) applies unchanged.

* **Dialogues.** A document with ``messages`` (``[{"role", "content"}, …]`` ending with the user turn to answer)
  is sent as real chat turns; any other document is the single user turn ``doc_to_text``.
* **Inference mode.** ``--mode io|cot|sdc|raif`` (task metadata ``raif_mode``, template ``raif_mode_template``)
  changes the system message and the last user turn through :mod:`raif_eval.modes`.
* **Two-model reasoning.** With ``raif_cot_model_url`` set, a reasoning model thinks about every document first
  and the last user turn is rewritten around its reasoning (:mod:`raif_eval.models.reasoner`).
* **Answer statistics.** Every task reports ``no_answer``: the fraction of outputs with nothing left to score
  once the reasoning is stripped (:mod:`raif_eval.core.answers`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lm_eval.api.metrics import mean
from lm_eval.api.task import ConfigurableTask

from raif_eval import modes
from raif_eval.core.answers import has_answer
from raif_eval.errors import RaifError

NO_ANSWER = "no_answer"


class RaifTask(ConfigurableTask):
    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        config = dict(config or {})
        config.pop("class", None)  # lm-eval's TaskConfig has no such field
        super().__init__(config=config, **kwargs)
        metadata = self.config.metadata or {}
        self.mode = modes.load(metadata.get("raif_mode") or "io", metadata.get("raif_mode_template"))
        self._reasoning: dict[str, str] = {}  # dialogue (JSON) -> the reasoning model's reasoning
        self._metric_fn_list[NO_ANSWER] = None
        self._aggregation_list[NO_ANSWER] = mean
        self._higher_is_better[NO_ANSWER] = False
        from raif_eval.judge.filter import uses_judge

        self._judged = uses_judge(self.config.filter_list)

    # ------------------------------------------------------------------------------------------------ prompts

    def dialogue(self, doc: dict, system_instruction: str | None = None) -> tuple[str, list[dict[str, str]]]:
        """The system message and the turns the model answers, after the inference mode."""
        if "messages" in doc:
            messages = [{"role": m["role"], "content": m["content"]} for m in doc["messages"]]
        else:
            messages = [{"role": "user", "content": self.doc_to_text(doc)}]
        description = self.resolve_field(doc, self.config.description) or ""
        system = "\n\n".join(part for part in (system_instruction, description) if part)
        return self.mode.apply(messages, system, task=self.config.task)

    def fewshot_context(self, doc: dict, num_fewshot: int, system_instruction: str | None = None,
                        apply_chat_template: bool = False, fewshot_as_multiturn: bool = False,
                        chat_template: Callable[..., str] | None = None, gen_prefix: str | None = None,
                        **kwargs: Any) -> str:
        if num_fewshot:
            raise RaifError(f"{self.config.task} is zero-shot: drop --num_fewshot")
        system, messages = self.dialogue(doc, system_instruction)
        key = _key(system, messages)
        if key in self._reasoning:
            from raif_eval.models.reasoner import rewrite

            messages = rewrite(messages, self._reasoning[key])
        if apply_chat_template and chat_template is not None:
            return chat_template(_turns(system, messages), add_generation_prompt=True)
        if "messages" in doc:
            raise RaifError(f"{self.config.task} sends dialogue histories as chat turns: run it with "
                            f"--apply_chat_template (raif-eval adds it for the embedded and replay models)")
        return f"{system}\n\n{messages[0]['content']}" if system else messages[0]["content"]

    def build_all_requests(self, *, limit=None, samples=None, rank=0, world_size=1, system_instruction=None,
                           **kwargs) -> None:
        from raif_eval.judge.preflight import preflight
        from raif_eval.models import reasoner

        config = reasoner.config_from(self.config.metadata)
        if config is not None:  # the reasoning model thinks about every document before any is built
            config = preflight(config)  # checked once per process; fills in the model an endpoint serves alone
            docs = [doc for _, doc in self.doc_iterator(rank=rank, limit=limit, samples=samples,
                                                        world_size=world_size)]
            dialogues = [self.dialogue(doc, system_instruction) for doc in docs]
            thoughts = reasoner.think_all([_turns(s, m) for s, m in dialogues], config, reasoner.params_from(self.config.metadata),
                                          desc=f"{config.model} thinking ({self.config.task})")
            self._reasoning = {_key(s, m): t.reasoning for (s, m), t in zip(dialogues, thoughts)}
        super().build_all_requests(limit=limit, samples=samples, rank=rank, world_size=world_size,
                                   system_instruction=system_instruction, **kwargs)

    # ---------------------------------------------------------------------------------------------- scoring

    def process_results(self, doc: dict, results: list) -> dict[str, Any]:
        scores = super().process_results(doc, results)
        answer = results[0] if results else ""
        if self._judged and isinstance(answer, str):
            try:
                answer = json.loads(answer).get("answer", answer)
            except (json.JSONDecodeError, AttributeError):
                pass
        return {**scores, NO_ANSWER: float(not has_answer(answer if isinstance(answer, str) else ""))}


def _turns(system: str, messages: list[dict[str, str]]) -> list[dict[str, str]]:
    return ([{"role": "system", "content": system}] if system else []) + messages


def _key(system: str, messages: list[dict[str, str]]) -> str:
    return json.dumps([system, messages], ensure_ascii=False)
