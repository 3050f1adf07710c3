"""The verifier registry: constraint id -> the class that checks it in code (Google IFEval's ``INSTRUCTION_DICT``).

One registry serves the benchmarks (IFEval's instructions, ComplexBench's rule strings, FollowBench's rule-checked
records, CELLO's criteria), the training rewards and ``raif-train synth``. A *reading* chooses the checker set:

* ``official`` — each benchmark's own checker (IFEval: lm-eval's port of Google's);
* ``training`` — RAIF's training variants of IFEval's checkers (:mod:`raif_eval.verifiers.instructions`).

The other benchmarks' rule types read the same in both (the training reading also checks a ComplexBench rule
string when it is built). :data:`SYNTHESIS` are the types the synthesiser may draw; each carries its wording
(``sample`` / ``describe`` / ``example``) beside its check.

    check = build("keywords:existence", "training", keywords=["a+b"])
    check.check("we know a+b well")  # True: literal, where the official reading takes "a+b" as a pattern
"""

from __future__ import annotations

from functools import cache
from typing import Any

from raif_eval.verifiers import cello_rules, complexbench_rules, followbench_rules, instructions
from raif_eval.verifiers.base import Verifier

READINGS = ("official", "training")
OTHER_BENCHMARKS = (complexbench_rules.ComplexBenchRule, followbench_rules.FollowBenchRule, *cello_rules.VERIFIERS)

# The order is part of the synthesiser's output: it samples from these lists with a seeded generator.
SYNTHESIS: tuple[type[Verifier], ...] = (
    instructions.KeywordsExistence, instructions.ForbiddenWords, complexbench_rules.ForbiddenWordsZh,
    instructions.KeywordFrequency, instructions.WordCount, complexbench_rules.CharLength,
    cello_rules.CelloWordCount, instructions.Paragraphs, instructions.Bullets, instructions.Title,
    complexbench_rules.Opening, instructions.Ending, instructions.Postscript, instructions.NoComma,
    cello_rules.CelloKeywords,
)


@cache
def registry(reading: str = "official") -> dict[str, type[Verifier]]:
    """Every constraint id the reading can check, with its class."""
    if reading not in READINGS:
        raise ValueError(f"verifier reading must be one of {READINGS}, not {reading!r}")
    base = instructions.IFEvalInstruction if reading == "official" else instructions.TrainingInstruction
    out: dict[str, type[Verifier]] = {iid: instructions.instruction_class(iid, base)
                                      for iid in instructions.instruction_classes()}
    out.update({cls.id: cls for cls in OTHER_BENCHMARKS})
    if reading == "training":
        out.update({cls.id: cls for cls in (*instructions.TRAINING, complexbench_rules.TrainingRule)})
    return out


@cache
def own_classes(reading: str = "official") -> dict[str, type[Verifier]]:
    """The registry's entries for the other benchmarks' rules (ComplexBench, FollowBench, CELLO): found without
    importing IFEval's checkers, whose nltk import takes seconds (a judge program checking a FollowBench rule
    must not stall every request in flight for it)."""
    if reading not in READINGS:
        raise ValueError(f"verifier reading must be one of {READINGS}, not {reading!r}")
    out: dict[str, type[Verifier]] = {cls.id: cls for cls in OTHER_BENCHMARKS}
    if reading == "training":
        out[complexbench_rules.TrainingRule.id] = complexbench_rules.TrainingRule
    return out


def build(constraint_id: str, reading: str = "official", /, **kwargs: Any) -> Verifier:
    """The verifier of one constraint: ``constraint_id`` with its parameters, in the ``reading``."""
    cls = own_classes(reading).get(constraint_id) or registry(reading).get(constraint_id)
    if cls is None:
        raise KeyError(f"no verifier for constraint id {constraint_id!r} in the {reading} reading")
    return cls(**kwargs)


def synthesis_types(lang: str) -> list[type[Verifier]]:
    """The synthesis types offered for ``lang``, in :data:`SYNTHESIS` order."""
    return [cls for cls in SYNTHESIS if lang in cls.languages]


SYNTHESIS_BY_KEY: dict[str, type[Verifier]] = {cls.key(): cls for cls in SYNTHESIS}

__all__ = ["READINGS", "SYNTHESIS", "SYNTHESIS_BY_KEY", "Verifier", "build", "own_classes", "registry",
           "synthesis_types"]
