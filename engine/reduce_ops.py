"""Reductions: sum, mean, prod, max, min, amax, amin, argmax, argmin, var,
std, softmax, log_softmax.

Each op's forward is followed by its backward formula (see shape_ops.py for
the formula conventions).  Dims follow PyTorch: negative dims count from the
end, a 0-d tensor accepts dim 0 and -1, and ``dim=None`` (or an empty tuple,
where a tuple is allowed) reduces every dimension.

This module defines ``sum``, ``max`` and ``min``, so it reaches Python's own
versions through ``builtins``.
"""
import builtins
import operator
import warnings
from collections import namedtuple

import cython
import numpy as np

from engine.pointwise_ops import div, exp, maximum, minimum, mul, sub, where
from engine.grad_mode import is_grad_enabled
from engine.shape_ops import expand, permute, reshape

if cython.compiled:
    cnp.import_array()

# np.sum's Python-level wrapper costs microseconds per call; its ufunc is the same sum
_add_reduce = np.add.reduce

if not cython.compiled:
    from engine.graph import record
    from engine.pointwise_ops import _fast_kind
    from engine.tensor import TensorBase, make

# PyTorch's names for dtypes, used in its error messages.
_TORCH_DTYPE_NAMES = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
}

# ``max(dim=...)`` and ``min(dim=...)`` results, like torch.return_types.max.
max_return_type = namedtuple("max", ("values", "indices"), module=__name__)
min_return_type = namedtuple("min", ("values", "indices"), module=__name__)


# ======================================================================
# Argument handling shared by the reductions
# ======================================================================

@cython.cfunc
def _check_tensor(name, x):
    if not isinstance(x, TensorBase):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    return (cython.cast(TensorBase, x))._data


def _torch_dtype_name(dtype):
    return _TORCH_DTYPE_NAMES.get(dtype.name, dtype.name)


@cython.cfunc
def _numpy_dtype(dtype):
    """Accept a numpy dtype, a Python type or a facade dtype (which names its numpy dtype)."""
    if dtype is None:
        return None
    return np.dtype(getattr(dtype, "numpy_dtype", dtype))


@cython.cfunc
def _dim_index(name, d, ndim):
    """One dim as a non-negative axis, checked against ``ndim`` (0-d: 0 or -1)."""
    if isinstance(d, builtins.bool) or isinstance(d, TensorBase):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(d).__name__}")
    try:
        d = operator.index(d)
    except TypeError:
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(d).__name__}") from None
    rank = ndim if ndim > 0 else 1
    if d < -rank or d >= rank:
        raise IndexError(
            f"{name}(): Dimension out of range (expected to be in range of "
            f"[{-rank}, {rank - 1}], but got {d})"
        )
    return d % rank


@cython.cfunc
def _reduce_axes(name, dim, ndim):
    """``dim`` (None, an int or a sequence of ints) as a sorted tuple of axes;
    None and an empty sequence mean every dimension."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        dims = tuple(dim)
        if len(dims) == 0:
            return tuple(range(ndim))
    else:
        dims = (dim,)
    out = []
    for d in dims:
        axis = _dim_index(name, d, ndim)
        if axis in out:
            raise RuntimeError(f"{name}(): dim {axis} appears multiple times in the list of dims")
        out.append(axis)
    if ndim == 0:
        return ()
    out.sort()
    return tuple(out)


@cython.cfunc
def _kept_shape(shape, axes):
    """``shape`` with the reduced axes kept as size 1."""
    return tuple([1 if i in axes else s for i, s in enumerate(shape)])


@cython.cfunc
def _count(shape, axes):
    """How many elements each reduced slice holds."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _unreduce(grad, kept, shape):
    """Broadcast a reduction's gradient back over the reduced axes."""
    if is_grad_enabled():
        return expand(reshape(grad, kept), shape)
    # no graph to build (create_graph=False): the view straight from numpy
    return make(_broadcast_view((cython.cast(TensorBase, grad))._data.reshape(kept), shape))


