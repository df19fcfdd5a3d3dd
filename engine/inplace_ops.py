"""In-place operations: add_, mul_, ..., and indexed assignment (``t[k] = v``).

An in-place op writes into the tensor's own numpy buffer (a ufunc with
``out=``, ``np.copyto`` or slice assignment; the buffer is never rebound), so
every numpy view of that buffer sees the new values, and it bumps the
tensor's ``_version`` by one.  The result must be castable to the tensor's
dtype and the operand may broadcast to the tensor's shape but never grow it,
as in PyTorch.

Autograd: a leaf that requires grad may not be written in place while grad
mode is on (under ``no_grad`` it may: that is how optimizers and ``nn.init``
write).  When grad mode is on and the tensor or an operand requires grad, the
op is recorded with the tensor as both input and output: the new node's edge
for input 0 leads to the tensor's previous ``grad_fn`` (``record`` takes the
edges before it sets ``_grad_fn``), and the tensor's history is rebased onto
the new node.  Formulas that need the value from before the write read a
copy of it (PyTorch's ``original_self``) that routes gradients to the old
history; formulas that need the result read it like the out-of-place op.
The formulas are the out-of-place ops' own (pointwise_ops.py), so each
derivative is still written once.

NOTE: views made by this library's shape ops (``t[0]``, ``t.view(...)``,
``t.T``, ...) share the numpy buffer but neither the version counter nor the
history: writing into a view changes the base's values, but only the view's
``_version`` and ``grad_fn`` change.  PyTorch would rebase the base's history
(CopySlices) and bump a counter shared by all views.  Writing into a view of
a leaf that requires grad is refused, as in PyTorch.
"""
import cython
import numpy as np

from engine.grad_mode import is_grad_enabled
from engine.graph import AccumulateGrad, FunctionNode, mark_rewritten
from engine.pointwise_ops import (
    _add_backward, _clamp_backward, _clamp_tensor_backward, _div_backward, _exp_backward,
    _mul_backward, _neg_backward, _pow_backward, _pow_scalar_backward, _relu_backward,
    _sub_backward, _torch_dtype_name,
    add, clamp, div, exp, mul, neg, pow, relu, sub, where,
)
from engine.shape_ops import _index_apply, _normalize_key, _classify_index, reshape, sum_to

if not cython.compiled:
    from engine.graph import any_requires_grad, gradient_edge, record
    from engine.tensor import TensorBase, format_shape, is_float_dtype, make

_LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF_MESSAGE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
_OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a "
    "single memory location. Please clone() the tensor before performing the operation."
)

# Nodes of shape ops whose output is a numpy view of their input.
_VIEW_NODES = frozenset([
    "AliasBackward0", "SelectBackward0", "SliceBackward0", "UnsqueezeBackward0",
    "SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2", "ViewBackward0",
    "TransposeBackward0", "TBackward0", "PermuteBackward0", "ExpandBackward0",
])


# ======================================================================
# Checks and helpers shared by every in-place op
# ======================================================================

def _self_arg(name, x):
    if isinstance(x, TensorBase):
        return x
    raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


@cython.cfunc
def _check_writable(name: str, t: TensorBase, view: cython.bint):
    """Refuse writes PyTorch refuses: into a leaf that requires grad (or a
    view of one) while grad mode is on, and into memory that is read-only."""
    data = t._data
    if not data.flags.writeable:
        # broadcast_to (expand) views are read-only: their elements overlap
        if any([s == 0 for s in data.strides]) and data.size > 1:
            raise RuntimeError(_OVERLAP_MESSAGE)
        raise RuntimeError(
            f"{name}: the tensor's memory is read-only (shape {format_shape(data.shape)}); "
            "clone() it before writing in place"
        )
    if not is_grad_enabled():
        return
    if t._grad_fn is None:
        if t._requires_grad:
            raise RuntimeError(_VIEW_OF_LEAF_MESSAGE if view else _LEAF_MESSAGE)
        return
    # Walk back through view nodes: ending at a leaf whose buffer this tensor
    # shares means the write would change the leaf's values behind autograd.
    node = t._grad_fn
    steps = 0
    while isinstance(node, FunctionNode) and node._name in _VIEW_NODES and len(node._next) > 0:
        node = node._next[0]
        steps += 1
    if steps > 0 and isinstance(node, AccumulateGrad) \
            and np.may_share_memory(node.variable._data, data):
        raise RuntimeError(_VIEW_OF_LEAF_MESSAGE)


