"""``--model raif-chat-completions``: lm-eval's ``local-chat-completions`` that keeps the reasoning.

vLLM and SGLang servers started with a reasoning parser, and the DeepSeek API, return a reasoning model's thinking
in ``reasoning_content`` (``reasoning`` in newer vLLM) apart from ``content``; lm-eval's backend drops it. This one
keeps it as a leading ``<think>`` block of the logged response, which the ``raif`` filter strips before scoring,
so samples show what the model thought and the score is of its answer. ``raif-eval run --model
local-chat-completions`` uses this backend; everything else (model args, concurrency, retries) is lm-eval's.

With ``num_concurrent`` > 1 it also generates every task's prompts in one stream: lm-eval's backend generates each
group of equal generation settings (in practice each task) after the previous one, so the judge would wait for the
last task's generations; here all requests share one connection pool and concurrency limit, interleaved across
tasks, and each response is handed to the judge as it arrives (:func:`raif_eval.harness.patch.streaming_judge`).
Each request's payload, retries and cache entry are lm-eval's own (``amodel_call``).
"""

from __future__ import annotations

import asyncio
import copy
import itertools

import lm_eval.models  # noqa: F401  (lm-eval fills its lazy built-in registry only while it is empty)
from lm_eval.api.registry import register_model
from lm_eval.models.openai_completions import LocalChatCompletion
from tenacity import retry, stop_after_attempt, wait_exponential
from tqdm.asyncio import tqdm_asyncio

from raif_eval.core.answers import join_reasoning, reasoning_of, without_surrogates


@register_model("raif-chat-completions")
class ReasoningChatCompletion(LocalChatCompletion):
    def parse_generations(self, outputs: dict | list[dict], **kwargs) -> list[str]:
        texts = super().parse_generations(outputs, **kwargs)
        choices = [c for out in (outputs if isinstance(outputs, list) else [outputs])
                   for c in sorted((out or {}).get("choices") or [], key=lambda c: c.get("index", 0))]
        if len(choices) != len(texts):  # a reply lm-eval could not parse: nothing to add
            return texts
        return [text if text is None else without_surrogates(join_reasoning(text, reasoning_of(c.get("message") or {})))
                for text, c in zip(texts, choices)]

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        if self._concurrent <= 1 or self.tokenized_requests or not requests or len(requests[0].args) > 2:
            return super().generate_until(requests, disable_tqdm)
        return asyncio.run(self._generate_all(requests, disable_tqdm))

    async def _generate_all(self, requests, disable_tqdm: bool) -> list[str]:
        import aiohttp

        by_task: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            by_task.setdefault(request.task_name, []).append(index)
        # round-robin over tasks, so every task's documents reach the judge from the start
        order = [i for group in itertools.zip_longest(*by_task.values()) for i in group if i is not None]
        call = retry(stop=stop_after_attempt(self.max_retries), wait=wait_exponential(multiplier=0.5, min=1, max=10),
                     reraise=True)(self.amodel_call)
        semaphore = asyncio.Semaphore(self._concurrent)
        connector = aiohttp.TCPConnector(limit=self._concurrent, ssl=self.verify_certificate)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
            async def one(index: int) -> str:
                context, gen_kwargs = requests[index].args[:2]
                out = await call(session=session, sem=semaphore, messages=[context], generate=True,
                                 cache_keys=[(context, gen_kwargs)], gen_kwargs=copy.deepcopy(gen_kwargs))
                return out[0]

            answers = await tqdm_asyncio.gather(*(one(i) for i in order), desc="Requesting API",
                                                disable=disable_tqdm)
        results: list[str] = [""] * len(requests)
        for index, answer in zip(order, answers):
            results[index] = answer
        return results