@cython.cfunc
def _broadcast_view(data, shape: tuple):
    """``np.broadcast_to(data, shape)`` for ``data`` of ``shape``'s rank, made
    by the C API: numpy's own function costs about 15 us, which a small
    reduction's backward would otherwise pay every time."""
    if cython.compiled:
        a: cnp.ndarray = cython.cast(cnp.ndarray, data)
        nd: cython.int = len(shape)
        if nd == cnp.PyArray_NDIM(a) and nd <= 32 and cnp.PyArray_ISNOTSWAPPED(a) \
                and cnp.PyArray_TYPE(a) <= cnp.NPY_CLONGDOUBLE:
            dims: cnp.npy_intp[32]
            strides: cnp.npy_intp[32]
            i: cython.int
            ok: cython.bint = True
            for i in range(nd):
                dims[i] = shape[i]
                if cnp.PyArray_DIMS(a)[i] == dims[i]:
                    strides[i] = cnp.PyArray_STRIDES(a)[i]
                elif cnp.PyArray_DIMS(a)[i] == 1:
                    strides[i] = 0
                else:
                    ok = False
            if ok:
                # flags 0: read-only, as broadcast_to's views are
                view = cnp.PyArray_New(np.ndarray, nd, dims, cnp.PyArray_TYPE(a), strides,
                                       cnp.PyArray_DATA(a), cnp.PyArray_ITEMSIZE(a), 0, None)
                cnp.set_array_base(view, a)
                return view
    return np.broadcast_to(data, shape)


# ======================================================================
# sum / mean
# ======================================================================

