"""Maths answers against a ground truth, with ``math-verify`` (its LaTeX parser): RAIF's maths reward.

RAIF used Qwen-Math's ``extract_answer`` (the last ``\\boxed{…}``) and ``math_equal`` in a subprocess under a 10 s
timeout. Here the content of the answer's last ``\\boxed{…}`` is parsed by ``math-verify`` and compared
symbolically with the parsed truth; a comparison that runs out of time counts as wrong, as in RAIF.
``math-verify`` bounds parsing and comparison with ``signal.alarm``, which only the main thread may use; elsewhere
(a reward running on an event-loop thread) the check runs in a one-worker process pool and is abandoned after the
same time.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import threading

TIMEOUT_S = 5
MAX_CHARS = 20_000  # a looping rollout's answer is cut here: the boxed result sits at its end or nowhere
BOXED = ("\\boxed", "\\fbox")

_pool: concurrent.futures.ProcessPoolExecutor | None = None


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{…}`` (braces balanced; ``\\boxed 5`` too), or None."""
    start = max(text.rfind(b) for b in BOXED)
    if start < 0:
        return None
    head = text[start:].removeprefix("\\boxed").removeprefix("\\fbox")
    if head[:1] == " ":  # \boxed 5
        return head.strip().split("$", 1)[0].split()[0] if head.strip() else None
    if not head.startswith("{"):
        return None
    depth, out = 0, []
    for ch in head:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return "".join(out)
        out.append(ch)
    return None  # unbalanced


def check(answer: str, truth: str) -> bool | None:
    """True / False: the last boxed result equals the truth or not (a check out of time is False); None: no
    ``\\boxed`` in the answer, or nothing in it parses (RAIF's "no answer" case)."""
    if "boxed" not in answer:
        return None
    boxed = last_boxed(answer[-MAX_CHARS:])
    if not boxed or not boxed.strip():
        return None
    if threading.current_thread() is threading.main_thread():
        return _check(boxed, truth, TIMEOUT_S)
    try:
        return _worker().submit(_check, boxed, truth, None).result(timeout=TIMEOUT_S)
    except concurrent.futures.TimeoutError:
        _reset_pool()
        return False
    except concurrent.futures.process.BrokenProcessPool:
        _reset_pool()
        return False


def _check(boxed: str, truth: str, timeout: int | None) -> bool | None:
    from math_verify import LatexExtractionConfig, parse, verify

    if timeout is None:  # the pool's worker: the caller bounds the time; math-verify would warn on every call
        logging.getLogger("math_verify").setLevel(logging.ERROR)
    predicted = parse(f"${boxed}$", extraction_config=[LatexExtractionConfig()], parsing_timeout=timeout)
    if not predicted:
        return None
    gold = parse(truth if "$" in truth or "boxed" in truth else f"${truth}$", parsing_timeout=timeout) or [truth]
    return bool(verify(gold, predicted, timeout_seconds=timeout))


def _warm() -> bool:
    import math_verify  # noqa: F401  (sympy and the LaTeX parser: about a second)

    return True


def _worker() -> concurrent.futures.ProcessPoolExecutor:
    """The one-worker pool, started and warmed before any timed check (spawn, not fork: the trainer holds CUDA
    state and threads that a forked child must not inherit)."""
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        try:
            _pool.submit(_warm).result(timeout=120)
        except Exception:
            _reset_pool()
            raise
    return _pool


def _reset_pool() -> None:
    global _pool
    if _pool is not None:
        for process in list(getattr(_pool, "_processes", {}).values()):
            process.kill()  # a runaway sympy computation does not stop on its own
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None
