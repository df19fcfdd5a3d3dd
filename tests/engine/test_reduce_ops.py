"""engine/reduce_ops.py: every reduction through the shared checks, plus the
cases the harness cannot express (zeros in prod, ties, corrections, large
softmax inputs, dim errors)."""
import warnings

import numpy as np
import pytest

import autograd
from tests.op_harness import (
    Arg, OpCase, Sample, OpTests, nc,
    randn,
)


def _multi_dim_samples(rng):
    """Samples for reductions taking an int or a tuple of dims."""
    r = lambda *s: randn(rng, *s)
    return [
        Sample((Arg(r(3, 4)),), name="all"),
        Sample((Arg(r(3, 4)),), dict(dim=1), name="dim1"),
        Sample((Arg(r(3, 4)),), dict(dim=-1, keepdim=True), name="negdim-keepdim"),
        Sample((Arg(r(2, 3, 4)),), dict(dim=(0, 2)), name="tuple"),
        Sample((Arg(r(2, 3, 4)),), dict(dim=(-1, 0), keepdim=True), name="tuple-keepdim"),
        Sample((Arg(r(3, 1)),), dict(dim=1), name="size1-dim"),
        Sample((Arg(r(1)),), dict(dim=0), name="size1"),
        Sample((nc(r(4, 3)),), dict(dim=0), name="noncontiguous"),
        Sample((nc(r(4, 3)),), name="noncontiguous-all"),
        Sample((Arg(r()),), name="0d"),
        Sample((Arg(r()),), dict(dim=-1, keepdim=True), name="0d-dim"),
    ]


def _multi_dim_zero(rng):
    r = lambda *s: randn(rng, *s)
    return [
        Sample((Arg(r(2, 0)),), dict(dim=1), name="empty-dim"),
        Sample((Arg(r(0, 3)),), dict(dim=1, keepdim=True), name="empty-other-dim"),
        Sample((Arg(r(0, 3)),), name="empty-all"),
    ]


def _single_dim_samples(rng, low=None, high=None):
    """Samples for reductions taking one int dim (prod, max(dim), softmax)."""
    r = lambda *s: randn(rng, *s, low=low, high=high)
    return [
        Sample((Arg(r(3, 4)),), dict(dim=1), name="dim1"),
        Sample((Arg(r(3, 4)),), dict(dim=-2), name="negdim"),
        Sample((Arg(r(2, 3, 4)),), dict(dim=1, keepdim=True), name="keepdim"),
        Sample((Arg(r(3, 1)),), dict(dim=1), name="size1-dim"),
        Sample((nc(r(4, 3)),), dict(dim=0), name="noncontiguous"),
        Sample((Arg(r()),), dict(dim=0), name="0d"),
    ]


def _prod_samples(rng):
    zeros_one = np.array([[1.5, 0.0, -2.0], [0.5, 3.0, 1.2]])
    zeros_two = np.array([[0.0, 2.0, 0.0], [1.1, 0.0, 0.7]])
    return _single_dim_samples(rng, 0.5, 1.5) + [
        Sample((Arg(randn(rng, 3, 4, low=0.5, high=1.5)),), name="all"),
        Sample((Arg(zeros_one),), name="all-one-zero"),
        Sample((Arg(zeros_two),), name="all-two-zeros"),
        Sample((Arg(zeros_one),), dict(dim=1), name="dim-one-zero"),
        Sample((Arg(zeros_two),), dict(dim=1), name="dim-zeros"),
        Sample((nc(zeros_two),), dict(dim=0, keepdim=True), name="noncontiguous-zeros"),
    ]


def _prod_zero(rng):
    return [
        Sample((Arg(randn(rng, 2, 0)),), dict(dim=1), name="empty-dim"),
        Sample((Arg(randn(rng, 0, 3)),), dict(dim=1), name="empty-other-dim"),
        Sample((Arg(randn(rng, 0, 3)),), name="empty-all"),
    ]


