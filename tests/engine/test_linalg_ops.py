"""engine/linalg_ops.py: matmul, mm, bmm, dot and mv."""
import numpy as np
import pytest

import autograd
from tests.op_harness import (
    Arg, OpCase, Sample, OpTests, nc,
    randn,
)


def _pair(rng, sa, sb, name, nc_a=False, nc_b=False, grad_b=True):
    a = randn(rng, *sa)
    b = randn(rng, *sb)
    return Sample((nc(a) if nc_a else Arg(a), nc(b, grad_b) if nc_b else Arg(b, grad_b)),
                  name=name)


def _matmul_samples(rng):
    return [
        _pair(rng, (3,), (3,), "1d-1d"),
        _pair(rng, (2, 3), (3,), "2d-1d"),
        _pair(rng, (3,), (3, 4), "1d-2d"),
        _pair(rng, (2, 3), (3, 4), "2d-2d"),
        _pair(rng, (2, 3, 4), (4,), "3d-1d"),
        _pair(rng, (3,), (2, 3, 4), "1d-3d"),
        _pair(rng, (2, 3, 4), (4, 5), "3d-2d"),
        _pair(rng, (3, 4), (2, 4, 5), "2d-3d"),
        _pair(rng, (2, 3, 4), (2, 4, 5), "3d-3d"),
        _pair(rng, (2, 1, 3, 4), (5, 4, 2), "broadcast-batch"),
        _pair(rng, (2, 1, 2, 3), (1, 3, 3, 2), "broadcast-both-batches"),
        _pair(rng, (2, 2, 3, 4), (4,), "4d-1d"),
        _pair(rng, (4,), (2, 1, 4, 3), "1d-4d"),
        _pair(rng, (4, 3), (3, 2), "noncontiguous-2d", nc_a=True, nc_b=True),
        _pair(rng, (2, 4, 3), (2, 3, 2), "noncontiguous-3d", nc_a=True, nc_b=True),
        _pair(rng, (3,), (3, 4), "noncontiguous-1d", nc_a=True),
        _pair(rng, (2, 3), (3,), "noncontiguous-mv", nc_a=True, nc_b=True),
        _pair(rng, (1, 1), (1, 1), "size1-2d"),
        _pair(rng, (3, 1), (1, 4), "size1-outer"),
        _pair(rng, (1, 3), (3, 1), "size1-inner"),
        _pair(rng, (1,), (1,), "size1-dot"),
        _pair(rng, (1, 2, 3), (4, 3, 1), "size1-batch"),
        _pair(rng, (2, 3), (3, 4), "one-requires-grad", grad_b=False),
        _pair(rng, (2, 3, 4), (4, 5), "3d-2d-one-requires-grad", grad_b=False),
    ]


def _matmul_zero(rng):
    return [
        _pair(rng, (2, 0), (0, 3), "2x0-0x3"),
        _pair(rng, (0, 3), (3, 2), "0x3-3x2"),
        _pair(rng, (2, 3), (3, 0), "2x3-3x0"),
        _pair(rng, (0,), (0,), "dot-0"),
        _pair(rng, (2, 0), (0,), "mv-0"),
        _pair(rng, (0,), (0, 3), "1d-2d-0"),
        _pair(rng, (2, 3, 0), (0, 4), "3d-2d-inner-0"),
        _pair(rng, (0, 3, 4), (4, 2), "batch-0"),
        _pair(rng, (2, 3, 0), (0,), "3d-1d-0"),
    ]


def _mm_samples(rng):
    return [
        _pair(rng, (2, 3), (3, 4), "2d"),
        _pair(rng, (4, 3), (3, 2), "noncontiguous", nc_a=True, nc_b=True),
        _pair(rng, (1, 1), (1, 1), "size1"),
        _pair(rng, (3, 1), (1, 2), "outer"),
    ]


def _mm_zero(rng):
    return [_pair(rng, (2, 0), (0, 3), "inner-0"), _pair(rng, (0, 3), (3, 2), "rows-0")]


def _bmm_samples(rng):
    return [
        _pair(rng, (2, 3, 4), (2, 4, 5), "3d"),
        _pair(rng, (2, 4, 3), (2, 3, 2), "noncontiguous", nc_a=True, nc_b=True),
        _pair(rng, (1, 1, 1), (1, 1, 1), "size1"),
    ]


