"""Elementwise ops: arithmetic, unary math, comparisons, selection.

Binary ops take a tensor or a Python number on either side and broadcast as
numpy does; the engine sums each gradient back to its input's shape, so the
formulas here are written for the broadcast shape.  Type promotion follows
PyTorch: a Python number never widens a tensor's float dtype, an integer
tensor meeting a float becomes float32 (the default dtype), and a 0-d tensor
does not widen a dimensioned tensor of the same kind.

Each op's forward is followed by its backward formula (see shape_ops.py for
the formula conventions).
"""
import cython
import numpy as np

from engine.graph import register_ops
from engine.shape_ops import sum_to

if not cython.compiled:
    from engine.graph import record
    from engine.tensor import TensorBase, format_shape, is_float_dtype, make

_DEFAULT_FLOAT = np.dtype(np.float32)


# ======================================================================
# Operand handling shared by every elementwise op
# ======================================================================

def _type_name(x):
    return "Tensor" if isinstance(x, TensorBase) else type(x).__name__


@cython.cfunc
def _value(name: str, x, position: str):
    """The array (or Python number) behind one operand."""
    if isinstance(x, TensorBase):
        return (cython.cast(TensorBase, x))._data
    if isinstance(x, (float, int)):
        return x
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        return x.item()
    raise TypeError(
        f"{name}(): argument '{position}' must be Tensor or Number, not {type(x).__name__}"
    )


@cython.cfunc
def _kind_rank(dtype) -> cython.int:
    k = dtype.kind
    if k == "b":
        return 0
    if k == "f" or k == "c":
        return 2
    return 1


@cython.cfunc
def _promote(x, y):
    """Cast two arrays (or an array and a Python number) to PyTorch's result dtype."""
    xa: cython.bint = isinstance(x, np.ndarray)
    ya: cython.bint = isinstance(y, np.ndarray)
    if xa and ya:
        if x.dtype == y.dtype:
            return x, y
        rx: cython.int = _kind_rank(x.dtype)
        ry: cython.int = _kind_rank(y.dtype)
        if rx != ry:
            # the higher kind wins outright, whatever the widths
            if rx > ry:
                return x, y.astype(x.dtype)
            return x.astype(y.dtype), y
        if x.ndim == 0 and y.ndim != 0:
            return x.astype(y.dtype), y
        if y.ndim == 0 and x.ndim != 0:
            return x, y.astype(x.dtype)
        dtype = np.promote_types(x.dtype, y.dtype)
        return x.astype(dtype, copy=False), y.astype(dtype, copy=False)
    if xa:
        return _promote_scalar(x, y), y
    if ya:
        return x, _promote_scalar(y, x)
    return x, y


@cython.cfunc
def _promote_scalar(a, number):
    """An array meeting a Python number: floats keep their width, while
    integer and bool arrays meet a float as float32 and bool meets an int
    as int64."""
    k = a.dtype.kind
    if k == "f" or k == "c":
        return a
    if isinstance(number, float):
        return a.astype(_DEFAULT_FLOAT)
    if k == "b" and not isinstance(number, bool):
        return a.astype(np.int64)
    return a


def _broadcast_error(name, x, y):
    sx = np.shape(x)
    sy = np.shape(y)
    n = max(len(sx), len(sy))
    px = (1,) * (n - len(sx)) + tuple(sx)
    py = (1,) * (n - len(sy)) + tuple(sy)
    for d in range(n - 1, -1, -1):
        if px[d] != py[d] and px[d] != 1 and py[d] != 1:
            return RuntimeError(
                f"{name}: the size of tensor a ({px[d]}) must match the size of tensor b "
                f"({py[d]}) at non-singleton dimension {d} (shapes {format_shape(sx)} and "
                f"{format_shape(sy)})"
            )
    return RuntimeError(f"{name}: shapes {format_shape(sx)} and {format_shape(sy)} do not broadcast")