@cython.cfunc
def _requires(x) -> cython.bint:
    if isinstance(x, TensorBase):
        t: TensorBase = x
        return t._requires_grad or t._grad_fn is not None
    return False


@cython.cfunc
def _recording(t: TensorBase, inputs: tuple) -> cython.bint:
    """Will the op be recorded?  (Integer tensors never join a graph.)"""
    return is_grad_enabled() and is_float_dtype(t._data.dtype) and any_requires_grad(inputs)


@cython.cfunc
def _snapshot(t: TensorBase):
    """A copy of ``t``'s current values whose gradient flows where ``t``'s
    does, for formulas that need a value the write is about to replace."""
    c: TensorBase = make(t._data.copy())
    if t._requires_grad or t._grad_fn is not None:
        c._grad_fn = gradient_edge(t)
    return c


@cython.cfunc
def _operand_to_save(t: TensorBase, x):
    """``x`` as a formula may keep it: copied if it shares ``t``'s buffer
    (``t.mul_(t)``), since the write changes it (and saving ``t`` itself
    would tie ``t`` and its own node in a cycle)."""
    if isinstance(x, TensorBase):
        xt: TensorBase = x
        if xt is t or np.may_share_memory(xt._data, t._data):
            return _snapshot(xt)
    return x


@cython.cfunc
def _detached(x):
    """An operand without its history, so computing a value records nothing."""
    if isinstance(x, TensorBase):
        return make((cython.cast(TensorBase, x))._data)
    return x


@cython.cfunc
def _category(dtype) -> cython.int:
    k = dtype.kind
    if k == "b":
        return 0
    if k == "f" or k == "c":
        return 2
    return 1


@cython.cfunc
def _check_cast(result_dtype, dtype):
    if result_dtype != dtype and _category(result_dtype) > _category(dtype):
        raise RuntimeError(
            f"result type {_torch_dtype_name(result_dtype)} can't be cast to the desired "
            f"output type {_torch_dtype_name(dtype)}"
        )


@cython.cfunc
def _store(t: TensorBase, values):
    """Write an op's result into ``t``'s buffer, refusing a result dtype
    ``t`` cannot hold and a result shape larger than ``t``'s."""
    data = t._data
    _check_cast(values.dtype, data.dtype)
    if values.shape != data.shape:
        raise RuntimeError(
            f"output with shape {format_shape(data.shape)} doesn't match the broadcast shape "
            f"{format_shape(values.shape)}"
        )
    np.copyto(data, values, casting="unsafe")


@cython.cfunc
def _same_kind_operand(data, x) -> cython.bint:
    """Can ``ufunc(data, x, out=data)`` run directly?  True for a float
    tensor with a Python number or a tensor of its own dtype and shape,
    where the result needs no promotion, cast or broadcast check."""
    if data.dtype.kind != "f":
        return False
    tx = type(x)
    if tx is float or tx is int:
        return True
    if isinstance(x, TensorBase):
        other = (cython.cast(TensorBase, x))._data
        return other.dtype == data.dtype and other.shape == data.shape
    return False


@cython.cfunc
def _zeros_like(grad):
    # a constant: its own derivative is zero, so create_graph needs no node
    g = (cython.cast(TensorBase, grad))._data
    return make(np.zeros(g.shape, dtype=g.dtype))


@cython.cfunc
def _number(name: str, x, what: str):
    """A Python or numpy number as a Python number."""
    if isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        return x.item()
    raise TypeError(f"{name}(): argument '{what}' must be Number, not {type(x).__name__}")


# ======================================================================
# Arithmetic
# ======================================================================