def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum of the elements over ``dim`` (every dimension by default).

    Integer and bool tensors sum to int64 unless ``dtype`` says otherwise.

    Args:
        input: the tensor.
        dim: an int or a tuple of ints; None (or ``()``) reduces everything.
        keepdim: keep the reduced dims with size 1.
        dtype: cast the input to this dtype before summing.

    Example:
        >>> autograd.tensor([[1., 2.], [3., 4.]]).sum(1)
        tensor([3., 7.])
    """
    data = _check_tensor("sum", input)
    np_dtype = _numpy_dtype(dtype)
    if np_dtype is None and data.dtype.kind in "biu":
        np_dtype = np.dtype(np.int64)
    if dim is None:
        values = None
        if np_dtype is None and not keepdim:
            values = _small_total(data, False)
        if values is None:
            values = _add_reduce(data, axis=None, keepdims=bool(keepdim), dtype=np_dtype)
        out = make(values)
        record(out, "SumBackward0", _sum_backward, (input,), (), False,
               (data.shape, (1,) * data.ndim))
        return out
    axes = _reduce_axes("sum", dim, data.ndim)
    values = None
    if np_dtype is None and not keepdim and data.ndim == 2 and axes == (0,):
        values = _column_sums(data)
    elif np_dtype is None and axes == (data.ndim - 1,):
        values = _row_sums(data)
        if values is not None and not keepdim:
            values = values.reshape(data.shape[:data.ndim - 1])
    if values is None:
        values = _add_reduce(data, axis=axes, keepdims=bool(keepdim), dtype=np_dtype)
    out = make(values)
    record(out, "SumBackward1", _sum_backward, (input,), (), False,
           (data.shape, _kept_shape(data.shape, axes)))
    return out


# Up to this many elements the compiled engine sums a float array itself;
# numpy sums longer ones in blocks whose size its iterator decides.
_SMALL_TOTAL = 8192


@cython.cfunc
def _small_total(data, mean: cython.bint):
    """The sum (or, with ``mean``, the mean) of every element of a small
    C-contiguous float array, as a 0-d array, or None.

    A call into numpy's reduction costs thousands of instructions before it
    adds anything, most of a small reduction's time.  This one adds in
    numpy's order (``_pairwise_sum``, then onto 0.0) and divides as numpy
    does (in the array's dtype), so the bits are numpy's."""
    if not cython.compiled or _fast_kind(data) == 0:
        return None
    a: cnp.ndarray = cython.cast(cnp.ndarray, data)
    t: cython.int = cnp.PyArray_TYPE(a)
    n: cython.Py_ssize_t = cnp.PyArray_SIZE(a)
    if n > _SMALL_TOTAL or (mean and n == 0):
        return None
    out: cnp.ndarray = cnp.PyArray_EMPTY(0, cython.NULL, t, 0)
    f: cython.float
    d: cython.double
    zero_f: cython.float = 0
    if t == cnp.NPY_FLOAT32:
        f = zero_f + _pairwise_sum(cython.cast(cython.p_float, cnp.PyArray_DATA(a)), n)
        if mean:
            f = f / cython.cast(cython.float, n)
        cython.cast(cython.p_float, cnp.PyArray_DATA(out))[0] = f
    else:
        d = 0.0 + _pairwise_sum(cython.cast(cython.p_double, cnp.PyArray_DATA(a)), n)
        if mean:
            d = d / cython.cast(cython.double, n)
        cython.cast(cython.p_double, cnp.PyArray_DATA(out))[0] = d
    return out


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _pairwise_sum(a: cython.pointer(cython.floating), n: cython.Py_ssize_t) -> cython.floating:
    # numpy's order for a contiguous run: under 8 elements one after another
    # from 0; up to 128, eight running sums (each every eighth element),
    # combined as a balanced tree, then the elements left over one by one;
    # longer runs split in two (the first part a multiple of 8 long), each
    # summed this way, and the halves added.
    r: cython.floating[8]
    res: cython.floating = 0
    i: cython.Py_ssize_t
    k: cython.int
    half: cython.Py_ssize_t
    if n < 8:
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        for k in range(8):
            r[k] = a[k]
        i = 8
        while i < n - n % 8:
            for k in range(8):
                r[k] += a[i + k]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += a[i]
            i += 1
        return res
    half = n // 2
    half -= half % 8
    return _pairwise_sum(a, half) + _pairwise_sum(a + half, n - half)


@cython.cfunc
def _column_sums(data):
    """The column sums of a C-contiguous float matrix by a C loop, or None.

    numpy sums a matrix's columns one row at a time with an iterator step
    per row: a microsecond and more for the bias gradient of a small linear
    layer.  This loop adds in the same order (from 0.0, row after row), so
    the bits are numpy's.  With one column numpy sums pairwise instead:
    that case, and any other array, is left to it."""
    if not cython.compiled or _fast_kind(data) == 0:
        return None
    a: cnp.ndarray = cython.cast(cnp.ndarray, data)
    t: cython.int = cnp.PyArray_TYPE(a)
    if cnp.PyArray_DIMS(a)[1] < 2:
        return None
    rows: cython.Py_ssize_t = cnp.PyArray_DIMS(a)[0]
    columns: cnp.npy_intp = cnp.PyArray_DIMS(a)[1]
    out: cnp.ndarray = cnp.PyArray_ZEROS(1, cython.address(columns), t, 0)
    if t == cnp.NPY_FLOAT32:
        _add_rows(cython.cast(cython.p_float, cnp.PyArray_DATA(a)),
                  cython.cast(cython.p_float, cnp.PyArray_DATA(out)), rows, columns)
    else:
        _add_rows(cython.cast(cython.p_double, cnp.PyArray_DATA(a)),
                  cython.cast(cython.p_double, cnp.PyArray_DATA(out)), rows, columns)
    return out


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _add_rows(a: cython.pointer(cython.floating), out: cython.pointer(cython.floating),
              rows: cython.Py_ssize_t, columns: cython.Py_ssize_t) -> cython.void:
    i: cython.Py_ssize_t
    j: cython.Py_ssize_t
    row: cython.pointer(cython.floating)
    for i in range(rows):
        row = a + i * columns
        for j in range(columns):
            out[j] += row[j]


def _sum_backward(ctx, grad):
    shape, kept = ctx.attrs
    return (_unreduce(grad, kept, shape),)


def mean(input, dim=None, keepdim=False, dtype=None):
    """Mean of the elements over ``dim`` (every dimension by default).

    Integer inputs need a floating ``dtype``, as in PyTorch.  The mean of no
    elements is nan.

    Example:
        >>> autograd.tensor([[1., 2.], [3., 5.]]).mean(0)
        tensor([2.0000, 3.5000])
    """
    data = _check_tensor("mean", input)
    np_dtype = _numpy_dtype(dtype)
    if np_dtype is None:
        if data.dtype.kind != "f":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a "
                f"floating point or complex dtype. Got: {_torch_dtype_name(data.dtype)}"
            )
        np_dtype = data.dtype
    elif np_dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Optional dtype must be either a "
            f"floating point or complex dtype. Got: {_torch_dtype_name(np_dtype)}"
        )
    axes = _reduce_axes("mean", dim, data.ndim)
    n = _count(data.shape, axes)
    values = None
    if dim is None and not keepdim and np_dtype == data.dtype:
        values = _small_total(data, True)
    if values is None:
        # NOTE: half precision accumulates in float32, as PyTorch's CPU kernels do.
        acc = np.dtype(np.float32) if np_dtype == np.float16 else np_dtype
        total = _add_reduce(data, axis=axes, keepdims=bool(keepdim), dtype=acc)
        if n == 0:
            with np.errstate(invalid="ignore"):
                values = np.true_divide(total, 0)
        else:
            values = np.true_divide(total, n)
    out = make(np.asarray(values, dtype=np_dtype))
    record(out, "MeanBackward0" if dim is None else "MeanBackward1", _mean_backward,
           (input,), (), False, (data.shape, _kept_shape(data.shape, axes), n))
    return out


def _mean_backward(ctx, grad):
    shape, kept, n = ctx.attrs
    # divided before broadcasting: the same quotient, computed once per slice
    return (_unreduce(div(grad, n), kept, shape),)


# ======================================================================
# prod
# ======================================================================

def prod(input, dim=None, keepdim=False, dtype=None):
    """Product of the elements over one ``dim`` (every element by default).

    Integer and bool tensors multiply to int64 unless ``dtype`` says
    otherwise.  Like PyTorch, ``dim`` is a single int.

    Example:
        >>> autograd.tensor([[1., 2.], [3., 4.]]).prod(1)
        tensor([ 2., 12.])
    """
    data = _check_tensor("prod", input)
    if dim is None:
        axes = tuple(range(data.ndim))
    else:
        axis = _dim_index("prod", dim, data.ndim)
        axes = (axis,) if data.ndim else ()
    np_dtype = _numpy_dtype(dtype)
    if np_dtype is None and data.dtype.kind in "biu":
        np_dtype = np.dtype(np.int64)
    return _prod(input, data, axes, bool(keepdim) and dim is not None, np_dtype,
                 "ProdBackward0" if dim is None else "ProdBackward1")


def _prod(input, data, axes, keepdim, np_dtype, name):
    out = make(np.prod(data, axis=axes, keepdims=keepdim, dtype=np_dtype))
    record(out, name, _prod_backward, (input,), (input,), True,
           (data.shape, _kept_shape(data.shape, axes), axes))
    return out


def _prod_backward(ctx, grad):
    # d prod / d x_i is the product of the other elements of x_i's slice.
    # Without zeros that is result / x_i.  With zeros, a zero's derivative is
    # the product of the slice's nonzero elements when it is the slice's only
    # zero, and every other derivative in a slice holding a zero is 0.
    # Those masks are constants, so under create_graph, where the formula
    # must differentiate again, zeros take the slower exact route instead.
    (x,) = ctx.saved
    shape, kept, axes = ctx.attrs
    data = (cython.cast(TensorBase, x))._data
    g = _unreduce(grad, kept, shape)
    zero = data == 0
    if not zero.any():
        return (mul(g, div(_unreduce(ctx.result, kept, shape), x)),)
    if is_grad_enabled():
        return (mul(g, _products_of_the_others(x, shape, axes)),)
    zero_mask = make(zero)
    # the product of the nonzero elements, and x with its zeros set to 1
    safe = where(zero_mask, 1.0, x)
    nonzero_prod = _prod(safe, (cython.cast(TensorBase, safe))._data, axes, True, None,
                         "ProdBackward1")
    others = div(expand(nonzero_prod, shape), safe)
    zeros_elsewhere = zero.sum(axis=axes, keepdims=True) - zero
    return (where(make(zeros_elsewhere == 0), mul(g, others), 0.0),)


def _products_of_the_others(x, shape, axes):
    """For each element of ``x``, the product of the other elements of its
    slice over ``axes``, built from differentiable ops: each slice is laid
    out n times with its own element replaced by 1, then multiplied along.
    That costs n*n per slice, so only create_graph with zeros comes here."""
    nd = len(shape)
    axes = tuple(sorted(a % nd for a in axes)) if nd else ()
    keep = [d for d in range(nd) if d not in axes]
    order = tuple(keep) + axes
    lead = tuple([shape[d] for d in keep])
    n = 1
    for d in axes:
        n *= shape[d]
    flat = reshape(permute(x, order), lead + (n,)) if nd else reshape(x, (1,))
    rows = expand(reshape(flat, lead + (1, n)), lead + (n, n))
    own = make(np.eye(n, dtype=bool))
    laid_out = where(own, 1.0, rows)
    others = _prod(laid_out, (cython.cast(TensorBase, laid_out))._data, (len(lead) + 1,),
                   False, None, "ProdBackward1")
    if not nd:
        return reshape(others, ())
    back = reshape(others, lead + tuple([shape[d] for d in axes]))
    return permute(back, tuple(np.argsort(order).tolist()))


# ======================================================================
# max / min / amax / amin / argmax / argmin
# ======================================================================

def _extreme_mask(data, values_kept):
    """Where ``data`` equals its slice's extreme (nan matching nan)."""
    mask = data == values_kept
    if data.dtype.kind == "f":
        nan_values = np.isnan(values_kept)
        if nan_values.any():
            mask = np.where(nan_values, np.isnan(data), mask)
    return mask


def _evenly_backward(ctx, grad):
    # The gradient of a slice's extreme is shared evenly by every element
    # that attains it, as PyTorch does.
    (x,) = ctx.saved
    shape, kept, axes = ctx.attrs
    data = (cython.cast(TensorBase, x))._data
    values = (cython.cast(TensorBase, ctx.result))._data.reshape(kept)
    mask = _extreme_mask(data, values)
    g = reshape(grad, kept)
    counts = mask.sum(axis=axes, keepdims=True).astype(g._data.dtype)
    return (where(make(mask), expand(div(g, make(counts)), shape), 0.0),)


def _empty_full_reduction_error(name):
    return RuntimeError(
        f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
        "Specify the reduction dim with the 'dim' argument."
    )


def _empty_dim_error(name, axis):
    return IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def _extreme_full(name, node_name, input, data, reducer):
    if data.size == 0:
        raise _empty_full_reduction_error(name)
    out = make(reducer(data))
    axes = tuple(range(data.ndim))
    record(out, node_name, _evenly_backward, (input,), (input,), True,
           (data.shape, (1,) * data.ndim, axes))
    return out


def _extreme_dim(name, node_name, input, data, dim, keepdim, reducer, arg_reducer, result_type):
    axis = _dim_index(name, dim, data.ndim)
    work = data.reshape(1) if data.ndim == 0 else data
    if work.shape[axis] == 0:
        raise _empty_dim_error(name, axis)
    keep = bool(keepdim) and data.ndim > 0
    indices = arg_reducer(work, axis=axis, keepdims=True)
    values = np.take_along_axis(work, indices, axis=axis)
    if not keep:
        values = values.reshape(data.shape[:axis] + data.shape[axis + 1:])
        indices = indices.reshape(values.shape)
    out = make(values)
    index_tensor = make(indices.astype(np.int64, copy=False))
    record(out, node_name, _select_backward, (input,), (index_tensor,), False,
           (data.shape, axis))
    return result_type(out, index_tensor)


def _select_backward(ctx, grad):
    # Only the selected element of each slice gets the gradient.
    (indices,) = ctx.saved
    shape, axis = ctx.attrs
    if len(shape) == 0:
        return (reshape(grad, shape),)
    idx = (cython.cast(TensorBase, indices))._data
    kept = list(shape)
    kept[axis] = 1
    kept = tuple(kept)
    mask = np.zeros(shape, dtype=np.bool_)
    np.put_along_axis(mask, idx.reshape(kept), True, axis=axis)
    return (where(make(mask), _unreduce(grad, kept, shape), 0.0),)


def _pointwise_extreme(name, input, other, keepdim):
    if keepdim:
        raise TypeError(f"{name}(): keepdim is not allowed with a Tensor as second argument")
    return maximum(input, other) if name == "max" else minimum(input, other)


def max(input, dim=None, keepdim=False, *, other=None):
    """The largest element, or the largest along ``dim`` with its index.

    With no ``dim`` returns a 0-d tensor (ties share the gradient evenly).
    With ``dim`` returns a named tuple ``(values, indices)``; the gradient
    goes to the selected index only.  With a tensor as second argument it is
    the elementwise ``maximum``.

    Example:
        >>> r = autograd.tensor([[1., 5.], [4., 2.]]).max(1)
        >>> r.values, r.indices
        (tensor([5., 4.]), tensor([1, 0]))
    """
    return _max_or_min("max", "Max", np.max, np.argmax, max_return_type,
                       input, dim, keepdim, other)


def min(input, dim=None, keepdim=False, *, other=None):
    """The smallest element, or the smallest along ``dim`` with its index.

    Mirrors ``max``; with a tensor as second argument it is the elementwise
    ``minimum``.

    Example:
        >>> autograd.tensor([3., 1., 2.]).min()
        tensor(1.)
    """
    return _max_or_min("min", "Min", np.min, np.argmin, min_return_type,
                       input, dim, keepdim, other)


def _max_or_min(name, node_prefix, reduce, arg_reduce, return_type, input, dim, keepdim, other):
    """max/min's three forms: elementwise with a tensor, whole-tensor, or along ``dim``."""
    if other is None and isinstance(dim, TensorBase):
        other = dim
    if other is not None:
        return _pointwise_extreme(name, input, other, keepdim)
    data = _check_tensor(name, input)
    if dim is None:
        return _extreme_full(name, node_prefix + "Backward1", input, data, reduce)
    return _extreme_dim(name, node_prefix + "Backward0", input, data, dim, keepdim, reduce,
                        arg_reduce, return_type)


def _amax_amin(name, node_name, reducer, input, dim, keepdim):
    data = _check_tensor(name, input)
    axes = _reduce_axes(name, dim, data.ndim)
    if data.size == 0:
        if len(axes) == data.ndim:
            raise _empty_full_reduction_error(name)
        for a in axes:
            if data.shape[a] == 0:
                raise _empty_dim_error(name, a)
    out = make(reducer(data, axis=axes, keepdims=bool(keepdim)))
    record(out, node_name, _evenly_backward, (input,), (input,), True,
           (data.shape, _kept_shape(data.shape, axes), axes))
    return out


def amax(input, dim=(), keepdim=False):
    """The largest values over ``dim`` (every dimension by default); ties
    share the gradient evenly.

    Example:
        >>> autograd.tensor([[1., 5.], [4., 2.]]).amax(0)
        tensor([4., 5.])
    """
    return _amax_amin("amax", "AmaxBackward0", np.max, input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """The smallest values over ``dim`` (every dimension by default); ties
    share the gradient evenly.

    Example:
        >>> autograd.tensor([[1., 5.], [4., 2.]]).amin(1)
        tensor([1., 2.])
    """
    return _amax_amin("amin", "AminBackward0", np.min, input, dim, keepdim)


def _arg_extreme(name, arg_reducer, input, dim, keepdim):
    data = _check_tensor(name, input)
    if dim is None:
        if data.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        index = arg_reducer(data.reshape(-1))
        shape = (1,) * data.ndim if keepdim else ()
        return make(np.asarray(index, dtype=np.int64).reshape(shape))
    axis = _dim_index(name, dim, data.ndim)
    work = data.reshape(1) if data.ndim == 0 else data
    if work.shape[axis] == 0:
        raise _empty_dim_error(name, axis)
    indices = arg_reducer(work, axis=axis, keepdims=bool(keepdim) and data.ndim > 0)
    return make(np.asarray(indices, dtype=np.int64).reshape(
        indices.shape if data.ndim else ()))


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor, or along ``dim``).

    Example:
        >>> autograd.tensor([[1., 5.], [4., 2.]]).argmax(1)
        tensor([1, 0])
    """
    return _arg_extreme("argmax", np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor, or along ``dim``).

    Example:
        >>> autograd.tensor([[1., 5.], [4., 2.]]).argmin()
        tensor(0)
    """
    return _arg_extreme("argmin", np.argmin, input, dim, keepdim)


# ======================================================================
# var / std
# ======================================================================

def _var_args(name, input, dim, unbiased, correction):
    data = _check_tensor(name, input)
    if data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    # var(True) is var(unbiased=True), as in PyTorch
    if isinstance(dim, builtins.bool):
        unbiased = dim
        dim = None
    if correction is None:
        correction = 1 if unbiased else 0
    axes = _reduce_axes(name, dim, data.ndim)
    n = _count(data.shape, axes)
    dof = n - correction
    if dof <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
            "the reduction factor (input numel divided by output numel).",
            UserWarning, stacklevel=3,
        )
    # PyTorch treats a reduction without dims (or of a 0-d tensor) apart
    # from one over dims when there are no degrees of freedom (see below).
    full = dim is None or data.ndim == 0 or (isinstance(dim, (tuple, list)) and len(dim) == 0)
    return data, axes, n, dof, (data.shape, _kept_shape(data.shape, axes), axes, dof, full)


