"""A benchmark, defined once.

Each module of :mod:`raif_eval.benchmarks` ends with one :class:`Benchmark`: how its documents are read, how a
document and a response become verdicts (rule checks from :mod:`raif_eval.verifiers`; judge checks through the
judge program it names), the per-sample metric values and their aggregations, its Table 1 column, its report
breakdowns, how its checks map to the shared constraint taxonomy (:mod:`raif_eval.core.taxonomy`), its options
and its protocol variants. The lm-eval tasks (:mod:`raif_eval.harness`), re-judging, the
reports and the training rewards all read these definitions; a task YAML only names the benchmark and the
protocol.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from raif_eval.core.aggregate import Metric
from raif_eval.core.judged import JUDGE_METRICS, Judged
from raif_eval.core.judging import JudgeProfile, JudgeProgram, judge_profile
from raif_eval.core.taxonomy import ConstraintMap
from raif_eval.errors import RaifError

Document = dict[str, Any]  # an lm-eval document: doc_id, prompt, raw (the record as JSON), flat extras
Settings = dict[str, Any]  # the resolved options of one task: {"protocol": name, <option>: value, ...}


def document(native_id: Any, prompt: str, record: Mapping[str, Any], **extra: Any) -> Document:
    """The common document shape: native id (as a string, for replay), prompt text, the full record as JSON (Arrow
    needs one type per column, and several benchmarks mix types inside their records), and flat fields of the
    record that samples and reports read (``messages``, split, category, …). A task's options are never copied in:
    scoring receives the task's settings."""
    return {"doc_id": str(native_id), "prompt": prompt, "raw": json.dumps(record, ensure_ascii=False), **extra}


