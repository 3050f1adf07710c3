"""Untrusted text, scored without losing the run: a time limit on scoring one document, and the notes a check
leaves when a response is hostile (nesting deeper than Python's parsers read, characters that could not be
encoded, an answer of invisible characters only), which the task counts in its ``hostile_input`` metric.

The limit is a ``SIGALRM`` timer, so it applies in the main thread of a Unix process (where lm-eval scores), and
interrupts Python code and the ``re``/``regex`` engines alike; elsewhere scoring runs unlimited. Every rule check
is also bounded by design (:mod:`raif_eval.verifiers.instructions`, ``bench/fuzz.py``): the limit is the backstop
that keeps a run going, not the way checks are kept fast.
"""

from __future__ import annotations

import ast
import contextvars
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from raif_eval.core.answers import visible

DEFAULT_SCORING_TIMEOUT_S = 60.0
MAX_LITERAL_CHARS = 1 << 20
REPLACEMENT = "\ufffd"  # what a lone surrogate or an undecodable byte of a response became on the way in

_notes: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("raif_hostile_notes", default=None)


class ScoringTimeout(BaseException):
    """Scoring one document took longer than its limit (a ``BaseException``, as ``KeyboardInterrupt``: a library's
    ``except Exception`` must not swallow it)."""


def scoring_timeout() -> float:
    """Seconds one document's scoring may take (``RAIF_SCORING_TIMEOUT``; 0, less, or more than a day: no
    limit)."""
    try:
        seconds = float(os.environ.get("RAIF_SCORING_TIMEOUT", DEFAULT_SCORING_TIMEOUT_S))
    except ValueError:
        return DEFAULT_SCORING_TIMEOUT_S
    return seconds if 0 < seconds <= 86_400 else 0.0


_state = {"protected": 0}  # > 0 inside one-time set-up, which a timer must not cut off halfway


@contextmanager
def uninterrupted() -> Iterator[None]:
    """One-time set-up (loading a model, a profile table, a tokenizer) that :func:`time_limit` lets finish: cut
    off halfway, it would stay half done for the rest of the run."""
    _state["protected"] += 1
    try:
        yield
    finally:
        _state["protected"] -= 1


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ScoringTimeout` in the block after ``seconds``, where a timer can interrupt it (see the module
    docstring), and again every half second should the block swallow it; never inside an import or
    :func:`uninterrupted` set-up (the timer waits for them). A timer someone else armed is left alone, and the
    block then runs unlimited."""
    usable = (0 < seconds <= 86_400 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))
    if not usable:
        yield
        return
    done = False

    def expire(signum, frame):
        if done:
            return
        if _state["protected"] or _importing(frame):  # let it finish; the interval timer comes back
            return
        raise ScoringTimeout(f"scoring took longer than {seconds:g} s (RAIF_SCORING_TIMEOUT)")

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
        yield
    finally:
        done = True  # from here on the handler does nothing, whenever the signal lands
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


def literal_eval(text: str):
    """``ast.literal_eval`` of untrusted text, refusing text over :data:`MAX_LITERAL_CHARS` with ``ValueError``
    (what every caller reads as "not a literal"): Python's parser builds the whole tree first, ~250 bytes a
    character (1 GB for a 4 MB answer)."""
    if isinstance(text, str) and len(text) > MAX_LITERAL_CHARS:
        raise ValueError(f"not read as a literal: over {MAX_LITERAL_CHARS:,} characters")
    return ast.literal_eval(text)


def _importing(frame) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def note(reason: str) -> None:
    """Record that the document being scored met hostile input (a no-op outside :func:`noticing`)."""
    notes = _notes.get()
    if notes is not None and reason not in notes:
        notes.append(reason)


@contextmanager
def noticing() -> Iterator[list[str]]:
    """Collect the :func:`note` calls of the block (one document's scoring)."""
    notes: list[str] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)


def text_notes(text: str) -> list[str]:
    """What is hostile about a scored answer itself: replacement characters, or nothing visible but not empty
    (zero-width, BOM, control characters: the official checkers pass such answers on "no comma" and the like, and
    we keep their verdicts, but count them)."""
    out = []
    if REPLACEMENT in text:
        out.append("unencodable characters (replaced by U+FFFD)")
    if text and not visible(text):
        out.append("an answer of invisible characters only")
    return out