def _extreme_samples(rng):
    return _single_dim_samples(rng) + [
        Sample((Arg(randn(rng, 3, 4)),), name="all"),
        Sample((nc(randn(rng, 4, 3)),), name="noncontiguous-all"),
        Sample((Arg(randn(rng)),), name="0d-all"),
    ]


def _extreme_zero(rng):
    # the reduced dim is non-empty; an empty reduced dim is an error (tested below)
    return [Sample((Arg(randn(rng, 0, 3)),), dict(dim=1), name="empty-other-dim")]


def _amax_zero(rng):
    return [Sample((Arg(randn(rng, 0, 3)),), dict(dim=1), name="empty-other-dim")]


def _var_samples(rng):
    r = lambda *s: randn(rng, *s)
    return [
        Sample((Arg(r(3, 4)),), name="all"),
        Sample((Arg(r(3, 4)),), dict(dim=1), name="dim1"),
        Sample((Arg(r(3, 4)),), dict(dim=-2, keepdim=True), name="negdim-keepdim"),
        Sample((Arg(r(2, 3, 4)),), dict(dim=(0, 2)), name="tuple"),
        Sample((Arg(r(3, 4)),), dict(dim=1, unbiased=False), name="biased"),
        Sample((Arg(r(3, 5)),), dict(dim=1, correction=2), name="correction2"),
        Sample((Arg(r(3, 5)),), dict(dim=0, correction=0), name="correction0"),
        Sample((nc(r(4, 3)),), dict(dim=0), name="noncontiguous"),
        Sample((Arg(r(3, 1)),), dict(dim=0), name="size1-other-dim"),
    ]


def _var_zero(rng):
    return [Sample((Arg(randn(rng, 2, 0)),), dict(dim=0), name="empty-other-dim")]


def _softmax_samples(rng):
    r = lambda *s: randn(rng, *s)
    return [
        Sample((Arg(r(3, 4)),), dict(dim=1), name="dim1"),
        Sample((Arg(r(3, 4)),), dict(dim=0), name="dim0"),
        Sample((Arg(r(2, 3, 4)),), dict(dim=-2), name="negdim"),
        Sample((Arg(r(3, 1)),), dict(dim=1), name="size1-dim"),
        Sample((nc(r(4, 3)),), dict(dim=1), name="noncontiguous"),
        Sample((Arg(r()),), dict(dim=0), name="0d"),
        Sample((Arg(r(5)),), dict(dim=0), name="1d"),
    ]


def _softmax_zero(rng):
    return [
        Sample((Arg(randn(rng, 2, 0)),), dict(dim=1), name="empty-dim"),
        Sample((Arg(randn(rng, 0, 3)),), dict(dim=1), name="empty-other-dim"),
    ]


CASES = [
    OpCase("sum", lambda lib, a, **kw: a.sum(**kw), _multi_dim_samples, _multi_dim_zero),
    OpCase("sum-function", lambda lib, a, **kw: lib.sum(a * a, **kw), _multi_dim_samples,
           _multi_dim_zero),
    OpCase("mean", lambda lib, a, **kw: a.mean(**kw), _multi_dim_samples, _multi_dim_zero),
    OpCase("prod", lambda lib, a, **kw: a.prod(**kw), _prod_samples, _prod_zero),
    OpCase("max", lambda lib, a, **kw: a.max(**kw), _extreme_samples, _extreme_zero),
    OpCase("min", lambda lib, a, **kw: lib.min(a, **kw), _extreme_samples, _extreme_zero),
    OpCase("amax", lambda lib, a, **kw: a.amax(**kw), _multi_dim_samples, _amax_zero),
    OpCase("amin", lambda lib, a, **kw: lib.amin(a, **kw), _multi_dim_samples, _amax_zero),
    OpCase("var", lambda lib, a, **kw: a.var(**kw), _var_samples, _var_zero),
    OpCase("std", lambda lib, a, **kw: lib.std(a, **kw), _var_samples, _var_zero),
    OpCase("softmax", lambda lib, a, **kw: a.softmax(**kw), _softmax_samples, _softmax_zero),
    OpCase("log_softmax", lambda lib, a, **kw: lib.log_softmax(a, **kw), _softmax_samples,
           _softmax_zero),
]


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
class TestOps(OpTests):
    CASES = CASES


