"""IFEval: 541 prompts with 834 verifiable instructions, scored by lm-eval's port of Google's checkers.

Scoring follows the official ``evaluation_lib``: an instruction is followed only if the response is non-empty
after ``strip()`` and its checker passes; loose mode accepts any of eight relaxed variants of the response.
Two deliberate differences, both documented in the README:

* ``keywords:letter_frequency`` with a non-letter ``letter`` (keys 1122 and 1129): upstream draws a random
  letter on every build, unseeded, so those two verdicts are arbitrary. We draw it from a generator seeded by
  (key, instruction index), so the verdict is reproducible and strict and loose test the same letter.
* langdetect is seeded (``DetectorFactory.seed = 0``) and initialised once under a lock.

Each instruction is checked by the verifier registry (:mod:`raif_eval.verifiers`): the ``official`` reading is
Google's checkers, unchanged; the ``training`` reading is the checker set RAIF trains with, which ``raif_train``'s
rule rewards and ``raif-train synth`` use through :func:`strict`.
"""

from __future__ import annotations

import json
import random
import string
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from raif_eval import data, verifiers
from raif_eval.core import Benchmark, Breakdown, Check, Metric, Option, mean, pooled_mean, run_rule_checks, taxonomy
from raif_eval.core.benchmark import OFFICIAL, PAPER, RAIF_SYSTEM, Settings, doc_record, document, paper_protocol
from raif_eval.core.tables import frame, percent, sample_record, scored

BENCH = "ifeval"
DATA_FILE = "input_data.jsonl"
RAIF_SCORE_CHOICES = ("prompt_level_strict_acc", "prompt_level_loose_acc", "mean4")


def load_records(data_dir: str | None = None) -> list[dict[str, Any]]:
    path = data.resolve(BENCH, DATA_FILE, data_dir)
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pinned_letter(key: int, index: int) -> str:
    """The letter tested in place of an invalid ``letter`` kwarg (see the module docstring)."""
    return random.Random(f"ifeval:{key}:{index}").choice(string.ascii_letters)


def _valid_letter(letter: Any) -> bool:
    return isinstance(letter, str) and len(letter) == 1 and "a" <= letter.lower() <= "z"


def build_checks(record: dict[str, Any], reading: str = "official") -> tuple[Check, ...]:
    if reading not in verifiers.READINGS:
        raise ValueError(f"IFEval reading must be one of {verifiers.READINGS}, not {reading!r}")
    return _build_checks(json.dumps(record, sort_keys=True), reading)


@lru_cache(maxsize=4096)
def _build_checks(record_json: str, reading: str = "official") -> tuple[Check, ...]:
    record = json.loads(record_json)
    checks = []
    for index, (instruction_id, kwargs) in enumerate(zip(record["instruction_id_list"], record["kwargs"])):
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if instruction_id == "keywords:letter_frequency" and not _valid_letter(kwargs.get("letter")):
            kwargs["letter"] = pinned_letter(record["key"], index)
        verifier = verifiers.build(instruction_id, reading, prompt=record.get("prompt"), **kwargs)
        checks.append(
            Check(
                id=f"{index}:{instruction_id}",
                test=lambda text, check=verifier.check: bool(text.strip()) and bool(check(text)),
                category=instruction_id.split(":")[0],
            )
        )
    return tuple(checks)


def clear_check_cache() -> None:
    """Forget the built checks (benchmarks time a whole evaluation, which builds each document's checks once)."""
    _build_checks.cache_clear()


def loose_variants(response: str) -> list[str]:
    """The response and its relaxed forms, in the official order."""
    lines = response.split("\n")
    first = "\n".join(lines[1:]).strip()
    last = "\n".join(lines[:-1]).strip()
    both = "\n".join(lines[1:-1]).strip()
    variants = [response, response.replace("*", ""), first, last, both]
    return variants + [v.replace("*", "") for v in (first, last, both)]