def _bmm_zero(rng):
    return [_pair(rng, (0, 2, 3), (0, 3, 4), "batch-0"), _pair(rng, (2, 3, 0), (2, 0, 4), "inner-0")]


def _dot_samples(rng):
    return [
        _pair(rng, (5,), (5,), "1d"),
        _pair(rng, (4,), (4,), "noncontiguous", nc_a=True, nc_b=True),
        _pair(rng, (1,), (1,), "size1"),
        _pair(rng, (3,), (3,), "one-requires-grad", grad_b=False),
    ]


def _mv_samples(rng):
    return [
        _pair(rng, (2, 3), (3,), "2d-1d"),
        _pair(rng, (4, 3), (3,), "noncontiguous", nc_a=True, nc_b=True),
        _pair(rng, (1, 1), (1,), "size1"),
    ]


def _mv_zero(rng):
    return [_pair(rng, (2, 0), (0,), "inner-0"), _pair(rng, (0, 3), (3,), "rows-0")]


CASES = [
    OpCase("matmul", lambda lib, a, b: lib.matmul(a, b), _matmul_samples, _matmul_zero),
    OpCase("matmul-operator", lambda lib, a, b: a @ b, _matmul_samples, _matmul_zero),
    OpCase("matmul-method", lambda lib, a, b: a.matmul(b), _matmul_samples),
    # a chain through the formulas' own results
    OpCase("matmul-chain", lambda lib, a, b: (a @ b) * (a @ b), _matmul_samples),
    OpCase("mm", lambda lib, a, b: lib.mm(a, b), _mm_samples, _mm_zero),
    OpCase("mm-method", lambda lib, a, b: a.mm(b), _mm_samples),
    OpCase("bmm", lambda lib, a, b: lib.bmm(a, b), _bmm_samples, _bmm_zero),
    OpCase("bmm-method", lambda lib, a, b: a.bmm(b), _bmm_samples),
    OpCase("dot", lambda lib, a, b: lib.dot(a, b), _dot_samples,
           lambda rng: [_pair(rng, (0,), (0,), "0")]),
    OpCase("dot-method", lambda lib, a, b: a.dot(b), _dot_samples),
    OpCase("mv", lambda lib, a, b: lib.mv(a, b), _mv_samples, _mv_zero),
    OpCase("mv-method", lambda lib, a, b: a.mv(b), _mv_samples),
]


class TestOps(OpTests):
    CASES = CASES


# ----------------------------------------------------------------------
# values and shapes
# ----------------------------------------------------------------------

def _leaf(array):
    return autograd.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("sa, sb, expected", [
    ((3,), (3,), ()),
    ((2, 3), (3,), (2,)),
    ((3,), (3, 4), (4,)),
    ((2, 3), (3, 4), (2, 4)),
    ((2, 3, 4), (4,), (2, 3)),
    ((4,), (2, 4, 3), (2, 3)),
    ((2, 1, 3, 4), (5, 4, 2), (2, 5, 3, 2)),
    ((3, 4), (2, 4, 5), (2, 3, 5)),
    ((7, 1, 1, 2), (1, 6, 2, 3), (7, 6, 1, 3)),
])
def test_matmul_shapes_and_values_match_numpy(sa, sb, expected):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    out = autograd.matmul(autograd.from_numpy(a), autograd.from_numpy(b))
    assert out.shape == expected
    np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=1e-12)


def test_mm_known_values_and_gradients():
    a = _leaf([[1., 2., 3.], [4., 5., 6.]])
    b = _leaf([[1., 0.], [0., 1.], [2., -1.]])
    out = autograd.mm(a, b)
    assert out.tolist() == [[7., -1.], [16., -1.]]
    assert out.grad_fn.name() == "MmBackward0"
    out.sum().backward()
    # d(sum(a @ b))/da = ones @ b^T: each row holds b's row sums
    assert a.grad.tolist() == [[1., 1., 1.], [1., 1., 1.]]
    # d/db = a^T @ ones: each column holds a's column sums
    assert b.grad.tolist() == [[5., 5.], [7., 7.], [9., 9.]]