# ----------------------------------------------------------------------
# helpers for the explicit tests
# ----------------------------------------------------------------------

def _pair(array, dtype="float64"):
    """The same leaf in both libraries."""
    torch = pytest.importorskip("torch")
    array = np.asarray(array, dtype=dtype)
    ours = autograd.tensor(array, requires_grad=True)
    theirs = torch.tensor(array, requires_grad=True)
    return ours, theirs


def _assert_grads_match(ours, theirs, fn, rtol=1e-7, atol=1e-12):
    a = fn(autograd, ours)
    b = fn(pytest.importorskip("torch"), theirs)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=atol)
    return ours.grad.numpy()


# ----------------------------------------------------------------------
# sum / mean / prod
# ----------------------------------------------------------------------

@pytest.mark.parametrize("values, dtype", [
    ([[1, 2], [3, 4]], np.int32),
    ([[1, 2], [3, 4]], np.uint8),
    ([[True, False], [True, True]], np.bool_),
])
def test_integer_sum_and_prod_give_int64(values, dtype):
    t = autograd.from_numpy(np.array(values, dtype=dtype))
    assert t.sum().dtype == autograd.int64
    assert t.sum(0).tolist() == np.array(values, dtype=np.int64).sum(0).tolist()
    assert t.prod().dtype == autograd.int64
    assert t.prod(1).tolist() == np.array(values, dtype=np.int64).prod(1).tolist()


def test_sum_dtype_argument():
    t = autograd.tensor([1.5, 2.25], requires_grad=True)
    s = t.sum(dtype=autograd.float64)
    assert s.dtype == autograd.float64 and s.item() == 3.75
    s.backward()
    assert t.grad.dtype == autograd.float32
    assert t.grad.tolist() == [1.0, 1.0]
    assert autograd.tensor([1, 2]).sum(dtype=autograd.float32).dtype == autograd.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(100, 16), (3000, 7), (1, 2), (0, 5), (5, 1), (64, 300)])
def test_column_sums_have_numpys_bits(dtype, shape):
    # the compiled engine sums a matrix's columns by its own loop, in
    # numpy's order; values over many magnitudes expose any other order
    rng = np.random.default_rng(21)
    data = (rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 7, shape)).astype(dtype)
    if data.size:
        data.flat[0] = np.nan if shape[0] > 2 else -0.0
    expected = np.add.reduce(data, axis=0)
    for dim in (0, -2, (0,)):
        got = autograd.tensor(data).sum(dim).numpy()
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        assert np.array_equal(np.signbit(got), np.signbit(expected))
    # a column view and a kept dim take numpy's path, with the same values
    np.testing.assert_array_equal(autograd.tensor(data).sum(0, keepdim=True).numpy(),
                                  np.add.reduce(data, axis=0, keepdims=True))
    if shape[1] > 1:
        view = data[:, ::2]
        np.testing.assert_array_equal(autograd.tensor(view).sum(0).numpy(),
                                      np.add.reduce(view, axis=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_and_mean_of_everything_have_numpys_bits(dtype):
    # small arrays are summed by the compiled engine's own loop, in numpy's
    # pairwise order; sizes around each of its block boundaries
    rng = np.random.default_rng(22)
    sizes = list(range(0, 300)) + [1000, 1023, 4096, 8191, 8192, 8193, 20000]
    for size in sizes:
        data = (rng.standard_normal(size) * 10.0 ** rng.integers(-6, 7, size)).astype(dtype)
        for shape in ((size,), (1, size), (size, 1)):
            t = autograd.tensor(data.reshape(shape))
            got, expected = t.sum().numpy(), np.add.reduce(data.reshape(shape), axis=None)
            assert got.dtype == dtype and got.shape == ()
            assert got.tobytes() == np.asarray(expected, dtype).tobytes(), size
            if size:
                got = t.mean().numpy()
                expected = np.true_divide(np.add.reduce(data, axis=None), size)
                assert got.tobytes() == np.asarray(expected, dtype).tobytes(), size


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(100, 10), (3, 1), (4, 7, 129), (2, 8192), (2, 8193), (6,)])
def test_sums_along_the_last_axis_have_numpys_bits(dtype, shape):
    # the compiled engine sums short rows by its own loop, pairwise as numpy
    rng = np.random.default_rng(24)
    data = (rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 7, shape)).astype(dtype)
    data.flat[0] = -0.0
    for keepdim in (False, True):
        expected = np.add.reduce(data, axis=-1, keepdims=keepdim)
        got = autograd.tensor(data).sum(-1, keepdim=keepdim).numpy()
        assert got.shape == expected.shape
        assert got.tobytes() == np.asarray(expected, dtype).tobytes(), (shape, keepdim)


