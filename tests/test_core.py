"""The constraint-check core: variant semantics, memoisation, dependencies, aggregation."""

import math

import pytest

from raif_eval.core import Check as RuleCheck, apply_dependencies, mean, pooled_mean, run_rule_checks


def counting(test):
    calls = []

    def wrapped(text):
        calls.append(text)
        return test(text)

    return wrapped, calls


def test_a_check_passes_on_any_variant_and_stops_at_the_first_pass():
    fn, calls = counting(lambda t: t == "b")
    checks = [RuleCheck("0:x", fn)]
    assert run_rule_checks(checks, ["a", "b", "c"]) == [True]
    assert calls == ["a", "b"]
    assert run_rule_checks(checks, ["a", "c"]) == [False]


def test_memo_tests_each_check_and_text_once_across_passes():
    fn, calls = counting(lambda t: "ok" in t)
    checks = [RuleCheck("0:x", fn), RuleCheck("1:y", lambda t: False)]
    memo = {}
    assert run_rule_checks(checks, ["no"], memo) == [False, False]
    assert run_rule_checks(checks, ["no", "no", "ok"], memo) == [True, False]
    assert calls == ["no", "ok"]


def test_failed_dependency_fails_its_dependents_transitively():
    checks = [
        RuleCheck("a", lambda t: False),
        RuleCheck("b", lambda t: True, depends_on=("a",)),
        RuleCheck("c", lambda t: True, depends_on=("b",)),
        RuleCheck("d", lambda t: True),
    ]
    assert run_rule_checks(checks, ["x"]) == [False, False, False, True]
    assert apply_dependencies(checks, [True, True, True, True]) == [True, True, True, True]


def test_dependency_errors_are_reported():
    with pytest.raises(ValueError, match="unknown ids"):
        apply_dependencies([RuleCheck("a", bool, depends_on=("zz",))], [True])
    cyclic = [RuleCheck("a", bool, depends_on=("b",)), RuleCheck("b", bool, depends_on=("a",))]
    with pytest.raises(ValueError, match="cycle"):
        apply_dependencies(cyclic, [True, True])


def test_mean_and_pooled_mean():
    assert mean([True, False, True, True]) == 0.75
    assert pooled_mean([[True], [False, False, True]]) == 0.5  # micro, not the mean of 1.0 and 1/3
    assert math.isnan(mean([])) and math.isnan(pooled_mean([[]]))
