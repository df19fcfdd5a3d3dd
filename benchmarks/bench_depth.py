"""Backward's cost per node on a deep graph: ``y = y * (1 + 1/N)``, N times.

A 0-d float32 leaf x = 1 goes through a chain of N multiplications (N
MulBackward0 nodes, each one the next's only input), then ``y.backward()``.
Forward is the time per op of building the chain; backward, per node.
Run at N = 10^4, 10^5 and 10^6: an engine that recurses over the graph
overflows the stack at 10^6; one that is not linear shows a rising column.
There is no numpy or micrograd version.

    pytest benchmarks/bench_depth.py --benchmark-enable
"""
import numpy as np

from benchmarks import scaling

SIZE = 100_000                   # the table also runs 10^4 and 10^6
TEST_SIZE = 10_000              # pytest-benchmark's (the table shows the scaling)


def factor(size):
    """The chain's factor: (1 + 1/N)**N is about e at every N."""
    return 1.0 + 1.0 / size


class TensorCase(scaling.NodeCountCase):
    """The workload on autograd or torch."""

    def build(self, x):
        c = factor(self.size)
        y = x
        for _ in range(self.size):
            y = y * c
        return y


def make_case(lib, size=SIZE):
    """The workload on ``lib`` with a chain of ``size`` nodes."""
    return scaling.make_case(TensorCase, lib, size, "a chain of N nodes")


def _expected(size):
    # the engines multiply in float32, by the factor rounded to float32
    return float(np.float64(np.float32(factor(size))) ** size)


def _rtol(size):
    # float32 rounding in N steps drifts: measured 4.5e-7, 1.9e-5, 2.1e-3 at 10^4..10^6
    return 1e-5 + size * 1e-8


def check_forward(y, size=SIZE):
    scaling.check_scalar("y", y, _expected(size), _rtol(size))


def check_backward(grads, size=SIZE):
    # dy/dx is the same product as y, accumulated backwards from 1
    (grad,) = grads
    scaling.check_scalar("x.grad", grad, _expected(size), _rtol(size))


# ---------------------------------------------------------------- pytest-benchmark

def test_depth_backward(benchmark, graph_backend):
    benchmark.group = f"backward of a chain of {TEST_SIZE:,} nodes"
    case = make_case(graph_backend, TEST_SIZE)
    check_forward(case.value(case.forward()), TEST_SIZE)
    benchmark.pedantic(case.backward, setup=case.graph, rounds=5)
    check_backward(case.grads(), TEST_SIZE)
