"""One harness that drives every differentiable op through the same checks.

An op module's test file lists ``OpCase``s: a function written once against
a library namespace (``fn(lib, *args)`` runs with ``lib`` = ``autograd`` or
``torch``) and the samples to try it on.  ``op_params`` turns the cases into
pytest parameters; ``check_gradcheck``, ``check_parity`` and
``check_zero_size`` are the checks:

* float64 central finite differences (``autograd.gradcheck``) on every
  sample, including broadcast, non-contiguous and size-1 inputs;
* parity with PyTorch, when it imports: forward values and the gradients of
  a random upstream gradient, in float32 and float64;
* size-0 inputs: forward and backward run and give correctly shaped results.
"""
import dataclasses
from typing import Callable, Optional

import numpy as np
import pytest

import autograd


@dataclasses.dataclass
class Arg:
    """A tensor argument: its values and whether it requires grad."""

    array: np.ndarray
    requires_grad: bool = True
    contiguous: bool = True    # False: pass the values in a strided layout


@dataclasses.dataclass
class Sample:
    """One call of an op: positional arguments (``Arg`` for tensors, anything
    else passed as is) and keyword arguments."""

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    name: str = ""


@dataclasses.dataclass
class OpCase:
    """An op under test.

    ``fn(lib, *args, **kwargs)`` must return a tensor (or a tuple whose
    first element is the differentiable tensor, like ``max(dim=...)``).
    ``samples(rng)`` returns the ``Sample``s to check; use the builders
    below so shapes cover broadcasting, non-contiguous and size-1 inputs.
    """

    name: str
    fn: Callable
    samples: Callable
    zero_size: Optional[Callable] = None     # rng -> list of Samples with size-0 dims
    atol: float = 1e-5
    rtol: float = 1e-3
    parity_rtol: float = 1e-4
    parity_atol: float = 1e-5
    torch_fn: Optional[Callable] = None      # when torch's spelling differs
    skip_parity: str = ""                    # reason, when PyTorch cannot be compared


# ----------------------------------------------------------------------
# sample builders
# ----------------------------------------------------------------------

def randn(rng, *shape, low=None, high=None):
    """Random float64 values; with ``low``/``high``, uniform in that range."""
    if low is not None:
        return rng.uniform(low, high, size=shape)
    return rng.standard_normal(shape)


def strided(array):
    """The same values as ``array`` in a non-contiguous layout: transposed
    storage for 2-D and up, every other element of a buffer for 1-D."""
    if array.ndim == 0:
        return array
    if array.ndim == 1:
        return np.repeat(array, 2)[::2]
    return np.ascontiguousarray(array.swapaxes(-1, -2)).swapaxes(-1, -2)


def nc(array, requires_grad=True):
    """A non-contiguous tensor argument."""
    return Arg(array, requires_grad, contiguous=False)


# ----------------------------------------------------------------------
# running a case against a library
# ----------------------------------------------------------------------

def _first(result):
    if isinstance(result, tuple):
        return result[0]
    return result


def _make_args(lib, sample, dtype_name):
    """Build the call's arguments in ``lib``, keeping numpy's strides."""
    made, leaves = [], []
    for a in sample.args:
        if isinstance(a, Arg):
            arr = a.array
            if arr.dtype.kind == "f":
                arr = arr.astype(dtype_name)
            arr = arr.copy() if a.contiguous else strided(arr)
            t = lib.from_numpy(arr)
            if a.requires_grad and arr.dtype.kind == "f":
                t.requires_grad_(True)
                leaves.append(t)
            made.append(t)
        else:
            made.append(a)
    return made, leaves


def op_params(cases, rng_seed=0, zero_size=False):
    """pytest parameters: one per (case, sample)."""
    params = []
    for case in cases:
        rng = np.random.default_rng(rng_seed)
        maker = case.zero_size if zero_size else case.samples
        if maker is None:
            continue
        for k, sample in enumerate(maker(rng)):
            label = f"{case.name}-{sample.name or k}"
            params.append(pytest.param(case, sample, id=label))
    return params


def check_gradcheck(case, sample):
    args, leaves = _make_args(autograd, sample, "float64")
    if not leaves:
        pytest.skip("no input requires grad")
    positions = [i for i, a in enumerate(args) if any(a is l for l in leaves)]

    def fn(*tensors):
        call = list(args)
        for p, t in zip(positions, tensors):
            call[p] = t
        return _first(case.fn(autograd, *call, **sample.kwargs))

    assert autograd.gradcheck(fn, tuple(leaves), eps=1e-6, atol=case.atol, rtol=case.rtol)


def check_parity(case, sample, dtype_name):
    torch = pytest.importorskip("torch")
    if case.skip_parity:
        pytest.skip(case.skip_parity)
    fn_torch = case.torch_fn or case.fn
    ours_args, ours_leaves = _make_args(autograd, sample, dtype_name)
    theirs_args, theirs_leaves = _make_args(torch, sample, dtype_name)
    ours = _first(case.fn(autograd, *ours_args, **sample.kwargs))
    theirs = _first(fn_torch(torch, *theirs_args, **sample.kwargs))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    tol = dict(rtol=case.parity_rtol, atol=case.parity_atol)
    if dtype_name == "float32":
        tol = dict(rtol=max(case.parity_rtol, 1e-4), atol=max(case.parity_atol, 1e-5))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)
    if not ours_leaves or not theirs.requires_grad:
        return
    rng = np.random.default_rng(1)
    upstream = rng.standard_normal(tuple(theirs.shape)).astype(dtype_name)
    ours.backward(autograd.tensor(upstream))
    theirs.backward(torch.from_numpy(upstream))
    for a, b in zip(ours_leaves, theirs_leaves):
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.numpy())
            continue
        assert a.grad is not None, "PyTorch computed a gradient this library did not"
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


def check_zero_size(case, sample):
    args, leaves = _make_args(autograd, sample, "float64")
    out = _first(case.fn(autograd, *args, **sample.kwargs))
    assert 0 in tuple(out.shape) or out.numel() >= 0
    if leaves and out.requires_grad:
        out.backward(autograd.zeros(*out.shape, dtype=out.dtype))
        for leaf in leaves:
            assert leaf.grad is not None
            assert tuple(leaf.grad.shape) == tuple(leaf.shape)
            assert not np.any(leaf.grad.numpy())
    torch = pytest.importorskip("torch") if not case.skip_parity else None
    if torch is not None:
        theirs_args, _ = _make_args(torch, sample, "float64")
        theirs = _first((case.torch_fn or case.fn)(torch, *theirs_args, **sample.kwargs))
        assert tuple(out.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(out.detach().numpy(), theirs.detach().numpy())


class OpTests:
    """The standard checks, run for every case of a test module.

    A test module subclasses this with its list of cases::

        class TestOps(OpTests):
            CASES = [OpCase("exp", lambda lib, a: lib.exp(a), _unary_samples)]

    and pytest runs float64 gradcheck, PyTorch parity in float32 and float64,
    and the zero-size samples for each case.
    """

    CASES = ()

    def pytest_generate_tests(self, metafunc):
        if "sample" in metafunc.fixturenames:
            zero_size = metafunc.function.__name__ == "test_zero_size"
            metafunc.parametrize("case, sample", op_params(self.CASES, zero_size=zero_size))

    def test_gradcheck(self, case, sample):
        check_gradcheck(case, sample)

    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    def test_parity_with_torch(self, case, sample, dtype):
        check_parity(case, sample, dtype)

    def test_zero_size(self, case, sample):
        check_zero_size(case, sample)