@dataclass(frozen=True)
class IFEvalScore:
    strict: list[bool]  # one verdict per instruction entry
    loose: list[bool]

    @property
    def prompt_strict(self) -> bool:
        return all(self.strict)

    @property
    def prompt_loose(self) -> bool:
        return all(self.loose)

    def metrics(self) -> dict[str, Any]:
        """Per-document values under lm-eval's IFEval metric names."""
        return {
            "prompt_level_strict_acc": self.prompt_strict,
            "inst_level_strict_acc": self.strict,
            "prompt_level_loose_acc": self.prompt_loose,
            "inst_level_loose_acc": self.loose,
        }


def strict(record: dict[str, Any], response: str, reading: str = "official") -> list[bool]:
    """Strict verdicts only: what rewards need, without the eight loose variants."""
    return run_rule_checks(build_checks(record, reading), [response])


def score(record: dict[str, Any], response: str, reading: str = "official") -> IFEvalScore:
    """Strict and loose verdicts of every instruction of ``record`` on ``response``."""
    checks = build_checks(record, reading)
    memo: dict[tuple[str, str], bool] = {}
    strict = run_rule_checks(checks, [response], memo)
    loose = run_rule_checks(checks, loose_variants(response), memo)
    return IFEvalScore(strict, loose)


def aggregate(per_doc: list[dict[str, Any]]) -> dict[str, float]:
    """The four official accuracies from per-document metric values."""
    return {
        "prompt_level_strict_acc": mean(d["prompt_level_strict_acc"] for d in per_doc),
        "inst_level_strict_acc": pooled_mean(d["inst_level_strict_acc"] for d in per_doc),
        "prompt_level_loose_acc": mean(d["prompt_level_loose_acc"] for d in per_doc),
        "inst_level_loose_acc": pooled_mean(d["inst_level_loose_acc"] for d in per_doc),
    }


# --- the task -------------------------------------------------------------------------------------------------

# RAIF's copy of the data edits one prompt (its kwargs unchanged): key 2785 asks for "at least one placeholder".
PAPER_EDITS = {2785: ("at least 3 placeholders", "at least one placeholder")}


def paper_prompt(record: dict[str, Any]) -> str:
    old, new = PAPER_EDITS.get(record["key"], ("", ""))
    return record["prompt"].replace(old, new) if old else record["prompt"]


def documents(settings: dict[str, Any], data_dir: str | None) -> list[dict[str, Any]]:
    paper = settings["protocol"] == PAPER
    return [document(r["key"], paper_prompt(r) if paper else r["prompt"], r) for r in load_records(data_dir)]


def score_doc(doc: dict[str, Any], answer: str, judged: None, settings: Settings) -> dict[str, Any]:
    metrics = score(doc_record(doc), answer).metrics()
    mode = settings["ifeval_raif_score"]
    # mean4 needs the instruction-level lists, so its per-doc value is the whole record of four.
    return {"raif_score": dict(metrics) if mode == "mean4" else metrics[mode], **metrics}


def raif_score(items: list[Any]) -> float:
    """The chosen accuracy; for ``mean4`` the per-doc values are the four metrics, averaged after aggregation."""
    if items and isinstance(items[0], dict):
        return mean(aggregate(items).values())
    return mean(items)


# --- breakdowns -----------------------------------------------------------------------------------------------

def _entries(samples) -> list[tuple[str, bool, bool]]:
    entries = []
    for sample in scored(samples):
        ids = sample_record(sample)["instruction_id_list"]
        strict_, loose = sample["inst_level_strict_acc"], sample["inst_level_loose_acc"]
        if not len(ids) == len(strict_) == len(loose):
            raise ValueError(f"IFEval sample {sample.get('doc_id')}: {len(ids)} instructions but "
                             f"{len(strict_)}/{len(loose)} strict/loose verdicts")
        entries += list(zip(ids, strict_, loose))
    return entries


def by_instruction(samples: list[dict[str, Any]], settings: Settings | None = None):
    """Strict and loose accuracy per instruction group (the id's prefix before ``:``) and per instruction id, each
    a micro average over instruction entries (the official report's tiers). Columns: level (``group`` |
    ``instruction``), instruction, metric (``strict`` | ``loose``), value, n (entries)."""
    by: dict[tuple[str, str], list[tuple[bool, bool]]] = defaultdict(list)
    for instruction_id, strict_, loose in _entries(samples):
        by["group", instruction_id.split(":")[0]].append((strict_, loose))
        by["instruction", instruction_id].append((strict_, loose))
    rows = []
    for level in ("group", "instruction"):
        for key in sorted(k for lv, k in by if lv == level):
            verdicts = by[level, key]
            for i, metric in enumerate(("strict", "loose")):
                rows.append({"level": level, "instruction": key, "metric": metric,
                             "value": percent(pooled_mean([[v[i] for v in verdicts]])), "n": len(verdicts)})
    return frame(rows, ("level", "instruction"))