@pytest.mark.parametrize("fn, name", [
    (lambda a, b: a @ b, "MmBackward0"),
    (lambda a, b: autograd.bmm(a.reshape(1, 2, 3), b.reshape(1, 3, 2)), "BmmBackward0"),
    (lambda a, b: autograd.dot(a.reshape(6), b.reshape(6)), "DotBackward0"),
    (lambda a, b: autograd.mv(a, b.reshape(3, 2).sum(1)), "MvBackward0"),
])
def test_node_names(fn, name):
    a = _leaf(np.ones((2, 3)))
    b = _leaf(np.ones((3, 2)))
    assert fn(a, b).grad_fn.name() == name


def test_broadcast_batch_gradients_are_summed_to_each_input():
    # (2,1,3,4) @ (5,4,2): a's gradient sums over the 5 broadcast batches,
    # b's over the 2 leading ones.
    rng = np.random.default_rng(4)
    a_np, b_np = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2))
    a, b = _leaf(a_np), _leaf(b_np)
    (a @ b).sum().backward()
    ones = np.ones((2, 5, 3, 2))
    np.testing.assert_allclose(a.grad.numpy(), (ones @ np.swapaxes(b_np, -1, -2)).sum(1, keepdims=True))
    np.testing.assert_allclose(b.grad.numpy(), (np.swapaxes(a_np, -1, -2) @ ones).sum(0))


def test_empty_inner_dimension_gives_zeros_and_zero_gradients():
    a = _leaf(np.ones((2, 0)))
    b = _leaf(np.ones((0, 3)))
    out = a @ b
    assert out.shape == (2, 3)
    assert out.tolist() == [[0.] * 3] * 2
    out.sum().backward()
    assert a.grad.shape == (2, 0) and b.grad.shape == (0, 3)


def test_empty_rows_give_zero_gradient_for_the_other_operand():
    a = _leaf(np.ones((0, 3)))
    b = _leaf(np.ones((3, 2)))
    out = a @ b
    assert out.shape == (0, 2)
    out.sum().backward()
    assert a.grad.shape == (0, 3)
    assert b.grad.tolist() == [[0., 0.]] * 3


def test_dot_of_empty_vectors_is_zero():
    out = autograd.dot(_leaf([]), _leaf([]))
    assert out.shape == () and out.item() == 0.0


def test_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x_np, w_np = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 2))

    def second(lib, x, w):
        y = (lib.matmul(x, w) ** 2).sum()
        (gx,) = lib.autograd.grad(y, x, create_graph=True) if lib is torch else lib.grad(
            y, x, create_graph=True)
        return (gx * gx).sum()

    x, w = _leaf(x_np), _leaf(w_np)
    tx = torch.tensor(x_np, requires_grad=True)
    tw = torch.tensor(w_np, requires_grad=True)
    second(autograd, x, w).backward()
    second(torch, tx, tw).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3, 4), (4,))])
def test_second_derivative_of_each_rank_path_by_gradcheck(shapes):
    rng = np.random.default_rng(6)
    a = _leaf(rng.standard_normal(shapes[0]))
    b = _leaf(rng.standard_normal(shapes[1]))

    def grad_of_a(a, b):
        (g,) = autograd.grad(((a @ b) ** 2).sum(), a, create_graph=True)
        return g

    assert autograd.gradcheck(grad_of_a, (a, b))


# ----------------------------------------------------------------------
# dtypes
# ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int64, np.int32])
@pytest.mark.parametrize("sa, sb", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)),
                                    ((2, 2, 3), (3, 2))])
def test_integer_matmul_keeps_dtype_without_grad(dtype, sa, sb):
    a_np = np.arange(np.prod(sa), dtype=dtype).reshape(sa)
    b_np = np.arange(np.prod(sb), dtype=dtype).reshape(sb) - 2
    out = autograd.from_numpy(a_np) @ autograd.from_numpy(b_np)
    assert out.numpy().dtype == dtype
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), np.matmul(a_np, b_np))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_result_dtype(dtype):
    a = autograd.ones(2, 3, dtype=getattr(autograd, dtype))
    assert (a @ autograd.ones(3, dtype=getattr(autograd, dtype))).dtype == getattr(autograd, dtype)


