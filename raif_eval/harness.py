"""Glue between the raif-eval core and lm-evaluation-harness.

Importing this module registers the ``raif_strip_think`` and ``raif_judge`` filters and the ``replay`` and
``raif-chat-completions`` backends. Task ``utils.py`` files import it, so the registrations exist however the
tasks are loaded (``raif-eval``, ``lm_eval --include_path``, or ``simple_evaluate``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import datasets

import raif_eval.filters  # noqa: F401  (registers raif_strip_think)
import raif_eval.judge.filter  # noqa: F401  (registers raif_judge)
import raif_eval.models.chat  # noqa: F401  (registers raif-chat-completions)
import raif_eval.models.replay  # noqa: F401  (registers the model backend)


def to_dataset(docs: Iterable[dict[str, Any]]) -> datasets.DatasetDict:
    """A test split of flat docs. Nested benchmark records travel as JSON strings (Arrow needs one type per
    column, and several benchmarks mix types inside their records)."""
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(list(docs))})


def doc(native_id: Any, prompt: str, record: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The common document shape: native id (as a string, for replay), prompt text, and the full record."""
    return {"doc_id": str(native_id), "prompt": prompt, "raw": json.dumps(record, ensure_ascii=False), **extra}


def record(doc_: dict[str, Any]) -> dict[str, Any]:
    return json.loads(doc_["raw"])