def by_prompt_size(samples: list[dict[str, Any]], settings: Settings | None = None):
    """Prompt-level strict and loose accuracy by the number of instructions in the prompt. Columns: instructions,
    metric, value, n (prompts)."""
    by: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for sample in scored(samples):
        by[len(sample_record(sample)["instruction_id_list"])].append(sample)
    rows = [{"instructions": size, "metric": metric, "value": percent(mean(s[f"prompt_level_{metric}_acc"]
                                                                           for s in by[size])), "n": len(by[size])}
            for size in sorted(by) for metric in ("strict", "loose")]
    return frame(rows, ("instructions",))


# --- the taxonomy ----------------------------------------------------------------------------------------------

# Instruction id → type. Google's groups mostly decide it; where they do not: `detectable_content` (placeholders,
# a postscript) and `combination` (repeat the request, two responses) are layouts, so `format`; case and
# punctuation are surface form (ComplexBench files Punctuation, Start with and End with under Structure), so
# `format` too, except `capital_word_frequency`, a count.
TAXONOMY = {
    "keywords:existence": "lexical", "keywords:forbidden_words": "lexical", "keywords:frequency": "lexical",
    "keywords:letter_frequency": "lexical",
    "language:response_language": "language",
    "length_constraints:nth_paragraph_first_word": "length", "length_constraints:number_paragraphs": "length",
    "length_constraints:number_sentences": "length", "length_constraints:number_words": "length",
    "change_case:capital_word_frequency": "length",
    "change_case:english_capital": "format", "change_case:english_lowercase": "format",
    "detectable_content:number_placeholders": "format", "detectable_content:postscript": "format",
    "detectable_format:constrained_response": "format", "detectable_format:json_format": "format",
    "detectable_format:multiple_sections": "format", "detectable_format:number_bullet_lists": "format",
    "detectable_format:number_highlighted_sections": "format", "detectable_format:title": "format",
    "combination:repeat_prompt": "format", "combination:two_responses": "format",
    "startend:end_checker": "format", "startend:quotation": "format", "punctuation:no_comma": "format",
}


def structure(doc: dict[str, Any], settings: Settings) -> taxonomy.Structure:
    ids = doc_record(doc)["instruction_id_list"]
    return taxonomy.flat([taxonomy.Constraint(str(i), (iid,), "rule") for i, iid in enumerate(ids)])


def check_verdicts(doc: dict[str, Any], values: dict[str, Any], judged: None,
                   settings: Settings) -> list[bool]:
    return list(values.get("inst_level_strict_acc") or [])


CONSTRAINTS = taxonomy.ConstraintMap(TAXONOMY, structure, check_verdicts,
                                     "one check per instruction id, its strict verdict; single or And by count")

BENCHMARK = Benchmark(
    key=BENCH, name="IFEval", column="IFEval",
    documents=documents, score=score_doc,
    metrics=(
        Metric("raif_score", raif_score),
        Metric("prompt_level_strict_acc", mean),
        Metric("inst_level_strict_acc", pooled_mean),
        Metric("prompt_level_loose_acc", mean),
        Metric("inst_level_loose_acc", pooled_mean),
    ),
    options=(Option("ifeval_raif_score", RAIF_SCORE_CHOICES, "prompt_level_strict_acc",
                    "the Table 1 metric: prompt-level strict (RAIF's), prompt-level loose, or the mean of the four"),),
    breakdowns=(Breakdown("IFEval by instruction", by_instruction),
                Breakdown("IFEval by instructions per prompt", by_prompt_size)),
    protocols=(OFFICIAL, paper_protocol(model_system=RAIF_SYSTEM, generation_budget_divisor=1.3)),
    constraints=CONSTRAINTS,
)
