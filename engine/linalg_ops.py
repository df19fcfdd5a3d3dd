"""Linear algebra: matmul and its fixed-rank forms mm, bmm, mv and dot.

``matmul`` dispatches on the operands' ranks as PyTorch does: 1-D @ 1-D is
``dot``, 2-D @ 1-D is ``mv``, 2-D @ 2-D is ``mm``, and everything else is a
batched product whose batch dimensions broadcast, with a 1-D operand
promoted to a matrix (a 1 prepended to the left operand, appended to the
right one) and that 1 removed from the result.  Operands must share a dtype,
as in PyTorch (no float32/float64 promotion); integer products work but
carry no gradient.

Each op's forward is followed by its backward formula (see shape_ops.py for
the formula conventions).  Python's sequence indexing is kept to
non-negative indices: the compiled build turns off wraparound.
"""
import cython
import numpy as np

from engine.pointwise_ops import get_num_threads, mul
from engine.shape_ops import reshape, transpose

if cython.compiled:
    cnp.import_array()
else:
    from engine.graph import record
    from engine.tensor import TensorBase, format_shape, make


# ======================================================================
# Operand checks shared by every product
# ======================================================================

@cython.cfunc
def _check_tensor(name, x, arg, position):
    if not isinstance(x, TensorBase):
        raise TypeError(
            f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
            f"not {type(x).__name__}"
        )


@cython.cfunc
def _check_dtypes(name, a, b, message):
    """Reject bool (no BLAS product, as in PyTorch) and mixed dtypes.

    ``message`` is PyTorch's sentence for the op, formatted with both dtypes.
    """
    if a.dtype.kind == "b" or b.dtype.kind == "b":
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: " + message.format(a.dtype, b.dtype))


@cython.cfunc
def _operand_arrays(name, input, other, other_arg):
    """Both operands' arrays, after checking that they are tensors."""
    _check_tensor(name, input, "input", 1)
    _check_tensor(name, other, other_arg, 2)
    return (cython.cast(TensorBase, input))._data, (cython.cast(TensorBase, other))._data


@cython.cfunc
def _check_rank(name, x, rank, label, what):
    if x.ndim != rank:
        raise RuntimeError(
            f"{name}: {label} must be a {what}, but got a tensor of shape {format_shape(x.shape)}"
        )


def _dims(shape):
    """``(2, 3)`` as ``2x3``, PyTorch's spelling of a matrix size."""
    return "x".join([str(s) for s in shape])


# From this many output elements a matrix product goes through np.matmul,
# below it through np.dot.  Both make the same BLAS call, but np.dot first
# zero-fills its output (which BLAS, with beta = 0, never reads) while
# np.matmul dispatches for about 0.6 us longer.  Measured here: np.matmul
# 8-17% faster from 16,384 outputs (128x64 @ 64x128 and up, an MLP layer's
# products), np.dot 25% faster at 100x16 @ 16x16.
_MATMUL_MIN_OUTPUT = 16384

# float32 products of this many multiply-adds (m * n * k), at least this many
# columns wide, go through the engine's own GEMM (sgemm.h) where the CPU has
# AVX-512.  Measured here against numpy's OpenBLAS, same thread count: an
# MLP layer's x @ W^T (128x784 @ 784x512) 0.78-0.84x the time at one thread,
# 0.75x at two; its backward products 0.83-0.96x; 16x512 @ 512x512 0.57x;
# ResNet-18's conv products at batch 16 (up to 64x576 @ 576x4096) 0.65-1.0x
# at two threads but for three small ones (1.04-1.18x, about 0.1-0.2 ms);
# squares and slabs up to 2^28 0.7-1.03x, but 1024x1024 @ 1024x128 up to
# 1.25x at one thread.  Outside this range OpenBLAS wins: below, its lower
# call cost; above, its deeper cache blocking (1000x1000x1000: 1.04-1.14x
# slower here at one thread); and with fewer columns than the kernel's 32,
# ours computes padding.
_SGEMM_MIN_WORK = 1 << 21
_SGEMM_MAX_WORK = 1 << 28
_SGEMM_MIN_COLUMNS = 64
# With fewer rows the product is a matrix-vector one, bound by reading b,
# which OpenBLAS does without packing it (1x3000 @ 3000x800: 0.4 ms, ours 1.9).
_SGEMM_MIN_ROWS = 8
# From this much work the product takes every thread: below it, waking a
# sleeping thread (OMP_WAIT_POLICY=passive) costs more than it saves
# (128x128 @ 128x128: 42 us on one thread, 56 on two).
_SGEMM_PARALLEL_WORK = 1 << 22


