"""engine/pointwise_ops.py: every elementwise op through the shared checks,
plus type promotion, errors, comparisons and PyTorch's choices at kinks."""
import warnings

import numpy as np
import pytest

import autograd
from tests.op_harness import (
    Arg, OpCase, Sample, OpTests, nc,
    randn,
)


# ======================================================================
# samples
# ======================================================================

def _away(rng, *shape, kinks=(0.0,), gap=0.2, low=-2.0, high=2.0):
    """Uniform values in [low, high] pushed at least ``gap`` from every kink,
    so finite differences never straddle one."""
    x = rng.uniform(low, high, size=shape)
    for k in kinks:
        close = np.abs(x - k) < gap
        x = np.where(close, np.where(x >= k, k + gap, k - gap) + (x - k), x)
    return x


def _binary_samples(low=None, high=None, maker=None):
    def samples(rng):
        r = maker(rng) if maker else (lambda *s: randn(rng, *s, low=low, high=high))
        return [
            Sample((Arg(r(3, 4)), Arg(r(3, 4))), name="same"),
            Sample((Arg(r(3, 4)), Arg(r(4))), name="broadcast-row"),
            Sample((Arg(r(3, 1)), Arg(r(1, 4))), name="broadcast-both"),
            Sample((Arg(r(2, 3, 4)), Arg(r(3, 1))), name="broadcast-3d"),
            Sample((nc(r(4, 3)), Arg(r(4, 3))), name="noncontiguous"),
            Sample((Arg(r(3, 4)), nc(r(3, 4))), name="noncontiguous-other"),
            Sample((Arg(r(1)), Arg(r(5))), name="size1"),
            Sample((Arg(r()), Arg(r(2, 3))), name="scalar-tensor"),
            Sample((Arg(r(2, 3)), Arg(r())), name="tensor-scalar"),
            Sample((Arg(r()), Arg(r())), name="both-0d"),
            Sample((Arg(r(3)), Arg(r(3), requires_grad=False)), name="one-requires-grad"),
        ]
    return samples


def _with_numbers(samples_fn, number=1.5):
    """``samples_fn``'s samples plus a Python number on either side."""
    def samples(rng):
        return samples_fn(rng) + [
            Sample((Arg(rng.uniform(0.5, 2.0, 3)), number), name="python-number-right"),
            Sample((number, Arg(rng.uniform(0.5, 2.0, (2, 3)))), name="python-number-left"),
        ]
    return samples


def _binary_zero(rng):
    return [
        Sample((Arg(randn(rng, 0, 3)), Arg(randn(rng, 3))), name="zero-rows"),
        Sample((Arg(randn(rng, 2, 0)), Arg(randn(rng, 1, 0))), name="zero-cols"),
        Sample((Arg(randn(rng, 0)), Arg(randn(rng))), name="zero-and-0d"),
    ]


def _unary_samples(low=None, high=None, maker=None):
    def samples(rng):
        r = maker(rng) if maker else (lambda *s: randn(rng, *s, low=low, high=high))
        return [
            Sample((Arg(r(3, 4)),), name="2d"),
            Sample((Arg(r(2, 3, 4)),), name="3d"),
            Sample((nc(r(4, 3)),), name="noncontiguous"),
            Sample((nc(r(5)),), name="noncontiguous-1d"),
            Sample((Arg(r()),), name="0d"),
            Sample((Arg(r(1)),), name="size1"),
            Sample((Arg(r(1, 3, 1)),), name="size1-dims"),
        ]
    return samples


def _unary_zero(rng):
    return [
        Sample((Arg(randn(rng, 0, 2)),), name="zero"),
        Sample((Arg(randn(rng, 0)),), name="zero-1d"),
    ]


def _away_from(*kinks):
    return lambda rng: (lambda *s: _away(rng, *s, kinks=kinks))


def _clamp_tensor_samples(rng):
    # x in three bands well clear of every bound: lo in [-1, -0.5], hi in [0.5, 1]
    def x(*s):
        band = rng.integers(0, 3, size=s)
        return np.asarray(np.choose(band, [rng.uniform(-2, -1.2, s), rng.uniform(-0.3, 0.3, s),
                                           rng.uniform(1.2, 2, s)]))
    lo = lambda *s: np.asarray(rng.uniform(-1, -0.5, s))
    hi = lambda *s: np.asarray(rng.uniform(0.5, 1, s))
    return [
        Sample((Arg(x(3, 4)), Arg(lo(3, 4)), Arg(hi(3, 4))), name="same"),
        Sample((Arg(x(3, 4)), Arg(lo(4)), Arg(hi(3, 1))), name="broadcast"),
        Sample((nc(x(4, 3)), Arg(lo()), nc(hi(4, 3))), name="noncontiguous-0d-min"),
        Sample((Arg(x(5)), Arg(lo(1)), Arg(hi(1))), name="size1-bounds"),
        Sample((Arg(x()), Arg(lo()), Arg(hi())), name="0d"),
        Sample((Arg(x(3)), Arg(lo(3), requires_grad=False), Arg(hi(3))), name="const-min"),
    ]


def _clamp_tensor_zero(rng):
    return [Sample((Arg(randn(rng, 0, 2)), Arg(randn(rng, 2) - 2), Arg(randn(rng, 2) + 2)),
                   name="zero")]


def _clamp_one_bound_samples(rng):
    return [
        Sample((Arg(_away(rng, 3, 4, kinks=(-0.5,))), Arg(np.full((4,), -0.5))), name="min"),
        Sample((Arg(_away(rng, 2, 3, kinks=(-0.5,))), Arg(np.array(-0.5))), name="min-0d"),
    ]