def add_(input, other, *, alpha=1):
    """In-place ``input += alpha * other``; returns ``input``.

    Args:
        other: a tensor that broadcasts to ``input``'s shape, or a number.
        alpha: a number multiplying ``other``.

    Example:
        >>> t = autograd.tensor([1., 2.])
        >>> t.add_(autograd.tensor([1., 1.]), alpha=2)
        tensor([3., 4.])
    """
    t: TensorBase = _self_arg("add_", input)
    _check_writable("add_", t, False)
    data = t._data
    if _same_kind_operand(data, other) and type(alpha) is not bool:
        y = (cython.cast(TensorBase, other))._data if isinstance(other, TensorBase) else other
        if alpha != 1:
            y = y * alpha
        np.add(data, y, out=data)
    else:
        _store(t, add(make(data), _detached(other), alpha)._data)
    t._version += 1
    record(t, "AddBackward0", _add_backward, (t, other), (), False, alpha)
    return t


def sub_(input, other, *, alpha=1):
    """In-place ``input -= alpha * other``; returns ``input``.

    Example:
        >>> autograd.tensor([3., 4.]).sub_(1)
        tensor([2., 3.])
    """
    t: TensorBase = _self_arg("sub_", input)
    _check_writable("sub_", t, False)
    data = t._data
    if _same_kind_operand(data, other) and type(alpha) is not bool:
        y = (cython.cast(TensorBase, other))._data if isinstance(other, TensorBase) else other
        if alpha != 1:
            y = y * alpha
        np.subtract(data, y, out=data)
    else:
        _store(t, sub(make(data), _detached(other), alpha)._data)
    t._version += 1
    record(t, "SubBackward0", _sub_backward, (t, other), (), False, alpha)
    return t


def mul_(input, other):
    """In-place ``input *= other``; returns ``input``.

    Example:
        >>> autograd.tensor([1., 2.]).mul_(3)
        tensor([3., 6.])
    """
    t: TensorBase = _self_arg("mul_", input)
    _check_writable("mul_", t, False)
    inputs = (t, other)
    saved = None
    if _recording(t, inputs):
        # d/d(other) needs self from before the write
        saved = (_snapshot(t) if _requires(other) else None,
                 _operand_to_save(t, other) if _requires(t) else None)
    data = t._data
    if _same_kind_operand(data, other):
        y = (cython.cast(TensorBase, other))._data if isinstance(other, TensorBase) else other
        np.multiply(data, y, out=data)
    else:
        _store(t, mul(make(data), _detached(other))._data)
    t._version += 1
    if saved is not None:
        record(t, "MulBackward0", _mul_backward, inputs, saved)
    else:
        mark_rewritten(t)
    return t


def div_(input, other, *, rounding_mode=None):
    """In-place ``input /= other``; returns ``input``.

    Args:
        other: a tensor that broadcasts to ``input``'s shape, or a number.
        rounding_mode: None (true division; an integer tensor cannot hold
            the float result), ``"trunc"`` or ``"floor"``.

    Example:
        >>> autograd.tensor([7., -7.]).div_(2, rounding_mode="floor")
        tensor([ 3., -4.])
    """
    t: TensorBase = _self_arg("div_", input)
    if rounding_mode is not None and rounding_mode != "trunc" and rounding_mode != "floor":
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    _check_writable("div_", t, False)
    inputs = (t, other)
    if rounding_mode is not None:
        _store(t, _rounded_division(t._data, _detached(other), rounding_mode))
        t._version += 1
        record(t, "DivBackward2", _rounded_div_backward, inputs, ())
        return t
    saved = None
    if _recording(t, inputs):
        saved = (_snapshot(t) if _requires(other) else None, _operand_to_save(t, other))
    data = t._data
    if _same_kind_operand(data, other):
        y = (cython.cast(TensorBase, other))._data if isinstance(other, TensorBase) else other
        # NOTE: division by zero gives inf/nan silently, as in PyTorch.
        with np.errstate(divide="ignore", invalid="ignore"):
            np.true_divide(data, y, out=data)
    else:
        _store(t, div(make(data), _detached(other))._data)
    t._version += 1
    if saved is not None:
        record(t, "DivBackward0", _div_backward, inputs, saved)
    else:
        mark_rewritten(t)
    return t