@pytest.mark.parametrize("values", [[-0.0] * 3, [-0.0] * 12, [np.nan, 1.0], [np.inf, -np.inf],
                                    [np.inf] * 9, [3e38, 3e38]])
def test_sum_and_mean_of_special_values_match_numpy(values):
    for dtype in (np.float32, np.float64):
        data = np.array(values, dtype=dtype)
        with np.errstate(all="ignore"):
            expected_sum = np.asarray(np.add.reduce(data, axis=None), dtype)
            expected_mean = np.asarray(np.true_divide(expected_sum, data.size), dtype)
        t = autograd.tensor(data)
        with np.errstate(all="ignore"):     # the numpy path's overflow warning (PyTorch has none)
            assert t.sum().numpy().tobytes() == expected_sum.tobytes()
            assert t.mean().numpy().tobytes() == expected_mean.tobytes()


def test_column_sums_of_negative_zeros_are_positive_zero_like_numpy():
    got = autograd.tensor(np.full((3, 4), -0.0, dtype=np.float32)).sum(0).numpy()
    assert not np.signbit(got).any()


def test_sum_empty_dims_tuple_reduces_everything():
    t = autograd.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    s = t.sum(())
    assert s.shape == () and s.item() == 10.0
    assert s.grad_fn.name() == "SumBackward1"


def test_mean_rejects_integer_input():
    t = autograd.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype.*Got: Long"):
        t.mean()
    with pytest.raises(RuntimeError, match="Optional dtype.*Got: Long"):
        autograd.tensor([1., 2.]).mean(dtype=autograd.int64)
    m = t.mean(dtype=autograd.float64)
    assert m.dtype == autograd.float64 and m.item() == 2.0


def test_mean_of_nothing_is_nan():
    assert np.isnan(autograd.zeros(0).mean().item())
    assert np.isnan(autograd.zeros(2, 0).mean(1).numpy()).all()


@pytest.mark.parametrize("values, dim", [
    ([2.0, 0.0, 3.0, 4.0], None),                             # one zero
    ([0.0, 5.0, 0.0, 4.0], None),                             # two zeros
    ([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], None),               # zeros in one row only
    ([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]], 1),  # none, one, two zeros per row
    ([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]], 0),
    ([[0.0, 0.0], [0.0, 1.0]], -1),
])
def test_prod_gradient_with_zeros_matches_torch(values, dim):
    ours, theirs = _pair(values)
    if dim is None:
        fn = lambda lib, t: t.prod()
    else:
        fn = lambda lib, t: t.prod(dim)
    _assert_grads_match(ours, theirs, fn)


def test_prod_gradient_with_zeros_values():
    t = autograd.tensor([2.0, 0.0, 3.0], requires_grad=True)
    t.prod().backward()
    assert t.grad.tolist() == [0.0, 6.0, 0.0]
    t = autograd.tensor([[2.0, 0.0, 0.0], [2.0, 3.0, 4.0]], requires_grad=True)
    t.prod(1).sum().backward()
    assert t.grad.tolist() == [[0.0, 0.0, 0.0], [12.0, 8.0, 6.0]]


def test_prod_takes_one_dim():
    t = autograd.ones(2, 3)
    with pytest.raises(TypeError):
        t.prod((0, 1))


