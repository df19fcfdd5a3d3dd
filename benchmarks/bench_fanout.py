"""Backward's cost per node on a wide graph: one leaf used N times.

``stack([x * c_i for i in range(N)]).sum()`` on a 0-d float32 leaf x = 0.5:
N MulBackward0 nodes all feed x's gradient, so the engine accumulates N
gradients into one leaf and counts N dependencies for it.  Forward is the
time per op of building the graph; backward, per node (per use of x).
The c_i are multiples of 1/8 and every partial sum stays below 2**20, so the
float32 results are exact in any order of accumulation.  There is no numpy
or micrograd version.

    pytest benchmarks/bench_fanout.py --benchmark-enable
"""

from benchmarks import scaling

SIZE = 100_000                   # the table also runs 10^4 and 10^6
TEST_SIZE = 10_000              # pytest-benchmark's (the table shows the scaling)


def coefficients(size):
    """c_i = 1/8, 2/8, ..., 8/8, 1/8, ...: exact in float32."""
    return [((i % 8) + 1) / 8 for i in range(size)]


class TensorCase(scaling.NodeCountCase):
    """The workload on autograd or torch."""

    start = 0.5

    def __init__(self, lib, size):
        super().__init__(lib, size)
        self.lib = lib
        self.coefficients = coefficients(size)

    def build(self, x):
        return self.lib.stack([x * c for c in self.coefficients]).sum()


def make_case(lib, size=SIZE):
    """The workload on ``lib`` with one leaf used ``size`` times."""
    return scaling.make_case(TensorCase, lib, size, "a leaf used N times")


def check_forward(total, size=SIZE):
    scaling.check_scalar("total", total, TensorCase.start * sum(coefficients(size)), 0)


def check_backward(grads, size=SIZE):
    # d total / dx = sum of the c_i, exactly: one lost or doubled use shows
    (grad,) = grads
    scaling.check_scalar("x.grad", grad, sum(coefficients(size)), 0)


# ---------------------------------------------------------------- pytest-benchmark

def test_fanout_backward(benchmark, graph_backend):
    benchmark.group = f"backward of one leaf used {TEST_SIZE:,} times"
    case = make_case(graph_backend, TEST_SIZE)
    check_forward(case.value(case.forward()), TEST_SIZE)
    benchmark.pedantic(case.backward, setup=case.graph, rounds=5)
    check_backward(case.grads(), TEST_SIZE)