CASES = [
    # arithmetic
    OpCase("add", lambda lib, a, b: lib.add(a, b), _with_numbers(_binary_samples()),
           _binary_zero),
    OpCase("add-alpha", lambda lib, a, b: lib.add(a, b, alpha=-2.5), _binary_samples(),
           _binary_zero),
    OpCase("add-operator", lambda lib, a, b: a + b, _binary_samples(), _binary_zero),
    OpCase("radd", lambda lib, a, b: 2.5 + a + b, _binary_samples(), _binary_zero),
    OpCase("sub", lambda lib, a, b: a - b, _binary_samples(), _binary_zero),
    OpCase("sub-alpha", lambda lib, a, b: lib.sub(a, b, alpha=3), _binary_samples(),
           _binary_zero),
    OpCase("sub-function", lambda lib, a, b: lib.sub(a, b), _with_numbers(_binary_samples()),
           _binary_zero),
    OpCase("rsub", lambda lib, a, b: 2.0 - a * b, _binary_samples(), _binary_zero),
    OpCase("rsub-tensors", lambda lib, a, b: lib.rsub(a, b), _binary_samples(), _binary_zero),
    OpCase("mul", lambda lib, a, b: a * b, _binary_samples(), _binary_zero),
    OpCase("mul-function", lambda lib, a, b: lib.mul(a, b), _with_numbers(_binary_samples()),
           _binary_zero),
    OpCase("div", lambda lib, a, b: a / b, _binary_samples(0.5, 2.0), _binary_zero),
    OpCase("div-function", lambda lib, a, b: lib.div(a, b),
           _with_numbers(_binary_samples(0.5, 2.0)), _binary_zero),
    OpCase("rdiv", lambda lib, a, b: 1.5 / (a * b), _binary_samples(0.5, 2.0), _binary_zero),
    OpCase("reciprocal", lambda lib, a: lib.reciprocal(a), _unary_samples(0.5, 2.0),
           _unary_zero),
    OpCase("pow-tensor", lambda lib, a, b: a ** b, _binary_samples(0.5, 2.0), _binary_zero),
    OpCase("pow-int", lambda lib, a: a ** 3, _unary_samples(), _unary_zero),
    OpCase("pow-square", lambda lib, a: a ** 2, _unary_samples(), _unary_zero),
    OpCase("pow-negative", lambda lib, a: a ** -2, _unary_samples(0.5, 2.0), _unary_zero),
    OpCase("pow-float", lambda lib, a: a ** 1.7, _unary_samples(0.5, 2.0), _unary_zero),
    OpCase("pow-zero", lambda lib, a: (a ** 0) * a, _unary_samples(), _unary_zero),
    OpCase("rpow", lambda lib, a: 2.0 ** a, _unary_samples(), _unary_zero),
    OpCase("neg", lambda lib, a: -a, _unary_samples(), _unary_zero),
    # unary math
    OpCase("exp", lambda lib, a: lib.exp(a), _unary_samples(), _unary_zero),
    OpCase("log", lambda lib, a: lib.log(a), _unary_samples(0.5, 3.0), _unary_zero),
    OpCase("sqrt", lambda lib, a: lib.sqrt(a), _unary_samples(0.5, 3.0), _unary_zero),
    OpCase("sin", lambda lib, a: lib.sin(a), _unary_samples(), _unary_zero),
    OpCase("cos", lambda lib, a: a.cos(), _unary_samples(), _unary_zero),
    OpCase("tanh", lambda lib, a: a.tanh(), _unary_samples(), _unary_zero),
    OpCase("sigmoid", lambda lib, a: lib.sigmoid(a), _unary_samples(), _unary_zero),
    OpCase("sigmoid-wide", lambda lib, a: a.sigmoid(), _unary_samples(-30.0, 30.0),
           _unary_zero),
    OpCase("abs", lambda lib, a: lib.abs(a), _unary_samples(maker=_away_from(0.0)),
           _unary_zero),
    OpCase("abs-operator", lambda lib, a: abs(a), _unary_samples(maker=_away_from(0.0)),
           _unary_zero),
    OpCase("relu", lambda lib, a: lib.relu(a), _unary_samples(maker=_away_from(0.0)),
           _unary_zero),
    # clamp / maximum / minimum
    OpCase("clamp", lambda lib, a: lib.clamp(a, -0.5, 0.8),
           _unary_samples(maker=_away_from(-0.5, 0.8)), _unary_zero),
    OpCase("clamp-min", lambda lib, a: a.clamp(min=0.3),
           _unary_samples(maker=_away_from(0.3)), _unary_zero),
    OpCase("clamp-max", lambda lib, a: a.clamp(max=-0.3),
           _unary_samples(maker=_away_from(-0.3)), _unary_zero),
    OpCase("clip", lambda lib, a: a.clip(-1, 1), _unary_samples(maker=_away_from(-1, 1)),
           _unary_zero),
    OpCase("clamp-tensors", lambda lib, a, lo, hi: lib.clamp(a, lo, hi),
           _clamp_tensor_samples, _clamp_tensor_zero),
    OpCase("clamp-tensor-min", lambda lib, a, lo: lib.clamp(a, min=lo),
           _clamp_one_bound_samples),
    OpCase("maximum", lambda lib, a, b: lib.maximum(a, b), _binary_samples(), _binary_zero),
    OpCase("minimum", lambda lib, a, b: a.minimum(b), _binary_samples(), _binary_zero),
    # selection and casts
    OpCase("where", lambda lib, a, b: lib.where(a > 0, a, b),
           _binary_samples(maker=_away_from(0.0)), _binary_zero),
    OpCase("where-scalar", lambda lib, a: lib.where(a < 0.5, a * 2, 0.0),
           _unary_samples(maker=_away_from(0.5)), _unary_zero),
    OpCase("where-method", lambda lib, a, b: a.where(b > 0, b),
           _binary_samples(maker=_away_from(0.0)), _binary_zero),
]


class TestOps(OpTests):
    CASES = CASES


# ======================================================================
# helpers for the explicit tests
# ======================================================================

def _leaf(values, dtype="float64"):
    return autograd.tensor(np.array(values, dtype=dtype), requires_grad=True)


def _grads(fn, *values, dtype="float64"):
    """Our output and gradients of ``fn(lib, *leaves).sum()``."""
    leaves = [_leaf(v, dtype) for v in values]
    out = fn(autograd, *leaves)
    out.sum().backward()
    return out.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]


def _torch_grads(fn, *values, dtype="float64"):
    torch = pytest.importorskip("torch")
    leaves = [torch.tensor(np.array(values_i, dtype=dtype), requires_grad=True)
              for values_i in values]
    out = fn(torch, *leaves)
    out.sum().backward()
    return out.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]


def _torch():
    return pytest.importorskip("torch")


def _same(ours, theirs):
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


# ======================================================================
# kinks and ties: PyTorch's exact choices
# ======================================================================

NAN = float("nan")

KINKS = [
    # (name, fn, inputs, expected gradients); expected values are PyTorch's
    ("abs", lambda lib, x: lib.abs(x), [[-1.0, 0.0, 1.0, NAN]], [[-1.0, 0.0, 1.0, 0.0]]),
    ("relu", lambda lib, x: lib.relu(x), [[-1.0, 0.0, 1.0, NAN]], [[0.0, 0.0, 1.0, 1.0]]),
    ("clamp", lambda lib, x: x.clamp(0.0, 1.0), [[-1.0, 0.0, 0.5, 1.0, 2.0, NAN]],
     [[0.0, 1.0, 1.0, 1.0, 0.0, 0.0]]),
    ("clamp-min-gt-max", lambda lib, x: x.clamp(2.0, 1.0), [[0.0, 1.0, 1.5, 2.0, 3.0]],
     [[0.0, 0.0, 0.0, 0.0, 0.0]]),
    ("clamp-min-eq-max", lambda lib, x: x.clamp(1.0, 1.0), [[0.0, 1.0, 2.0]],
     [[0.0, 1.0, 0.0]]),
    ("clamp-min-only", lambda lib, x: x.clamp(min=0.0), [[-1.0, 0.0, 1.0]], [[0.0, 1.0, 1.0]]),
    ("clamp-max-only", lambda lib, x: x.clamp(max=0.0), [[-1.0, 0.0, 1.0]], [[1.0, 1.0, 0.0]]),
    ("clamp-tensors", lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
     [[-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 1.0], [0.0, 0.0, 0.0, 2.0, 2.0, 1.0, 1.0],
      [1.0, 1.0, 0.5, 1.0, 1.0, 3.0, 1.0]],
     [[0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
      [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]]),
    ("maximum", lambda lib, a, b: lib.maximum(a, b),
     [[1.0, 2.0, NAN, 3.0, 0.0], [1.0, 3.0, 1.0, NAN, -0.0]],
     [[0.5, 0.0, 1.0, 1.0, 0.5], [0.5, 1.0, 1.0, 1.0, 0.5]]),
    ("minimum", lambda lib, a, b: lib.minimum(a, b),
     [[1.0, 2.0, NAN, 3.0, 0.0], [1.0, 3.0, 1.0, NAN, -0.0]],
     [[0.5, 1.0, 1.0, 1.0, 0.5], [0.5, 0.0, 1.0, 1.0, 0.5]]),
    ("maximum-broadcast-tie", lambda lib, a, b: lib.maximum(a, b), [[2.0, 2.0, 1.0], [2.0]],
     [[0.5, 0.5, 0.0], [2.0]]),
    ("sqrt-at-0", lambda lib, x: lib.sqrt(x), [[0.0, 4.0]], [[np.inf, 0.25]]),
    ("pow-0-to-0", lambda lib, a, b: a ** b, [[0.0, 0.0, 2.0], [0.0, 2.0, 0.0]],
     [[0.0, 0.0, 0.0], [0.0, 0.0, 0.6931471805599453]]),
    ("rpow-base-0", lambda lib, b: 0.0 ** b, [[0.0, 2.0]], [[0.0, 0.0]]),
]


@pytest.mark.parametrize("name, fn, inputs, expected", KINKS, ids=[k[0] for k in KINKS])
def test_gradients_at_kinks(name, fn, inputs, expected):
    _, grads = _grads(fn, *inputs)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e)


