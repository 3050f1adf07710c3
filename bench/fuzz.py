"""Fuzz every untrusted-text entry point with a large hostile corpus, in capped subprocesses, and print a table per
target: inputs tried, crashes, hangs, calls over the time bound, slowest call, peak memory of a call.

The targets and the hostile families are ``tests/fuzz_targets.py`` (also what ``tests/test_fuzz.py`` runs, bounded,
under hypothesis): every benchmark's scorer with real documents, every judge program (official and paper) with
hostile answers and hostile judge replies, answer extraction, the judged-value decoder, the training verifiers and
rewards. Input ``i`` is a pure function of ``--seed`` and ``i``, so any finding reruns with ``--only i``.

Bounds checked (exit status 1 if any is broken):

* no call raises (a crash) or outlasts ``--call-timeout`` (a hang, the worker's SIGALRM; a worker that dies or
  does not answer is restarted and its input counted as a crash);
* no call on an input of at most 256 KB takes longer than ``--max-seconds`` (1 s);
* no call grows the worker's resident memory by more than ``--max-mib`` (512 MiB): the high-water mark of the
  call (``VmHWM``, reset before it through ``/proc/self/clear_refs``) less the resident size before it. Workers
  also run under ``RLIMIT_AS`` (``--address-space-gib``), so a blow-up is a counted MemoryError, not a machine
  out of memory.

Inputs above 256 KB (1 MB and 4 MB, about 1 % of the corpus) are checked for crashes, hangs and memory only.

    python bench/fuzz.py                      # 100,000 inputs, two workers (about 15 minutes here)
    python bench/fuzz.py --n 5000 --targets judge:cfbench:paper,score:ifeval:official
    python bench/fuzz.py --only 12345         # rerun one input, in this process, with its traceback
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

BOUNDED_BYTES = 262_144
# bytes of an input and how often: most inputs are short, as most responses are; the long ones are where the
# super-linear algorithms were
SIZES = {0: 6, 1: 6, 2: 4, 10: 10, 100: 14, 1_000: 14, 10_000: 14, 65_536: 10, 262_144: 10, 1_048_576: 0.8,
         4_194_304: 0.2}


def plan(seed: int, i: int, targets: list[str]) -> tuple[str, str, int]:
    """Input ``i``: (target, family, size)."""
    from fuzz_targets import FAMILIES

    rng = random.Random(f"{seed}:{i}")
    size = rng.choices(list(SIZES), weights=list(SIZES.values()))[0]
    return targets[i % len(targets)], rng.choice(sorted(FAMILIES)), size


def text_of(seed: int, i: int, family: str, size: int) -> str:
    from fuzz_targets import hostile

    return hostile(random.Random(f"{seed}:{i}:text"), family, size)[1]


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def _reset_peak() -> None:
    """Reset the process's resident high-water mark (Linux 4.0+), so the next reading is this call's peak."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass  # then the reading is the process's peak so far: still an upper bound