def test_prod_of_0d_and_empty():
    t = autograd.tensor(3.0, requires_grad=True)
    p = t.prod(0)
    assert p.shape == () and p.item() == 3.0
    p.backward()
    assert t.grad.item() == 1.0
    assert autograd.zeros(2, 0).prod(1).tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------
# max / min / amax / amin / argmax / argmin
# ----------------------------------------------------------------------

TIES = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]]


@pytest.mark.parametrize("fn", [
    lambda lib, t: t.max(),
    lambda lib, t: t.min(),
    lambda lib, t: (t * 0).max(),
    lambda lib, t: t.max(1).values,
    lambda lib, t: t.max(0, keepdim=True).values,
    lambda lib, t: t.min(-1).values,
    lambda lib, t: t.amax(1),
    lambda lib, t: t.amin((0, 1)),
    lambda lib, t: t.amax(0, keepdim=True),
], ids=["max", "min", "max-all-equal", "max-dim", "max-dim-keepdim", "min-dim",
        "amax-dim", "amin-all", "amax-keepdim"])
def test_ties_match_torch_gradients(fn):
    ours, theirs = _pair(TIES)
    _assert_grads_match(ours, theirs, fn)


def test_full_max_spreads_gradient_over_ties():
    t = autograd.tensor(TIES, requires_grad=True)
    t.max().backward()
    np.testing.assert_allclose(t.grad.numpy(), [[0, 0, 0], [0, 0, 0], [1 / 3] * 3])


def test_max_dim_sends_gradient_to_selected_index_only():
    t = autograd.tensor(TIES, requires_grad=True)
    r = t.max(1)
    assert r.indices.tolist() == [1, 0, 0]
    r.values.sum().backward()
    assert t.grad.tolist() == [[0, 1, 0], [1, 0, 0], [1, 0, 0]]


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape, dim, keepdim", [
    ((3, 4), 1, False), ((3, 4), 0, True), ((2, 3, 4), -1, False), ((2, 3, 4), 1, True),
    ((), 0, False), ((), -1, True), ((5,), 0, True), ((0, 3), 1, False),
])
def test_max_min_dim_values_and_indices_match_torch(name, shape, dim, keepdim):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal(shape)
    ours = getattr(autograd.tensor(x, requires_grad=True), name)(dim, keepdim)
    theirs = getattr(torch.tensor(x, requires_grad=True), name)(dim, keepdim)
    values, indices = ours
    assert ours.values is values and ours.indices is indices
    assert type(ours).__name__ == name
    assert indices.dtype == autograd.int64 and not indices.requires_grad
    assert values.requires_grad
    assert values.grad_fn.name() == theirs.values.grad_fn.name()
    assert tuple(values.shape) == tuple(theirs.values.shape)
    np.testing.assert_array_equal(values.detach().numpy(), theirs.values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())


def test_max_of_integer_and_bool_tensors():
    r = autograd.tensor([[1, 7], [4, 2]]).max(1)
    assert r.values.tolist() == [7, 4] and r.values.dtype == autograd.int64
    assert r.indices.tolist() == [1, 0]
    assert autograd.tensor([True, False]).max().item() is True


def test_max_with_nan_propagates_nan_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, np.nan, 3.0], [0.0, 2.0, 1.0]])
    r = autograd.tensor(x).max(1)
    t = torch.tensor(x).max(1)
    np.testing.assert_array_equal(r.values.numpy(), t.values.numpy())
    np.testing.assert_array_equal(r.indices.numpy(), t.indices.numpy())
    assert np.isnan(autograd.tensor(x).max().item())


def test_max_over_an_empty_dim_raises_like_torch():
    t = autograd.zeros(2, 0)
    with pytest.raises(IndexError, match="max\\(\\): Expected reduction dim 1 to have non-zero size"):
        t.max(1)
    with pytest.raises(IndexError, match="min\\(\\): Expected reduction dim 1"):
        t.min(-1)
    with pytest.raises(RuntimeError, match="Specify the reduction dim"):
        t.max()
    with pytest.raises(IndexError, match="amax\\(\\): Expected reduction dim 1"):
        t.amax(1)
    with pytest.raises(RuntimeError, match="Specify the reduction dim"):
        t.amin()
    assert t.max(0).values.shape == (0,)