def _rounded_division(x, other, mode):
    """``x / other`` rounded toward zero or down, in the promoted dtype."""
    # The promoted dtype is mul's, found on empty stand-ins at no real cost.
    probe = np.empty(x.shape if x.ndim == 0 else (0,) * x.ndim, dtype=x.dtype)
    y = other
    if isinstance(other, TensorBase):
        y = (cython.cast(TensorBase, other))._data
        stand_in = make(np.empty(y.shape if y.ndim == 0 else (0,) * y.ndim, dtype=y.dtype))
    else:
        stand_in = other
    dtype = mul(make(probe), stand_in)._data.dtype
    xa = x.astype(dtype, copy=False)
    ya = y.astype(dtype, copy=False) if isinstance(y, np.ndarray) else y
    try:
        np.broadcast_shapes(np.shape(xa), np.shape(ya))
    except ValueError:
        # the same error (and wording) as the unrounded division
        div(make(x), other)
    if _category(dtype) != 2:
        if np.any(np.equal(ya, 0)):
            raise RuntimeError("ZeroDivisionError")
        q = np.floor_divide(xa, ya)
        if mode == "trunc":
            # floor_divide rounds down; move inexact negative quotients up
            q = q + np.logical_and(np.not_equal(np.remainder(xa, ya), 0),
                                   np.not_equal(np.less(xa, 0), np.less(ya, 0)))
            q = q.astype(dtype, copy=False)
        return q
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "trunc":
            return np.trunc(np.true_divide(xa, ya))
        return np.floor_divide(xa, ya)


def _rounded_div_backward(ctx, grad):
    # A rounded quotient is piecewise constant: its gradient is zero.
    needs = ctx.needs_input_grad
    return (_zeros_like(grad) if needs[0] else None, _zeros_like(grad) if needs[1] else None)


def pow_(input, exponent):
    """In-place ``input **= exponent``; returns ``input``.

    Example:
        >>> autograd.tensor([2., 3.]).pow_(2)
        tensor([4., 9.])
    """
    t: TensorBase = _self_arg("pow_", input)
    _check_writable("pow_", t, False)
    inputs = (t, exponent)
    scalar: cython.bint = isinstance(exponent, (int, float)) and not isinstance(exponent, bool)
    saved = None
    if _recording(t, inputs):
        saved = (_snapshot(t),) if scalar else (_snapshot(t), _operand_to_save(t, exponent))
    _store(t, pow(make(t._data), _detached(exponent))._data)
    t._version += 1
    if saved is not None:
        if scalar:
            record(t, "PowBackward0", _pow_scalar_backward, (t,), saved, False, exponent)
        else:
            record(t, "PowBackward1", _pow_backward, inputs, saved, True)
    else:
        mark_rewritten(t)
    return t


# ======================================================================
# Unary
# ======================================================================

def neg_(input):
    """In-place ``-input``; returns ``input``.

    Example:
        >>> autograd.tensor([1., -2.]).neg_()
        tensor([-1.,  2.])
    """
    t: TensorBase = _self_arg("neg_", input)
    _check_writable("neg_", t, False)
    data = t._data
    if data.dtype.kind == "b":
        neg(make(data))     # raises PyTorch's error for bool tensors
    np.negative(data, out=data)
    t._version += 1
    record(t, "NegBackward0", _neg_backward, (t,), ())
    return t


def exp_(input):
    """In-place e**x; returns ``input`` (integer tensors cannot hold the result).

    Example:
        >>> autograd.tensor([0., 1.]).exp_()
        tensor([1.0000, 2.7183])
    """
    t: TensorBase = _self_arg("exp_", input)
    _check_writable("exp_", t, False)
    data = t._data
    if data.dtype.kind == "f":
        np.exp(data, out=data)
    else:
        _store(t, exp(make(data))._data)
    t._version += 1
    record(t, "ExpBackward0", _exp_backward, (t,), (), True)
    return t


def relu_(input):
    """In-place ``max(x, 0)``; returns ``input``.

    Example:
        >>> autograd.tensor([-1., 2.]).relu_()
        tensor([0., 2.])
    """
    t: TensorBase = _self_arg("relu_", input)
    _check_writable("relu_", t, False)
    data = t._data
    if data.dtype.kind == "f":
        np.maximum(data, 0, out=data)
    else:
        _store(t, relu(make(data))._data)
    t._version += 1
    record(t, "ReluBackward0", _relu_backward, (t,), (), True)
    return t


