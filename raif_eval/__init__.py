"""raif-eval: complex instruction-following benchmarks on lm-evaluation-harness, with one constraint-check core."""

__version__ = "0.1.0"
