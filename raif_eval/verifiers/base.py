"""What a verifier is: one constraint type, checked in code, with its wording beside its check."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar


class Verifier:
    """One constraint type. An instance holds one constraint's parameters (``kwargs``) and checks a text.

    ``check`` returns a verdict (``bool``) or, for graded criteria such as CELLO's, a score in [0, 1] (``None``
    where the constraint does not apply). A type that ``raif-train synth`` may draw also knows how to pick its
    parameters (``sample``), say itself in English or Chinese (``describe``) and write a text that meets or misses
    it (``example``, for tests); ``languages`` lists the languages it is offered for and ``group`` the aspect it
    constrains (one constraint per group and record), ``taxonomy_type`` its type in the shared constraint taxonomy
    (:mod:`raif_eval.core.taxonomy`). ``name`` tells apart synthesis types that share one check ``id`` (several
    ComplexBench rule strings).
    """

    id: ClassVar[str]
    languages: ClassVar[tuple[str, ...]] = ()
    group: ClassVar[str] = ""
    taxonomy_type: ClassVar[str] = ""
    name: ClassVar[str] = ""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def check(self, text: Any) -> Any:
        raise NotImplementedError

    # --- synthesis ---------------------------------------------------------------------------------------------

    @classmethod
    def key(cls) -> str:
        """The synthesis type's name, unique among the types (``id``, or ``id/name``)."""
        return f"{cls.id}/{cls.name}" if cls.name else cls.id

    @classmethod
    def sample(cls, rng: random.Random, lang: str, words: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters for one constraint, drawn from ``rng`` (``words``: the synthesis bank of ``lang``)."""
        return {}

    def describe(self, lang: str) -> str:
        raise NotImplementedError(f"{self.key()} has no wording")

    def example(self, ok: bool, lang: str) -> str:
        raise NotImplementedError(f"{self.key()} has no examples")
