"""Reductions: sum, mean, prod, max, min, var, std, softmax, log_softmax.

Each op's forward is followed by its backward formula (see shape_ops.py for
the formula conventions).
"""
import cython
import numpy as np

from engine.pointwise_ops import mul
from engine.shape_ops import expand, reshape

if not cython.compiled:
    from engine.graph import record
    from engine.tensor import TensorBase, format_shape, make


def _normalize_dims(name, dim, ndim):
    """``dim`` (None, an int or a sequence of ints) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        dims = tuple(dim)
    else:
        dims = (dim,)
    rank = max(ndim, 1)
    out = []
    for d in dims:
        d = int(d)
        if not -rank <= d < rank:
            raise IndexError(
                f"{name}: Dimension out of range (expected to be in range of "
                f"[{-rank}, {rank - 1}], but got {d})"
            )
        d = d % rank
        if d in out:
            raise RuntimeError(f"{name}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    if ndim == 0:
        return ()
    return tuple(sorted(out))


def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum over ``dim`` (all dimensions by default)."""
    data = input._data
    axes = _normalize_dims("sum", dim, data.ndim)
    if dtype is None and data.dtype.kind in "biu":
        dtype = np.int64
    out = make(np.sum(data, axis=axes, keepdims=bool(keepdim), dtype=dtype))
    record(out, "SumBackward0" if dim is None else "SumBackward1", _sum_backward,
           (input,), (), False, (data.shape, _keepdim_shape(data.shape, axes)))
    return out


def _sum_backward(ctx, grad):
    shape, kept = ctx.attrs
    return (expand(reshape(grad, kept), shape),)

__all__ = ["sum"]
# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
    "sum": sum,
}
