"""The registry of benchmark files: where each comes from (pinned upstream commit) and its expected hash."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from raif_eval.errors import DataError

RAW_BASE = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class FileSpec:
    benchmark: str
    file: str  # path relative to <data dir>/<benchmark>/
    role: str  # "data" (read by the tasks) or "fixture" (official outputs for fidelity checks)
    repo: str
    commit: str
    path: str  # path inside the upstream repository
    sha256: str | None = None
    git_blob: str | None = None  # used where upstream publishes only the git blob id
    bytes: int | None = None

    def url(self, base: str = RAW_BASE) -> str:
        return f"{base.rstrip('/')}/{self.repo}/{self.commit}/{self.path}"

    @property
    def name(self) -> str:
        return f"{self.benchmark}/{self.file}"


@dataclass(frozen=True)
class BenchmarkFiles:
    """The pinned upstream files of one benchmark (its scoring is defined in :mod:`raif_eval.benchmarks`)."""

    key: str
    name: str
    source: str
    license: str
    files: tuple[FileSpec, ...]

    def file(self, name: str) -> FileSpec:
        for spec in self.files:
            if spec.file == name:
                return spec
        raise DataError(f"{self.key} has no registered file {name!r}; known: {', '.join(f.file for f in self.files)}")


@cache
def benchmarks() -> dict[str, BenchmarkFiles]:
    table = tomllib.loads(resources.files("raif_eval.data").joinpath("sources.toml").read_text("utf-8"))
    out = {}
    for key, entry in table.items():
        files = tuple(FileSpec(benchmark=key, **f) for f in entry["files"])
        out[key] = BenchmarkFiles(key, entry["name"], entry["source"], entry["license"], files)
    return out


def benchmark(key: str) -> BenchmarkFiles:
    try:
        return benchmarks()[key]
    except KeyError:
        raise DataError(f"unknown benchmark {key!r}; choose from: {', '.join(benchmarks())}") from None
