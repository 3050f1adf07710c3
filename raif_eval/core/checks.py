"""Checks and their evaluation.

A check is one constraint of one document. Rule checks run in code; a check may depend on others, and a
check whose dependency failed counts as failed (ComplexBench's zeroing rule, a no-op where no check has
dependencies).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleCheck:
    """A constraint verified in code.

    ``test`` returns the verdict for one candidate text. ``id`` is unique within its document; ``category``
    names the constraint type that reports break results down by.
    """

    id: str
    test: Callable[[str], bool]
    category: str = ""
    depends_on: tuple[str, ...] = ()


def run_rule_checks(
    checks: Sequence[RuleCheck],
    variants: Sequence[str],
    memo: dict[tuple[str, str], bool] | None = None,
) -> list[bool]:
    """Verdicts of ``checks``: a check passes if its test passes on any of ``variants``, tried in order.

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


def apply_dependencies(checks: Sequence[RuleCheck], passed: Sequence[bool]) -> list[bool]:
    """Fail every check that depends, directly or through others, on a failed check."""
    if not any(c.depends_on for c in checks):
        return list(passed)
    by_id = {c.id: i for i, c in enumerate(checks)}
    unknown = {d for c in checks for d in c.depends_on if d not in by_id}
    if unknown:
        raise ValueError(f"checks depend on unknown ids: {sorted(unknown)}")
    result = list(passed)
    state: dict[int, bool] = {}

    def settle(i: int, path: tuple[int, ...] = ()) -> bool:
        if i in state:
            return state[i]
        if i in path:
            raise ValueError(f"dependency cycle through check {checks[i].id!r}")
        ok = result[i] and all(settle(by_id[d], path + (i,)) for d in checks[i].depends_on)
        state[i] = ok
        return ok

    return [settle(i) for i in range(len(checks))]