@cython.cfunc
def matrix_product(a, b):
    """``a @ b`` for two numpy matrices (the caller has checked them)."""
    if cython.compiled:
        # the C API, not .shape and .dtype: this runs on every small layer's products
        x: cnp.ndarray = cython.cast(cnp.ndarray, a)
        y: cnp.ndarray = cython.cast(cnp.ndarray, b)
        m: cython.long = cnp.PyArray_DIM(x, 0)
        n: cython.long = cnp.PyArray_DIM(y, 1)
        work: cython.long = m * n * cnp.PyArray_DIM(x, 1)
        if (_SGEMM_MIN_WORK <= work <= _SGEMM_MAX_WORK and n >= _SGEMM_MIN_COLUMNS
                and m >= _SGEMM_MIN_ROWS and _is_native_float32(a) and _is_native_float32(b)):
            out = _sgemm_product(a, b, get_num_threads() if work >= _SGEMM_PARALLEL_WORK else 1)
            if out is not None:
                return out
    else:
        m = a.shape[0]
        n = b.shape[1]
    if m * n >= _MATMUL_MIN_OUTPUT:
        return np.matmul(a, b)
    return np.dot(a, b)


@cython.cfunc
@cython.inline
def _is_native_float32(a) -> cython.bint:
    x: cnp.ndarray = cython.cast(cnp.ndarray, a)
    return cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT32 and cnp.PyArray_ISNOTSWAPPED(x)


@cython.cfunc
def _sgemm_product(a, b, threads: cython.int):
    """``a @ b`` for float32 matrices by sgemm.h, or None where it cannot run."""
    m: cython.long = a.shape[0]
    k: cython.long = a.shape[1]
    n: cython.long = b.shape[1]
    sa0: cython.long = a.strides[0]
    sa1: cython.long = a.strides[1]
    sb0: cython.long = b.strides[0]
    sb1: cython.long = b.strides[1]
    if (sa0 | sa1 | sb0 | sb1) % 4:
        return None   # strides that are not whole floats (numpy allows them)
    out = np.empty((m, n), np.float32)
    pa: cython.p_float = cygrad_float_data(a)
    pb: cython.p_float = cygrad_float_data(b)
    pc: cython.p_float = cygrad_float_data(out)
    done: cython.int
    with cython.nogil:
        done = cygrad_sgemm(m, n, k, pa, sa0 // 4, sa1 // 4, pb, sb0 // 4, sb1 // 4, pc, n,
                            threads)
    return out if done else None


# ======================================================================
# Fixed-rank products
# ======================================================================

def mm(input, mat2):
    """Matrix product of two 2-D tensors: (n, k) @ (k, m) -> (n, m).

    Args:
        input: an (n, k) tensor.
        mat2: a (k, m) tensor of the same dtype.

    Example:
        >>> autograd.mm(autograd.ones(2, 3), autograd.ones(3, 4)).shape
        (2, 4)
    """
    a, b = _operand_arrays("mm", input, mat2, "mat2")
    _check_rank("mm", a, 2, "self", "matrix")
    _check_rank("mm", b, 2, "mat2", "matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_dims(a.shape)} and {_dims(b.shape)})"
        )
    _check_dtypes("mm", a, b, "expected m1 and m2 to have the same dtype, but got: {} != {}")
    out = make(matrix_product(a, b))
    record(out, "MmBackward0", _matrix_product_backward, (input, mat2), (input, mat2))
    return out


def _matrix_product_backward(ctx, grad):
    """mm's and bmm's formula: grad @ b^T and a^T @ grad, with the same product."""
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    product = mm if (cython.cast(TensorBase, a))._data.ndim == 2 else bmm
    ga = product(grad, transpose(b, -1, -2)) if needs[0] else None
    gb = product(transpose(a, -1, -2), grad) if needs[1] else None
    return (ga, gb)