@pytest.mark.parametrize("name, fn, inputs, expected", KINKS, ids=[k[0] for k in KINKS])
def test_gradients_at_kinks_match_torch(name, fn, inputs, expected):
    ours_out, ours = _grads(fn, *inputs)
    theirs_out, theirs = _torch_grads(fn, *inputs)
    np.testing.assert_allclose(ours_out, theirs_out)
    for g, t in zip(ours, theirs):
        np.testing.assert_allclose(g, t)


def test_clamp_forward_when_min_exceeds_max():
    x = autograd.tensor([0.0, 1.5, 3.0])
    _same(x.clamp(2.0, 1.0).numpy(), [1.0, 1.0, 1.0])
    lo = autograd.tensor([2.0, 0.0, 2.0])
    hi = autograd.tensor([1.0, 1.0, 1.0])
    _same(autograd.clamp(x, lo, hi).numpy(), [1.0, 1.0, 1.0])


# ======================================================================
# result dtypes (PyTorch's type promotion)
# ======================================================================

def _t(lib, values, dtype):
    return lib.from_numpy(np.array(values, dtype=dtype))


DTYPE_CASES = [
    ("float32+float64", lambda lib: _t(lib, [1.0], "float32") + _t(lib, [2.0], "float64"),
     "float64"),
    ("int64+float32", lambda lib: _t(lib, [1], "int64") + _t(lib, [2.0], "float32"), "float32"),
    ("int64-tensor*python-float", lambda lib: _t(lib, [1, 2], "int64") * 2.5, "float32"),
    ("python-float*int32-tensor", lambda lib: 2.5 * _t(lib, [1, 2], "int32"), "float32"),
    ("int32-tensor+python-int", lambda lib: _t(lib, [1, 2], "int32") + 7, "int32"),
    ("float16+python-float", lambda lib: _t(lib, [1.0], "float16") + 1e-3, "float16"),
    ("bool+int64", lambda lib: _t(lib, [True], "bool") + _t(lib, [2], "int64"), "int64"),
    ("bool+int8-0d", lambda lib: _t(lib, [True], "bool") + _t(lib, 2, "int8"), "int8"),
    ("bool-tensor+python-int", lambda lib: _t(lib, [True], "bool") + 5, "int64"),
    ("bool+python-bool", lambda lib: _t(lib, [True], "bool") + True, "bool"),
    ("0d-float64*float32-vector",
     lambda lib: _t(lib, 2.0, "float64") * _t(lib, [1.0, 2.0], "float32"), "float32"),
    ("int-vector*0d-float64", lambda lib: _t(lib, [1, 2], "int64") * _t(lib, 1.5, "float64"),
     "float64"),
    ("int32-vector+0d-int64", lambda lib: _t(lib, [1, 2], "int32") + _t(lib, 1, "int64"),
     "int32"),
    ("0d-float64+0d-float32", lambda lib: _t(lib, 1.0, "float64") + _t(lib, 1.0, "float32"),
     "float64"),
    ("int64+float16", lambda lib: _t(lib, [1], "int64") + _t(lib, [1.0], "float16"), "float16"),
    ("uint8+int8", lambda lib: _t(lib, [1], "uint8") + _t(lib, [1], "int8"), "int16"),
    ("int/int", lambda lib: _t(lib, [1, 2], "int64") / _t(lib, [2, 4], "int64"), "float32"),
    ("int/python-int", lambda lib: _t(lib, [1, 2], "int32") / 2, "float32"),
    ("python-int/int", lambda lib: 3 / _t(lib, [1, 2], "int64"), "float32"),
    ("bool/bool", lambda lib: _t(lib, [True], "bool") / _t(lib, [True], "bool"), "float32"),
    ("int/0d-float64", lambda lib: _t(lib, [1, 2], "int64") / _t(lib, 2.0, "float64"),
     "float64"),
    ("int**python-float", lambda lib: _t(lib, [1, 2], "int64") ** 0.5, "float32"),
    ("int**python-int", lambda lib: _t(lib, [1, 2], "int64") ** 2, "int64"),
    ("python-float**int", lambda lib: 2.0 ** _t(lib, [1, 2], "int64"), "float32"),
    ("sqrt(int)", lambda lib: lib.sqrt(_t(lib, [1, 4], "int64")), "float32"),
    ("exp(bool)", lambda lib: lib.exp(_t(lib, [True], "bool")), "float32"),
    ("log(int32)", lambda lib: lib.log(_t(lib, [1, 4], "int32")), "float32"),
    ("sin(int)", lambda lib: lib.sin(_t(lib, [1], "int64")), "float32"),
    ("cos(int)", lambda lib: lib.cos(_t(lib, [1], "int64")), "float32"),
    ("tanh(int)", lambda lib: lib.tanh(_t(lib, [1], "int64")), "float32"),
    ("sigmoid(int)", lambda lib: lib.sigmoid(_t(lib, [1], "int64")), "float32"),
    ("sigmoid(float64)", lambda lib: lib.sigmoid(_t(lib, [1.0], "float64")), "float64"),
    ("reciprocal(int)", lambda lib: lib.reciprocal(_t(lib, [2], "int64")), "float32"),
    ("abs(int8)", lambda lib: lib.abs(_t(lib, [-3], "int8")), "int8"),
    ("relu(int32)", lambda lib: lib.relu(_t(lib, [-3, 2], "int32")), "int32"),
    ("neg(uint8)", lambda lib: -_t(lib, [3], "uint8"), "uint8"),
    ("clamp(int, float)", lambda lib: lib.clamp(_t(lib, [1, 2], "int64"), 0.5), "float32"),
    ("clamp(int, int)", lambda lib: lib.clamp(_t(lib, [1, 5], "int64"), 0, 3), "int64"),
    ("clamp(float32, float64-tensor)",
     lambda lib: lib.clamp(_t(lib, [1.0], "float32"), _t(lib, [0.5], "float64")), "float64"),
    ("clamp(float32, 0d-float64)",
     lambda lib: lib.clamp(_t(lib, [1.0], "float32"), _t(lib, 0.5, "float64")), "float32"),
    ("maximum(float32, int64)",
     lambda lib: lib.maximum(_t(lib, [1.0], "float32"), _t(lib, [0], "int64")), "float32"),
    ("where(int32, float)",
     lambda lib: lib.where(_t(lib, [True, False], "bool"), _t(lib, [1, 2], "int32"), 2.5),
     "float32"),
    ("where(float, float)",
     lambda lib: lib.where(_t(lib, [True, False], "bool"), 1.0, 2.0), "float32"),
    ("where(int, int)", lambda lib: lib.where(_t(lib, [True, False], "bool"), 1, 2), "int64"),
    ("where(float32, float64)",
     lambda lib: lib.where(_t(lib, [True, False], "bool"), _t(lib, [1.0, 2.0], "float32"),
                           _t(lib, [3.0, 4.0], "float64")), "float64"),
    ("add-alpha-int", lambda lib: lib.add(_t(lib, [1, 2], "int64"), _t(lib, [1], "int64"),
                                          alpha=2), "int64"),
]


