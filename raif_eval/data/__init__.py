"""Benchmark data layer: a registry of pinned upstream files, and their local resolution with hash checks."""

from raif_eval.data.registry import BenchmarkFiles, FileSpec, benchmark, benchmarks
from raif_eval.data.store import Located, check, data_dir, download_cache, fetch, locate, resolve

__all__ = [
    "BenchmarkFiles", "FileSpec", "Located", "benchmark", "benchmarks", "check", "data_dir", "download_cache",
    "fetch", "locate", "resolve",
]