def bmm(input, mat2):
    """Batched matrix product of 3-D tensors: (b, n, k) @ (b, k, m) -> (b, n, m).

    The batch sizes must be equal (no broadcasting; ``matmul`` broadcasts).

    Example:
        >>> autograd.bmm(autograd.ones(5, 2, 3), autograd.ones(5, 3, 4)).shape
        (5, 2, 4)
    """
    a, b = _operand_arrays("bmm", input, mat2, "mat2")
    _check_rank("bmm", a, 3, "batch1", "3D tensor")
    _check_rank("bmm", b, 3, "batch2", "3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    _check_dtypes("bmm", a, b, "expected batch1 and batch2 to have the same dtype, but got: {} != {}")
    out = make(np.matmul(a, b))
    record(out, "BmmBackward0", _matrix_product_backward, (input, mat2), (input, mat2))
    return out


def dot(input, other):
    """Inner product of two 1-D tensors of the same size (a 0-d result).

    Example:
        >>> autograd.dot(autograd.tensor([1., 2.]), autograd.tensor([3., 4.]))
        tensor(11.)
    """
    a, b = _operand_arrays("dot", input, other, "other")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors "
            f"(dot of shapes {format_shape(a.shape)} and {format_shape(b.shape)})"
        )
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
            f"to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} "
            f"elements respectively"
        )
    _check_dtypes("dot", a, b, "expected both vectors to have same dtype, but found {} and {}")
    out = make(np.dot(a, b))
    record(out, "DotBackward0", _dot_backward, (input, other), (input, other))
    return out


def _dot_backward(ctx, grad):
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    # grad is 0-d: the products broadcast it over the vector.
    return (mul(grad, b) if needs[0] else None, mul(a, grad) if needs[1] else None)


def mv(input, vec):
    """Matrix-vector product: (n, k) @ (k,) -> (n,).

    Example:
        >>> autograd.mv(autograd.ones(2, 3), autograd.ones(3))
        tensor([3., 3.])
    """
    a, v = _operand_arrays("mv", input, vec, "vec")
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(
            f"mv: expected a 2D matrix and a 1D vector, but got {a.ndim}D and {v.ndim}D "
            f"tensors of shapes {format_shape(a.shape)} and {format_shape(v.shape)}"
        )
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({a.shape[0]}), mat ({_dims(a.shape)}), vec ({v.shape[0]})"
        )
    _check_dtypes("mv", a, v, "expected the matrix and the vector to have the same dtype, but got {} and {}")
    out = make(np.matmul(a, v))
    record(out, "MvBackward0", _mv_backward, (input, vec), (input, vec))
    return out


def _mv_backward(ctx, grad):
    a, v = ctx.saved
    needs = ctx.needs_input_grad
    ga = gv = None
    if needs[0]:
        # the outer product grad v^T, as a broadcast multiply
        ga = mul(reshape(grad, (grad._data.shape[0], 1)), reshape(v, (1, v._data.shape[0])))
    if needs[1]:
        gv = mv(transpose(a, -1, -2), grad)
    return (ga, gv)


# ======================================================================
# matmul
# ======================================================================

