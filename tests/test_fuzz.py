"""The fuzz suite, bounded for CI: every untrusted-text entry point is total and deterministic on hostile text
(hypothesis; the hostile families of ``tests/fuzz_targets.py``), and every bounded re-implementation of an
upstream algorithm gives upstream's verdict. ``bench/fuzz.py`` runs the same targets on 100,000 inputs with time
and memory bounds; the hypothesis deadline here only guards against a hang."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_targets
from raif_eval import verifiers
from raif_eval.benchmarks import cfbench, fbbench, followbench
from raif_eval.core.benchmark import doc_record
from raif_eval.verifiers import instructions

FUZZ = settings(max_examples=25, deadline=timedelta(seconds=30), derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
EQUIVALENCE = settings(FUZZ, max_examples=400)

# any code point, lone surrogates included (what a surrogateescape-decoded or broken-UTF-16 response holds)
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())


@st.composite
def hostile_texts(draw) -> str:
    """A hostile family at a size up to 10 KB (the bench goes to 4 MB), or any text."""
    if draw(st.booleans()):
        return draw(st.text(ANY_CHAR, max_size=300))
    family = draw(st.sampled_from(sorted(fuzz_targets.FAMILIES)))
    size = draw(st.sampled_from((0, 1, 2, 10, 100, 1_000, 10_000)))
    return fuzz_targets.FAMILIES[family](draw(st.randoms(use_true_random=False)), size)


def joined(pieces, max_size: int):
    """Texts made of ``pieces`` (multi-character ones included)."""
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, default=repr, ensure_ascii=True)


@pytest.mark.parametrize("name", sorted(fuzz_targets.targets()))
def test_every_target_is_total_and_deterministic(name):
    call = fuzz_targets.make(name)

    @FUZZ
    @given(text=hostile_texts(), i=st.integers(0, 10_000))
    def check(text, i):
        first = call(text, i)  # raises: a crash
        assert _canonical(call(text, i)) == _canonical(first)

    check()


# --- bounded equivalents give upstream's verdicts -------------------------------------------------------------

@cache
def _bounded_verifiers() -> list:
    """A verifier of each distinct (instruction, kwargs, reading) of IFEval that has a bounded equivalent."""
    out = {}
    for doc in fuzz_targets.documents("ifeval"):
        record = doc_record(doc)
        for iid, kwargs in zip(record["instruction_id_list"], record["kwargs"]):
            if iid in instructions.BOUNDED:
                kwargs = {k: v for k, v in kwargs.items() if v is not None}
                for reading in verifiers.READINGS:
                    out.setdefault(_canonical([iid, kwargs, reading]), verifiers.build(iid, reading, **kwargs))
    return list(out.values())


BOUNDED_PIECES = ("<", "<<", ">", ">>", "[", "]", "\n", " ", "a", "B", "CD", "HELLO", ".", "!", "?", "Dr.", "e.g.",
                  "U.S.", '"', ")", "(", "\u200b", "\ud800", "1.", "A", "''", "``", "n't", "I'm", "\t", "...", "P.S.")


@EQUIVALENCE
@given(data=st.data(), pieces=st.lists(st.sampled_from(BOUNDED_PIECES), max_size=120))
def test_bounded_ifeval_checkers_give_upstreams_verdicts(data, pieces):
    verifier = data.draw(st.sampled_from(_bounded_verifiers()))
    text = "".join(pieces) if data.draw(st.booleans()) else data.draw(st.text(ANY_CHAR, max_size=200))
    bounded = instructions.BOUNDED[verifier.id](verifier.instruction.get_instruction_args(), text)
    assert bounded == bool(verifier.instruction.check_following(text)), (verifier.id, verifier.kwargs, text)


def test_bounded_ifeval_checkers_on_the_gpt4_responses(ifeval_gpt4_responses):
    every = _bounded_verifiers()
    for i, response in enumerate(ifeval_gpt4_responses):
        for verifier in (every[(4 * i + k) % len(every)] for k in range(4)):
            args = verifier.instruction.get_instruction_args()
            assert instructions.BOUNDED[verifier.id](args, response) == \
                bool(verifier.instruction.check_following(response)), (verifier.id, response[:200])


@EQUIVALENCE
@given(joined(["<", ">", "</", "/", "a", "<?xml ", "?>", "\n", " "], 16))
def test_tag_pair_is_raifs_xml_pattern(text):
    assert instructions.tag_pair(text) == (instructions.XML_PATTERN.match(text) is not None)


@EQUIVALENCE
@given(joined(["[", "]", "'YES'", "'NO'", ",", " ", "a", "\r", "[]"], 24))
def test_followbench_bracketed_span_is_upstreams_regex(line):
    found = re.search(r"\[.*\]", line)
    assert followbench.bracketed_span(line) == (found.group() if found else None)


ROUGE_PIECES = ["a", "b", "cat", " ", ".", "。", "中", "文", "!", "\n", "the", "?", "  ", "x y", "满足", "要求"]


@EQUIVALENCE
@given(joined(ROUGE_PIECES, 12), joined(ROUGE_PIECES, 40), st.integers(0, 2))
def test_cfbench_similarity_gives_rouge_chineses_verdicts(hypothesis, other, how):
    reference = (other, hypothesis + other[:3], other[:2] + hypothesis)[how]  # near matches too
    cut, rouge = cfbench._rouge()

    def upstream():
        return rouge.get_scores(" ".join(cut(hypothesis)), " ".join(cut(reference)))[0]["rouge-l"]["f"] > 0.5

    try:
        expected = upstream()
    except Exception as exc:  # noqa: BLE001 — rouge_chinese raises on empty texts; the shortcut must too
        with pytest.raises(type(exc)):
            cfbench._similar(hypothesis, reference, {})
        return
    assert cfbench._similar(hypothesis, reference, {}) == expected


JSON_PIECES = ["{", "}", "[", "]", '"a"', ":", ",", "1", "-0", "1e400", "NaN", "Infinity", " ", "\n", "true", "null",
               '"\\u2028"', '"\\ud800"', "0x1", ".5", "'s'", '"k"', "2.0", "\t", "\u2028", '"\\n"', "\ufeff", "\u3000",
               "\xa0", "\u200b", "//c\n", "/*c*/", "\x0b", '"\\ud83d\\ude00"', '"\\uDBFF"', "[" * 30, "]" * 30]


@EQUIVALENCE
@given(joined(JSON_PIECES, 12))
def test_fbbench_json_fast_path_reads_as_json5(text):
    import json5

    try:
        expected = ("value", _canonical(json5.loads(text)))
    except Exception:  # noqa: BLE001
        expected = ("error",)
    try:
        got = ("value", _canonical(fbbench._json5(text)))
    except Exception:  # noqa: BLE001
        got = ("error",)
    assert got == expected
