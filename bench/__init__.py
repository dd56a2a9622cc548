"""Benchmarks: each script starts what it measures, prints a table and writes JSON under bench/results/."""
