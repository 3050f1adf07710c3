"""The lm-eval task class every raif-eval task uses (``class: !function raif_eval.harness.task.RaifTask``).

A task YAML names its benchmark and protocol (``metadata: {benchmark: cfbench, protocol: official}``); the class
builds the rest of the lm-eval configuration from the benchmark's definition (:mod:`raif_eval.benchmarks`), once
for all tasks: the dataset, ``process_results``, the metric list, the judge step of the ``raif`` filter, the
generation budget, and the resolved options in the metadata (so ``results["configs"]`` shows every one). It also
does what a YAML cannot express:

* **Dialogues.** A document with ``messages`` (``[{"role", "content"}, …]`` ending with the user turn to answer)
  is sent as real chat turns; any other document is the single user turn ``doc_to_text``.
* **Inference mode.** ``--mode io|cot|sdc|raif`` (task metadata ``raif_mode``, template ``raif_mode_template``)
  changes the system message and the last user turn through :mod:`raif_eval.modes`.
* **Two-model reasoning.** With ``raif_cot_model_url`` set, a reasoning model thinks about every document first
  and the last user turn is rewritten around its reasoning (:mod:`raif_eval.judge.reasoner`).
* **Protocol.** A protocol variant such as RAIF's (``protocol: paper``) may add a system message, wrap the last
  user turn in a template, and set each request's generation budget from the prompt's length with the evaluated
  model's tokenizer (option ``paper_tokenizer``; unset, the benchmark's fixed ``max_gen_toks``).
* **Answer statistics.** Every task reports ``no_answer``: the fraction of outputs with nothing left to score
  once the reasoning is stripped (:mod:`raif_eval.core.answers`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import datasets
from lm_eval.api.task import ConfigurableTask
from lm_eval.filters import build_filter_ensemble

from raif_eval import benchmarks, modes
from raif_eval.core import Benchmark, Metric, mean, tokens
from raif_eval.core.benchmark import Settings
from raif_eval.core.scoring import TASK_METRICS, SampleScorer
from raif_eval.core.tables import FILTER
from raif_eval.errors import RaifError
from raif_eval.harness.filters import JudgeFilter, StripThinkFilter, judge_key
from raif_eval.judge import reasoner
from raif_eval.judge.runner import pool_scope

log = logging.getLogger(__name__)


class Documents:
    """A benchmark's documents under one task's settings, as lm-eval's ``custom_dataset`` (which lm-eval calls
    with the task's metadata again: the settings were resolved from it when the task was built)."""

    def __init__(self, benchmark: Benchmark, settings: Settings) -> None:
        self.benchmark, self.settings = benchmark, settings

    def __call__(self, data_dir: str | None = None, **_metadata: Any) -> datasets.DatasetDict:
        docs = self.benchmark.documents(self.settings, data_dir)
        return datasets.DatasetDict({"test": datasets.Dataset.from_list(list(docs))})

    def __repr__(self) -> str:
        return f"raif_eval.benchmarks.{self.benchmark.key}.BENCHMARK.documents"

    def __deepcopy__(self, memo: dict) -> Documents:  # lm-eval deep-copies configs when it writes them out
        return self


def _aggregation(metric: Metric) -> Any:
    # The plain mean by lm-eval's name, so lm-eval reports its standard error.
    return "mean" if metric.aggregate is mean else metric.aggregate


def task_config(config: dict[str, Any]) -> tuple[Benchmark, Settings, dict[str, Any]]:
    """The benchmark a task YAML names, the task's settings (its options resolved, once), and the lm-eval config
    its definition completes: the documents, the scorer and the judge step each receive those settings."""
    metadata = dict(config.get("metadata") or {})
    if "benchmark" not in metadata:
        raise RaifError(f"task {config.get('task')} uses raif-eval's task class but names no benchmark in its "
                        f"metadata (metadata: {{benchmark: …}})")
    benchmark = benchmarks.get(metadata["benchmark"])
    settings = benchmark.settings(metadata)
    config = dict(config)
    config["metadata"] = {**metadata, **settings}
    config["custom_dataset"] = Documents(benchmark, settings)
    config["process_results"] = SampleScorer(benchmark, settings)
    config["metric_list"] = [{"metric": m.name, "aggregation": _aggregation(m), "higher_is_better": m.higher_is_better}
                             for m in (*benchmark.all_metrics(settings), *TASK_METRICS)]
    config["generation_kwargs"] = {"max_gen_toks": benchmark.max_gen_toks, **(config.get("generation_kwargs") or {})}
    pipelines = []
    for pipeline in config.get("filter_list") or []:
        steps = list(pipeline.get("filter", []))
        if pipeline.get("name") == FILTER:
            steps = [{**s, "answer": settings["answer_extraction"]} if s.get("function") == "raif_strip_think"
                     and "answer" not in s else s for s in steps]
            if benchmark.judged and not any(s.get("function") == "raif_judge" for s in steps):
                steps.append({"function": "raif_judge", "benchmark": benchmark.key,
                              "profile": benchmark.judge_profile(settings).name, "settings": settings})
        pipelines.append({**pipeline, "filter": steps})
    config["filter_list"] = pipelines
    return benchmark, settings, config