def clamp_(input, min=None, max=None):
    """In-place ``clamp``: limit every element to ``[min, max]``; returns ``input``.

    Args:
        min, max: numbers or tensors broadcasting to ``input``; one may be None.

    Example:
        >>> autograd.tensor([-1., 0.5, 2.]).clamp_(0, 1)
        tensor([0.0000, 0.5000, 1.0000])
    """
    t: TensorBase = _self_arg("clamp_", input)
    _check_writable("clamp_", t, False)
    tensors: cython.bint = isinstance(min, TensorBase) or isinstance(max, TensorBase)
    inputs = (t, min, max)
    saved = None
    if _recording(t, inputs):
        if tensors:
            saved = (_snapshot(t), _operand_to_save(t, min), _operand_to_save(t, max))
        else:
            saved = (_snapshot(t),)
    data = t._data
    if not tensors and data.dtype.kind == "f" and (min is not None or max is not None) \
            and _is_plain_number(min) and _is_plain_number(max):
        if min is not None:
            np.maximum(data, min, out=data)
        if max is not None:
            np.minimum(data, max, out=data)
    else:
        _store(t, clamp(make(data), _detached(min), _detached(max))._data)
    t._version += 1
    if saved is not None:
        if tensors:
            record(t, "ClampBackward0", _clamp_tensor_backward, inputs, saved)
        else:
            lo = None if min is None else _number("clamp_", min, "min")
            hi = None if max is None else _number("clamp_", max, "max")
            record(t, "ClampBackward1", _clamp_backward, (t,), saved, False, (lo, hi))
    else:
        mark_rewritten(t)
    return t


@cython.cfunc
def _is_plain_number(x) -> cython.bint:
    tx = type(x)
    return x is None or tx is float or tx is int


def clip_(input, min=None, max=None):
    """Alias of ``clamp_``."""
    return clamp_(input, min, max)


# ======================================================================
# Filling and copying
# ======================================================================

def zero_(input):
    """Fill with zeros in place; returns ``input``.

    Example:
        >>> autograd.ones(2).zero_()
        tensor([0., 0.])
    """
    t: TensorBase = _self_arg("zero_", input)
    _check_writable("zero_", t, False)
    t._data.fill(0)
    t._version += 1
    record(t, "ZeroBackward0", _zero_backward, (t,), ())
    return t


def _zero_backward(ctx, grad):
    return (_zeros_like(grad),)


def fill_(input, value):
    """Fill with ``value`` (a number or a 0-d tensor) in place, cast to
    ``input``'s dtype; returns ``input``.

    Example:
        >>> autograd.zeros(2, dtype=autograd.int64).fill_(2.7)
        tensor([2, 2])
    """
    t: TensorBase = _self_arg("fill_", input)
    if isinstance(value, TensorBase):
        v = (cython.cast(TensorBase, value))._data
        if v.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{v.ndim} dimensions."
            )
        v = v[()]
    else:
        v = _number("fill_", value, "value")
    _check_writable("fill_", t, False)
    data = t._data
    try:
        with np.errstate(invalid="ignore", over="ignore"):
            data.fill(v)
    except (OverflowError, ValueError):
        raise RuntimeError(
            f"value cannot be converted to type {data.dtype.name}_t without overflow"
        ) from None
    t._version += 1
    if isinstance(value, TensorBase):
        if is_float_dtype(data.dtype):
            record(t, "FillBackward3", _copy_backward, (t, value), ())
        else:
            mark_rewritten(t)
    else:
        record(t, "FillBackward2", _zero_backward, (t,), ())
    return t


def copy_(input, src, non_blocking=False):
    """Copy ``src``'s values (broadcast to ``input``'s shape, cast to its
    dtype) into ``input``; returns ``input``.

    Example:
        >>> t = autograd.zeros(2, 2)
        >>> t.copy_(autograd.tensor([1., 2.])).tolist()
        [[1.0, 2.0], [1.0, 2.0]]
    """
    t: TensorBase = _self_arg("copy_", input)
    if not isinstance(src, TensorBase):
        raise TypeError(
            f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}"
        )
    _check_writable("copy_", t, False)
    data = t._data
    s = (cython.cast(TensorBase, src))._data
    if s.shape != data.shape:
        _check_broadcast_to(data.shape, s.shape)
    if s.dtype == data.dtype:
        np.copyto(data, s)
    else:
        # NOTE: nan and out-of-range floats cast to integers give unspecified
        # values without a warning, as in PyTorch.
        with np.errstate(invalid="ignore", over="ignore"):
            np.copyto(data, s, casting="unsafe")
    t._version += 1
    if is_float_dtype(data.dtype):
        record(t, "CopyBackwards", _copy_backward, (t, src), ())
    else:
        mark_rewritten(t)
    return t