@cython.cfunc
def _binary(name: str, ufunc, input, other):
    """Promote, broadcast and apply ``ufunc``; return the result array."""
    x = _value(name, input, "input")
    y = _value(name, other, "other")
    x, y = _promote(x, y)
    try:
        return ufunc(x, y)
    except ValueError:
        raise _broadcast_error(name, x, y) from None


@cython.cfunc
def _float_values(t: TensorBase):
    """The values of ``t`` as floats: integer tensors become float32, as in PyTorch."""
    data = t._data
    if is_float_dtype(data.dtype):
        return data
    return data.astype(_DEFAULT_FLOAT)


def _as_tensor(name, x):
    if isinstance(x, TensorBase):
        return x
    raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")


# ======================================================================
# Arithmetic
# ======================================================================

def add(input, other, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    out = make(_binary("add", np.add, input, other))
    record(out, "AddBackward0", _add_backward, (input, other), ())
    return out


def _add_backward(ctx, grad):
    return (grad, grad)


def sub(input, other, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    out = make(_binary("sub", np.subtract, input, other))
    record(out, "SubBackward0", _sub_backward, (input, other), ())
    return out


def _sub_backward(ctx, grad):
    return (grad, neg(grad) if ctx.needs_input_grad[1] else None)


def rsub(input, other):
    """``other - input`` (the reflected ``-``)."""
    return sub(other, input)


def mul(input, other):
    """Elementwise product with broadcasting."""
    out = make(_binary("mul", np.multiply, input, other))
    record(out, "MulBackward0", _mul_backward, (input, other), (input, other))
    return out


def _mul_backward(ctx, grad):
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    return (mul(grad, b) if needs[0] else None, mul(grad, a) if needs[1] else None)


def div(input, other):
    """True division with broadcasting (integer operands give float32)."""
    x = _value("div", input, "input")
    y = _value("div", other, "other")
    if isinstance(x, np.ndarray) and not is_float_dtype(x.dtype) and not (
            isinstance(y, np.ndarray) and is_float_dtype(y.dtype)):
        x = x.astype(_DEFAULT_FLOAT)
    elif isinstance(y, np.ndarray) and not is_float_dtype(y.dtype) and not (
            isinstance(x, np.ndarray) and is_float_dtype(x.dtype)):
        y = y.astype(_DEFAULT_FLOAT)
    x, y = _promote(x, y)
    try:
        values = np.true_divide(x, y)
    except ValueError:
        raise _broadcast_error("div", x, y) from None
    out = make(values)
    record(out, "DivBackward0", _div_backward, (input, other), (input, other))
    return out


def _div_backward(ctx, grad):
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    ga = div(grad, b) if needs[0] else None
    gb = neg(div(mul(grad, a), mul(b, b))) if needs[1] else None
    return (ga, gb)


def rdiv(input, other):
    """``other / input`` (the reflected ``/``)."""
    return div(other, input)


def neg(input):
    """``-input``."""
    input = _as_tensor("neg", input)
    out = make(np.negative(input._data))
    record(out, "NegBackward0", _neg_backward, (input,), ())
    return out


def _neg_backward(ctx, grad):
    return (neg(grad),)


def pow(input, exponent):
    """``input ** exponent``; either side may be a Python number."""
    if isinstance(input, TensorBase) and isinstance(exponent, (int, float)) \
            and not isinstance(exponent, bool):
        data = (cython.cast(TensorBase, input))._data
        if not is_float_dtype(data.dtype) and isinstance(exponent, float):
            data = data.astype(_DEFAULT_FLOAT)
        out = make(_scalar_power(data, exponent))
        record(out, "PowBackward0", _pow_scalar_backward, (input,), (input,), False, exponent)
        return out
    out = make(_binary("pow", np.power, input, exponent))
    record(out, "PowBackward1", _pow_backward, (input, exponent), (input, exponent), True)
    return out


@cython.cfunc
def _scalar_power(data, exponent):
    # NOTE: numpy's general float power routine is several times slower than
    # multiplying, so small integer exponents are done as products.
    if exponent == 2:
        return data * data
    if exponent == 3:
        return data * data * data
    if exponent == 1:
        return data.copy()
    return np.power(data, exponent)


def _pow_scalar_backward(ctx, grad):
    (a,) = ctx.saved
    p = ctx.attrs
    if p == 0:
        return (mul(grad, 0.0),)
    return (mul(grad, mul(pow(a, p - 1), p)),)


def _pow_backward(ctx, grad):
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    ga = gb = None
    if needs[0]:
        # d/da a**b = b * a**(b-1)
        ga = mul(grad, mul(b, pow(a, sub(b, 1))))
    if needs[1]:
        # d/db a**b = a**b * log(a), taken as 0 where a == 0 (as PyTorch does)
        result = ctx.result
        safe_log = log(where(_eq_zero(a), 1.0, a))
        gb = mul(grad, mul(result, safe_log))
    return (ga, gb)


def rpow(input, other):
    """``other ** input`` (the reflected ``**``)."""
    return pow(other, input)


def _eq_zero(x):
    if isinstance(x, TensorBase):
        return make(np.equal((cython.cast(TensorBase, x))._data, 0))
    return make(np.asarray(x == 0))


# ======================================================================
# Unary math
# ======================================================================

def exp(input):
    """Elementwise e**x."""
    input = _as_tensor("exp", input)
    out = make(np.exp(_float_values(input)))
    record(out, "ExpBackward0", _exp_backward, (input,), (), True)
    return out


def _exp_backward(ctx, grad):
    return (mul(grad, ctx.result),)


def log(input):
    """Elementwise natural logarithm."""
    input = _as_tensor("log", input)
    out = make(np.log(_float_values(input)))
    record(out, "LogBackward0", _log_backward, (input,), (input,))
    return out


def _log_backward(ctx, grad):
    (a,) = ctx.saved
    return (div(grad, a),)


def tanh(input):
    """Elementwise hyperbolic tangent."""
    input = _as_tensor("tanh", input)
    out = make(np.tanh(_float_values(input)))
    record(out, "TanhBackward0", _tanh_backward, (input,), (), True)
    return out


def _tanh_backward(ctx, grad):
    y = ctx.result
    return (mul(grad, rsub(mul(y, y), 1.0)),)


# ======================================================================
# Casts and selection
# ======================================================================

def to_dtype(input, dtype):
    """Cast to a numpy dtype; a float-to-float cast stays differentiable."""
    dtype = np.dtype(dtype)
    if input._data.dtype == dtype:
        return input
    out = make(input._data.astype(dtype))
    if is_float_dtype(dtype):
        record(out, "ToCopyBackward0", _to_dtype_backward, (input,), ())
    return out


def _to_dtype_backward(ctx, grad):
    # the engine casts a gradient back to its input's dtype
    return (grad,)


def where(condition, input, other):
    """Pick ``input`` where ``condition`` holds and ``other`` elsewhere."""
    if not isinstance(condition, TensorBase):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}")
    cond = (cython.cast(TensorBase, condition))._data
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype}")
    x = _value("where", input, "input")
    y = _value("where", other, "other")
    x, y = _promote(x, y)
    try:
        values = np.where(cond, x, y)
    except ValueError:
        raise RuntimeError(
            f"where: shapes {format_shape(np.shape(cond))}, {format_shape(np.shape(x))} and "
            f"{format_shape(np.shape(y))} do not broadcast"
        ) from None
    out = make(values)
    record(out, "WhereBackward0", _where_backward, (input, other), (condition,))
    return out


def _where_backward(ctx, grad):
    (condition,) = ctx.saved
    needs = ctx.needs_input_grad
    ga = where(condition, grad, 0.0) if needs[0] else None
    gb = where(condition, 0.0, grad) if needs[1] else None
    return (ga, gb)


register_ops(add=add, to_dtype=to_dtype)

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "tanh", "where"]
# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
    "add": add,
    "sub": sub,
    "mul": mul,
    "div": div,
    "neg": neg,
    "pow": pow,
    "exp": exp,
    "log": log,
    "tanh": tanh,
}
