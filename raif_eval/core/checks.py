"""Checks and how they combine.

A check is one constraint of one document. A rule check has a ``test`` (a verifier from
:mod:`raif_eval.verifiers`, run in code); a judge check has none (its verdict comes from the judge client). A
check may depend on others: when a prerequisite failed, the dependent check fails too — one level (ComplexBench:
only the prerequisites' own verdicts count) or transitively (a failure propagates down a whole chain).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class Check:
    """A constraint of one document.

    ``id`` is unique within its document; ``category`` names the constraint type reports break results down by;
    ``test`` gives a rule check's verdict for one candidate text (None for a judge check).
    """

    id: str
    test: Callable[[str], bool] | None = None
    category: str = ""
    depends_on: tuple[str, ...] = ()


def run_rule_checks(
    checks: Sequence[Check],
    variants: Sequence[str],
    memo: dict[tuple[str, str], bool] | None = None,
) -> list[bool]:
    """Verdicts of rule ``checks``: a check passes if its test passes on any of ``variants``, tried in order; then
    the dependencies, transitively.

    One variant is the plain (strict) reading; several give a lenient reading such as IFEval's loose mode.
    ``memo`` caches each (check, text) verdict, so a text that recurs — across variants, or between a strict
    and a lenient pass over the same response — is tested once. Tests must be deterministic for that.
    """
    memo = {} if memo is None else memo
    passed = []
    for check in checks:
        ok = False
        for text in variants:
            key = (check.id, text)
            verdict = memo.get(key)
            if verdict is None:
                verdict = memo[key] = bool(check.test(text))
            if verdict:
                ok = True
                break
        passed.append(ok)
    return apply_dependencies(checks, passed)


def _failed(verdict: Any) -> bool:
    return not verdict


def apply_dependencies(checks: Sequence[Check], verdicts: Sequence[V], *, transitive: bool = True,
                       failed: Callable[[V], bool] = _failed, fail_value: Any = False) -> list[V]:
    """``verdicts`` (one per check) with ``fail_value`` for every check that has a failed prerequisite.

    ``transitive``: a prerequisite counts as failed when its own verdict failed or one of its prerequisites did,
    down the whole chain; otherwise (ComplexBench's rule) only the prerequisites' own verdicts count. ``failed``
    decides what a failed verdict is (default: falsy).
    """
    if not any(c.depends_on for c in checks):
        return list(verdicts)
    by_id = {c.id: i for i, c in enumerate(checks)}
    unknown = {d for c in checks for d in c.depends_on if d not in by_id}
    if unknown:
        raise ValueError(f"checks depend on unknown ids: {sorted(unknown)}")
    if not transitive:
        return [fail_value if any(failed(verdicts[by_id[d]]) for d in c.depends_on) else v
                for c, v in zip(checks, verdicts)]
    settled: dict[int, Any] = {}

    def settle(i: int, path: tuple[int, ...] = ()) -> Any:
        if i in settled:
            return settled[i]
        if i in path:
            raise ValueError(f"dependency cycle through check {checks[i].id!r}")
        prerequisites = [settle(by_id[d], path + (i,)) for d in checks[i].depends_on]
        settled[i] = fail_value if any(failed(p) for p in prerequisites) else verdicts[i]
        return settled[i]

    return [settle(i) for i in range(len(checks))]