def test_max_with_tensor_is_maximum():
    a = autograd.tensor([1.0, 5.0, 3.0])
    b = autograd.tensor([4.0, 2.0, 3.0])
    assert a.max(b).tolist() == [4.0, 5.0, 3.0]
    assert autograd.max(a, b).tolist() == [4.0, 5.0, 3.0]
    assert autograd.min(a, other=b).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(TypeError, match="keepdim"):
        a.max(b, True)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (1, False), (-2, True)])
def test_argmax_argmin_match_torch(name, dim, keepdim):
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 4.0, 4.0], [3.0, -2.0, 3.0]])
    ours = getattr(autograd.tensor(x), name)(dim, keepdim)
    theirs = getattr(torch.tensor(x), name)(dim, keepdim)
    assert ours.dtype == autograd.int64
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ----------------------------------------------------------------------
# var / std
# ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kwargs", [
    dict(correction=0), dict(correction=1), dict(correction=2),
    dict(dim=1, correction=0), dict(dim=1, correction=2, keepdim=True),
    dict(dim=0, unbiased=False), dict(dim=(0, 1), correction=1),
])
def test_var_std_corrections_match_torch(name, kwargs):
    x = np.random.default_rng(5).standard_normal((4, 5))
    ours, theirs = _pair(x)
    _assert_grads_match(ours, theirs, lambda lib, t: getattr(t, name)(**kwargs))


def test_var_values_by_hand():
    t = autograd.tensor([1.0, 2.0, 3.0, 6.0])
    # squared deviations from the mean 3: 4 + 1 + 0 + 9 = 14
    assert t.var().item() == pytest.approx(14 / 3)
    assert t.var(unbiased=False).item() == pytest.approx(14 / 4)
    assert t.var(correction=2).item() == pytest.approx(14 / 2)
    assert t.var(True).item() == pytest.approx(14 / 3)
    assert t.std(correction=0).item() == pytest.approx(np.sqrt(14 / 4))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("values, kwargs", [
    ([2.5], {}),
    (2.5, {}),
    ([[1.0, 2.0]], dict(dim=0)),
    ([1.0, 3.0], dict(correction=2)),
    ([1.0, 3.0], dict(correction=5)),
])
def test_var_std_without_degrees_of_freedom_match_torch(name, values, kwargs):
    pytest.importorskip("torch")
    ours, theirs = _pair(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = getattr(ours, name)(**kwargs)
        b = getattr(theirs, name)(**kwargs)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_var_of_one_element_is_nan_with_a_warning():
    t = autograd.tensor([2.5], requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        v = t.var()
    assert np.isnan(v.item())
    assert t.var(correction=0).item() == 0.0


def test_std_of_constant_input_has_zero_gradient():
    t = autograd.tensor([2.0, 2.0, 2.0], requires_grad=True)
    t.std().backward()
    assert t.grad.tolist() == [0.0, 0.0, 0.0]


def test_var_rejects_integer_input():
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        autograd.tensor([1, 2, 3]).var()
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        autograd.tensor([1, 2, 3]).std(0)


# ----------------------------------------------------------------------
# softmax / log_softmax
# ----------------------------------------------------------------------

LARGE = [
    [1000.0, 1000.0, 999.0],
    [-1000.0, 0.0, 1000.0],
    [1e4, -1e4, 0.0],
    [-1000.0, -1000.0, -1001.0],
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [1, 0])
def test_softmax_of_large_inputs_is_finite_and_matches_torch(dtype, name, dim):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(LARGE, dtype)
    a = getattr(ours, name)(dim)
    b = getattr(theirs, name)(dim)
    assert np.isfinite(a.detach().numpy()).all()
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
    upstream = np.random.default_rng(2).standard_normal(a.shape).astype(dtype)
    a.backward(autograd.tensor(upstream))
    b.backward(torch.tensor(upstream))
    assert np.isfinite(ours.grad.numpy()).all()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tol)


def _numpy_softmaxes(data, axis):
    """softmax and log_softmax as numpy computes them, max-shifted, a
    non-finite max shifting by 0."""
    peak = np.max(data, axis=axis, keepdims=True)
    shifted = data - np.where(np.isfinite(peak), peak, 0)
    e = np.exp(shifted)
    total = np.add.reduce(e, axis=axis, keepdims=True)
    return e / total, shifted - np.log(total)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_along_the_last_axis_has_numpys_bits(dtype):
    # the compiled engine finds the rows' maxima and sums by its own loops
    # there; row lengths around the pairwise sum's block sizes, values over
    # many magnitudes, and rows holding nan, inf or -inf only
    rng = np.random.default_rng(23)
    shapes = [(5, n) for n in (1, 2, 7, 8, 9, 16, 100, 128, 129, 300)] + [(2, 3, 10), (10,)]
    for shape in shapes:
        data = (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 3, shape)).astype(dtype)
        rows = data.reshape(-1, shape[-1])
        if rows.shape[0] >= 5:
            rows[1, -1] = np.nan
            rows[2, 0] = np.inf
            rows[3] = -np.inf
        with np.errstate(all="ignore"):
            want_soft, want_log = _numpy_softmaxes(data, -1)
            got_soft = autograd.tensor(data).softmax(-1).numpy()
            got_log = autograd.tensor(data).log_softmax(-1).numpy()
        assert got_soft.tobytes() == want_soft.tobytes(), shape
        assert got_log.tobytes() == want_log.tobytes(), shape