def _copy_backward(ctx, grad):
    # The old values are gone; the source gets the gradient (the engine
    # sums it back to the source's shape and casts it to its dtype).
    needs = ctx.needs_input_grad
    return (_zeros_like(grad) if needs[0] else None, grad if needs[1] else None)


@cython.cfunc
def _check_broadcast_to(shape, src_shape):
    """PyTorch's errors for a source that does not broadcast to ``shape``."""
    n = len(shape)
    m = len(src_shape)
    k = n if n > m else m
    i: cython.Py_ssize_t
    for i in range(1, k + 1):
        a = shape[n - i] if i <= n else 1
        b = src_shape[m - i] if i <= m else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                f"non-singleton dimension {k - i}"
            )
    if tuple(np.broadcast_shapes(tuple(shape), tuple(src_shape))) != tuple(shape):
        raise RuntimeError(
            f"output with shape {format_shape(shape)} doesn't match the broadcast shape "
            f"{format_shape(np.broadcast_shapes(tuple(shape), tuple(src_shape)))}"
        )


# ======================================================================
# Indexed assignment
# ======================================================================
# ``t[key] = value`` checks and normalises the key as ``t[key]`` does
# (shape_ops._normalize_key), writes with numpy (the basic part gives a view,
# the advanced part is assigned through it; repeated integer indices: the
# last write wins), and records one node.  PyTorch names it after what it
# would run: a key that indexes nothing is a plain copy (CopyBackwards, or
# FillBackward3 for a number), a view made by ints, slices or None is
# CopySlices, else index_put_ (IndexPutBackward0).  The gradient of the old
# values is the incoming gradient zeroed where the key wrote; the value's is
# the gradient indexed by the key (each repeated index contributes, as for
# index_put_), summed back to the value's shape.

def setitem(input, key, value):
    """``input[key] = value``: basic slices, integer arrays and boolean masks;
    ``value`` is a number or a tensor broadcasting to the indexed shape.

    Example:
        >>> t = autograd.zeros(2, 3)
        >>> t[:, [0, 2]] = autograd.tensor([1., 2.])
        >>> t.tolist()
        [[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]]
    """
    t: TensorBase = _self_arg("__setitem__", input)
    if isinstance(value, TensorBase):
        v = (cython.cast(TensorBase, value))._data
    elif isinstance(value, (bool, int, float)) or (
            isinstance(value, np.generic) and value.dtype.kind in "biuf"):
        v = value.item() if isinstance(value, np.generic) else value
    else:
        raise TypeError(f"can't assign a {type(value).__name__} to a Tensor")
    data = t._data
    basic, adv, index_name = _normalize_key(data.shape, key)
    name = _setitem_node_name(data, key, adv is not None, isinstance(value, TensorBase))
    _check_writable("__setitem__", t, name == "CopySlices")
    inputs = (t, value)
    recording: cython.bint = _recording(t, inputs)
    if isinstance(v, np.ndarray) and np.may_share_memory(v, data):
        v = v.copy()
    target = data
    if adv is not None and basic is not None:
        target = data[basic]   # basic indexing: a view, written through below
    try:
        if adv is None:
            target[basic] = v
        else:
            target[adv] = v
    except (ValueError, OverflowError):
        if isinstance(v, np.ndarray):
            shape = np.shape(target[basic] if adv is None else target[adv])
            if adv is None:
                raise _expand_error(shape, v.shape) from None
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {format_shape(v.shape)} cannot be "
                f"broadcast to indexing result of shape {format_shape(shape)}"
            ) from None
        raise RuntimeError(
            f"value cannot be converted to type {data.dtype.name}_t without overflow"
        ) from None
    t._version += 1
    if recording:
        shape = None if not isinstance(value, TensorBase) else v.shape
        record(t, name, _setitem_backward, inputs, (), False,
               (data.shape, basic, adv, index_name, shape))
    else:
        mark_rewritten(t)
    return None