@pytest.mark.parametrize("fn, sa, sb, match", [
    (autograd.matmul, (2, 3), (3, 2), "expected m1 and m2 to have the same dtype"),
    (autograd.mm, (2, 3), (3, 2), "expected m1 and m2 to have the same dtype"),
    (autograd.matmul, (3,), (3,), "dot: expected both vectors to have same dtype"),
    (autograd.mv, (2, 3), (3,), "mv: expected"),
    (autograd.matmul, (1, 2, 3), (3, 2), "matmul: expected m1 and m2"),
    (autograd.bmm, (1, 2, 3), (1, 3, 2), "bmm: expected batch1"),
])
def test_mixed_float_dtypes_raise_like_pytorch(fn, sa, sb, match):
    # PyTorch does not promote inside matmul: float32 @ float64 is an error.
    a = autograd.ones(*sa, dtype=autograd.float32)
    b = autograd.ones(*sb, dtype=autograd.float64)
    with pytest.raises(RuntimeError, match=match):
        fn(a, b)


def test_mixed_dtype_parity_with_torch_is_an_error_there_too():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.ones(2, 3) @ torch.ones(3, 2, dtype=torch.float64)


def test_bool_matmul_is_not_implemented():
    a = autograd.tensor([[True, False]])
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        a @ autograd.tensor([[True], [True]])


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------

def _z(*shape):
    return autograd.zeros(*shape)