def test_softmax_values_and_node_names():
    t = autograd.tensor([[1000.0, 1000.0], [0.0, np.log(3.0)]], requires_grad=True)
    s = autograd.softmax(t, 1)
    np.testing.assert_allclose(s.detach().numpy(), [[0.5, 0.5], [0.25, 0.75]], rtol=1e-6)
    assert s.grad_fn.name() == "SoftmaxBackward0"
    ls = t.log_softmax(dim=-1)
    np.testing.assert_allclose(ls.detach().numpy(), np.log([[0.5, 0.5], [0.25, 0.75]]),
                               rtol=1e-6)
    assert ls.grad_fn.name() == "LogSoftmaxBackward0"


def test_softmax_requires_dim():
    t = autograd.ones(2, 3)
    for fn in (autograd.softmax, autograd.log_softmax):
        with pytest.raises(TypeError, match="missing 1 required argument: 'dim'"):
            fn(t)
        with pytest.raises(TypeError, match="dim"):
            fn(t, None)
    with pytest.raises(TypeError, match="dim"):
        t.softmax()
    with pytest.raises(TypeError, match="dim"):
        t.log_softmax()


def test_softmax_of_integers_needs_a_float_dtype():
    t = autograd.tensor([1, 2])
    with pytest.raises(NotImplementedError, match="softmax"):
        t.softmax(0)
    s = t.softmax(0, dtype=autograd.float64)
    assert s.dtype == autograd.float64
    np.testing.assert_allclose(s.numpy(), np.exp([1, 2]) / np.exp([1, 2]).sum())


def test_softmax_all_minus_inf_row_is_nan_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
    for name in ("softmax", "log_softmax"):
        a = getattr(autograd.tensor(x), name)(1).numpy()
        b = getattr(torch.tensor(x), name)(1).numpy()
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------
# higher-order gradients (formulas are written in engine ops)
# ----------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda lib, t: (t.softmax(1) * t).sum(),
    lambda lib, t: (t.log_softmax(0) ** 2).sum(),
    lambda lib, t: t.var(1).sum() * t.sum(),
    lambda lib, t: t.std(correction=0) * t.mean(),
    lambda lib, t: (t.prod(1) * t.sum(1)).sum(),
    lambda lib, t: (t.max(1).values * t.amin(0).sum()).sum(),
], ids=["softmax", "log_softmax", "var", "std", "prod", "max"])
def test_second_derivatives_match_torch(fn):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).uniform(0.5, 2.0, (3, 4))
    ours, theirs = _pair(x)
    (g_ours,) = autograd.grad(fn(autograd, ours), ours, create_graph=True)
    (g_theirs,) = torch.autograd.grad(fn(torch, theirs), theirs, create_graph=True)
    np.testing.assert_allclose(g_ours.detach().numpy(), g_theirs.detach().numpy(), rtol=1e-10)
    (h_ours,) = autograd.grad((g_ours * g_ours).sum(), ours)
    (h_theirs,) = torch.autograd.grad((g_theirs * g_theirs).sum(), theirs)
    np.testing.assert_allclose(h_ours.numpy(), h_theirs.numpy(), rtol=1e-9)


