"""Benchmarks of the core jobs, each measured against a baseline in the same run (see run.py)."""