def _variance(data, axes, n, dof, keepdim):
    """Sum of squared deviations over ``axes`` divided by ``dof`` (at least 0)."""
    if dof < 0:
        dof = 0
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = data - _add_reduce(data, axis=axes, keepdims=True) / n
        squares = _add_reduce(centred * centred, axis=axes, keepdims=keepdim)
        return np.true_divide(squares, dof).astype(data.dtype, copy=False)


def var(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Variance over ``dim`` (every dimension by default).

    Divides by ``N - correction``; ``correction`` defaults to 1 (the
    unbiased estimate) or to 0 with ``unbiased=False``.  With ``N <=
    correction`` the result is nan or inf, as in PyTorch.

    Example:
        >>> autograd.tensor([1., 2., 3., 4.]).var()
        tensor(1.6667)
    """
    data, axes, n, dof, attrs = _var_args("var", input, dim, unbiased, correction)
    out = make(_variance(data, axes, n, dof, bool(keepdim)))
    record(out, "VarBackward0", _var_backward, (input,), (input,), False, attrs)
    return out


def _var_gradient(x, g_kept, attrs):
    # d var / d x_i = 2 (x_i - mean) / dof.
    shape, kept, axes, dof, full = attrs
    g = expand(reshape(g_kept, kept), shape)
    if dof > 0:
        return mul(g, mul(sub(x, mean(x, axes, True)), 2.0 / dof))
    # NOTE: without degrees of freedom the gradient is nan or inf, as
    # PyTorch's: over every element, nan where x_i is the mean and inf
    # elsewhere; over given dims, 2 / (N - correction) as is (inf for 0).
    with np.errstate(invalid="ignore", divide="ignore"):
        if full:
            data = (cython.cast(TensorBase, x))._data
            centre = _add_reduce(data, axis=None) / data.size
            return mul(g, make(np.where(data == centre, np.nan, np.inf).astype(data.dtype)))
        scale = 2.0 / dof if dof != 0 else float("inf")
        return mul(g, mul(sub(x, mean(x, axes, True)), scale))


def _var_backward(ctx, grad):
    (x,) = ctx.saved
    return (_var_gradient(x, grad, ctx.attrs),)


def std(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: the square root of ``var``.

    Example:
        >>> autograd.tensor([1., 3.]).std()
        tensor(1.4142)
    """
    data, axes, n, dof, attrs = _var_args("std", input, dim, unbiased, correction)
    out = make(np.sqrt(_variance(data, axes, n, dof, bool(keepdim))))
    record(out, "StdBackward0", _std_backward, (input,), (input,), True, attrs)
    return out


def _std_backward(ctx, grad):
    # d std = d var / (2 std); where std is 0 the gradient is taken as 0
    # (PyTorch's choice) instead of 0/0.
    (x,) = ctx.saved
    result = ctx.result
    zero = make(np.equal((cython.cast(TensorBase, result))._data, 0))
    safe = where(zero, 1.0, result)
    g = where(zero, 0.0, div(grad, mul(safe, 2.0)))
    return (_var_gradient(x, g, ctx.attrs),)


# ======================================================================
# softmax / log_softmax
# ======================================================================

def _softmax_input(name, input, dim, dtype):
    data = _check_tensor(name, input)
    if dim is None:
        # PyTorch requires dim too: guessing it silently picks the wrong axis
        raise TypeError(f"{name}() missing 1 required argument: 'dim' (the dimension to normalize over)")
    axis = _dim_index(name, dim, data.ndim)
    np_dtype = _numpy_dtype(dtype)
    if np_dtype is not None:
        data = data.astype(np_dtype, copy=False)
    if data.dtype.kind != "f":
        raise NotImplementedError(
            f"{name}() is not implemented for {_torch_dtype_name(data.dtype)} tensors; "
            "pass a floating dtype= or convert the input with .float()"
        )
    if data.ndim == 0:
        return data, None
    return data, axis


def _shifted(data, axis):
    """``data`` minus its max along ``axis``, so exp cannot overflow."""
    if data.size == 0:
        return data.copy()
    if axis == data.ndim - 1:
        shifted = _shifted_rows(data)
        if shifted is not None:
            return shifted
    peak = np.max(data, axis=axis, keepdims=True)
    finite = np.isfinite(peak)
    if not finite.all():
        # an all -inf (or inf) slice would give inf - inf = nan; shift it by 0
        peak = np.where(finite, peak, 0)
    return data - peak


def softmax(input, dim=None, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, computed without overflow.

    Args:
        input: the tensor.
        dim: the dimension whose slices each sum to 1 (required).
        dtype: cast the input to this dtype first.

    Example:
        >>> autograd.tensor([1000., 1000.]).softmax(0)
        tensor([0.5000, 0.5000])
    """
    data, axis = _softmax_input("softmax", input, dim, dtype)
    if axis is None:
        values = np.ones_like(data)
    else:
        e = np.exp(_shifted(data, axis))
        # NOTE: an all -inf slice sums to 0 and gives nan, as in PyTorch.
        with np.errstate(invalid="ignore"):
            values = e / _sums_along(e, axis)
    out = make(values)
    record(out, "SoftmaxBackward0", _softmax_backward, (input,), (), True, axis)
    return out


def _softmax_backward(ctx, grad):
    # dx = y * (g - sum(g * y))
    y = ctx.result
    axis = ctx.attrs
    if axis is None:
        return (mul(grad, 0.0),)
    return (mul(y, sub(grad, sum(mul(grad, y), axis, True))),)


def log_softmax(input, dim=None, dtype=None):
    """``x - log(exp(x).sum(dim))``, computed without overflow.

    Example:
        >>> autograd.tensor([1000., 1000.]).log_softmax(0)
        tensor([-0.6931, -0.6931])
    """
    data, axis = _softmax_input("log_softmax", input, dim, dtype)
    if axis is None:
        values = np.zeros_like(data)
    else:
        shifted = _shifted(data, axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = shifted - np.log(_sums_along(np.exp(shifted), axis))
    out = make(values)
    record(out, "LogSoftmaxBackward0", _log_softmax_backward, (input,), (), True, axis)
    return out


def _sums_along(data, axis):
    """``data``'s sums along ``axis``, kept as a dimension of size 1."""
    if axis == data.ndim - 1:
        sums = _row_sums(data)
        if sums is not None:
            return sums
    return _add_reduce(data, axis=axis, keepdims=True)


# softmax and log_softmax over the last axis of a small matrix (a
# classifier's logits, say) spend most of their time in numpy's max and sum
# along that axis: its iterator takes a step per row, each costing more than
# a short row's arithmetic.  These C loops do the same arithmetic in the
# same order, so the bits are numpy's (exp and log stay numpy's).

@cython.cfunc
def _rows_of(data):
    """``data`` as (rows, n) for the row loops: a non-empty C-contiguous
    float array of at least one dimension, or None."""
    if not cython.compiled or _fast_kind(data) == 0:
        return None
    a: cnp.ndarray = cython.cast(cnp.ndarray, data)
    nd: cython.int = cnp.PyArray_NDIM(a)
    if nd == 0 or cnp.PyArray_SIZE(a) == 0:
        return None
    n: cython.Py_ssize_t = cnp.PyArray_DIMS(a)[nd - 1]
    return (cnp.PyArray_SIZE(a) // n, n)


@cython.cfunc
def _shifted_rows(data):
    """``_shifted`` along the last axis by a C loop, or None."""
    shape = _rows_of(data)
    if shape is None:
        return None
    rows: cython.Py_ssize_t = shape[0]
    n: cython.Py_ssize_t = shape[1]
    a: cnp.ndarray = cython.cast(cnp.ndarray, data)
    out: cnp.ndarray = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a),
                                         cnp.PyArray_TYPE(a), 0)
    if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32:
        _shift_rows(cython.cast(cython.p_float, cnp.PyArray_DATA(a)),
                    cython.cast(cython.p_float, cnp.PyArray_DATA(out)), rows, n)
    else:
        _shift_rows(cython.cast(cython.p_double, cnp.PyArray_DATA(a)),
                    cython.cast(cython.p_double, cnp.PyArray_DATA(out)), rows, n)
    return out


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _shift_rows(a: cython.pointer(cython.floating), out: cython.pointer(cython.floating),
                rows: cython.Py_ssize_t, n: cython.Py_ssize_t) -> cython.void:
    # each row minus its maximum (nan if the row holds one, as np.max), or
    # minus 0 where that maximum is not finite, as _shifted's np.where
    i: cython.Py_ssize_t
    j: cython.Py_ssize_t
    row: cython.pointer(cython.floating)
    peak: cython.floating
    v: cython.floating
    for i in range(rows):
        row = a + i * n
        peak = row[0]
        for j in range(1, n):
            v = row[j]
            if v > peak or v != v:
                peak = v
        if not (peak - peak == 0):    # inf - inf and nan - nan are nan
            peak = 0
        for j in range(n):
            out[i * n + j] = row[j] - peak


@cython.cfunc
def _row_sums(data):
    """``np.add.reduce(data, axis=-1, keepdims=True)`` by a C loop, or None
    (also for rows longer than ``_SMALL_TOTAL``, which numpy may sum in
    blocks)."""
    shape = _rows_of(data)
    if shape is None:
        return None
    rows: cython.Py_ssize_t = shape[0]
    n: cython.Py_ssize_t = shape[1]
    if n > _SMALL_TOTAL:
        return None
    a: cnp.ndarray = cython.cast(cnp.ndarray, data)
    nd: cython.int = cnp.PyArray_NDIM(a)
    dims: cnp.npy_intp[64]     # NPY_MAXDIMS
    k: cython.int
    for k in range(nd):
        dims[k] = cnp.PyArray_DIMS(a)[k]
    dims[nd - 1] = 1
    out: cnp.ndarray = cnp.PyArray_EMPTY(nd, dims, cnp.PyArray_TYPE(a), 0)
    if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32:
        _sum_rows(cython.cast(cython.p_float, cnp.PyArray_DATA(a)),
                  cython.cast(cython.p_float, cnp.PyArray_DATA(out)), rows, n)
    else:
        _sum_rows(cython.cast(cython.p_double, cnp.PyArray_DATA(a)),
                  cython.cast(cython.p_double, cnp.PyArray_DATA(out)), rows, n)
    return out


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _sum_rows(a: cython.pointer(cython.floating), out: cython.pointer(cython.floating),
              rows: cython.Py_ssize_t, n: cython.Py_ssize_t) -> cython.void:
    # numpy's order along a contiguous axis: pairwise, then onto 0
    i: cython.Py_ssize_t
    zero: cython.floating = 0
    for i in range(rows):
        out[i] = zero + _pairwise_sum(a + i * n, n)


def _log_softmax_backward(ctx, grad):
    # dx = g - softmax(x) * sum(g)
    axis = ctx.attrs
    if axis is None:
        return (mul(grad, 0.0),)
    return (sub(grad, mul(exp(ctx.result), sum(grad, axis, True))),)


__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
    "var", "std", "softmax", "log_softmax",
]
# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
    "sum": sum,
    "mean": mean,
    "prod": prod,
    "max": max,
    "min": min,
    "amax": amax,
    "amin": amin,
    "argmax": argmax,
    "argmin": argmin,
    "var": var,
    "std": std,
    "softmax": softmax,
    "log_softmax": log_softmax,
}