@pytest.mark.parametrize("fn, message", [
    (lambda: _z(2, 3) @ _z(4, 5), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda: _z(3) @ _z(4, 5), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
    (lambda: autograd.matmul(_z(), _z(2, 2)),
     "both arguments to matmul need to be at least 1D, but they are 0D and 2D"),
    (lambda: autograd.matmul(_z(2), _z()),
     "both arguments to matmul need to be at least 1D, but they are 1D and 0D"),
    (lambda: _z(3) @ _z(4), "inconsistent tensor size, expected tensor [3] and src [4] to have "
                            "the same number of elements, but got 3 and 4 elements respectively"),
    (lambda: _z(2, 3) @ _z(4), "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: _z(2, 3, 4) @ _z(2, 5, 2), "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x2)"),
    (lambda: _z(2, 3, 4) @ _z(5), "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x1)"),
    (lambda: _z(2, 2, 3, 4) @ _z(5, 4, 2), "The size of tensor a (2) must match the size of "
                                           "tensor b (5) at non-singleton dimension 1"),
    (lambda: autograd.mm(_z(3), _z(3, 4)), "self must be a matrix"),
    (lambda: autograd.mm(_z(2, 3), _z(3)), "mat2 must be a matrix"),
    (lambda: autograd.mm(_z(2, 3), _z(4, 3)), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x3)"),
    (lambda: autograd.bmm(_z(2, 3), _z(3, 4)), "batch1 must be a 3D tensor"),
    (lambda: autograd.bmm(_z(2, 2, 3), _z(3, 4)), "batch2 must be a 3D tensor"),
    (lambda: autograd.bmm(_z(2, 2, 3), _z(3, 3, 4)), "Expected size for first two dimensions of "
                                                     "batch2 tensor to be: [2, 3] but got: [3, 3]."),
    (lambda: autograd.dot(_z(3, 1), _z(3)), "1D tensors expected, but got 2D and 1D tensors"),
    (lambda: autograd.mv(_z(3), _z(3)), "expected a 2D matrix and a 1D vector"),
])
def test_errors_use_pytorchs_wording(fn, message):
    with pytest.raises(RuntimeError) as info:
        fn()
    assert message in str(info.value)


def test_error_messages_agree_with_torch_where_they_are_exact():
    torch = pytest.importorskip("torch")
    for sa, sb in [((2, 3), (4, 5)), ((3,), (4, 5)), ((3,), (4,)), ((2, 3), (4,))]:
        with pytest.raises(RuntimeError) as ours:
            _z(*sa) @ _z(*sb)
        with pytest.raises(RuntimeError) as theirs:
            torch.zeros(sa) @ torch.zeros(sb)
        assert str(theirs.value) in str(ours.value)


def test_non_tensor_operands():
    with pytest.raises(TypeError, match=r"matmul\(\): argument 'other' \(position 2\) must be "
                                        r"Tensor, not list"):
        autograd.matmul(_z(2, 3), [1., 2., 3.])
    with pytest.raises(TypeError, match="unsupported operand"):
        _z(2, 3) @ 3
    with pytest.raises(TypeError, match="unsupported operand"):
        3 @ _z(2, 3)


def test_rmatmul_multiplies_in_the_reflected_order():
    a = autograd.tensor([[1., 2.]])
    b = autograd.tensor([[3.], [4.]])
    assert autograd.Tensor.__rmatmul__(b, a).tolist() == [[11.]]
    assert autograd.Tensor.__rmatmul__(a, b).tolist() == [[3., 6.], [4., 8.]]



# ----------------------------------------------------------------------
# Large float32 products: the compiled engine's own GEMM (engine/sgemm.h)
# ----------------------------------------------------------------------

def _layout(x, kind):
    """x's values in another memory layout: C order, F order, every other
    element of a larger array, or reversed along both axes."""
    if kind == "c":
        return np.ascontiguousarray(x)
    if kind == "f":
        return np.asfortranarray(x)
    if kind == "strided":
        wide = np.zeros((x.shape[0], 2 * x.shape[1]), x.dtype)
        wide[:, ::2] = x
        return wide[:, ::2]
    return np.ascontiguousarray(x[::-1, ::-1])[::-1, ::-1]


def _relative_error(got, expected):
    return np.abs(got - expected).max() / np.abs(expected).max()


# (m, k, n): an MLP layer; every edge of the kernel's 12x32 blocks and
# 256-long k slices; more rows than one packed block (480), and than one per
# thread when threads split the rows (more rows than columns); few rows.
_GEMM_SHAPES = [(128, 784, 512), (37, 300, 200), (481, 100, 97), (1100, 40, 70),
                (8, 2049, 130)]


@pytest.mark.parametrize("m,k,n", _GEMM_SHAPES)
@pytest.mark.parametrize("layout_a", ["c", "f", "strided", "reversed"])
@pytest.mark.parametrize("layout_b", ["c", "f", "strided", "reversed"])
def test_float32_products_match_float64_in_every_layout(m, k, n, layout_a, layout_b):
    rng = np.random.default_rng(m + k + n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    got = autograd.mm(autograd.from_numpy(_layout(a, layout_a)),
                      autograd.from_numpy(_layout(b, layout_b))).numpy()
    assert got.shape == (m, n) and got.dtype == np.float32
    # float32 rounding of k-long sums: about 1e-7 * sqrt(k) of the largest value
    assert _relative_error(got, expected) < 2e-6


# threads split the columns, the rows, the rows in several blocks each
@pytest.mark.parametrize("m,k,n", [(128, 784, 512), (481, 100, 97), (1100, 40, 70)])
def test_float32_products_are_identical_on_one_and_two_threads(m, k, n):
    rng = np.random.default_rng(0)
    a = autograd.from_numpy(rng.standard_normal((m, k)).astype(np.float32))
    b = autograd.from_numpy(rng.standard_normal((n, k)).astype(np.float32))
    before = autograd.get_num_threads()
    try:
        autograd.set_num_threads(1)
        one = autograd.mm(a, b.t()).numpy()
        autograd.set_num_threads(2)
        two = autograd.mm(a, b.t()).numpy()
    finally:
        autograd.set_num_threads(before)
    np.testing.assert_array_equal(one, two)


def test_float32_products_propagate_nan_and_inf_like_numpy():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((40, 300)).astype(np.float32)
    b = rng.standard_normal((300, 100)).astype(np.float32)
    a[3, 7] = np.nan
    a[20, 299] = np.inf         # the last k, in the leftover past 256 + 32
    b[5, 99] = -np.inf          # the last column, in a partly filled block
    b[:, 64] = 0.0
    a[30, :] = 0.0
    expected = a.astype(np.float64) @ b.astype(np.float64)
    got = autograd.mm(autograd.from_numpy(a), autograd.from_numpy(b)).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(expected))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert np.isnan(got[3]).all() and np.isnan(got[:, 99]).sum() >= 1
    assert _relative_error(got[finite], expected[finite]) < 2e-6


def test_linear_layer_products_match_float64_forward_and_backward():
    """x @ W^T, g @ W and g^T @ x at an MLP layer's shape, through linear."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    w = rng.standard_normal((512, 784)).astype(np.float32)
    g = rng.standard_normal((128, 512)).astype(np.float32)
    xt = autograd.from_numpy(x).requires_grad_()
    wt = autograd.from_numpy(w).requires_grad_()
    out = autograd.nn.functional.linear(xt, wt)
    out.backward(autograd.from_numpy(g))
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    assert _relative_error(out.detach().numpy(), x64 @ w64.T) < 2e-6
    assert _relative_error(xt.grad.numpy(), g64 @ w64) < 2e-6
    assert _relative_error(wt.grad.numpy(), g64.T @ x64) < 2e-6