def matmul(input, other):
    """Matrix product with PyTorch's rules for every rank.

    1-D @ 1-D is a dot product (0-d result); a 1-D left operand is treated as
    a row (1, k) and a 1-D right operand as a column (k, 1), the added
    dimension being removed from the result; dimensions before the last two
    are batch dimensions and broadcast.

    Args:
        input: a tensor with at least one dimension.
        other: a tensor with at least one dimension and the same dtype.

    Example:
        >>> a = autograd.ones(2, 1, 3, 4)
        >>> b = autograd.ones(5, 4, 2)
        >>> autograd.matmul(a, b).shape
        (2, 5, 3, 2)
    """
    a, b = _operand_arrays("matmul", input, other, "other")
    da: cython.Py_ssize_t = a.ndim
    db: cython.Py_ssize_t = b.ndim
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 2 and db == 2:
        return mm(input, other)
    if da == 1 and db == 2:
        row = reshape(input, (1, a.shape[0]))
        return reshape(mm(row, other), (b.shape[1],))

    # Batched: check the whole call before any reshape records a node.
    ka = a.shape[da - 1]
    kb = b.shape[db - 2] if db >= 2 else b.shape[0]
    if ka != kb:
        left = (a.shape[da - 2] if da >= 2 else 1, ka)
        right = (kb, b.shape[db - 1] if db >= 2 else 1)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_dims(left)} and {_dims(right)}) "
            f"(matmul of shapes {format_shape(a.shape)} and {format_shape(b.shape)})"
        )
    _check_batch_broadcast(a.shape[:da - 2] if da >= 2 else (),
                           b.shape[:db - 2] if db >= 2 else (), a.shape, b.shape)
    _check_dtypes("matmul", a, b, "expected m1 and m2 to have the same dtype, but got: {} != {}")

    x = input if da >= 2 else reshape(input, (1, ka))
    y = other if db >= 2 else reshape(other, (kb, 1))
    out = _batched_matmul(x, y)
    shape = out._data.shape
    n: cython.Py_ssize_t = len(shape)
    if da == 1:
        # drop the prepended row dimension
        out = reshape(out, shape[:n - 2] + (shape[n - 1],))
    elif db == 1:
        # drop the appended column dimension
        out = reshape(out, shape[:n - 1])
    return out


def _check_batch_broadcast(batch_a, batch_b, shape_a, shape_b):
    na: cython.Py_ssize_t = len(batch_a)
    nb: cython.Py_ssize_t = len(batch_b)
    n: cython.Py_ssize_t = max(na, nb)
    i: cython.Py_ssize_t
    for i in range(1, n + 1):
        p = batch_a[na - i] if i <= na else 1
        q = batch_b[nb - i] if i <= nb else 1
        if p != q and p != 1 and q != 1:
            raise RuntimeError(
                f"The size of tensor a ({p}) must match the size of tensor b ({q}) at "
                f"non-singleton dimension {n - i} (matmul of shapes {format_shape(shape_a)} "
                f"and {format_shape(shape_b)}: the dimensions before the last two broadcast)"
            )


def _batched_matmul(input, other):
    """``input @ other`` for checked operands of at least 2-D, batch
    dimensions broadcast."""
    out = make(np.matmul(input._data, other._data))
    record(out, "MatmulBackward0", _batched_matmul_backward, (input, other), (input, other))
    return out


def _batched_matmul_backward(ctx, grad):
    # The gradients come out in the broadcast batch shape; the engine sums
    # them back to each input's shape.
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    ga = gb = None
    if needs[0]:
        ga = matmul(grad, transpose(b, -1, -2))
    if needs[1]:
        ad = a._data
        bd = b._data
        if bd.ndim == 2:
            # A matrix shared by every batch (e.g. a weight): fold the batch
            # into the rows, one (k, rows) @ (rows, m) product instead of a
            # batch of products summed afterwards.
            k = ad.shape[ad.ndim - 1]
            rows = 1
            for s in ad.shape[:ad.ndim - 1]:
                rows *= s
            gb = mm(transpose(reshape(a, (rows, k)), 0, 1), reshape(grad, (rows, bd.shape[1])))
        else:
            gb = matmul(transpose(a, -1, -2), grad)
    return (ga, gb)


def _matmul_operator(input, other):
    # ``Tensor @ x``: let a foreign type try its reflected operator.
    if not isinstance(other, TensorBase):
        return NotImplemented
    return matmul(input, other)


def _rmatmul_operator(input, other):
    # ``x @ Tensor`` where x is not a tensor.
    if not isinstance(other, TensorBase):
        return NotImplemented
    return matmul(other, input)


__all__ = ["matmul", "mm", "bmm", "dot", "mv"]
# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
    "matmul": matmul,
    "mm": mm,
    "bmm": bmm,
    "dot": dot,
    "mv": mv,
    "__matmul__": _matmul_operator,
    "__rmatmul__": _rmatmul_operator,
}
