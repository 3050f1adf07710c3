"""One constraint taxonomy for every benchmark: constraint type × composition × depth.

Every check of every benchmark maps to it through the benchmark's :class:`ConstraintMap` (its mapping table from
the benchmark's own labels — IFEval instruction ids, CFBench constraint types, ComplexBench dimensions, … — to a
:data:`TYPES` key). Scoring logs one record per check in each sample (the ``checks`` value, :func:`records`), so
the structure report (:mod:`raif_eval.reports.structure`) is computed from samples alone.

**Types** follow ComplexBench's (Lexical, Structure, Semantic, Utility; 19 dimensions) and FollowBench's (Content,
Situation, Style, Format, Example) published taxonomies. Where they differ:

* ComplexBench's *Structure* is split: *Length* is ``length`` (counts are the most common failure and InfoBench,
  CFBench and IFEval label them apart); the rest is ``format``. FollowBench's *Format* also holds length limits,
  which its records do not label apart: they stay ``format``.
* ComplexBench's *Semantic* is split: *Topic* is ``content``; *Language Style* and *Sentiment* are ``style``;
  *Personalization* is ``situation`` (FollowBench's situation/role constraints).
* ComplexBench's *Utility* (Helpfulness, Supportiveness, Consistency, Factuality) is ``utility``, a type FollowBench
  lacks: whether the task itself is done right. Its *Target Language* is ``language``.
* FollowBench's *Mixed* category is not a type: its records list the types they mix.
* ``feedback`` is FB-Bench's: checklist items on answering a user's feedback, which its data does not type.

**Composition** is the document's: ``single`` (one constraint), ``And`` (several in parallel), ``Chain``,
``Selection`` or ``nested`` (different compositions nested: ComplexBench's *Selection_and_Chain*, a synthesised
Chain inside an And). **Depth** is
ComplexBench's nesting depth for its compositions (its *And* is 1), FollowBench's level, and elsewhere the number
of constraints composed (so ``single`` is 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VERSION = "1"

TYPES: dict[str, str] = {
    "lexical": "words, keywords and phrases that must (not) appear",
    "format": "structure and surface form: JSON, Markdown, lists, sections, start / end, punctuation, case",
    "length": "length and counts: words, sentences, paragraphs, items",
    "content": "what the answer must cover: topic, elements, actions, what it must leave out",
    "style": "tone, register, genre, sentiment, voice, audience",
    "situation": "scenario, role and persona the answer is set in",
    "language": "the response language and its linguistic form: syntax, rhetoric, sound",
    "example": "following the pattern of given examples",
    "utility": "the task itself done right: helpful, factual, consistent, agreeing with the reference",
    "feedback": "FB-Bench checklist items on answering a user's feedback",
}
UNMAPPED = "unmapped"  # a label no mapping table knows: counted, never dropped
COMPOSITIONS = ("single", "And", "Chain", "Selection", "nested")
SOURCES = ("rule", "judge")

Verdict = bool | float | None  # 1 / True: met; a fraction for graded checks (CELLO); None: not scored


@dataclass(frozen=True)
class Constraint:
    """One check of a document before scoring: its id in the document, the benchmark's own labels, how it is
    scored."""

    check: str
    labels: tuple[str, ...]
    source: str  # "rule" or "judge"


@dataclass(frozen=True)
class Structure:
    """A document's constraints and how they compose."""

    composition: str
    depth: int
    constraints: tuple[Constraint, ...]


def flat(constraints: Sequence[Constraint]) -> Structure:
    """Constraints that all apply at once: ``single`` for one, else ``And`` of that many."""
    n = len(constraints)
    return Structure("single" if n == 1 else "And", n, tuple(constraints))


@dataclass(frozen=True)
class ConstraintMap:
    """How one benchmark's checks map to the taxonomy.

    ``table``: the benchmark's label → a :data:`TYPES` key. ``structure``: (document, the task's settings) → its
    :class:`Structure`. ``verdicts``: (document, the sample's per-sample values, the judged result or None, the
    task's settings) → one verdict per constraint, in order — read from what a sample logs, so old samples without
    ``checks`` map too. ``notes``: how the mapping reads the benchmark, for the README."""

    table: Mapping[str, str]
    structure: Callable[[Mapping[str, Any], Mapping[str, Any]], Structure]
    verdicts: Callable[[Mapping[str, Any], Mapping[str, Any], Any, Mapping[str, Any]], Sequence[Verdict]]
    notes: str = ""

    def types(self, labels: Iterable[str]) -> list[str]:
        """The distinct types of a check's labels, in order; ``unmapped`` for a label the table lacks."""
        out: list[str] = []
        for label in labels:
            kind = self.table.get(label, UNMAPPED)
            if kind not in out:
                out.append(kind)
        return out or [UNMAPPED]


def verdict(value: Any) -> Verdict:
    """A verdict as logged: booleans stay, numbers become floats in [0, 1], anything else is not scored."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value == value:
        return float(min(1.0, max(0.0, value)))  # clamped before float(): a huge logged int must not overflow
    return None


def records(benchmark: str, cmap: ConstraintMap, doc: Mapping[str, Any], values: Mapping[str, Any],
            judged: Any, settings: Mapping[str, Any], failed: bool = False) -> list[dict[str, Any]]:
    """The per-check records of one document scored under ``settings`` (``failed``: scoring failed, every verdict
    false)."""
    structure = cmap.structure(doc, settings)
    verdicts: Sequence[Any] = ([False] * len(structure.constraints) if failed
                               else cmap.verdicts(doc, values, judged, settings))
    if len(verdicts) != len(structure.constraints):  # a judge that answered for other checks: none is attributable
        verdicts = [None] * len(structure.constraints)
    return [{"benchmark": benchmark, "check": c.check, "labels": list(c.labels), "types": cmap.types(c.labels),
             "composition": structure.composition, "depth": structure.depth, "verdict": verdict(v),
             "source": c.source, "taxonomy": VERSION}
            for c, v in zip(structure.constraints, verdicts)]


def check_count(values: Iterable[Any]) -> int:
    """The ``checks`` metric: how many checks the documents hold (the records themselves are in the samples)."""
    return sum(len(v) for v in values if isinstance(v, list))
