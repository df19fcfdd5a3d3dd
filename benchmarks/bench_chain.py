"""The tiny-tensor chain: what recording and traversing one node costs.

1,000 iterations of ``y = (y * 1.0001 + 0.001).tanh()`` on a float32 tensor
of shape (16,) that requires grad (3,000 ops), then ``y.sum().backward()``.
The arithmetic is negligible, so the time is the engine's per-op overhead.

    pytest benchmarks/bench_chain.py --benchmark-enable
"""
import numpy as np

ITERATIONS = 1000
OPS = 3 * ITERATIONS            # mul, add, tanh: one backward node each
X0 = np.linspace(-2.0, 2.0, 16, dtype=np.float32)


def chain(y):
    """Run the chain on an autograd or torch tensor (their APIs agree)."""
    for _ in range(ITERATIONS):
        y = (y * 1.0001 + 0.001).tanh()
    return y


def numpy_forward(x):
    """Run the chain in numpy, keeping each tanh output for the backward pass."""
    saved = []
    y = x
    for _ in range(ITERATIONS):
        y = np.tanh(y * 1.0001 + 0.001)
        saved.append(y)
    return saved


def numpy_backward(saved):
    """d(sum y)/dx by hand: tanh' = 1 - tanh**2, times the 1.0001 of the mul."""
    grad = np.ones_like(saved[-1])
    for y in reversed(saved):
        grad = grad * (1.0 - y * y) * 1.0001
    return grad


class TensorCase:
    """The workload on autograd or torch."""

    def __init__(self, lib):
        self.x = lib.tensor(X0, requires_grad=True)

    def forward(self):
        return chain(self.x)

    def graph(self):
        """Build the graph to differentiate: the pedantic ``setup`` of backward."""
        self.x.grad = None
        return (chain(self.x).sum(),), {}

    @staticmethod
    def backward(total):
        total.backward()

    @staticmethod
    def value(y):
        return y.detach().numpy()

    def grads(self):
        return [self.x.grad.numpy()]


class NumpyCase:
    """The same arithmetic in numpy with the gradient written by hand: no graph."""

    def __init__(self, lib=np):
        self.x = X0.copy()
        self.grad = None

    def forward(self):
        return numpy_forward(self.x)

    def graph(self):
        return (numpy_forward(self.x),), {}

    def backward(self, saved):
        self.grad = numpy_backward(saved)

    @staticmethod
    def value(saved):
        return saved[-1]

    def grads(self):
        return [self.grad]


def make_case(lib, size=None):
    """The workload on ``lib`` (autograd, torch or numpy); the chain has one size."""
    return NumpyCase() if lib is np else TensorCase(lib)


# float32 rounding over 3,000 steps stays far below these tolerances; a wrong formula
# does not.  The values converge to tanh's fixed point, so the gradient, which
# depends on the start, is the sharper check.
_REFERENCE = numpy_forward(X0.astype(np.float64))


def check_forward(y, size=None):
    np.testing.assert_allclose(y, _REFERENCE[-1], rtol=1e-4)


def check_backward(grads, size=None):
    (grad,) = grads
    np.testing.assert_allclose(grad, numpy_backward(_REFERENCE), rtol=1e-3)


# ---------------------------------------------------------------- pytest-benchmark

def test_chain_forward(benchmark, backend):
    benchmark.group = "chain forward (3,000 ops)"
    case = make_case(backend)
    check_forward(case.value(benchmark(case.forward)))


def test_chain_backward(benchmark, backend):
    benchmark.group = "chain backward (3,000 nodes)"
    case = make_case(backend)
    benchmark.pedantic(case.backward, setup=case.graph, rounds=20)
    check_backward(case.grads())
