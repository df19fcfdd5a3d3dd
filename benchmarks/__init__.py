"""Benchmarks: pytest-benchmark suites and ``python -m benchmarks``, the comparison table.

Each workload module (``bench_chain``, ``bench_micro_mlp``, ``bench_q``,
``bench_mlp``, ``bench_resnet``, ``bench_depth``, ``bench_fanout``) defines the
workload once for every backend (this library, PyTorch, hand-written numpy
and, for the scalar workloads, micrograd), the checks of its results, and its
pytest-benchmark tests; ``benchmarks.workloads`` lists the table's rows.  ``benchmarks.worker`` times one
workload on one engine in its own process; ``python -m benchmarks`` runs the
workers and prints the table.
"""