@pytest.mark.parametrize("name, fn, expected", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_result_dtype(name, fn, expected):
    assert fn(autograd)._data.dtype == np.dtype(expected)


@pytest.mark.parametrize("name, fn, expected", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_result_dtype_and_values_match_torch(name, fn, expected):
    torch = _torch()
    ours = fn(autograd)
    theirs = fn(torch)
    assert str(theirs.dtype) == f"torch.{expected}"
    np.testing.assert_allclose(ours.numpy().astype("float64"),
                               theirs.numpy().astype("float64"), rtol=1e-6)


@pytest.mark.parametrize("op, name", [
    (lambda a, b: a * b, "mul"), (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"),
    (lambda a, b: a / b, "div"), (lambda a, b: a ** b, "pow"),
    (lambda a, b: autograd.maximum(a, b), "maximum"),
    (lambda a, b: autograd.minimum(a, b), "minimum"),
    (lambda a, b: autograd.where(b > 0, a, b), "where"),
    (lambda a, b: autograd.clamp(a, b, b + 1), "clamp"),
])
def test_mixed_dtype_gradients_keep_each_leafs_dtype(op, name):
    a32 = np.array([[0.5, 1.5, 2.0]], dtype="float32")
    b64 = np.array([[1.25], [0.75]], dtype="float64")
    a = autograd.tensor(a32, requires_grad=True)
    b = autograd.tensor(b64, requires_grad=True)
    out = op(a, b)
    assert out.dtype == autograd.float64
    out.sum().backward()
    assert a.grad.dtype == autograd.float32 and a.grad.shape == (1, 3)
    assert b.grad.dtype == autograd.float64 and b.grad.shape == (2, 1)
    torch = pytest.importorskip("torch")
    top = {"maximum": torch.maximum, "minimum": torch.minimum}
    ta = torch.tensor(a32, requires_grad=True)
    tb = torch.tensor(b64, requires_grad=True)
    if name in top:
        tout = top[name](ta, tb)
    elif name == "where":
        tout = torch.where(tb > 0, ta, tb)
    elif name == "clamp":
        tout = torch.clamp(ta, tb, tb + 1)
    else:
        tout = op(ta, tb)
    tout.sum().backward()
    assert ta.grad.dtype == torch.float32 and tb.grad.dtype == torch.float64
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12)


# ======================================================================
# errors
# ======================================================================

@pytest.mark.parametrize("name, fn", [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: autograd.sub(a, b)),
    ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b), ("pow", lambda a, b: a ** b),
    ("maximum", autograd.maximum), ("minimum", autograd.minimum), ("eq", lambda a, b: a == b),
    ("lt", autograd.lt), ("where", lambda a, b: autograd.where(a > 0, a, b)),
    ("clamp", lambda a, b: autograd.clamp(a, b)),
])
def test_broadcast_error_names_op_and_shapes(name, fn):
    a = autograd.ones(2, 3)
    b = autograd.ones(4)
    with pytest.raises(RuntimeError) as info:
        fn(a, b)
    message = str(info.value)
    assert message.startswith(name)
    assert "[2, 3]" in message and "[4]" in message
    assert "size of tensor a (3) must match the size of tensor b (4) at non-singleton " \
           "dimension 1" in message


@pytest.mark.parametrize("fn, words", [
    (lambda t: autograd.add(t, "x"), ["add", "other", "str"]),
    (lambda t: autograd.mul("x", t), ["mul", "input", "str"]),
    (lambda t: autograd.div(t, None), ["div", "NoneType"]),
    (lambda t: autograd.pow(t, [2]), ["pow", "list"]),
    (lambda t: autograd.eq(t, "a"), ["eq", "str"]),
    (lambda t: autograd.clamp(t, "a"), ["clamp", "min", "str"]),
    (lambda t: autograd.maximum(t, 1.0), ["maximum", "other", "float"]),
    (lambda t: autograd.where(t > 0, t, "x"), ["where", "str"]),
    (lambda t: autograd.where([True], t, t), ["where", "condition", "list"]),
    (lambda t: autograd.exp([1.0]), ["exp", "list"]),
    (lambda t: autograd.add(1, 2), ["add", "Tensor", "int"]),
    (lambda t: t + "x", ["+"]),
    (lambda t: t * None, ["*"]),
    (lambda t: t < None, ["<"]),
    (lambda t: ~t, ["~", "integer"]),
])
def test_type_errors_for_non_number_operands(fn, words):
    t = autograd.tensor([1.0, 2.0])
    with pytest.raises(TypeError) as info:
        fn(t)
    for w in words:
        assert w in str(info.value)


@pytest.mark.parametrize("fn, error, words", [
    (lambda: -autograd.tensor([True]), RuntimeError, ["Negation", "bool"]),
    (lambda: autograd.tensor([True]) - autograd.tensor([False]), RuntimeError,
     ["Subtraction", "bool"]),
    (lambda: autograd.tensor([True]) - True, RuntimeError, ["Subtraction"]),
    (lambda: autograd.tensor([1, 2]) ** -1, RuntimeError, ["negative integer powers"]),
    (lambda: autograd.tensor([1, 2]) ** autograd.tensor([2, -1]), RuntimeError,
     ["pow", "negative integer powers"]),
    (lambda: 2 ** autograd.tensor([-1]), RuntimeError, ["pow", "negative integer powers"]),
    (lambda: autograd.abs(autograd.tensor([True])), NotImplementedError, ["abs", "Bool"]),
    (lambda: autograd.relu(autograd.tensor([True])), RuntimeError, ["relu", "Boolean"]),
    (lambda: autograd.tensor([1.0]).clamp(), RuntimeError, ["clamp", "min", "max"]),
    (lambda: autograd.where(autograd.tensor([1.0]), 1.0, 2.0), RuntimeError,
     ["where", "boolean", "Float"]),
    (lambda: autograd.add(autograd.tensor([1]), 1, alpha=0.5), RuntimeError, ["alpha"]),
    (lambda: autograd.tensor([1], dtype=autograd.int8) + 1000, RuntimeError, ["add"]),
])
def test_dtype_errors(fn, error, words):
    with pytest.raises(error) as info:
        fn()
    for w in words:
        assert w in str(info.value)


EDGES = [
    ("log", lambda lib, x: lib.log(x)), ("sqrt", lambda lib, x: lib.sqrt(x)),
    ("reciprocal", lambda lib, x: lib.reciprocal(x)), ("rdiv", lambda lib, x: 1.0 / x),
    ("pow-half", lambda lib, x: x ** 0.5), ("pow-minus-one", lambda lib, x: x ** -1),
    ("pow-tensor", lambda lib, x: x ** x), ("rpow-zero", lambda lib, x: 0.0 ** x),
    ("div-zero", lambda lib, x: x / 0.0), ("div-self", lambda lib, x: x / x),
]