def _peak_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _worker(conn, seed: int, call_timeout: float, address_space_gib: float) -> None:
    import logging
    import signal

    quiet = os.open(os.devnull, os.O_WRONLY)  # the checkers' and loaders' chatter, 100,000 times over
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    logging.disable(logging.CRITICAL)
    if address_space_gib > 0:
        limit = int(address_space_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import fuzz_targets

    made: dict = {}

    class Hang(BaseException):
        pass

    running = [False]

    def expire(signum, frame):
        if running[0]:  # a signal landing after the call is not its hang
            raise Hang()

    signal.signal(signal.SIGALRM, expire)
    while True:
        job = conn.recv()
        if job is None:
            return
        i, target, family, size = job
        try:
            if target not in made:
                made[target] = fuzz_targets.make(target)
                made[target]("warm up", 0)  # documents, models and tables load once, outside the timings
            text = text_of(seed, i, family, size)
        except BaseException as exc:  # noqa: BLE001 — reported, the run goes on
            conn.send((i, "setup", f"{type(exc).__name__}: {exc}"[:300], 0.0, 0))
            continue
        _reset_peak()
        before = _rss_kib()
        outcome, detail = "ok", ""
        running[0] = True
        signal.setitimer(signal.ITIMER_REAL, call_timeout)
        start = time.perf_counter()
        try:
            made[target](text, i)
        except Hang:
            outcome = "hang"
        except BaseException as exc:  # noqa: BLE001 — a crash is what the bench looks for
            outcome, detail = "crash", f"{type(exc).__name__}: {str(exc)[:200]}"
        finally:
            running[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - start
        grown = max(0, _peak_kib() - before)
        conn.send((i, outcome, detail, seconds, grown))


class Pool:
    """Workers fed one input at a time; a worker that dies or stops answering is replaced."""

    def __init__(self, workers: int, seed: int, call_timeout: float, address_space_gib: float) -> None:
        self.args = (seed, call_timeout, address_space_gib)
        self.grace = call_timeout + 120  # a first call also loads its target's documents and models
        self.context = multiprocessing.get_context("fork")
        self.slots = [self._start() for _ in range(workers)]

    def _start(self):
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(child, *self.args), daemon=True)
        process.start()
        return {"process": process, "conn": parent, "job": None, "since": 0.0}

    def run(self, jobs, on_result) -> None:
        jobs = iter(jobs)
        pending = True
        while pending or any(s["job"] for s in self.slots):
            for k, slot in enumerate(self.slots):
                if slot["job"] is None and pending:
                    job = next(jobs, None)
                    if job is None:
                        pending = False
                    else:
                        slot["job"], slot["since"] = job, time.monotonic()
                        slot["conn"].send(job)
                if slot["job"] is None:
                    continue
                if slot["conn"].poll(0.002):
                    try:
                        on_result(slot["job"], *slot["conn"].recv()[1:])
                        slot["job"] = None
                        continue
                    except EOFError:
                        pass
                dead = not slot["process"].is_alive()
                if dead or time.monotonic() - slot["since"] > self.grace:
                    code = slot["process"].exitcode
                    slot["process"].kill()
                    on_result(slot["job"], "crash", f"worker {'died (exit ' + str(code) + ')' if dead else 'stopped answering'}",
                              time.monotonic() - slot["since"], 0)
                    self.slots[k] = self._start()

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot["conn"].send(None)
            except (BrokenPipeError, OSError):
                pass
            slot["process"].join(5)
            slot["process"].kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="inputs in all (default 100,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--targets", default="", help="comma-separated target names (default: all)")
    parser.add_argument("--call-timeout", type=float, default=10.0, help="seconds before a call is a hang")
    parser.add_argument("--max-seconds", type=float, default=1.0, help="time bound of a call on ≤ 256 KB")
    parser.add_argument("--max-mib", type=float, default=512.0, help="memory bound of a call")
    parser.add_argument("--address-space-gib", type=float, default=8.0, help="RLIMIT_AS of a worker (0: none)")
    parser.add_argument("--only", type=int, default=None, help="rerun input I here, with its traceback")
    parser.add_argument("--out", default="", help="also write the findings as JSON here")
    args = parser.parse_args()

    from fuzz_targets import targets as all_targets

    names = [t for t in args.targets.split(",") if t] or sorted(all_targets())
    unknown = set(names) - set(all_targets())
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; choose from {', '.join(sorted(all_targets()))}")
    if args.only is not None:
        from fuzz_targets import make

        target, family, size = plan(args.seed, args.only, names)
        call = make(target)
        text = text_of(args.seed, args.only, family, size)
        print(f"input {args.only}: {target}, {family}, {size} bytes")
        start = time.perf_counter()
        try:
            call(text, args.only)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
        print(f"{time.perf_counter() - start:.3f} s")
        return

    stats: dict[str, dict] = defaultdict(lambda: {"tried": 0, "crashes": 0, "hangs": 0, "over": 0, "slowest": 0.0,
                                                  "slowest_input": None, "big_slowest": 0.0, "peak_mib": 0.0})
    findings: list[dict] = []
    done = [0]
    started = time.monotonic()

    def on_result(job, outcome, detail, seconds, grown_kib):
        i, target, family, size = job
        row = stats[target]
        row["tried"] += 1
        row["peak_mib"] = max(row["peak_mib"], grown_kib / 1024)
        if size <= BOUNDED_BYTES:
            if seconds > row["slowest"]:
                row["slowest"], row["slowest_input"] = seconds, f"{i} ({family}, {size} B)"
            if seconds > args.max_seconds and outcome == "ok":
                row["over"] += 1
                findings.append({"input": i, "target": target, "family": family, "size": size, "what": "slow",
                                 "seconds": round(seconds, 3)})
        else:
            row["big_slowest"] = max(row["big_slowest"], seconds)
        if outcome in ("crash", "setup"):
            row["crashes"] += 1
        elif outcome == "hang":
            row["hangs"] += 1
        if outcome != "ok":
            findings.append({"input": i, "target": target, "family": family, "size": size, "what": outcome,
                             "detail": detail})
        if grown_kib / 1024 > args.max_mib:
            findings.append({"input": i, "target": target, "family": family, "size": size, "what": "memory",
                             "mib": round(grown_kib / 1024)})
        done[0] += 1
        if done[0] % 2000 == 0:
            rate = done[0] / (time.monotonic() - started)
            print(f"  {done[0]:,}/{args.n:,} inputs, {len(findings)} findings, {rate:.0f}/s", file=sys.stderr,
                  flush=True)

    pool = Pool(args.workers, args.seed, args.call_timeout, args.address_space_gib)
    try:
        pool.run(((i, *plan(args.seed, i, names)) for i in range(args.n)), on_result)
    finally:
        pool.close()
    elapsed = time.monotonic() - started

    from tabulate import tabulate

    rows = [[name, f"{r['tried']:,}", r["crashes"], r["hangs"], r["over"], f"{r['slowest']:.3f}",
             r["slowest_input"], f"{r['big_slowest']:.2f}", f"{r['peak_mib']:.0f}"]
            for name, r in sorted(stats.items())]
    total = {k: sum(r[k] for r in stats.values()) for k in ("tried", "crashes", "hangs", "over")}
    rows.append(["all", f"{total['tried']:,}", total["crashes"], total["hangs"], total["over"],
                 f"{max(r['slowest'] for r in stats.values()):.3f}", "",
                 f"{max(r['big_slowest'] for r in stats.values()):.2f}",
                 f"{max(r['peak_mib'] for r in stats.values()):.0f}"])
    print(tabulate(rows, headers=["target", "tried", "crashes", "hangs", f"> {args.max_seconds:g} s",
                                  "slowest s (≤256 KB)", "slowest input", "slowest s (>256 KB)",
                                  "peak MiB (a call)"], disable_numparse=True))
    print(f"\n{total['tried']:,} inputs in {elapsed / 60:.1f} min with {args.workers} workers (seed {args.seed}); "
          f"bounds: {args.max_seconds:g} s per call up to 256 KB, {args.max_mib:g} MiB per call")
    for finding in findings[:30]:
        print("  finding:", json.dumps(finding, ensure_ascii=True))
    if args.out:
        Path(args.out).write_text(json.dumps({"stats": stats, "findings": findings}, indent=1) + "\n")
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