def doc_record(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The benchmark record of a document."""
    return json.loads(doc["raw"])


@dataclass(frozen=True)
class Option:
    """A task option, set with ``--metadata '{"<name>": <value>}'`` and recorded in the results."""

    name: str
    choices: tuple[Any, ...] | None  # None: any string (a tokenizer name, a path)
    default: Any
    help: str = ""

    def check(self, value: Any) -> Any:
        if self.choices is None:
            if value is not None and not isinstance(value, str):
                raise RaifError(f"{self.name} must be a string, not {value!r}")
            return value
        if value not in self.choices:
            raise RaifError(f"{self.name} must be one of {', '.join(map(str, self.choices))}, not {value!r}")
        return value


# (document, scored answer, judged or None, the task's settings) -> per-sample metric values
Scorer = Callable[["Document", str, "Judged | None", "Settings"], dict[str, Any]]

RAIF_SYSTEM = "You are a helpful assistant."  # RAIF's driver's system message, for generation and judging


@dataclass(frozen=True)
class Protocol:
    """A way of running and scoring the benchmark: ``official`` (the benchmark's own code) or a variant such as
    the RAIF paper's (``paper``). ``judge_profile`` names the judge side (``judges/<key>/profiles.yaml``:
    :class:`~raif_eval.core.judging.JudgeProfile`); ``defaults`` are the option values the protocol implies unless
    the user sets them. The rest is what a variant changes, each ``None`` for the official behaviour: the judge
    program, the metrics, and how the *evaluated model* is asked — a system message (``model_system``), a template
    around the last user turn (``model_wrap``, ``{instruction}``), and a generation budget from the prompt's length
    (RAIF's ``(16384 - prompt) // generation_budget_divisor - 100``, :mod:`raif_eval.core.tokens`)."""

    name: str
    judge_profile: str = "official"
    defaults: Mapping[str, Any] = field(default_factory=dict)
    judge: JudgeProgram | None = None
    metrics: tuple[Metric, ...] | None = None
    model_system: str | None = None
    model_wrap: str | None = None
    generation_budget_divisor: float | None = None
    generation_budget_count: str = "first"  # the paper_tokenizer count: the first's, or (FB-Bench) the largest


OFFICIAL = Protocol("official")
PAPER = "paper"


def paper_protocol(judge_profile: str = "official", defaults: Mapping[str, Any] | None = None,
                   **changes: Any) -> Protocol:
    """RAIF's pipeline as a protocol: its answer extraction by default, and the benchmark's own changes."""
    return Protocol(PAPER, judge_profile=judge_profile, defaults={"answer_extraction": "raif", **(defaults or {})},
                    **changes)


# Options every benchmark has: what of the output is scored, and the tokenizers of RAIF's token budgets.
ANSWER_EXTRACTIONS = ("fixed", "raif")
COMMON_OPTIONS = (
    Option("answer_extraction", ANSWER_EXTRACTIONS, "fixed",
           "fixed: raif-eval's extraction (reasoning dropped, the last <answer> block); raif: RAIF's "
           "(message.content, a leading <answer> removed, a trailing </answer> kept)"),
    Option("paper_tokenizer", None, None,
           "Hugging Face tokenizer (name or path) of the evaluated model, for the paper protocol's generation "
           "budget (RAIF's formula assumes a 16,384-token context; FB-Bench: several joined by ',' count their "
           "maximum, as RAIF's script); unset: the benchmark's fixed max_gen_toks"),
    Option("paper_judge_tokenizer", None, None,
           "tokenizers of the paper protocol's judge budgets and truncations, joined by ',' (RAIF: "
           "Qwen2.5-7B-Instruct first, then Llama-3.1 and Mistral; each count takes the first or the maximum as "
           "RAIF's script does); unset: the approximate count of raif_eval.core.tokens"),
)


@dataclass(frozen=True)
class Breakdown:
    """A report table of one run, computed from the task's logged samples alone."""

    title: str
    build: Callable[[list[dict[str, Any]], Settings], Any]  # (samples, the task's settings) -> pandas.DataFrame


@dataclass(frozen=True)
class Benchmark:
    key: str  # the data, judge-template and task-metadata key ("cfbench")
    name: str  # as its authors write it ("CFBench")
    column: str  # its RAIF Table 1 column ("CF Bench")
    documents: Callable[[Settings, str | None], Iterable[Document]]  # (settings, data_dir) -> documents
    score: Scorer  # (document, scored answer, judged or None, settings) -> per-sample metric values
    metrics: tuple[Metric, ...]  # raif_score first; judged benchmarks also get JUDGE_METRICS
    judge: JudgeProgram | None = None  # the official judging protocol of one document; None: scored in code
    options: tuple[Option, ...] = ()
    protocols: tuple[Protocol, ...] = (OFFICIAL,)
    breakdowns: tuple[Breakdown, ...] = ()
    max_gen_toks: int = 1280
    judge_profile_of: Callable[[Settings], str | None] | None = None  # a judge profile that depends on the options
    constraints: ConstraintMap | None = None  # its checks in the shared taxonomy (per-check records in samples)

    @property
    def judged(self) -> bool:
        return self.judge is not None

    def all_metrics(self, settings: Settings | None = None) -> tuple[Metric, ...]:
        protocol = self.protocol((settings or {}).get("protocol"))
        return (protocol.metrics or self.metrics) + (JUDGE_METRICS if self.judged else ())

    def judge_program(self, settings: Settings) -> JudgeProgram | None:
        """The judge program of these settings: the protocol's own, else the official one. (Token budgets and
        truncations count with the judge's tokenizer, which every program's session carries.)"""
        return self.protocol(settings.get("protocol")).judge or self.judge

    @property
    def all_options(self) -> tuple[Option, ...]:
        return self.options + COMMON_OPTIONS

    def protocol(self, name: str | None) -> Protocol:
        for protocol in self.protocols:
            if protocol.name == (name or self.protocols[0].name):
                return protocol
        raise RaifError(f"{self.key} has no protocol {name!r}; choose from "
                        f"{', '.join(p.name for p in self.protocols)}")

    def settings(self, metadata: Mapping[str, Any] | None) -> Settings:
        """The protocol and every option of a task, from its metadata (unset options: the protocol's default,
        else the option's); a bad value is a one-line :class:`RaifError`."""
        metadata = metadata or {}
        protocol = self.protocol(metadata.get("protocol"))
        out: Settings = {"protocol": protocol.name}
        for option in self.all_options:
            value = metadata.get(option.name)
            if value is None:
                value = protocol.defaults.get(option.name, option.default)
            out[option.name] = option.check(value)
        return out

    def judge_profile(self, settings: Settings) -> JudgeProfile:
        """The judge profile of these settings (``judges/<key>/profiles.yaml``)."""
        chosen = self.judge_profile_of(settings) if self.judge_profile_of is not None else None
        return judge_profile(self.key, chosen or self.protocol(settings.get("protocol")).judge_profile)