@pytest.mark.parametrize("name, fn", EDGES, ids=[e[0] for e in EDGES])
def test_domain_edges_are_silent_and_match_torch(name, fn):
    # PyTorch gives nan/inf at domain edges without a warning, forward and backward.
    x = autograd.tensor([-1.0, 0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(autograd, x)
        y.backward(autograd.ones(3))
    assert not (np.all(np.isfinite(y.detach().numpy())) and np.all(np.isfinite(x.grad.numpy())))
    torch = _torch()
    tx = torch.tensor([-1.0, 0.0, 4.0], requires_grad=True)
    ty = fn(torch, tx)
    ty.backward(torch.ones(3))
    _same(y.detach().numpy(), ty.detach().numpy())
    _same(x.grad.numpy(), tx.grad.numpy())


# ======================================================================
# comparisons and logical ops
# ======================================================================

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]
OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _compare_operands(lib):
    a = lib.from_numpy(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
    return [
        (a, lib.from_numpy(np.array([2.0, 2.0, 2.0]))),            # broadcast
        (a, lib.from_numpy(np.array(2.0))),                         # 0-d
        (a, 2),                                                     # Python int
        (lib.from_numpy(np.array([1, 2, 3])), 1.5),                # int vs float
        (lib.from_numpy(np.array([1, 2, 3], dtype="int32")),
         lib.from_numpy(np.array([1.0, 2.5, 3.0], dtype="float32"))),
        (lib.from_numpy(np.array([True, False])), lib.from_numpy(np.array([1, 0]))),
        (lib.from_numpy(np.array([1.0, float("nan")])),
         lib.from_numpy(np.array([1.0, float("nan")]))),
        (lib.from_numpy(np.zeros((0, 3))), lib.from_numpy(np.zeros(3))),
    ]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_match_torch(name):
    torch = _torch()
    for (a, b), (ta, tb) in zip(_compare_operands(autograd), _compare_operands(torch)):
        for ours, theirs in [
            (getattr(autograd, name)(a, b), getattr(torch, name)(ta, tb)),
            (eval(f"a {OPERATORS[name]} b"), eval(f"ta {OPERATORS[name]} tb")),
            (eval(f"b {OPERATORS[name]} a"), eval(f"tb {OPERATORS[name]} ta")),
            (getattr(a, name)(b), getattr(ta, name)(tb)),
        ]:
            assert ours.dtype == autograd.bool
            assert ours.shape == tuple(theirs.shape)
            _same(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_never_require_grad(name):
    a = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = autograd.tensor([2.0, 2.0, 2.0], requires_grad=True)
    for out in (getattr(autograd, name)(a, b), getattr(a, name)(2.0),
                eval(f"a {OPERATORS[name]} b")):
        assert out.dtype == autograd.bool
        assert not out.requires_grad and out.grad_fn is None


def test_comparison_values():
    a = autograd.tensor([1.0, 2.0, 3.0])
    _same((a == 2).numpy(), [False, True, False])
    _same((a != 2).numpy(), [True, False, True])
    _same((a < 2).numpy(), [True, False, False])
    _same((a <= 2).numpy(), [True, True, False])
    _same((a > 2).numpy(), [False, False, True])
    _same((a >= 2).numpy(), [False, True, True])
    _same((2 < a).numpy(), [False, False, True])       # reflected: a > 2
    _same((autograd.tensor([1, 2]) == 1.5).numpy(), [False, False])


def test_equality_with_foreign_objects_and_hashing():
    a = autograd.tensor([1.0, 2.0])
    assert (a == None) is False      # noqa: E711  (as in PyTorch)
    assert (a != "text") is True
    assert len({a, autograd.tensor([1.0, 2.0])}) == 2   # hashed by identity
    assert a in [a]


def test_logical_not_and_invert():
    b = autograd.tensor([True, False])
    _same((~b).numpy(), [False, True])
    _same(b.logical_not().numpy(), [False, True])
    _same(autograd.logical_not(autograd.tensor([0.0, 2.5])).numpy(), [True, False])
    i = autograd.tensor([0, 5])
    _same((~i).numpy(), [-1, -6])
    assert (~b).dtype == autograd.bool and (~i).dtype == autograd.int64


# ======================================================================
# graph structure, alpha, higher derivatives
# ======================================================================

NODE_NAMES = [
    ("a + 2", "AddBackward0"), ("2 + a", "AddBackward0"), ("a - b", "SubBackward0"),
    ("2 - a", "RsubBackward1"), ("lib.rsub(a, b)", "RsubBackward0"), ("a * 2", "MulBackward0"),
    ("a / b", "DivBackward0"), ("2 / a", "MulBackward0"), ("a.reciprocal()", "ReciprocalBackward0"),
    ("a ** 2", "PowBackward0"), ("a ** b", "PowBackward1"), ("2 ** a", "PowBackward2"),
    ("-a", "NegBackward0"), ("a.exp()", "ExpBackward0"), ("a.log()", "LogBackward0"),
    ("a.sqrt()", "SqrtBackward0"), ("a.sin()", "SinBackward0"), ("a.cos()", "CosBackward0"),
    ("a.tanh()", "TanhBackward0"), ("a.sigmoid()", "SigmoidBackward0"),
    ("a.abs()", "AbsBackward0"), ("abs(a)", "AbsBackward0"), ("a.relu()", "ReluBackward0"),
    ("a.clamp(0, 1)", "ClampBackward1"), ("a.clip(max=1)", "ClampBackward1"),
    ("a.clamp(b)", "ClampBackward0"), ("lib.maximum(a, b)", "MaximumBackward0"),
    ("lib.minimum(a, b)", "MinimumBackward0"), ("lib.where(a > 0, a, b)", "WhereBackward0"),
    ("a.double()", "ToCopyBackward0"),
]


@pytest.mark.parametrize("expr, expected", NODE_NAMES, ids=[n[0] for n in NODE_NAMES])
def test_node_names(expr, expected):
    lib = autograd
    a = autograd.tensor([0.5, 1.5], requires_grad=True)
    b = autograd.tensor([1.0, 1.0], requires_grad=True)
    assert eval(expr).grad_fn.name() == expected
    torch = pytest.importorskip("torch")
    lib = torch
    a = torch.tensor([0.5, 1.5], requires_grad=True)
    b = torch.tensor([1.0, 1.0], requires_grad=True)
    assert type(eval(expr).grad_fn).__name__ == expected


@pytest.mark.parametrize("fn", [
    lambda lib, a, b: lib.add(a, b, alpha=2),
    lambda lib, a, b: lib.sub(a, b, alpha=-1.5),
    lambda lib, a, b: lib.add(a, 3.0, alpha=2) * b,
    lambda lib, a, b: lib.rsub(a, b, alpha=2),
])
def test_alpha_values_and_gradients_match_torch(fn):
    ours_out, ours = _grads(fn, [1.0, 2.0], [3.0, -1.0])
    theirs_out, theirs = _torch_grads(fn, [1.0, 2.0], [3.0, -1.0])
    np.testing.assert_allclose(ours_out, theirs_out)
    for g, t in zip(ours, theirs):
        np.testing.assert_allclose(g, t)


def test_add_alpha_values():
    out, (ga, gb) = _grads(lambda lib, a, b: lib.add(a, b, alpha=2), [1.0, 2.0], [3.0, 4.0])
    _same(out, [7.0, 10.0])
    _same(ga, [1.0, 1.0])
    _same(gb, [2.0, 2.0])


@pytest.mark.parametrize("name, fn", [
    ("exp", lambda lib, x: lib.exp(x)), ("sqrt", lambda lib, x: lib.sqrt(x)),
    ("tanh", lambda lib, x: lib.tanh(x)), ("sigmoid", lambda lib, x: lib.sigmoid(x)),
    ("sin", lambda lib, x: lib.sin(x)), ("cos", lambda lib, x: lib.cos(x)),
    ("log", lambda lib, x: lib.log(x)), ("reciprocal", lambda lib, x: lib.reciprocal(x)),
    ("pow-scalar", lambda lib, x: x ** 2.5), ("rpow", lambda lib, x: 3.0 ** x),
    ("pow-tensor", lambda lib, x: x ** (x * 0.5)),
    ("abs", lambda lib, x: lib.abs(x) * x), ("relu", lambda lib, x: lib.relu(x) * x),
    ("clamp", lambda lib, x: x.clamp(0.6, 1.8) * x),
    ("maximum", lambda lib, x: lib.maximum(x, x * x)),
    ("div", lambda lib, x: x / (x + 1)),
])
def test_second_derivatives_match_torch(name, fn):
    # Formulas that read the saved output (exp, sqrt, tanh, sigmoid) must
    # differentiate through it under create_graph.
    values = np.array([0.5, 1.25, 2.0])
    x = _leaf(values)
    (g,) = autograd.grad(fn(autograd, x).sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x)
    torch = _torch()
    tx = torch.tensor(values, requires_grad=True)
    (tg,) = torch.autograd.grad(fn(torch, tx).sum(), tx, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10, atol=1e-12)


def test_saved_output_ops_free_it_after_backward():
    x = _leaf([0.5, 1.0])
    for fn in (autograd.exp, autograd.sqrt, autograd.tanh, autograd.sigmoid, autograd.relu):
        y = fn(x)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.sum().backward()


def test_sigmoid_extremes_are_finite_and_accurate():
    x = autograd.tensor([-800.0, -40.0, 0.0, 40.0, 800.0], dtype=autograd.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.sigmoid().numpy()
    np.testing.assert_allclose(y, [0.0, 4.248354255291589e-18, 0.5, 1.0, 1.0], rtol=1e-12)


def test_python_number_operand_gets_no_gradient_edge():
    a = _leaf([1.0, 2.0])
    out = 3.0 * a
    assert len(out.grad_fn.next_functions) == 2
    assert out.grad_fn.next_functions[1][0] is None


# ======================================================================
# fast paths: results identical to numpy's on both sides of each boundary
# ======================================================================
# The compiled engine runs contiguous float32/float64 operands of one shape
# (or a tensor and a Python number, or a matrix and one row broadcast along
# it) through its own loops, in chunks on every core from 262,144 elements;
# everything else takes the numpy path.  Each test here holds on both
# engines: the values must be numpy's bit for bit.

@pytest.fixture(autouse=True)
def _two_threads():
    """Run this module with the parallel loops on (the default is one thread),
    so the large-array cases go through them; the values must not change."""
    before = autograd.get_num_threads()
    autograd.set_num_threads(2)
    yield
    autograd.set_num_threads(before)


def test_thread_count_defaults_to_one_and_is_validated():
    import subprocess, sys
    code = "import autograd; print(autograd.get_num_threads())"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "1"
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            autograd.set_num_threads(bad)


def test_one_and_two_threads_give_identical_values():
    x = autograd.tensor(_values((_PARALLEL,), "float32"))
    results = []
    for n in (1, 2):
        autograd.set_num_threads(n)
        results.append([(x * 1.5 + 0.25).numpy(), x.tanh().numpy(), (x ** 3).numpy()])
    for one, two in zip(*results):
        _assert_identical(two, one)


_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30,
            1e-45, 3e38, -3e38, 88.0, -104.0, 20.0, -20.0, 1e4]
_PARALLEL = 262_144 + 3 * 16_384 + 4_099   # above the parallel threshold, not a multiple of a chunk


def _values(shape, dtype, seed=0):
    """Random values with the special ones (inf, nan, -0.0, ...) first."""
    rng = np.random.default_rng(seed)
    # an array even for shape (): numpy's scalar math rounds differently
    x = np.asarray(rng.standard_normal(shape) * 3).astype(dtype)
    flat = x.reshape(-1)
    k = min(flat.size, len(_SPECIAL))
    with np.errstate(over="ignore"):
        flat[:k] = np.array(_SPECIAL[:k]).astype(dtype)
    return x


def _assert_identical(ours, expected):
    """Same dtype, shape and values, bit for bit except nan payloads."""
    ours = ours.detach().numpy() if isinstance(ours, autograd.Tensor) else ours
    expected = np.asarray(expected)
    assert ours.dtype == expected.dtype
    assert ours.shape == expected.shape
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(ours), nan)
    bits = np.dtype(f"u{expected.dtype.itemsize}")
    np.testing.assert_array_equal(ours[~nan].view(bits), expected[~nan].view(bits))


def _numpy_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


_FAST_UNARY = [
    ("neg", lambda t: -t, np.negative),
    ("square", lambda t: t ** 2, lambda x: x * x),
    ("square-float", lambda t: t ** 2.0, lambda x: x * x),
    ("cube", lambda t: t ** 3, lambda x: x * x * x),
    ("reciprocal", lambda t: t.reciprocal(), np.reciprocal),
    ("relu", lambda t: t.relu(), lambda x: np.maximum(x, 0)),
    ("sigmoid", lambda t: t.sigmoid(), _numpy_sigmoid),
    ("exp", lambda t: t.exp(), np.exp),
    ("log", lambda t: t.log(), np.log),
    ("sqrt", lambda t: t.sqrt(), np.sqrt),
    ("tanh", lambda t: t.tanh(), np.tanh),
    ("sin", lambda t: t.sin(), np.sin),
    ("cos", lambda t: t.cos(), np.cos),
]
_FAST_SHAPES = [(), (1,), (16,), (3, 5), (0,), (_PARALLEL,)]


@pytest.mark.parametrize("shape", _FAST_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, op, reference", _FAST_UNARY, ids=[c[0] for c in _FAST_UNARY])
def test_fast_unary_ops_equal_numpy_bit_for_bit(name, op, reference, dtype, shape):
    x = _values(shape, dtype)
    with np.errstate(all="ignore"):
        expected = np.asarray(reference(x))
    with warnings.catch_warnings():
        # numpy's overflow warnings (the general path's) are beside the point here
        warnings.simplefilter("ignore")
        out = op(autograd.tensor(x))
    _assert_identical(out, expected)
    assert not np.shares_memory(out.numpy(), x)


def _numbers_for(dtype):
    return [1.0001, 0.001, -2.5, 3, -7, 0, 0.0, np.inf, np.nan, 2 ** 40]


_FAST_BINARY = [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("div", lambda a, b: autograd.div(a, b), np.true_divide),
    # ``number / tensor`` is PyTorch's reciprocal(tensor) * number
    ("div-operator", lambda a, b: a / b,
     lambda a, b: np.reciprocal(b) * a if np.ndim(a) == 0 and not isinstance(a, np.ndarray)
     else np.true_divide(a, b)),
]


@pytest.mark.parametrize("shape", _FAST_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, op, reference", _FAST_BINARY, ids=[c[0] for c in _FAST_BINARY])
def test_fast_binary_ops_equal_numpy_bit_for_bit(name, op, reference, dtype, shape):
    x = _values(shape, dtype, seed=1)
    y = _values(shape, dtype, seed=2)[::-1].copy() if shape else _values(shape, dtype, seed=2)
    tx, ty = autograd.tensor(x), autograd.tensor(y)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_identical(op(tx, ty), reference(x, y))
        for s in _numbers_for(dtype):
            # numpy rounds a Python number to the array's dtype first, as we do
            _assert_identical(op(tx, s), reference(x, s))
            _assert_identical(op(s, tx), reference(s, x))
    with np.errstate(all="ignore"):
        _assert_identical(autograd.rsub(tx, 1.0), np.subtract(1.0, x))
        _assert_identical(autograd.rsub(tx, ty), np.subtract(y, x))


_ROWS = [((100, 16), (16,)), ((4, 5, 6), (1, 6)), ((3, 1), (1,)), ((7, 3), (1, 3)),
         ((0, 4), (4,)), ((5, 0), (0,)), ((_PARALLEL // 16 + 1, 16), (16,)),
         # the row first, and a row with more dimensions than the matrix: numpy's path
         ((16,), (100, 16)), ((6,), (1, 1, 6))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", _ROWS, ids=str)
@pytest.mark.parametrize("name, op, reference", _FAST_BINARY[:4],
                         ids=[c[0] for c in _FAST_BINARY[:4]])
def test_a_row_broadcast_along_a_matrix_equals_numpy_bit_for_bit(name, op, reference, dtype,
                                                                 shapes):
    x = _values(shapes[0], dtype, seed=3)
    y = _values(shapes[1], dtype, seed=4)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_identical(op(autograd.tensor(x), autograd.tensor(y)), reference(x, y))


def test_a_row_broadcast_sums_its_gradient_back():
    x_data = np.random.default_rng(5).standard_normal((5, 3))
    x = autograd.tensor(x_data, requires_grad=True)
    b = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ((x + b) * (x - b)).sum().backward()      # x^2 - b^2 for every row
    np.testing.assert_allclose(b.grad.numpy(), [-10.0, -20.0, -30.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * x_data)


@pytest.mark.parametrize("shapes, dtypes", [
    (((100, 16), (100, 16)), ("float32", "float32")), (((7,), (7,)), ("float64", "float64")),
    (((100, 16), (16,)), ("float32", "float32")), (((_PARALLEL,), (_PARALLEL,)), ("float32",) * 2),
    (((4, 6), (4, 6)), ("float32", "float64")), (((3, 4), (1, 4)), ("float64", "float64")),
    (((3, 4), ()), ("float32", "float32")),
], ids=str)
def test_gradient_sums_for_the_traversal_equal_numpy_bit_for_bit(shapes, dtypes):
    # what the traversal uses to sum a second gradient into a buffer
    from engine import pointwise_ops
    x = _values(shapes[0], dtypes[0], seed=6)
    y = _values(shapes[1], dtypes[1], seed=7)
    with np.errstate(all="ignore"):
        expected = x + y
        _assert_identical(pointwise_ops.add_arrays(x, y), expected)
        if np.result_type(x, y) == x.dtype:
            into = x.copy()
            pointwise_ops.add_in_place(into, y)
            _assert_identical(into, expected)


def test_adding_into_a_read_only_array_raises_like_numpy():
    from engine import pointwise_ops
    values = np.ones((4, 3), dtype=np.float32)
    values.flags.writeable = False
    for other in (np.ones((4, 3), dtype=np.float32), np.ones(3, dtype=np.float32)):
        with pytest.raises(ValueError, match="read-only"):
            pointwise_ops.add_in_place(values, other)
    np.testing.assert_array_equal(values, 1.0)


def test_a_leaf_used_several_times_sums_its_gradients():
    x = autograd.tensor(np.arange(8, dtype=np.float32), requires_grad=True)
    w = autograd.tensor(np.arange(8, dtype=np.float32) / 4, requires_grad=True)
    # (x + w).sum() is added to each of the 8 elements: 8 per element of x and w
    (x * w + x * 3 + x * x + (x + w).sum()).sum().backward()
    data = np.arange(8, dtype=np.float32)
    _assert_identical(x.grad, data / 4 + 3 + 2 * data + 8)
    _assert_identical(w.grad, data + 8)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_backward_of_a_reductions_gradient_equals_numpy(dtype):
    # mean's gradient reaches relu and tanh as one number broadcast by zero strides
    x = _values((100,), dtype, seed=8)
    for op, reference in ((lambda t: t.relu(), lambda y, g: np.where(y <= 0, 0.0, g)),
                          (lambda t: t.tanh(), lambda y, g: g * (1 - y * y))):
        t = autograd.tensor(x, requires_grad=True)
        out = op(t)
        out.mean().backward()
        g = np.true_divide(np.ones((), dtype=dtype), 100)
        with np.errstate(all="ignore"):
            expected = np.asarray(reference(out.detach().numpy(), g), dtype=dtype)
        _assert_identical(t.grad, expected)


FALLBACKS = [
    # (what crosses the boundary, operands as numpy values or Python numbers)
    ("noncontiguous", lambda: (_values((4, 6), "float32")[:, ::2], 1.5)),
    ("transposed", lambda: (_values((4, 6), "float64").T, _values((6, 4), "float64"))),
    ("broadcast-row", lambda: (_values((3, 16), "float32"), _values((16,), "float32"))),
    ("broadcast-0d", lambda: (_values((16,), "float32"), _values((), "float32"))),
    ("0d-first", lambda: (_values((), "float64"), _values((16,), "float64"))),
    ("mixed-float", lambda: (_values((16,), "float32"), _values((16,), "float64"))),
    ("float16", lambda: (_values((16,), "float16"), 0.5)),
    ("int-tensor", lambda: (np.arange(-8, 8, dtype=np.int64), 3)),
    ("int-with-float", lambda: (np.arange(-8, 8, dtype=np.int32), 2.5)),
    ("numpy-scalar", lambda: (_values((16,), "float32"), np.float64(1.0001))),
    ("huge-int", lambda: (_values((16,), "float32"), 2 ** 70)),
    ("big-int-53", lambda: (_values((16,), "float32"), 2 ** 53 + 1)),
    ("bool-number", lambda: (_values((16,), "float64"), True)),
    ("big-endian", lambda: (_values((16,), ">f4"), _values((16,), ">f4"))),
    ("large-noncontiguous", lambda: (_values((2 * _PARALLEL,), "float32")[::2], 0.5)),
]


def _lib_value(v):
    return autograd.tensor(v) if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("name, operands", FALLBACKS, ids=[f[0] for f in FALLBACKS])
def test_values_across_the_fast_path_boundary_equal_numpy(name, operands):
    x, y = operands()
    a, b = _lib_value(x), _lib_value(y)
    if isinstance(y, np.generic):
        y = y.item()     # a numpy scalar counts as a Python number
    torch = None
    for op, ufunc in [(lambda p, q: p + q, np.add), (lambda p, q: p * q, np.multiply),
                      (lambda p, q: p - q, np.subtract)]:
        if ufunc is np.subtract and isinstance(y, bool):
            continue     # PyTorch refuses ``tensor - True``
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = op(a, b).numpy()
            expected = ufunc(x.astype(x.dtype.newbyteorder("="), copy=False), y)
        if name in ("mixed-float", "0d-first", "int-with-float", "bool-number", "float16"):
            torch = torch or _torch()
            t = op(torch.from_numpy(x), torch.from_numpy(y) if isinstance(y, np.ndarray) else y)
            expected = expected.astype(str(t.dtype).split(".")[-1])
        np.testing.assert_array_equal(out, expected)
        assert out.dtype == expected.dtype


def test_fast_path_keeps_huge_number_overflow_like_numpy():
    # 1e300 is inf in float32: numpy warns while rounding it; so do we
    x = _values((16,), "float32")
    with np.errstate(over="ignore", invalid="ignore"):
        expected = x * np.float32(np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_identical(autograd.tensor(x) * 1e300, expected)


def test_division_by_zero_gives_inf_and_nan_like_torch():
    torch = _torch()
    for dtype in ("float32", "float64"):
        x = np.array([1.0, -1.0, 0.0, -0.0, np.inf, np.nan], dtype=dtype)
        zeros = np.zeros_like(x)
        for divisor, tdivisor in [(0.0, 0.0), (0, 0), (-0.0, -0.0),
                                  (autograd.tensor(zeros), torch.from_numpy(zeros))]:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                ours = (autograd.tensor(x) / divisor).numpy()
            _assert_identical(ours, (torch.from_numpy(x) / tdivisor).numpy())
        _assert_identical((1.0 / autograd.tensor(zeros)).numpy(),
                          (1.0 / torch.from_numpy(zeros)).numpy())


@pytest.mark.parametrize("exponent", [2, 3, 2.0, 3.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_small_integer_powers_equal_torch_with_negative_bases(exponent, dtype):
    torch = _torch()
    x = _values((64,), dtype) - 1
    x[np.abs(x) > 1e10] = -1.5       # no overflow warnings from the general path
    x[:4] = [-2.5, -3.0, -1e-20, -7.0]
    ours = autograd.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, ty = ours ** exponent, theirs ** exponent
    _assert_identical(y.detach().numpy(), ty.detach().numpy())
    finite = np.isfinite(x)
    g = np.linspace(-1, 1, x.size).astype(dtype)
    y.backward(autograd.tensor(g))
    ty.backward(torch.from_numpy(g))
    # the gradient p * x**(p-1) * g, in PyTorch's rounding too
    np.testing.assert_array_equal(ours.grad.numpy()[finite], theirs.grad.numpy()[finite])
    assert ours.grad.dtype == y.dtype


# fused backward formulas: the values the unfused engine ops give
_FUSED = [
    ("tanh", lambda t: t.tanh(), lambda x, y, g: g * (1 - y * y)),
    ("sigmoid", lambda t: t.sigmoid(), lambda x, y, g: g * (y * (1 - y))),
    ("relu", lambda t: t.relu(), lambda x, y, g: np.where(y <= 0, 0.0, g).astype(g.dtype)),
    ("square", lambda t: t ** 2, lambda x, y, g: g * (x * 2)),
    ("cube", lambda t: t ** 3, lambda x, y, g: g * ((x * x) * 3)),
    ("mul-number", lambda t: t * 1.0001, lambda x, y, g: g * 1.0001),
    ("add-number", lambda t: t + 0.001, lambda x, y, g: g),
    ("exp", lambda t: t.exp(), lambda x, y, g: g * y),
]


@pytest.mark.parametrize("shape", [(), (16,), (_PARALLEL,)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, op, formula", _FUSED, ids=[c[0] for c in _FUSED])
def test_backward_formulas_equal_numpy_bit_for_bit(name, op, formula, dtype, shape):
    x = _values(shape, dtype, seed=3)
    x[np.abs(x) > 50] = 0.25     # keep exp finite
    g = _values(shape, dtype, seed=4)
    leaf = autograd.tensor(x, requires_grad=True)
    y = op(leaf)
    y.backward(autograd.tensor(g))
    with np.errstate(all="ignore"):
        expected = formula(x, y.detach().numpy(), g)
    _assert_identical(leaf.grad, expected)


@pytest.mark.parametrize("name, op, formula", _FUSED[:5], ids=[c[0] for c in _FUSED[:5]])
def test_create_graph_gives_the_same_gradient_and_a_second_derivative(name, op, formula):
    # With create_graph the formula is built from engine ops (differentiable)
    x = np.linspace(-2, 2, 16).astype(np.float32)
    g = np.linspace(0.5, 1.5, 16).astype(np.float32)
    plain = autograd.tensor(x, requires_grad=True)
    op(plain).backward(autograd.tensor(g))
    graphed = autograd.tensor(x, requires_grad=True)
    (first,) = autograd.grad(op(graphed), graphed, autograd.tensor(g), create_graph=True)
    _assert_identical(first.detach().numpy(), plain.grad.numpy())
    # relu's gradient is a selection of the constant g: nothing to differentiate
    assert first.requires_grad == (name != "relu")
    if name in ("tanh", "cube"):
        (second,) = autograd.grad(first.sum(), graphed)
        torch = _torch()
        tx = torch.tensor(x, requires_grad=True)
        (tfirst,) = torch.autograd.grad(op(tx), tx, torch.from_numpy(g), create_graph=True)
        (tsecond,) = torch.autograd.grad(tfirst.sum(), tx)
        np.testing.assert_allclose(second.numpy(), tsecond.numpy(), rtol=1e-5, atol=1e-6)


def test_large_ops_from_two_threads_at_once():
    import threading
    x = _values((_PARALLEL,), "float32")
    with np.errstate(over="ignore"):
        expected = np.tanh(x * 1.5 + 0.25)
    results = [None] * 4

    def work(i):
        t = autograd.tensor(x)
        for _ in range(3):
            results[i] = (t * 1.5 + 0.25).tanh().numpy()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for r in results:
        _assert_identical(r, expected)


def test_q_values_and_gradients_on_large_tensors():
    # the tutorial's Q = 3a**3 - b**2 above the parallel threshold
    rng = np.random.default_rng(5)
    a_np = rng.standard_normal(_PARALLEL).astype(np.float32)
    b_np = rng.standard_normal(_PARALLEL).astype(np.float32)
    a = autograd.tensor(a_np, requires_grad=True)
    b = autograd.tensor(b_np, requires_grad=True)
    q = 3 * a ** 3 - b ** 2
    _assert_identical(q, 3 * (a_np * a_np * a_np) - b_np * b_np)
    ones = np.ones_like(a_np)
    q.backward(autograd.tensor(ones))
    _assert_identical(a.grad, (ones * 3) * ((a_np * a_np) * 3))
    _assert_identical(b.grad, -(ones * (b_np * 2)))


def test_operators_take_numbers_numpy_scalars_and_refuse_foreign_types():
    x = np.array([1.5, -2.0, 4.0], dtype=np.float32)
    t = autograd.tensor(x)
    for number in (2, 2.5, True, np.float64(2.5), np.int8(3), np.bool_(True)):
        value = number.item() if isinstance(number, np.generic) else number
        ops = [lambda a, b: a + b, lambda a, b: b + a, lambda a, b: a * b,
               lambda a, b: b * a, lambda a, b: a / b, lambda a, b: b / a,
               lambda a, b: a ** b]
        if not isinstance(value, bool):      # PyTorch refuses ``tensor - True``
            ops += [lambda a, b: a - b, lambda a, b: b - a]
        for op in ops:
            out = op(t, number)
            assert out.dtype == autograd.float32     # a number never widens the dtype
            with np.errstate(all="ignore"):
                np.testing.assert_array_equal(out.numpy(), op(autograd.tensor(x), value).numpy())
    for foreign in ("a", None, [1.0], np.str_("a")):
        for op in (lambda a, b: a + b, lambda a, b: b * a, lambda a, b: a ** b,
                   lambda a, b: b / a, lambda a, b: a - b):
            with pytest.raises(TypeError):
                op(t, foreign)
    np.testing.assert_array_equal((2 ** t).numpy(), np.power(np.float32(2), x))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("value", [2.5, -0.0, np.inf, np.nan, 1e-30])
def test_a_broadcast_number_operand_equals_numpy_bit_for_bit(dtype, value):
    # expand gives a zero-stride view, as a reduction's backward does; the
    # compiled engine takes it as a number on the fast path
    x_np = _values((3, 5), dtype)
    x = autograd.tensor(x_np)
    b = autograd.tensor(np.asarray(value, dtype=dtype)).expand(3, 5)
    b_np = np.broadcast_to(np.asarray(value, dtype=dtype), (3, 5))
    with np.errstate(all="ignore"):
        for op in (np.add, np.subtract, np.multiply, np.divide):
            name = op.__name__
            fn = {"add": autograd.add, "subtract": autograd.sub, "multiply": autograd.mul,
                  "divide": autograd.div}[name]
            _assert_identical(fn(x, b), op(x_np, b_np))
            _assert_identical(fn(b, x), op(b_np, x_np))
        # two broadcast operands, or another dtype, take the general path: same values
        c = autograd.tensor(np.asarray(1.5, dtype=dtype)).expand(3, 5)
        _assert_identical(b * c, b_np * np.broadcast_to(np.asarray(1.5, dtype=dtype), (3, 5)))
        other = "float64" if dtype == "float32" else "float32"
        _assert_identical(x * autograd.tensor(np.asarray(value, dtype=other)).expand(3, 5),
                          (x * autograd.tensor(np.full((3, 5), value, dtype=other))).numpy())
