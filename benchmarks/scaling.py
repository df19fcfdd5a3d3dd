"""What the node-count workloads (bench_depth, bench_fanout) share.

Each builds a graph of N nodes on a 0-d float32 leaf and differentiates it;
the table divides the times by N, so a flat column across N = 10^4, 10^5,
10^6 means linear time.  Each timed backward runs on the graph its timed
forward built (the workloads are ``paired`` in benchmarks/workloads.py), so
a million-node graph is built once per run, not twice.
"""
import numpy as np

from benchmarks import micrograd_support


class NodeCountCase:
    """``build(x)`` (a subclass's) makes the graph; forward resets the leaf's grad first."""

    start = 1.0

    def __init__(self, lib, size):
        self.size = size
        self.x = lib.tensor(np.array(self.start, dtype=np.float32), requires_grad=True)

    def build(self, x):
        raise NotImplementedError

    def forward(self):
        self.x.grad = None
        return self.build(self.x)

    def graph(self):
        return (self.forward(),), {}

    @staticmethod
    def backward(root):
        root.backward()

    @staticmethod
    def value(root):
        return root.detach().numpy()

    def grads(self):
        return [self.x.grad.numpy()]


def make_case(case_type, lib, size, what):
    """``case_type(lib, size)`` for autograd or torch; numpy and micrograd have no version."""
    micrograd_support.reject(lib, what)
    if lib is np:
        raise NotImplementedError(f"{what} measures the graph; numpy has none")
    return case_type(lib, size)


def check_scalar(name, actual, expected, rtol):
    actual = np.asarray(actual)
    assert actual.shape == () and actual.dtype == np.float32, (name, actual.shape, actual.dtype)
    np.testing.assert_allclose(float(actual), expected, rtol=rtol, err_msg=name)
