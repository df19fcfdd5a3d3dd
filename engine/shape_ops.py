"""Shape ops: views, reshapes, broadcasting, indexing, joining.

Each op's forward is followed by its backward formula.  A formula gets the
node (``ctx``: ``saved``, ``attrs``, ``needs_input_grad``) and the output's
gradient, returns one gradient per input (None where none is needed), and is
written in engine ops so that ``create_graph=True`` differentiates it again.
"""
import cython
import numpy as np

from engine.graph import register_ops

if not cython.compiled:
    from engine.graph import record
    from engine.tensor import TensorBase, format_shape, make


def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


# ----------------------------------------------------------------------
# sum_to / expand: broadcasting and its adjoint
# ----------------------------------------------------------------------

def sum_to(input, shape):
    """Sum ``input`` down to ``shape``, undoing numpy-style broadcasting."""
    data = input._data
    shape = tuple(shape)
    if data.shape == shape:
        return input
    lead = data.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot sum shape {data.shape} to {shape}")
    axes = list(range(lead))
    for i, s in enumerate(shape):
        d = data.shape[lead + i]
        if s == 1 and d != 1:
            axes.append(lead + i)
        elif s != d:
            raise ValueError(f"sum_to: cannot sum shape {data.shape} to {shape}")
    out = make(data.sum(axis=tuple(axes)).reshape(shape))
    record(out, "SumToBackward0", _sum_to_backward, (input,), (), False, data.shape)
    return out


def _sum_to_backward(ctx, grad):
    return (expand(grad, ctx.attrs),)


def expand(input, *sizes):
    """Broadcast ``input`` to a larger shape without copying (-1 keeps a size)."""
    sizes = _shape_arg(sizes)
    data = input._data
    lead = len(sizes) - data.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({data.ndim})"
        )
    target = []
    for i, s in enumerate(sizes):
        if s == -1:
            if i < lead:
                raise RuntimeError(
                    f"expand: -1 is not allowed in a leading, non-existing dimension {i}"
                )
            s = data.shape[i - lead]
        elif i >= lead and data.shape[i - lead] not in (1, s):
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({s}) must match the existing "
                f"size ({data.shape[i - lead]}) at non-singleton dimension {i}.  Target "
                f"sizes: {format_shape(sizes)}.  Tensor sizes: {format_shape(data.shape)}"
            )
        target.append(s)
    out = make(np.broadcast_to(data, tuple(target)))
    record(out, "ExpandBackward0", _expand_backward, (input,), ())
    return out


def _expand_backward(ctx, grad):
    # the engine sums a gradient back to its input's shape
    return (grad,)


# ----------------------------------------------------------------------
# reshape / view
# ----------------------------------------------------------------------

def reshape(input, *shape):
    """Return a tensor with the same values in a new shape (a view when possible)."""
    shape = _shape_arg(shape)
    data = input._data
    try:
        out = make(data.reshape(shape))
    except ValueError:
        raise RuntimeError(
            f"reshape: shape '{format_shape(shape)}' is invalid for input of size {data.size}"
        ) from None
    record(out, "ViewBackward0", _reshape_backward, (input,), (), False, data.shape)
    return out


def view(input, *shape):
    """Like ``reshape`` but never copies: fails when the strides forbid a view."""
    shape = _shape_arg(shape)
    data = input._data
    try:
        values = np.reshape(data, shape, copy=False)
    except ValueError:
        # Either the sizes disagree or the strides need a copy: a contiguous
        # stand-in tells which.
        try:
            np.empty(data.shape, dtype=np.bool_).reshape(shape)
        except ValueError:
            raise RuntimeError(
                f"view: shape '{format_shape(shape)}' is invalid for input of size {data.size}"
            ) from None
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    out = make(values)
    record(out, "ViewBackward0", _reshape_backward, (input,), (), False, data.shape)
    return out


def _reshape_backward(ctx, grad):
    return (reshape(grad, ctx.attrs),)


register_ops(sum_to=sum_to)

__all__ = ["reshape", "view", "expand"]
# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
    "reshape": reshape,
    "view": view,
    "expand": expand,
}