def _expand_error(target, shape):
    """PyTorch's error for a value that does not expand to a view's shape
    (``t[basic] = v`` is a ``copy_`` into the view)."""
    shape = tuple(shape)
    while len(shape) > 0 and shape[0] == 1:
        shape = shape[1:]
    n = len(target)
    lead = n - len(shape)
    if lead < 0:
        return RuntimeError(
            f"expand(Tensor{{{format_shape(shape)}}}, size={format_shape(target)}): the number "
            f"of sizes provided ({n}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(shape)})"
        )
    for i in range(n - 1, lead - 1, -1):
        have = shape[i - lead]
        if have != 1 and have != target[i]:
            return RuntimeError(
                f"The expanded size of the tensor ({target[i]}) must match the existing size "
                f"({have}) at non-singleton dimension {i}.  Target sizes: "
                f"{format_shape(target)}.  Tensor sizes: {format_shape(shape)}"
            )
    return RuntimeError(
        f"shape mismatch: value tensor of shape {format_shape(shape)} cannot be broadcast to "
        f"indexing result of shape {format_shape(target)}"
    )


def _setitem_node_name(data, key, advanced, tensor_value):
    """PyTorch's node for ``data[key] = value`` (see the section comment)."""
    items = key if type(key) is tuple else (key,)
    view_key = []
    for k in items:
        role, v = _classify_index(k)
        if role == "mask":
            view_key.extend([slice(None)] * v.ndim)
        elif role == "array":
            view_key.append(slice(None))
        elif role == "bool":
            view_key.append(None)
        else:
            view_key.append(v)
    view = data[tuple(view_key)]
    if not isinstance(view, np.ndarray) or view.shape != data.shape or view.strides != data.strides or (
            data.size > 0 and view.ctypes.data != data.ctypes.data):
        return "CopySlices"
    if advanced:
        return "IndexPutBackward0"
    return "CopyBackwards" if tensor_value else "FillBackward3"


def _setitem_backward(ctx, grad):
    shape, basic, adv, index_name, value_shape = ctx.attrs
    needs = ctx.needs_input_grad
    g_self = g_value = None
    if needs[0]:
        written = np.zeros(shape, dtype=np.bool_)
        if adv is None:
            written[basic] = True
        elif basic is None:
            written[adv] = True
        else:
            written[basic][adv] = True
        g_self = where(make(written), 0.0, grad)
    if needs[1]:
        g_value = _index_apply(grad, basic, adv, index_name)
        lead = len(value_shape) - g_value._data.ndim
        if lead > 0:
            # numpy (like PyTorch) drops a value's leading size-1 dims
            g_value = reshape(sum_to(g_value, value_shape[lead:]), value_shape)
    return (g_self, g_value)


# ======================================================================
# Augmented assignment operators
# ======================================================================

@cython.cfunc
def _is_operand(x) -> cython.bint:
    if isinstance(x, (TensorBase, int, float)):
        return True
    return isinstance(x, np.generic) and x.dtype.kind in "biuf"


def _iadd(input, other):
    return add_(input, other) if _is_operand(other) else NotImplemented


def _isub(input, other):
    return sub_(input, other) if _is_operand(other) else NotImplemented


def _imul(input, other):
    return mul_(input, other) if _is_operand(other) else NotImplemented


def _itruediv(input, other):
    return div_(input, other) if _is_operand(other) else NotImplemented


def _ipow(input, other):
    return pow_(input, other) if _is_operand(other) else NotImplemented


__all__ = ["relu_", "neg_", "negative_", "exp_", "zero_", "fill_", "clamp_", "clip_"]
negative_ = neg_

# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
    "add_": add_,
    "sub_": sub_,
    "subtract_": sub_,
    "mul_": mul_,
    "multiply_": mul_,
    "div_": div_,
    "divide_": div_,
    "pow_": pow_,
    "neg_": neg_,
    "negative_": neg_,
    "exp_": exp_,
    "relu_": relu_,
    "clamp_": clamp_,
    "clip_": clip_,
    "zero_": zero_,
    "fill_": fill_,
    "copy_": copy_,
    "__setitem__": setitem,
    "__iadd__": _iadd,
    "__isub__": _isub,
    "__imul__": _imul,
    "__itruediv__": _itruediv,
    "__ipow__": _ipow,
}
