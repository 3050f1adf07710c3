"""``raif-eval data pull | verify | where [BENCH…] [--fixtures]``."""

from __future__ import annotations

from tabulate import tabulate

from raif_eval.data.registry import FileSpec, benchmark, benchmarks
from raif_eval.data.store import check, download_cache, fetch, locate
from raif_eval.errors import DataError
from raif_eval.paths import writable_folder


def _selected(keys: list[str], fixtures: bool) -> list[FileSpec]:
    chosen = [benchmark(k) for k in keys] if keys else list(benchmarks().values())
    return [f for b in chosen for f in b.files if fixtures or f.role == "data"]


def run(action: str, keys: list[str], fixtures: bool) -> int:
    """Print one row per file; for pull and verify, exit status 1 if any file is missing or corrupted."""
    rows, problems = [], []
    selected = _selected(keys, fixtures)
    if action == "pull" and any(locate(spec).path is None for spec in selected):
        writable_folder(download_cache(), "the download cache (RAIF_CACHE_DIR)")  # one line, not a traceback per file
    for spec in selected:
        found = locate(spec)
        path, status = found.path, found.where
        if path is None and action == "pull":
            try:
                path, status = fetch(spec), "downloaded"
            except DataError as exc:
                status = "missing (download failed)"
                problems.append(str(exc))
        elif path is not None and action != "where":
            try:
                check(path, spec)
                status = f"ok ({found.where})"
            except DataError as exc:
                status = "HASH MISMATCH"
                problems.append(str(exc))
        elif path is None and action == "verify":
            problems.append(f"{spec.name} is missing")
        rows.append((spec.name, status, str(path) if path else "-"))
    print(tabulate(rows, headers=("file", "status", "path")))
    if problems and action != "where":
        print(f"\n{len(problems)} problem(s); the first: {problems[0]}")
        return 1
    return 0
