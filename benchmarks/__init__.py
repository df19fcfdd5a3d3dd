"""Benchmarks: pytest-benchmark suites and ``python -m benchmarks``, the comparison table.

Each workload module (``bench_chain``, ``bench_q``) defines the workload once
for every backend (this library, PyTorch, hand-written numpy), the checks of
its results, and its pytest-benchmark tests.  ``benchmarks.worker`` times one
workload on one engine in its own process; ``python -m benchmarks`` runs the
workers and prints the table.
"""
