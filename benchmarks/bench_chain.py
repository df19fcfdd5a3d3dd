"""The tiny-tensor chain: what recording and traversing one node costs.

1,000 iterations of ``y = (y * 1.0001 + 0.001).tanh()`` on a float32 tensor
that requires grad (3,000 ops), then ``y.sum().backward()``.  The size is the
shape: (16,) or () (0-d).  The arithmetic is negligible, so the time is the
engine's per-op overhead.  On () micrograd runs it too, in float64 (its only
dtype), with ``y.backward()``.

    pytest benchmarks/bench_chain.py --benchmark-enable
"""
import functools

import numpy as np

from benchmarks import micrograd_support

ITERATIONS = 1000
OPS = 3 * ITERATIONS            # mul, add, tanh: one backward node each
SIZE = (16,)                    # the table also runs ()


def start(shape):
    """The chain's float32 input of ``shape``: (16,) or ()."""
    if shape == ():
        return np.array(0.5, dtype=np.float32)
    return np.linspace(-2.0, 2.0, int(np.prod(shape)), dtype=np.float32).reshape(shape)


def chain(y):
    """Run the chain on an autograd or torch tensor (their APIs agree)."""
    for _ in range(ITERATIONS):
        y = (y * 1.0001 + 0.001).tanh()
    return y


def micrograd_chain(y):
    """Run the chain on a micrograd Value."""
    tanh = micrograd_support.tanh_op(type(y))
    for _ in range(ITERATIONS):
        y = tanh(y * 1.0001 + 0.001)
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

    def __init__(self, lib, shape):
        self.x = lib.tensor(start(shape), requires_grad=True)

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


class MicrogradCase:
    """The workload on micrograd's scalar Value (float64).

    micrograd's backward sorts the graph recursively, one frame per node
    on the chain (its constants 1.0001 and 0.001 become leaves, off the
    path), so the recursion limit is raised to 3,000 plus a margin here.
    """

    def __init__(self, engine):
        self.Value = engine.Value
        self.x = engine.Value(float(start(())))
        micrograd_support.allow_depth(OPS)

    def forward(self):
        return micrograd_chain(self.x)

    def graph(self):
        self.x.grad = 0.0
        return (micrograd_chain(self.x),), {}

    @staticmethod
    def backward(y):
        y.backward()

    @staticmethod
    def value(y):
        return y.data

    def grads(self):
        return [self.x.grad]


class NumpyCase:
    """The same arithmetic in numpy with the gradient written by hand: no graph."""

    def __init__(self, shape):
        self.x = start(shape)
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


def make_case(lib, size=SIZE):
    """The workload on ``lib`` (autograd, torch, numpy or micrograd) on shape ``size``."""
    shape = SIZE if size is None else tuple(size)
    if micrograd_support.is_micrograd(lib):
        if shape != ():
            raise NotImplementedError(f"micrograd has scalars only, not shape {shape}")
        return MicrogradCase(lib)
    return NumpyCase(shape) if lib is np else TensorCase(lib, shape)


@functools.lru_cache(maxsize=None)
def _reference(shape):
    return numpy_forward(start(shape).astype(np.float64))


# float32 rounding over 3,000 steps stays far below these tolerances; a wrong formula
# does not.  The values converge to tanh's fixed point, so the gradient, which
# depends on the start, is the sharper check.

def check_forward(y, size=SIZE):
    shape = SIZE if size is None else tuple(size)
    np.testing.assert_allclose(np.asarray(y), _reference(shape)[-1], rtol=1e-4)


def check_backward(grads, size=SIZE):
    shape = SIZE if size is None else tuple(size)
    (grad,) = grads
    expected = numpy_backward(_reference(shape))
    assert np.shape(grad) == np.shape(expected), (np.shape(grad), np.shape(expected))
    np.testing.assert_allclose(grad, expected, rtol=1e-3)


# ---------------------------------------------------------------- pytest-benchmark

def test_chain_forward(benchmark, backend):
    benchmark.group = "chain forward (3,000 ops on (16,))"
    case = make_case(backend)
    check_forward(case.value(benchmark(case.forward)))


def test_chain_backward(benchmark, backend):
    benchmark.group = "chain backward (3,000 nodes on (16,))"
    case = make_case(backend)
    benchmark.pedantic(case.backward, setup=case.graph, rounds=20)
    check_backward(case.grads())


def test_scalar_chain_forward(benchmark, scalar_backend):
    benchmark.group = "chain forward (3,000 ops on ())"
    case = make_case(scalar_backend, ())
    check_forward(case.value(benchmark(case.forward)), ())


def test_scalar_chain_backward(benchmark, scalar_backend):
    benchmark.group = "chain backward (3,000 nodes on ())"
    case = make_case(scalar_backend, ())
    benchmark.pedantic(case.backward, setup=case.graph, rounds=20)
    check_backward(case.grads(), ())