class RaifTask(ConfigurableTask):
    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        config = dict(config or {})
        config.pop("class", None)  # lm-eval's TaskConfig has no such field
        self.benchmark, self.settings, config = task_config(config)
        super().__init__(config=config, **kwargs)
        metadata = self.config.metadata or {}
        self.protocol = self.benchmark.protocol(self.settings["protocol"])
        tokenizer = self.settings["paper_tokenizer"]
        self._count_tokens = (tokens.counter(tokenizer, self.protocol.generation_budget_count)
                              if tokenizer and self.protocol.generation_budget_divisor else None)
        self.mode = modes.load(metadata.get("raif_mode") or "io", metadata.get("raif_mode_template"))
        self._reasoning: dict[str, str] = {}  # dialogue (JSON) -> the reasoning model's reasoning
        self._system_instruction: str | None = None  # lm-eval's --system_instruction, for the generation budget
        self._prefetch_steps: list | None = None  # the raif pipeline's filter objects, for prefetch_judge
        self._deferred = False  # predict_only: the judge step only records the answers

    def doc_to_target(self, doc: dict, doc_to_target: Any = None) -> Any:
        """Our tasks have no target (``doc_to_target: ""``): lm-eval would compile "" as a Jinja template for
        every logged sample."""
        if doc_to_target is None and self.prompt is None and self.config.doc_to_target == "":
            return ""
        return super().doc_to_target(doc, doc_to_target)

    def override_metric(self, metric_name: str) -> None:
        """lm-eval's ``predict_only`` (metric ``bypass``): generate now, judge later (``raif-eval judge``), so the
        judge step only records the answers."""
        super().override_metric(metric_name)
        self._prefetch_steps = None
        if metric_name == "bypass" and self.benchmark.judged:
            self._deferred = True
            self.config.filter_list = [
                {**p, "filter": [{**s, "deferred": True} if s["function"] == "raif_judge" else s for s in p["filter"]]}
                for p in self.config.filter_list]
            self._filters = [build_filter_ensemble(p["name"], [(s["function"], {k: v for k, v in s.items()
                                                                                 if k != "function"})
                                                               for s in p["filter"]])
                             for p in self.config.filter_list]

    # ------------------------------------------------------------------------------------------------ prompts

    def dialogue(self, doc: dict, system_instruction: str | None = None) -> tuple[str, list[dict[str, str]]]:
        """The system message and the turns the model answers, after the inference mode."""
        if "messages" in doc:
            messages = [{"role": m["role"], "content": m["content"]} for m in doc["messages"]]
        else:
            messages = [{"role": "user", "content": self.doc_to_text(doc)}]
        if self.protocol.model_wrap:
            last = messages[-1]
            messages[-1] = {**last, "content": self.protocol.model_wrap.format(instruction=last["content"])}
        description = self.resolve_field(doc, self.config.description) or ""
        system = "\n\n".join(part for part in (system_instruction, self.protocol.model_system, description) if part)
        return self.mode.apply(messages, system, task=self.config.task)

    def fewshot_context(self, doc: dict, num_fewshot: int, system_instruction: str | None = None,
                        apply_chat_template: bool = False, fewshot_as_multiturn: bool = False,
                        chat_template: Callable[..., str] | None = None, gen_prefix: str | None = None,
                        **kwargs: Any) -> str:
        if num_fewshot:
            raise RaifError(f"{self.config.task} is zero-shot: drop --num_fewshot")
        system, messages = self.sent_turns(doc, system_instruction)
        if apply_chat_template and chat_template is not None:
            return chat_template(_turns(system, messages), add_generation_prompt=True)
        if "messages" in doc:
            raise RaifError(f"{self.config.task} sends dialogue histories as chat turns: run it with "
                            f"--apply_chat_template (raif-eval adds it for the embedded and replay models)")
        return f"{system}\n\n{messages[0]['content']}" if system else messages[0]["content"]

    def sent_turns(self, doc: dict, system_instruction: str | None = None) -> tuple[str, list[dict[str, str]]]:
        """The system message and turns the model is sent: the dialogue, rewritten around the reasoning model's
        reasoning when one thought first."""
        system, messages = self.dialogue(doc, system_instruction)
        key = _key(system, messages)
        if key in self._reasoning:
            messages = reasoner.rewrite(messages, self._reasoning[key])
        return system, messages

    def construct_requests(self, doc: dict, ctx: Any, **kwargs: Any) -> Any:
        """lm-eval's requests, with the protocol's per-prompt generation budget when its tokenizer is known: counted
        on the turns actually sent, as RAIF counts after its own rewrite. (lm-eval batches requests by generation
        settings, so local backends then generate prompt by prompt.)"""
        request = super().construct_requests(doc, ctx, **kwargs)
        if self._count_tokens is not None:
            system, messages = self.sent_turns(doc, self._system_instruction)
            budget = tokens.rlmo_max_tokens(self._count_tokens(tokens.messages_text(_turns(system, messages))),
                                            self.protocol.generation_budget_divisor)
            for instance in request if isinstance(request, list) else [request]:
                context, gen_kwargs = instance.arguments[:2]
                instance.arguments = (context, {**gen_kwargs, "max_gen_toks": budget}, *instance.arguments[2:])
        return request

    def prefetch_judge(self, doc: dict, response: str) -> None:
        """Judging while generating: one finished generation of ``doc`` through the ``raif`` pipeline's steps
        before the judge, then into the judge's batch (:meth:`JudgeFilter.prefetch`)."""
        if self._prefetch_steps is None:
            steps = next((e.filters for e in self._filters if e.name == FILTER), [])
            self._prefetch_steps = [make() for make in steps]
        value: list = [[response]]
        for step in self._prefetch_steps:
            if isinstance(step, JudgeFilter):
                first = value[0]
                step.prefetch(doc, first if isinstance(first, str) else (first[0] if first else ""))
                return
            if isinstance(step, StripThinkFilter):
                value = [[step.answer_of(r) for r in value[0]]]
            else:
                value = list(step.apply(value, [doc]))  # lm-eval's take_first returns a map

    def build_all_requests(self, *, limit=None, samples=None, rank=0, world_size=1, system_instruction=None,
                           **kwargs) -> None:
        self._system_instruction = system_instruction
        if reasoner.wanted(self.config.metadata):  # the reasoning model thinks about every document first
            with pool_scope() as pool:  # the evaluation's (its reasoning endpoint checked once), else its own
                config = pool.check(reasoner.config_from(self.config.metadata, pool.judge, pool.reasoner_api_key))
                docs = [doc for _, doc in self.doc_iterator(rank=rank, limit=limit, samples=samples,
                                                            world_size=world_size)]
                dialogues = [self.dialogue(doc, system_instruction) for doc in docs]
                thoughts = reasoner.think_all([_turns(s, m) for s, m in dialogues], config,
                                              reasoner.params_from(self.config.metadata),
                                              desc=f"{config.model} thinking ({self.config.task})")
            self._reasoning = {_key(s, m): t.reasoning for (s, m), t in zip(dialogues, thoughts)}
        super().build_all_requests(limit=limit, samples=samples, rank=rank, world_size=world_size,
                                   system_instruction=system_instruction, **kwargs)

    def apply_filters(self) -> Any:
        """lm-eval's filters, the judge step inside the evaluation's judge pool (else one of the task's own); then
        the judge that scored the task, and how many requests each of its endpoints answered, into the task's
        metadata (the results' ``configs``)."""
        if not self.benchmark.judged or self._deferred:
            return super().apply_filters()
        with pool_scope() as pool:
            applied = super().apply_filters()
            batch = pool.find_batch(judge_key(self.benchmark, self.settings))
            if batch is not None:
                metadata = self.config.metadata or {}
                self.config.metadata = {**metadata, "judge": {**(metadata.get("judge") or {}),
                                                              **batch.config.describe(),
                                                              "endpoints": batch.endpoints()}}
        return applied


def _turns(system: str, messages: list[dict[str, str]]) -> list[dict[str, str]]:
    return ([{"role": "system", "content": system}] if system else []) + messages


def _key(system: str, messages: list[dict[str, str]]) -> str:
    return json.dumps([system, messages], ensure_ascii=False)


def judged_tasks(loaded: dict) -> list[RaifTask]:
    """The tasks of a ``TaskManager.load`` result that are scored by the judge."""
    return [task for task in loaded.get("tasks", {}).values() if isinstance(task, RaifTask) and task.benchmark.judged]
