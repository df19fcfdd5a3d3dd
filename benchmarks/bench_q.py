"""PyTorch's tutorial Q = 3*a**3 - b**2 on large tensors: the arithmetic's cost.

On 4,000,000-element float32 tensors the graph has four nodes, so the time
is numpy's (or PyTorch's kernels') and the engine should add next to nothing.

    pytest benchmarks/bench_q.py --benchmark-enable
"""
import numpy as np

from benchmarks import micrograd_support

SIZE = 4_000_000


def inputs(size):
    rng = np.random.default_rng(0)
    return rng.standard_normal(size, dtype=np.float32), rng.standard_normal(size, dtype=np.float32)


def q(a, b):
    """Q as the tutorial writes it, for autograd and torch."""
    return 3 * a**3 - b**2


def numpy_q(a, b):
    """Q in numpy, as products: numpy's float power is several times slower
    than multiplying, and the engine multiplies for small integer exponents too."""
    return 3 * (a * a * a) - b * b


class TensorCase:
    """The workload on autograd or torch."""

    def __init__(self, lib, size):
        a, b = inputs(size)
        self.a = lib.tensor(a, requires_grad=True)
        self.b = lib.tensor(b, requires_grad=True)
        self.ones = lib.ones(size)

    def forward(self):
        return q(self.a, self.b)

    def graph(self):
        """Build the graph to differentiate: the pedantic ``setup`` of backward."""
        self.a.grad = self.b.grad = None
        return (q(self.a, self.b),), {}

    def backward(self, result):
        result.backward(gradient=self.ones)

    @staticmethod
    def value(result):
        return result.detach().numpy()

    def grads(self):
        return [self.a.grad.numpy(), self.b.grad.numpy()]


class NumpyCase:
    """The same arithmetic in numpy with the gradients written by hand: no graph."""

    def __init__(self, size):
        self.a, self.b = inputs(size)
        self.ones = np.ones(size, dtype=np.float32)
        self.grad_a = self.grad_b = None

    def forward(self):
        return numpy_q(self.a, self.b)

    def graph(self):
        return (numpy_q(self.a, self.b),), {}

    def backward(self, result):
        # dQ/da = 9 a**2 and dQ/db = -2 b, each times the incoming gradient
        self.grad_a = self.ones * (9 * (self.a * self.a))
        self.grad_b = self.ones * (-2 * self.b)

    @staticmethod
    def value(result):
        return result

    def grads(self):
        return [self.grad_a, self.grad_b]


def make_case(lib, size=SIZE):
    """The workload on ``lib`` (autograd, torch or numpy) with ``size`` elements."""
    micrograd_support.reject(lib, "Q on large tensors")
    return NumpyCase(size) if lib is np else TensorCase(lib, size)


def _assert_close(actual, expected, rtol, atol=0.0):
    """assert_allclose's test without its cost on millions of elements."""
    error = np.abs(actual - expected)
    worst = int(np.argmax(error - rtol * np.abs(expected)))
    assert (error <= atol + rtol * np.abs(expected)).all(), (
        f"element {worst}: {actual[worst]} != {expected[worst]}")


def check_forward(result, size=None):
    a, b = (x.astype(np.float64) for x in inputs(result.size))
    _assert_close(result, 3 * a * a * a - b * b, 1e-5, 1e-5)


def check_backward(grads, size=None):
    grad_a, grad_b = grads
    a, b = (x.astype(np.float64) for x in inputs(grad_a.size))
    _assert_close(grad_a, 9 * a * a, 1e-5, 1e-5)
    _assert_close(grad_b, -2 * b, 1e-6)


# ---------------------------------------------------------------- pytest-benchmark

def test_q_forward(benchmark, backend):
    benchmark.group = "Q forward (4,000,000 float32)"
    case = make_case(backend)
    check_forward(case.value(benchmark(case.forward)))


def test_q_backward(benchmark, backend):
    benchmark.group = "Q backward (4,000,000 float32)"
    case = make_case(backend)
    benchmark.pedantic(case.backward, setup=case.graph, rounds=10)
    check_backward(case.grads())