# ----------------------------------------------------------------------
# dims and node names
# ----------------------------------------------------------------------

DIM_OPS = {
    "sum": lambda t, d: t.sum(d),
    "mean": lambda t, d: t.mean(d),
    "prod": lambda t, d: t.prod(d),
    "max": lambda t, d: t.max(d),
    "min": lambda t, d: t.min(d),
    "amax": lambda t, d: t.amax(d),
    "amin": lambda t, d: t.amin(d),
    "argmax": lambda t, d: t.argmax(d),
    "var": lambda t, d: t.var(d),
    "std": lambda t, d: t.std(d),
    "softmax": lambda t, d: t.softmax(d),
    "log_softmax": lambda t, d: t.log_softmax(d),
}


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("op", sorted(DIM_OPS))
def test_out_of_range_dims_raise_index_error(op):
    fn = DIM_OPS[op]
    t = autograd.ones(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        fn(t, 2)
    with pytest.raises(IndexError, match=r"\[-2, 1\], but got -3\)"):
        fn(t, -3)
    scalar = autograd.tensor(4.0)
    assert fn(scalar, 0) is not None and fn(scalar, -1) is not None
    with pytest.raises(IndexError, match=r"\[-1, 0\], but got 1\)"):
        fn(scalar, 1)


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("op", sorted(DIM_OPS))
def test_0d_input_with_dim_keeps_0d(op):
    out = DIM_OPS[op](autograd.tensor(4.0), 0)
    if isinstance(out, tuple):
        assert out.values.shape == () and out.indices.shape == ()
        assert out.values.item() == 4.0 and out.indices.item() == 0
    else:
        assert out.shape == ()


def test_bad_dim_arguments():
    t = autograd.ones(2, 3)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        t.sum((0, -2))
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times"):
        t.amax((1, 1))
    with pytest.raises(TypeError, match="dim"):
        t.sum(1.5)
    with pytest.raises(TypeError, match="dim"):
        t.max((0,))
    with pytest.raises(TypeError, match="input"):
        autograd.sum([1.0, 2.0])


@pytest.mark.parametrize("fn, name", [
    (lambda t: t.sum(), "SumBackward0"),
    (lambda t: t.sum(0), "SumBackward1"),
    (lambda t: t.mean(), "MeanBackward0"),
    (lambda t: t.mean((0, 1)), "MeanBackward1"),
    (lambda t: t.prod(), "ProdBackward0"),
    (lambda t: t.prod(1), "ProdBackward1"),
    (lambda t: t.max(), "MaxBackward1"),
    (lambda t: t.max(1).values, "MaxBackward0"),
    (lambda t: t.min(), "MinBackward1"),
    (lambda t: t.min(0)[0], "MinBackward0"),
    (lambda t: t.amax(), "AmaxBackward0"),
    (lambda t: t.amin(1), "AminBackward0"),
    (lambda t: t.var(), "VarBackward0"),
    (lambda t: t.std(1), "StdBackward0"),
    (lambda t: t.softmax(1), "SoftmaxBackward0"),
    (lambda t: t.log_softmax(0), "LogSoftmaxBackward0"),
])
def test_node_names(fn, name):
    t = autograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = fn(t)
    assert out.grad_fn.name() == name
    with autograd.no_grad():
        assert fn(t).grad_fn is None
