"""micrograd (Karpathy's pure-Python scalar engine) as an optional baseline.

micrograd's ``Value`` holds one Python float (float64: it has no other
dtype) and sorts the graph with a recursive function, one Python frame per
node on the deepest path, so its cases raise the recursion limit.  Only the
scalar workloads have a micrograd version; the others raise
NotImplementedError through ``require``, which the table shows as "no version".
"""
import contextlib
import gc
import math
import sys

NAME = "micrograd.engine"


def is_micrograd(lib):
    """True when ``lib`` is micrograd's engine module (what the worker passes)."""
    return getattr(lib, "__name__", None) == NAME


def reject(lib, what):
    """Raise NotImplementedError when ``lib`` is micrograd: ``what`` has no version."""
    if is_micrograd(lib):
        raise NotImplementedError(f"micrograd has no version of {what} (it has scalars only)")


def allow_depth(nodes):
    """Let micrograd's recursive topological sort walk a path of ``nodes`` nodes."""
    needed = nodes + 1000   # the frames below backward() itself
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)


@contextlib.contextmanager
def collector_paused():
    """Pause the cyclic garbage collector (as timed calls already are).

    Each micrograd node's ``_backward`` closure refers back to the node, so
    every graph is a cycle; building 65,000 of them with the collector on
    sets off repeated full collections that cost more than the build.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def tanh_op(value_type):
    """tanh for micrograd's ``Value`` class: its own method if it has one, else
    the same op written in micrograd's style (the PyPI release has relu, no tanh)."""
    return getattr(value_type, "tanh", None) or _tanh


def _tanh(value):
    out = type(value)(math.tanh(value.data), (value,), "tanh")

    def _backward():
        value.grad += (1.0 - out.data * out.data) * out.grad

    out._backward = _backward
    return out
