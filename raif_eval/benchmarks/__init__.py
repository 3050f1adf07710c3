"""Benchmarks: loading records and scoring responses through the constraint-check core."""
