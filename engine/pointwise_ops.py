"""Elementwise ops: arithmetic, unary math, comparisons, selection.

Binary ops take a tensor or a Python number on either side and broadcast as
numpy does; the engine sums each gradient back to its input's shape, so the
formulas here are written for the broadcast shape.  Type promotion follows
PyTorch (``torch.result_type``): dimensioned tensors decide the dtype; a 0-d
tensor, then a Python number, only counts when it is of a higher category
(bool < integer < float), and a Python float counts as float32, the default
dtype.  So a float32 tensor times a float64 0-d tensor stays float32, and an
integer tensor times 2.5 is float32.  Float functions (exp, sqrt, ...) of
integer tensors are float32 too.

Each op's forward is followed by its backward formula (see shape_ops.py for
the formula conventions).  Masks a formula needs (which side of a kink an
element is on) are built from the saved values with numpy: they are
constants, so higher derivatives through them are still right.
"""
import cython
import numpy as np
from cython.parallel import prange

from engine.graph import register_ops

if not cython.compiled:
    from engine.graph import record, same_shape
    from engine.tensor import TensorBase, format_shape, is_float_dtype, make

_DEFAULT_FLOAT = np.dtype(np.float32)
_BOOL = np.dtype(np.bool_)
_INT64 = np.dtype(np.int64)

# PyTorch's names for dtypes, used in its error messages.
_TORCH_DTYPE_NAMES = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
}


def _torch_dtype_name(dtype):
    return _TORCH_DTYPE_NAMES.get(dtype.name, dtype.name)


# ======================================================================
# Operand handling shared by every elementwise op
# ======================================================================

@cython.cfunc
def _value(name: str, x, position: str):
    """The array (or Python number) behind one operand."""
    if isinstance(x, TensorBase):
        return (cython.cast(TensorBase, x))._data
    # NumPy scalars first: np.float64 subclasses float, and left as it is it
    # would promote a float32 tensor to float64 (PyTorch treats it as a number).
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        return x.item()
    if isinstance(x, (float, int)):
        return x
    raise TypeError(
        f"{name}(): argument '{position}' must be Tensor or Number, not {type(x).__name__}"
    )


@cython.cfunc
def _is_operand(x) -> cython.bint:
    """Can ``x`` stand on the other side of an operator (else NotImplemented)?"""
    if isinstance(x, (TensorBase, int, float)):
        return True
    return isinstance(x, np.generic) and x.dtype.kind in "biuf"


@cython.cfunc
def _category(dtype) -> cython.int:
    k = dtype.kind
    if k == "b":
        return 0
    if k == "f" or k == "c":
        return 2
    return 1


@cython.cfunc
def _promote_types(a, b):
    """PyTorch's promote_types: a higher category wins outright (int64 with
    float16 is float16, where numpy would say float64)."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    ca: cython.int = _category(a)
    cb: cython.int = _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


@cython.cfunc
def _combine(higher, lower):
    """Let a lower-priority group's dtype count only if its category is higher."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch: cython.int = _category(higher)
    cl: cython.int = _category(lower)
    if cl > ch:
        return _promote_types(higher, lower)
    return higher


@cython.cfunc
def _number_dtype(x):
    if isinstance(x, bool):
        return _BOOL
    if isinstance(x, int):
        return _INT64
    return _DEFAULT_FLOAT


@cython.cfunc
def _result_type(values: tuple):
    """The dtype of an op on ``values`` (arrays, Python numbers or None)."""
    dims = None
    zero_dims = None
    numbers = None
    for v in values:
        if v is None:
            continue
        if isinstance(v, np.ndarray):
            if v.ndim == 0:
                zero_dims = _promote_types(zero_dims, v.dtype)
            else:
                dims = _promote_types(dims, v.dtype)
        else:
            numbers = _promote_types(numbers, _number_dtype(v))
    return _combine(dims, _combine(zero_dims, numbers))


@cython.cfunc
def _cast(x, dtype):
    # A Python number is left as is: numpy treats it as weakly typed, so it
    # takes the array's (already promoted) dtype.
    if isinstance(x, np.ndarray) and x.dtype != dtype:
        return x.astype(dtype)
    return x


@cython.cfunc
def _promote(x, y):
    """Cast two operands (arrays or numbers) to PyTorch's result dtype."""
    if isinstance(x, np.ndarray):
        if isinstance(y, np.ndarray):
            if x.dtype == y.dtype:
                return x, y
        elif _category(x.dtype) == 2 or isinstance(y, bool) or (
                isinstance(y, int) and _category(x.dtype) == 1):
            # the common cases: a float tensor and a number, an integer
            # tensor and an int
            return x, y
    elif not isinstance(y, np.ndarray):
        # two Python numbers (where, clamp): PyTorch makes a default-dtype tensor
        dtype = _result_type((x, y))
        return np.asarray(x, dtype), np.asarray(y, dtype)
    dtype = _result_type((x, y))
    return _cast(x, dtype), _cast(y, dtype)


def _broadcast_error(name, *operands):
    shapes = [tuple(np.shape(x)) for x in operands]
    n = max([len(s) for s in shapes])
    padded = [(1,) * (n - len(s)) + s for s in shapes]
    for d in range(n - 1, -1, -1):
        sizes = [p[d] for p in padded if p[d] != 1]
        for s in sizes:
            if s != sizes[0]:
                return RuntimeError(
                    f"{name}: the size of tensor a ({sizes[0]}) must match the size of tensor b "
                    f"({s}) at non-singleton dimension {d} (shapes "
                    f"{', '.join([format_shape(s) for s in shapes])})"
                )
    return RuntimeError(
        f"{name}: shapes {', '.join([format_shape(s) for s in shapes])} do not broadcast"
    )


@cython.cfunc
def _operands(name: str, input, other):
    """Both operands as promoted arrays/numbers; at least one must be a tensor."""
    x = _value(name, input, "input")
    y = _value(name, other, "other")
    if not isinstance(input, TensorBase) and not isinstance(other, TensorBase):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    return _promote(x, y)


@cython.cfunc
def _apply(name: str, ufunc, x, y):
    try:
        return ufunc(x, y)
    except ValueError:
        raise _broadcast_error(name, x, y) from None
    except OverflowError as e:
        # a Python int out of range for an integer tensor's dtype
        raise RuntimeError(f"{name}: {e}") from None


@cython.cfunc
def _binary(name: str, ufunc, input, other):
    """Promote, broadcast and apply ``ufunc``; return the result array."""
    x, y = _operands(name, input, other)
    return _apply(name, ufunc, x, y)


def _as_tensor(name, x, position="input"):
    if isinstance(x, TensorBase):
        return x
    raise TypeError(f"{name}(): argument '{position}' must be Tensor, not {type(x).__name__}")


@cython.cfunc
def _float_values(t: TensorBase):
    """The values of ``t`` as floats: integer tensors become float32, as in PyTorch."""
    data = t._data
    if is_float_dtype(data.dtype):
        return data
    return data.astype(_DEFAULT_FLOAT)


@cython.cfunc
def _is_bool(x) -> cython.bint:
    return isinstance(x, bool) or (isinstance(x, np.ndarray) and x.dtype == _BOOL)


# ======================================================================
# Compiled fast paths
# ======================================================================
# NOTE: numpy spends about 1 us dispatching a ufunc however small its
# operands, more than the arithmetic on a 16-element tensor costs.  So the
# compiled engine handles the common cases itself: C-contiguous, aligned,
# native float32 or float64 arrays of one shape, a tensor and a Python
# number, or (below the parallel size) a matrix and one row broadcast along
# it.  The output comes from the NumPy C API and a C loop fills it; each
# loop does exactly the float32 (or float64) operations numpy would, in the
# same order (a number is first rounded to the tensor's dtype, as numpy's weak
# scalars are), so results are bit for bit the general path's.  exp, log,
# sqrt, tanh, sin and cos call numpy's own inner loop for the dtype: libm
# rounds differently in the last bit.  Everything else (broadcasting,
# strides, other dtypes, promotion) takes the numpy path, which is also the
# pure-Python engine's only path: these functions are never reached there.
#
# Large arrays are split into chunks run on every core with the GIL
# released.  Elementwise results do not depend on the split (numpy's loops
# included: the tests compare large arrays with numpy bit for bit).  Chunks
# are handed out dynamically: on a busy machine the calling thread goes on
# working instead of waiting for a descheduled helper to do its half.

# elements; below this waking a thread team costs more than it saves (the
# team sleeps between regions, see engine/__init__.py)
_PARALLEL_MIN = 262144
_CHUNK = 16384
# One thread unless the user asks for more: on two busy cores a parallel
# region waits for its second thread to be scheduled, and libgomp's idle
# threads spin beside OpenBLAS's.  Measured here under load, Q on 4,000,000
# elements took 43-49 ms forward with two threads and 25 ms with one.
_num_threads = 1


def set_num_threads(n):
    """Use ``n`` threads for the elementwise loops on large arrays (default 1).

    Example:
        >>> autograd.set_num_threads(2)
    """
    global _num_threads
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    _num_threads = n


def get_num_threads():
    """The thread count ``set_num_threads`` set (1 by default)."""
    return _num_threads


@cython.cfunc
def _fast_kind(x) -> cython.int:
    """0, or 1 for an array the fast loops take as float32, 2 as float64
    (C-contiguous, aligned, native).  reduce_ops' loops take the same."""
    if not cnp.PyArray_CheckExact(x):
        return 0
    a: cnp.ndarray = cython.cast(cnp.ndarray, x)
    want: cython.int = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED
    if (cnp.PyArray_FLAGS(a) & want) != want or not cnp.PyArray_ISNOTSWAPPED(a):
        return 0
    t: cython.int = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return 1
    if t == cnp.NPY_FLOAT64:
        return 2
    return 0


@cython.cfunc
def _as_number(x, kind: cython.int, out: cython.p_double) -> cython.bint:
    """Store a Python float or int as the fast loops use it (rounded to
    float32 for ``kind`` 1); False where numpy would do more (a huge int, a
    float32 overflow, which numpy warns about) or ``x`` is another type."""
    d: cython.double
    overflow: cython.int = 0
    v: cython.longlong
    if type(x) is float:
        d = x
    elif type(x) is int:
        v = PyLong_AsLongLongAndOverflow(x, cython.address(overflow))
        # beyond 2**53 an int is not exact as a double: rounding it twice
        # could differ from numpy's single rounding
        if overflow != 0 or v > 9007199254740992 or v < -9007199254740992:
            return False
        d = cython.cast(cython.double, v)
    else:
        return False
    if kind == 1:
        f: cython.float = cython.cast(cython.float, d)
        if isinf(f) and not isinf(d):
            return False
        d = f
    out[0] = d
    return True


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.cdivision(True)
def _loop(op: cython.int, lo: cython.Py_ssize_t, hi: cython.Py_ssize_t,
          out: cython.pointer(cython.floating), a: cython.pointer(cython.floating),
          b: cython.pointer(cython.floating), s: cython.floating) -> cython.void:
    """``out[i] = op(a[i], b[i] or s)`` for ``lo <= i < hi``.  Constants are
    typed locals: a C literal would make float32 arithmetic double."""
    i: cython.Py_ssize_t
    v: cython.floating
    e: cython.floating
    w: cython.floating
    zero: cython.floating = 0
    one: cython.floating = 1
    two: cython.floating = 2
    three: cython.floating = 3
    args: cython.p_char[2]
    steps: cnp.npy_intp[2]
    n: cnp.npy_intp
    k: cython.int
    width: cnp.npy_intp = cython.sizeof(v)
    if op >= _EXP:
        # numpy's inner loop over [lo, hi), then (sigmoid) the rest
        args[0] = cython.cast(cython.p_char, a + lo)
        args[1] = cython.cast(cython.p_char, out + lo)
        steps[0] = steps[1] = width
        n = hi - lo
        k = 0 if cython.floating is cython.float else 1
        _np_loops[op - _EXP][k](args, cython.address(n), steps, _np_loop_data[op - _EXP][k])
    elif op == _ADD_VV:
        for i in range(lo, hi):
            out[i] = a[i] + b[i]
    elif op == _SUB_VV:
        for i in range(lo, hi):
            out[i] = a[i] - b[i]
    elif op == _MUL_VV:
        for i in range(lo, hi):
            out[i] = a[i] * b[i]
    elif op == _DIV_VV:
        for i in range(lo, hi):
            out[i] = a[i] / b[i]
    elif op == _ADD_VS:
        for i in range(lo, hi):
            out[i] = a[i] + s
    elif op == _SUB_VS:
        for i in range(lo, hi):
            out[i] = a[i] - s
    elif op == _MUL_VS:
        for i in range(lo, hi):
            out[i] = a[i] * s
    elif op == _DIV_VS:
        for i in range(lo, hi):
            out[i] = a[i] / s
    elif op == _SUB_SV:
        for i in range(lo, hi):
            out[i] = s - a[i]
    elif op == _DIV_SV:
        for i in range(lo, hi):
            out[i] = s / a[i]
    elif op == _NEG:
        for i in range(lo, hi):
            out[i] = -a[i]
    elif op == _SQUARE:
        for i in range(lo, hi):
            out[i] = a[i] * a[i]
    elif op == _CUBE:
        for i in range(lo, hi):
            out[i] = a[i] * a[i] * a[i]
    elif op == _RECIPROCAL:
        for i in range(lo, hi):
            out[i] = one / a[i]
    elif op == _RELU:
        # np.maximum(x, 0): nan stays nan, -0.0 becomes 0.0
        for i in range(lo, hi):
            v = a[i]
            out[i] = v if (v > zero or v != v) else zero
    elif op == _SIGMOID:
        # the general path's e = exp(-|x|); x >= 0 ? 1 / (1 + e) : e / (1 + e)
        for i in range(lo, hi):
            v = -fabs(a[i])
            out[i] = v
        args[0] = cython.cast(cython.p_char, out + lo)
        args[1] = cython.cast(cython.p_char, out + lo)
        steps[0] = steps[1] = width
        n = hi - lo
        k = 0 if cython.floating is cython.float else 1
        _np_loops[0][k](args, cython.address(n), steps, _np_loop_data[0][k])
        # both quotients computed, then one picked: a loop without branches
        # or conditional loads vectorises
        for i in range(lo, hi):
            e = out[i]
            v = one + e
            w = a[i]
            out[i] = one / v if w >= zero else e / v
    elif op == _TANH_GRAD:
        # grad * (1 - y * y)
        for i in range(lo, hi):
            out[i] = a[i] * (one - b[i] * b[i])
    elif op == _SIGMOID_GRAD:
        # grad * (y * (1 - y))
        for i in range(lo, hi):
            out[i] = a[i] * (b[i] * (one - b[i]))
    elif op == _RELU_GRAD:
        # where(y <= 0, 0, grad)
        # a[i] is loaded unconditionally so that the select vectorises
        for i in range(lo, hi):
            v = a[i]
            out[i] = zero if b[i] <= zero else v
    elif op == _POW2_GRAD:
        # grad * (x * 2)
        for i in range(lo, hi):
            out[i] = a[i] * (b[i] * two)
    elif op == _POW3_GRAD:
        # grad * ((x * x) * 3)
        for i in range(lo, hi):
            out[i] = a[i] * ((b[i] * b[i]) * three)


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _loop_kind(op: cython.int, kind: cython.int, lo: cython.Py_ssize_t, hi: cython.Py_ssize_t,
               out: cython.p_char, a: cython.p_char, b: cython.p_char,
               s: cython.double) -> cython.void:
    if kind == 1:
        _loop(op, lo, hi, cython.cast(cython.p_float, out), cython.cast(cython.p_float, a),
              cython.cast(cython.p_float, b), cython.cast(cython.float, s))
    else:
        _loop(op, lo, hi, cython.cast(cython.p_double, out), cython.cast(cython.p_double, a),
              cython.cast(cython.p_double, b), s)


@cython.cfunc
def _launch(op: cython.int, kind: cython.int, x_array, y, s: cython.double):
    """A new array shaped like ``x_array`` holding ``op`` of it and ``y`` (an
    array of its shape and kind, or None) or the number ``s``; both arrays
    are ones _fast_kind accepted."""
    x: cnp.ndarray = cython.cast(cnp.ndarray, x_array)
    result: cnp.ndarray = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(x), cnp.PyArray_DIMS(x),
                                           cnp.NPY_FLOAT32 if kind == 1 else cnp.NPY_FLOAT64, 0)
    n: cython.Py_ssize_t = cnp.PyArray_SIZE(x)
    out: cython.p_char = cython.cast(cython.p_char, cnp.PyArray_DATA(result))
    a: cython.p_char = cython.cast(cython.p_char, cnp.PyArray_DATA(x))
    b: cython.p_char = cython.NULL
    if y is not None:
        b = cython.cast(cython.p_char, cnp.PyArray_DATA(cython.cast(cnp.ndarray, y)))
    if n < _PARALLEL_MIN or _num_threads <= 1:
        _loop_kind(op, kind, 0, n, out, a, b, s)
        return result
    chunks: cython.Py_ssize_t = (n + _CHUNK - 1) // _CHUNK
    k: cython.Py_ssize_t
    lo: cython.Py_ssize_t
    hi: cython.Py_ssize_t
    threads: cython.int = _num_threads
    with cython.nogil:
        for k in prange(chunks, schedule="dynamic", num_threads=threads):
            lo = k * _CHUNK
            hi = lo + _CHUNK
            if hi > n:
                hi = n
            _loop_kind(op, kind, lo, hi, out, a, b, s)
    return result


@cython.cfunc
def _is_row_of(row, x) -> cython.bint:
    """Is ``row`` (checked by _fast_kind) one row that broadcasts along the
    leading dimensions of the smaller-than-parallel array ``x``: shape (m,)
    or (1, ..., 1, m), where ``x`` is (..., m) with more elements?  That is
    ``x @ w + b``; numpy steps its iterator once per row there."""
    a: cnp.ndarray = cython.cast(cnp.ndarray, x)
    b: cnp.ndarray = cython.cast(cnp.ndarray, row)
    nx: cython.int = cnp.PyArray_NDIM(a)
    nb: cython.int = cnp.PyArray_NDIM(b)
    if nb == 0 or nb > nx or cnp.PyArray_SIZE(a) >= _PARALLEL_MIN \
            or cnp.PyArray_DIMS(b)[nb - 1] != cnp.PyArray_DIMS(a)[nx - 1] \
            or cnp.PyArray_SIZE(b) == cnp.PyArray_SIZE(a):
        return False
    i: cython.int
    for i in range(nb - 1):
        if cnp.PyArray_DIMS(b)[i] != 1:
            return False
    return True


@cython.cfunc
def _launch_rows(op: cython.int, kind: cython.int, x_array, row, out_array):
    """``op`` (_ADD_VV .. _DIV_VV) of each row of ``x_array`` and ``row``
    (see _is_row_of), into ``out_array`` (which may be ``x_array``) or, if
    None, a new array."""
    x: cnp.ndarray = cython.cast(cnp.ndarray, x_array)
    result: cnp.ndarray
    if out_array is None:
        result = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(x), cnp.PyArray_DIMS(x),
                                   cnp.NPY_FLOAT32 if kind == 1 else cnp.NPY_FLOAT64, 0)
    else:
        result = cython.cast(cnp.ndarray, out_array)
    m: cython.Py_ssize_t = cnp.PyArray_DIMS(x)[cnp.PyArray_NDIM(x) - 1]
    if m == 0:
        return result
    rows: cython.Py_ssize_t = cnp.PyArray_SIZE(x) // m
    out: cython.p_char = cython.cast(cython.p_char, cnp.PyArray_DATA(result))
    a: cython.p_char = cython.cast(cython.p_char, cnp.PyArray_DATA(x))
    b: cython.p_char = cython.cast(cython.p_char, cnp.PyArray_DATA(cython.cast(cnp.ndarray, row)))
    if kind == 1:
        _row_loop(op, rows, m, cython.cast(cython.p_float, out), cython.cast(cython.p_float, a),
                  cython.cast(cython.p_float, b))
    else:
        _row_loop(op, rows, m, cython.cast(cython.p_double, out),
                  cython.cast(cython.p_double, a), cython.cast(cython.p_double, b))
    return result


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _row_loop(op: cython.int, rows: cython.Py_ssize_t, m: cython.Py_ssize_t,
              out: cython.pointer(cython.floating), a: cython.pointer(cython.floating),
              b: cython.pointer(cython.floating)) -> cython.void:
    """``out[r, j] = op(a[r, j], b[j])`` for the four arithmetic ``_VV`` ops."""
    r: cython.Py_ssize_t
    j: cython.Py_ssize_t
    o: cython.pointer(cython.floating)
    x: cython.pointer(cython.floating)
    for r in range(rows):
        o = out + r * m
        x = a + r * m
        if op == _ADD_VV:
            for j in range(m):
                o[j] = x[j] + b[j]
        elif op == _SUB_VV:
            for j in range(m):
                o[j] = x[j] - b[j]
        elif op == _MUL_VV:
            for j in range(m):
                o[j] = x[j] * b[j]
        else:
            for j in range(m):
                o[j] = x[j] / b[j]


def add_in_place(values, other):
    """``values += other`` for two arrays, ``other`` broadcasting to
    ``values``: by the fast loop when both are small float arrays of one
    shape (a gradient summed into another) or ``other`` is one row of a
    small float matrix (a linear layer's bias), else by numpy."""
    if cython.compiled:
        kind: cython.int = _fast_kind(values)
        if kind != 0 and _fast_kind(other) == kind \
                and cnp.PyArray_ISWRITEABLE(cython.cast(cnp.ndarray, values)):
            data: cython.p_char = cython.cast(
                cython.p_char, cnp.PyArray_DATA(cython.cast(cnp.ndarray, values)))
            n: cython.Py_ssize_t = cnp.PyArray_SIZE(cython.cast(cnp.ndarray, values))
            if same_shape(values, other) and n < _PARALLEL_MIN:
                _loop_kind(_ADD_VV, kind, 0, n, data, data, cython.cast(
                    cython.p_char, cnp.PyArray_DATA(cython.cast(cnp.ndarray, other))), 0.0)
                return
            if _is_row_of(other, values):
                _launch_rows(_ADD_VV, kind, values, other, values)
                return
    np.add(values, other, out=values)


def add_arrays(x, y):
    """``x + y`` for two arrays: by the fast loop when they are float arrays
    of one shape and kind (gradients summed by the traversal), else numpy."""
    if cython.compiled:
        kind: cython.int = _fast_kind(x)
        if kind != 0 and _fast_kind(y) == kind and same_shape(x, y):
            return _launch(_ADD_VV, kind, x, y, 0.0)
    return x + y


@cython.cfunc
@cython.inline
def _has_loop(op: cython.int, kind: cython.int) -> cython.bint:
    """Did numpy give us its loop for this op and kind?"""
    return _np_loops[op - _EXP][kind - 1] != cython.NULL


@cython.cfunc
def _fast_unary(op: cython.int, input):
    """``op`` of a tensor's values by a fast loop, or None for the general path."""
    if not isinstance(input, TensorBase):
        return None
    x = (cython.cast(TensorBase, input))._data
    kind: cython.int = _fast_kind(x)
    if kind == 0:
        return None
    if op >= _EXP and not _has_loop(op, kind) or op == _SIGMOID and not _has_loop(_EXP, kind):
        return None
    return _launch(op, kind, x, None, 0.0)


@cython.cfunc
def _fast_binary(vv: cython.int, vs: cython.int, sv: cython.int, input, other):
    """``input op other`` by a fast loop (``vv``: two tensors, ``vs``:
    tensor and number, ``sv``: number and tensor), or None for the general
    path.  A tensor that is one number broadcast by zero strides (a
    reduction's gradient) counts as that number."""
    s: cython.double = 0.0
    kind: cython.int
    if isinstance(input, TensorBase):
        x = (cython.cast(TensorBase, input))._data
        kind = _fast_kind(x)
        if not isinstance(other, TensorBase):
            if kind == 0 or not _as_number(other, kind, cython.address(s)):
                return None
            return _launch(vs, kind, x, None, s)
        y = (cython.cast(TensorBase, other))._data
        if kind != 0:
            if _fast_kind(y) == kind:
                if same_shape(x, y):
                    return _launch(vv, kind, x, y, 0.0)
                if vv <= _DIV_VV and _is_row_of(y, x):     # the four arithmetic ops
                    return _launch_rows(vv, kind, x, y, None)
                return None
            if same_shape(x, y) and _repeated_value(y, kind, cython.address(s)):
                return _launch(vs, kind, x, None, s)
            return None
        kind = _fast_kind(y)
        if kind != 0 and same_shape(x, y) and _repeated_value(x, kind, cython.address(s)):
            return _launch(sv, kind, y, None, s)
        return None
    if isinstance(other, TensorBase):
        y = (cython.cast(TensorBase, other))._data
        kind = _fast_kind(y)
        if kind == 0 or not _as_number(input, kind, cython.address(s)):
            return None
        return _launch(sv, kind, y, None, s)
    return None


@cython.cfunc
def _repeated_value(x, kind: cython.int, out: cython.p_double) -> cython.bint:
    """Is ``x`` one number repeated by zero strides (what a reduction's
    backward broadcasts), of the fast loops' ``kind``?  Then store it: the
    elementwise op takes it as a number, with the bits numpy would use."""
    if not cnp.PyArray_CheckExact(x):
        return False
    a: cnp.ndarray = cython.cast(cnp.ndarray, x)
    if not cnp.PyArray_ISALIGNED(a) or not cnp.PyArray_ISNOTSWAPPED(a) \
            or cnp.PyArray_SIZE(a) == 0:
        return False
    t: cython.int = cnp.PyArray_TYPE(a)
    if not (t == cnp.NPY_FLOAT32 and kind == 1 or t == cnp.NPY_FLOAT64 and kind == 2):
        return False
    i: cython.int
    for i in range(cnp.PyArray_NDIM(a)):
        if cnp.PyArray_STRIDES(a)[i] != 0 and cnp.PyArray_DIMS(a)[i] != 1:
            return False
    if kind == 1:
        out[0] = (cython.cast(cython.p_float, cnp.PyArray_DATA(a)))[0]
    else:
        out[0] = (cython.cast(cython.p_double, cnp.PyArray_DATA(a)))[0]
    return True


@cython.cfunc
def _fast_grad(op: cython.int, grad, saved):
    """A fused backward formula ``op(grad, saved)`` by one loop, or None.

    Only with grad mode off (``create_graph=False``): otherwise the formula
    must build its graph from engine ops."""
    if is_grad_enabled() or not isinstance(grad, TensorBase) \
            or not isinstance(saved, TensorBase):
        return None
    g = (cython.cast(TensorBase, grad))._data
    y = (cython.cast(TensorBase, saved))._data
    kind: cython.int = _fast_kind(y)
    if kind == 0 or not same_shape(g, y):
        return None
    if _fast_kind(g) != kind:
        # a reduction's gradient is one number broadcast by zero strides:
        # a contiguous copy costs less than the general formula
        if not cnp.PyArray_CheckExact(g) or cnp.PyArray_TYPE(cython.cast(cnp.ndarray, g)) \
                != cnp.PyArray_TYPE(cython.cast(cnp.ndarray, y)):
            return None
        g = np.ascontiguousarray(g)
        if _fast_kind(g) != kind:
            return None
    return _launch(op, kind, g, y, 0.0)


@cython.cfunc
def _find_loops() -> cython.void:
    """Find numpy's float32 and float64 inner loops of exp, log, ..."""
    ufuncs = (np.exp, np.log, np.sqrt, np.tanh, np.sin, np.cos)
    i: cython.int
    j: cython.int
    k: cython.int
    for i in range(_OP_COUNT - _EXP):
        uf: cnp.ufunc = ufuncs[i]
        for k in range(2):
            _np_loops[i][k] = cython.NULL
            _np_loop_data[i][k] = cython.NULL
            code: cython.char = cnp.NPY_FLOAT32 if k == 0 else cnp.NPY_FLOAT64
            # numpy picks the first loop whose types match; so do we
            for j in range(uf.ntypes):
                if uf.nin == 1 and uf.nout == 1 and uf.types[2 * j] == code \
                        and uf.types[2 * j + 1] == code:
                    _np_loops[i][k] = cython.cast(_inner_loop, uf.functions[j])
                    _np_loop_data[i][k] = uf.data[j]
                    break


if cython.compiled:
    cnp.import_array()
    _find_loops()


# ======================================================================
# Arithmetic
# ======================================================================

@cython.cfunc
def _scaled(name: str, y, alpha, x):
    """``alpha * y`` for add/sub (``x``, the other promoted operand, gives
    the dtype), refusing a float alpha on integer operands."""
    dtype = y.dtype if isinstance(y, np.ndarray) else x.dtype
    if _category(dtype) != 2 and isinstance(alpha, float):
        raise RuntimeError(
            f"{name}: For integral input tensors, argument alpha must not be a floating point "
            "number."
        )
    if not isinstance(y, np.ndarray):
        # keep a number a Python number (a numpy scalar would be strongly typed)
        return y * alpha
    return _apply(name, np.multiply, y, alpha)


def add(input, other, alpha=1):
    """``input + alpha * other`` with broadcasting.

    Args:
        input, other: tensors or Python numbers (at least one a tensor).
        alpha: a number multiplying ``other``.

    Example:
        >>> autograd.add(autograd.tensor([1., 2.]), 3.)
        tensor([4., 5.])
    """
    values = None
    if cython.compiled and type(alpha) is int and alpha == 1:
        values = _fast_binary(_ADD_VV, _ADD_VS, _ADD_VS, input, other)
    if values is None:
        x, y = _operands("add", input, other)
        if alpha != 1:
            y = _scaled("add", y, alpha, x)
        values = _apply("add", np.add, x, y)
    out = make(values)
    record(out, "AddBackward0", _add_backward, (input, other), (), False, alpha)
    return out


def _add_backward(ctx, grad):
    alpha = ctx.attrs
    gb = None
    if ctx.needs_input_grad[1]:
        gb = grad if alpha == 1 else mul(grad, alpha)
    return (grad, gb)


@cython.cfunc
def _check_bool_sub(name: str, x, y):
    if _is_bool(x) and _is_bool(y):
        raise RuntimeError(
            f"{name}: Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )


def sub(input, other, alpha=1):
    """``input - alpha * other`` with broadcasting.

    Example:
        >>> autograd.tensor([3., 4.]) - 1
        tensor([2., 3.])
    """
    values = None
    if cython.compiled and type(alpha) is int and alpha == 1:
        values = _fast_binary(_SUB_VV, _SUB_VS, _SUB_SV, input, other)
    if values is None:
        x, y = _operands("sub", input, other)
        _check_bool_sub("sub", x, y)
        if alpha != 1:
            y = _scaled("sub", y, alpha, x)
        values = _apply("sub", np.subtract, x, y)
    out = make(values)
    record(out, "SubBackward0", _sub_backward, (input, other), (), False, alpha)
    return out


def _sub_backward(ctx, grad):
    alpha = ctx.attrs
    gb = None
    if ctx.needs_input_grad[1]:
        gb = neg(grad) if alpha == 1 else mul(grad, -alpha)
    return (grad, gb)


def rsub(input, other, alpha=1):
    """``other - alpha * input`` (the reflected ``-``).

    Example:
        >>> 1 - autograd.tensor([3., 4.])
        tensor([-2., -3.])
    """
    values = None
    if cython.compiled and type(alpha) is int and alpha == 1:
        values = _fast_binary(_SUB_VV, _SUB_VS, _SUB_SV, other, input)
    if values is None:
        x, y = _operands("rsub", input, other)
        _check_bool_sub("rsub", x, y)
        if alpha != 1:
            x = _scaled("rsub", x, alpha, y)
        values = _apply("rsub", np.subtract, y, x)
    out = make(values)
    # PyTorch names the node by whether ``other`` was a number.
    node = "RsubBackward0" if isinstance(other, TensorBase) else "RsubBackward1"
    record(out, node, _rsub_backward, (input, other), (), False, alpha)
    return out


def _rsub_backward(ctx, grad):
    alpha = ctx.attrs
    ga = None
    if ctx.needs_input_grad[0]:
        ga = neg(grad) if alpha == 1 else mul(grad, -alpha)
    return (ga, grad)


def mul(input, other):
    """Elementwise product with broadcasting.

    Example:
        >>> autograd.tensor([1., 2.]) * autograd.tensor([3., 4.])
        tensor([3., 8.])
    """
    values = _fast_binary(_MUL_VV, _MUL_VS, _MUL_VS, input, other) if cython.compiled else None
    if values is None:
        values = _binary("mul", np.multiply, input, other)
    out = make(values)
    record(out, "MulBackward0", _mul_backward, (input, other), (input, other))
    return out


def _mul_backward(ctx, grad):
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    return (mul(grad, b) if needs[0] else None, mul(grad, a) if needs[1] else None)


def div(input, other):
    """True division with broadcasting (integer operands give float32).

    Example:
        >>> autograd.tensor([1, 2]) / 2
        tensor([0.5000, 1.0000])
    """
    values = _fast_binary(_DIV_VV, _DIV_VS, _DIV_SV, input, other) if cython.compiled else None
    if values is None:
        values = _general_div(input, other)
    out = make(values)
    record(out, "DivBackward0", _div_backward, (input, other), (input, other))
    return out


def _general_div(input, other):
    x, y = _operands("div", input, other)
    xa: cython.bint = isinstance(x, np.ndarray)
    if _category(x.dtype if xa else y.dtype) != 2:
        x = _cast(x, _DEFAULT_FLOAT)
        y = _cast(y, _DEFAULT_FLOAT)
    # NOTE: division by zero gives inf/nan silently, as in PyTorch.
    with np.errstate(divide="ignore", invalid="ignore"):
        return _apply("div", np.true_divide, x, y)


def _div_backward(ctx, grad):
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    ga = div(grad, b) if needs[0] else None
    gb = neg(div(mul(grad, a), mul(b, b))) if needs[1] else None
    return (ga, gb)


def reciprocal(input):
    """Elementwise ``1 / input`` (float32 for integer tensors).

    Example:
        >>> autograd.tensor([2., 4.]).reciprocal()
        tensor([0.5000, 0.2500])
    """
    values = _fast_unary(_RECIPROCAL, input) if cython.compiled else None
    if values is None:
        input = _as_tensor("reciprocal", input)
        with np.errstate(divide="ignore"):
            values = np.reciprocal(_float_values(input))
    out = make(values)
    record(out, "ReciprocalBackward0", _reciprocal_backward, (input,), (), True)
    return out


def _reciprocal_backward(ctx, grad):
    y = ctx.result
    return (mul(grad, neg(mul(y, y))),)


def rdiv(input, other):
    """``other / input`` (the reflected ``/``), as PyTorch computes it:
    ``input.reciprocal() * other``.

    Example:
        >>> 1 / autograd.tensor([2., 4.])
        tensor([0.5000, 0.2500])
    """
    return mul(reciprocal(input), other)


def neg(input):
    """``-input``.

    Example:
        >>> -autograd.tensor([1., -2.])
        tensor([-1.,  2.])
    """
    values = _fast_unary(_NEG, input) if cython.compiled else None
    if values is None:
        input = _as_tensor("neg", input)
        data = input._data
        if data.dtype == _BOOL:
            raise RuntimeError(
                "neg: Negation, the `-` operator, on a bool tensor is not supported. If you "
                "are trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        values = np.negative(data)
    out = make(values)
    record(out, "NegBackward0", _neg_backward, (input,), ())
    return out


def _neg_backward(ctx, grad):
    return (neg(grad),)


def pow(input, exponent):
    """``input ** exponent``; either side may be a Python number.

    Example:
        >>> autograd.tensor([2., 3.]) ** 2
        tensor([4., 9.])
    """
    if isinstance(input, TensorBase) and isinstance(exponent, (int, float)) \
            and not isinstance(exponent, bool):
        values = None
        if cython.compiled and (exponent == 2 or exponent == 3):
            values = _fast_unary(_SQUARE if exponent == 2 else _CUBE, input)
        if values is None:
            data = _promote(input._data, exponent)[0]
            if data.dtype.kind in "iu" and exponent < 0:
                raise RuntimeError("pow: Integers to negative integer powers are not allowed.")
            values = _scalar_power(data, exponent)
        out = make(values)
        record(out, "PowBackward0", _pow_scalar_backward, (input,), (input,), False, exponent)
        return out
    x, y = _operands("pow", input, exponent)
    if _category(x.dtype if isinstance(x, np.ndarray) else y.dtype) == 1 and np.any(np.less(y, 0)):
        raise RuntimeError("pow: Integers to negative integer powers are not allowed.")
    with np.errstate(divide="ignore", invalid="ignore"):
        values = _apply("pow", np.power, x, y)
    out = make(values)
    if isinstance(input, TensorBase):
        record(out, "PowBackward1", _pow_backward, (input, exponent), (input, exponent), True)
    else:
        record(out, "PowBackward2", _rpow_backward, (input, exponent), (exponent,), True, input)
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
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(data, exponent)


def _pow_scalar_backward(ctx, grad):
    (a,) = ctx.saved
    p = ctx.attrs
    if cython.compiled and (p == 2 or p == 3):
        values = _fast_grad(_POW2_GRAD if p == 2 else _POW3_GRAD, grad, a)
        if values is not None:
            return (make(values),)
    if p == 0:
        return (mul(grad, 0.0),)
    if p == 2:
        return (mul(grad, mul(a, 2.0)),)
    return (mul(grad, mul(pow(a, p - 1), p)),)


@cython.cfunc
def _data(x):
    """The array behind a tensor, or the number itself."""
    if isinstance(x, TensorBase):
        return (cython.cast(TensorBase, x))._data
    return x


def _pow_backward(ctx, grad):
    # NOTE: 0 * inf and log(0) arise at a == 0 and are masked out below;
    # numpy must not warn about them.
    with np.errstate(divide="ignore", invalid="ignore"):
        return _pow_backward_formula(ctx, grad)


def _pow_backward_formula(ctx, grad):
    a, b = ctx.saved
    needs = ctx.needs_input_grad
    ga = gb = None
    if needs[0]:
        # d/da a**b = b * a**(b-1), taken as 0 where b == 0 (even at a == 0)
        ga = where(make(np.equal(_data(b), 0)), 0.0, mul(grad, mul(b, pow(a, sub(b, 1)))))
    if needs[1]:
        # d/db a**b = a**b * log(a), taken as 0 where a == 0 and b >= 0
        zero_base = make(np.logical_and(np.equal(_data(a), 0), np.greater_equal(_data(b), 0)))
        result = ctx.result
        base = a
        dtype = (cython.cast(TensorBase, result))._data.dtype
        if isinstance(a, TensorBase) and (cython.cast(TensorBase, a))._data.dtype != dtype:
            # log in the result's precision, as PyTorch does
            base = to_dtype(a, dtype)
        gb = where(zero_base, 0.0, mul(grad, mul(result, log(base))))
    return (ga, gb)


def _rpow_backward(ctx, grad):
    # d/db base**b = base**b * log(base); PyTorch takes it as 0 for base 0 and b >= 0
    if not ctx.needs_input_grad[1]:
        return (None, None)
    base = ctx.attrs
    if base == 0:
        (b,) = ctx.saved
        zero_base = make(np.greater_equal((cython.cast(TensorBase, b))._data, 0))
        with np.errstate(invalid="ignore"):
            return (None, where(zero_base, 0.0, mul(grad, mul(ctx.result, -np.inf))))
    log_base = 0.0
    with np.errstate(invalid="ignore"):
        log_base = float(np.log(base))   # nan for a negative base, as in PyTorch
    return (None, mul(grad, mul(ctx.result, log_base)))


def rpow(input, other):
    """``other ** input`` (the reflected ``**``).

    Example:
        >>> 2 ** autograd.tensor([1., 3.])
        tensor([2., 8.])
    """
    return pow(other, input)


# ======================================================================
# Unary math
# ======================================================================

@cython.cfunc
def _unary_float(name: str, ufunc, input):
    """``ufunc`` of a tensor's values as floats (domain errors give nan/inf silently)."""
    t: TensorBase = _as_tensor(name, input)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ufunc(_float_values(t))


def exp(input):
    """Elementwise e**x.

    Example:
        >>> autograd.tensor([0., 1.]).exp()
        tensor([1.0000, 2.7183])
    """
    values = _fast_unary(_EXP, input) if cython.compiled else None
    if values is None:
        input = _as_tensor("exp", input)
        values = np.exp(_float_values(input))
    out = make(values)
    record(out, "ExpBackward0", _exp_backward, (input,), (), True)
    return out


def _exp_backward(ctx, grad):
    return (mul(grad, ctx.result),)


def log(input):
    """Elementwise natural logarithm (nan below 0, -inf at 0).

    Example:
        >>> autograd.tensor([1., 4.]).log()
        tensor([0.0000, 1.3863])
    """
    values = _fast_unary(_LOG, input) if cython.compiled else None
    if values is None:
        values = _unary_float("log", np.log, input)
    out = make(values)
    record(out, "LogBackward0", _log_backward, (input,), (input,))
    return out


def _log_backward(ctx, grad):
    (a,) = ctx.saved
    return (div(grad, a),)


def sqrt(input):
    """Elementwise square root (nan below 0).

    Example:
        >>> autograd.tensor([4., 9.]).sqrt()
        tensor([2., 3.])
    """
    values = _fast_unary(_SQRT, input) if cython.compiled else None
    if values is None:
        values = _unary_float("sqrt", np.sqrt, input)
    out = make(values)
    record(out, "SqrtBackward0", _sqrt_backward, (input,), (), True)
    return out


def _sqrt_backward(ctx, grad):
    return (div(grad, mul(ctx.result, 2.0)),)


def sin(input):
    """Elementwise sine.

    Example:
        >>> autograd.tensor([0.]).sin()
        tensor([0.])
    """
    values = _fast_unary(_SIN, input) if cython.compiled else None
    if values is None:
        input = _as_tensor("sin", input)
        values = np.sin(_float_values(input))
    out = make(values)
    record(out, "SinBackward0", _sin_backward, (input,), (input,))
    return out


def _sin_backward(ctx, grad):
    (a,) = ctx.saved
    return (mul(grad, cos(a)),)


def cos(input):
    """Elementwise cosine.

    Example:
        >>> autograd.tensor([0.]).cos()
        tensor([1.])
    """
    values = _fast_unary(_COS, input) if cython.compiled else None
    if values is None:
        input = _as_tensor("cos", input)
        values = np.cos(_float_values(input))
    out = make(values)
    record(out, "CosBackward0", _cos_backward, (input,), (input,))
    return out


def _cos_backward(ctx, grad):
    (a,) = ctx.saved
    return (mul(grad, neg(sin(a))),)


def tanh(input):
    """Elementwise hyperbolic tangent.

    Example:
        >>> autograd.tensor([0.]).tanh()
        tensor([0.])
    """
    values = _fast_unary(_TANH, input) if cython.compiled else None
    if values is None:
        input = _as_tensor("tanh", input)
        values = np.tanh(_float_values(input))
    out = make(values)
    record(out, "TanhBackward0", _tanh_backward, (input,), (), True)
    return out


def _tanh_backward(ctx, grad):
    y = ctx.result
    if cython.compiled:
        values = _fast_grad(_TANH_GRAD, grad, y)
        if values is not None:
            return (make(values),)
    return (mul(grad, rsub(mul(y, y), 1.0)),)


def sigmoid(input):
    """Elementwise logistic function ``1 / (1 + exp(-x))``.

    Example:
        >>> autograd.tensor([0.]).sigmoid()
        tensor([0.5000])
    """
    values = _fast_unary(_SIGMOID, input) if cython.compiled else None
    if values is None:
        input = _as_tensor("sigmoid", input)
        x = _float_values(input)
        # exp(-|x|) never overflows, and e / (1 + e) keeps tiny results for
        # very negative x (1 / (1 + exp(-x)) would overflow there).
        e = np.exp(-np.abs(x))
        values = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    out = make(values)
    record(out, "SigmoidBackward0", _sigmoid_backward, (input,), (), True)
    return out


def _sigmoid_backward(ctx, grad):
    y = ctx.result
    if cython.compiled:
        values = _fast_grad(_SIGMOID_GRAD, grad, y)
        if values is not None:
            return (make(values),)
    return (mul(grad, mul(y, rsub(y, 1.0))),)


def abs(input):
    """Elementwise absolute value (its gradient at 0 is 0, as in PyTorch).

    Example:
        >>> autograd.tensor([-1.5, 2.]).abs()
        tensor([1.5000, 2.0000])
    """
    input = _as_tensor("abs", input)
    data = input._data
    if data.dtype == _BOOL:
        raise NotImplementedError("\"abs\" not implemented for 'Bool'")
    out = make(np.abs(data))
    record(out, "AbsBackward0", _abs_backward, (input,), (input,))
    return out


def _abs_backward(ctx, grad):
    (a,) = ctx.saved
    d = (cython.cast(TensorBase, a))._data
    # sign(x) with sign(0) = sign(nan) = 0
    return (mul(grad, make(np.subtract(d > 0, d < 0, dtype=d.dtype))),)


def relu(input):
    """Elementwise ``max(x, 0)`` (its gradient at 0 is 0, as in PyTorch).

    Example:
        >>> autograd.tensor([-1., 2.]).relu()
        tensor([0., 2.])
    """
    values = _fast_unary(_RELU, input) if cython.compiled else None
    if values is None:
        input = _as_tensor("relu", input)
        data = input._data
        if data.dtype == _BOOL:
            raise RuntimeError("relu: Boolean inputs not supported for relu")
        values = np.maximum(data, 0)
    out = make(values)
    record(out, "ReluBackward0", _relu_backward, (input,), (), True)
    return out


def _relu_backward(ctx, grad):
    if cython.compiled:
        values = _fast_grad(_RELU_GRAD, grad, ctx.result)
        if values is not None:
            return (make(values),)
    y = (cython.cast(TensorBase, ctx.result))._data
    # PyTorch zeroes the gradient where result <= 0, so nan passes it on.
    return (where(make(y <= 0), 0.0, grad),)


# ======================================================================
# clamp / maximum / minimum
# ======================================================================

def clamp(input, min=None, max=None):
    """Limit every element to ``[min, max]`` (``min(max(x, min), max)``).

    Args:
        min, max: numbers or tensors (broadcast against ``input``); one may
            be None.  When ``min > max`` every element becomes ``max``.

    The gradient passes where ``min <= x <= max`` (so nowhere when
    ``min > max``); tensor bounds get the gradient where they are the result.

    Example:
        >>> autograd.tensor([-1., 0.5, 2.]).clamp(0, 1)
        tensor([0.0000, 0.5000, 1.0000])
    """
    input = _as_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    lo = None if min is None else _value("clamp", min, "min")
    hi = None if max is None else _value("clamp", max, "max")
    x = input._data
    dtype = _result_type((x, lo, hi))
    x = _cast(x, dtype)
    lo = _cast(lo, dtype)
    hi = _cast(hi, dtype)
    values = x
    try:
        if lo is not None:
            values = np.maximum(values, lo)
        if hi is not None:
            values = np.minimum(values, hi)
    except ValueError:
        raise _broadcast_error("clamp", *[v for v in (x, lo, hi) if v is not None]) from None
    except OverflowError as e:
        raise RuntimeError(f"clamp: {e}") from None
    out = make(values)
    if isinstance(min, TensorBase) or isinstance(max, TensorBase):
        record(out, "ClampBackward0", _clamp_tensor_backward, (input, min, max),
               (input, min, max))
    else:
        record(out, "ClampBackward1", _clamp_backward, (input,), (input,), False, (lo, hi))
    return out


@cython.cfunc
def _inside(x, lo, hi):
    """Where ``lo <= x <= hi`` (a missing bound always holds; nan never does)."""
    if lo is None:
        return np.less_equal(x, hi)
    if hi is None:
        return np.greater_equal(x, lo)
    return np.logical_and(np.greater_equal(x, lo), np.less_equal(x, hi))


def _clamp_backward(ctx, grad):
    (a,) = ctx.saved
    lo, hi = ctx.attrs
    mask = _inside((cython.cast(TensorBase, a))._data, lo, hi)
    return (where(make(mask), grad, 0.0),)


def _clamp_tensor_backward(ctx, grad):
    a, mn, mx = ctx.saved
    needs = ctx.needs_input_grad
    x = (cython.cast(TensorBase, a))._data
    lo = None if mn is None else _data(mn)
    hi = None if mx is None else _data(mx)
    ga = gmin = gmax = None
    if needs[0]:
        ga = where(make(_inside(x, lo, hi)), grad, 0.0)
    if needs[1]:
        # min is the result where x < min, unless max overrides it (min > max)
        mask = np.less(x, lo)
        if hi is not None:
            mask = np.logical_and(mask, np.less(lo, hi))
        gmin = where(make(mask), grad, 0.0)
    if needs[2]:
        mask = np.greater(x, hi)
        if lo is not None:
            mask = np.logical_or(mask, np.less(hi, lo))
        gmax = where(make(mask), grad, 0.0)
    return (ga, gmin, gmax)


def clip(input, min=None, max=None):
    """Alias of ``clamp``."""
    return clamp(input, min, max)


def maximum(input, other):
    """Elementwise larger of two tensors (nan if either is nan).

    Where the two are equal each gets half of the gradient, as in PyTorch.

    Example:
        >>> autograd.maximum(autograd.tensor([1., 4.]), autograd.tensor([3., 2.]))
        tensor([3., 4.])
    """
    _as_tensor("maximum", input)
    _as_tensor("maximum", other, "other")
    out = make(_binary("maximum", np.maximum, input, other))
    record(out, "MaximumBackward0", _maximum_backward, (input, other), (input, other))
    return out


def minimum(input, other):
    """Elementwise smaller of two tensors (nan if either is nan).

    Example:
        >>> autograd.minimum(autograd.tensor([1., 4.]), autograd.tensor([3., 2.]))
        tensor([1., 2.])
    """
    _as_tensor("minimum", input)
    _as_tensor("minimum", other, "other")
    out = make(_binary("minimum", np.minimum, input, other))
    record(out, "MinimumBackward0", _minimum_backward, (input, other), (input, other))
    return out


@cython.cfunc
def _extreme_backward(ctx, grad, input_loses, other_loses):
    # Ties split the gradient evenly; an element gets none where the other
    # side wins.  With a nan neither side "wins", so both get all of it.
    a, b = ctx.saved
    x, y = _promote((cython.cast(TensorBase, a))._data, (cython.cast(TensorBase, b))._data)
    needs = ctx.needs_input_grad
    shared = where(make(np.equal(x, y)), mul(grad, 0.5), grad)
    ga = where(make(input_loses(x, y)), 0.0, shared) if needs[0] else None
    gb = where(make(other_loses(x, y)), 0.0, shared) if needs[1] else None
    return (ga, gb)


def _maximum_backward(ctx, grad):
    return _extreme_backward(ctx, grad, np.less, np.greater)


def _minimum_backward(ctx, grad):
    return _extreme_backward(ctx, grad, np.greater, np.less)


# ======================================================================
# Comparisons and logical ops (bool results, never differentiable)
# ======================================================================

def eq(input, other):
    """Elementwise ``input == other`` as a bool tensor.

    Example:
        >>> autograd.tensor([1., 2.]) == 2
        tensor([False,  True])
    """
    return make(_binary("eq", np.equal, input, other))


def ne(input, other):
    """Elementwise ``input != other`` as a bool tensor."""
    return make(_binary("ne", np.not_equal, input, other))


def lt(input, other):
    """Elementwise ``input < other`` as a bool tensor."""
    return make(_binary("lt", np.less, input, other))


def le(input, other):
    """Elementwise ``input <= other`` as a bool tensor."""
    return make(_binary("le", np.less_equal, input, other))


def gt(input, other):
    """Elementwise ``input > other`` as a bool tensor.

    Example:
        >>> autograd.tensor([1, 3]) > 2.5
        tensor([False,  True])
    """
    return make(_binary("gt", np.greater, input, other))


def ge(input, other):
    """Elementwise ``input >= other`` as a bool tensor."""
    return make(_binary("ge", np.greater_equal, input, other))


# Arithmetic operators.  A numpy scalar on the other side counts as a Python
# number (it never widens the tensor's dtype), as in PyTorch; a foreign type
# gets its own reflected operator (NotImplemented) instead of a TypeError.
# They are compiled here, not wrapped in Python, because the wrapper's frame
# cost a quarter of a small op.

@cython.cfunc
@cython.inline
def _operator_operand(other):
    """``other`` as an operator's operand, or None for NotImplemented."""
    t = type(other)
    if t is float or t is int or isinstance(other, TensorBase):
        return other
    if isinstance(other, np.generic):
        return other.item() if other.dtype.kind in "biuf" else None
    if isinstance(other, (int, float)):
        return other
    return None


def _add_operator(input, other):
    other = _operator_operand(other)
    return NotImplemented if other is None else add(input, other)


def _sub_operator(input, other):
    other = _operator_operand(other)
    return NotImplemented if other is None else sub(input, other)


def _rsub_operator(input, other):
    other = _operator_operand(other)
    return NotImplemented if other is None else rsub(input, other)


def _mul_operator(input, other):
    other = _operator_operand(other)
    return NotImplemented if other is None else mul(input, other)


def _div_operator(input, other):
    other = _operator_operand(other)
    return NotImplemented if other is None else div(input, other)


def _rdiv_operator(input, other):
    other = _operator_operand(other)
    return NotImplemented if other is None else rdiv(input, other)


def _pow_operator(input, other):
    other = _operator_operand(other)
    return NotImplemented if other is None else pow(input, other)


def _rpow_operator(input, other):
    other = _operator_operand(other)
    return NotImplemented if other is None else rpow(input, other)


# Comparison operators give foreign types a chance (``t == None`` is False,
# as in PyTorch) by returning NotImplemented instead of raising.
def _eq_operator(input, other):
    return eq(input, other) if _is_operand(other) else NotImplemented


def _ne_operator(input, other):
    return ne(input, other) if _is_operand(other) else NotImplemented


def _lt_operator(input, other):
    return lt(input, other) if _is_operand(other) else NotImplemented


def _le_operator(input, other):
    return le(input, other) if _is_operand(other) else NotImplemented


def _gt_operator(input, other):
    return gt(input, other) if _is_operand(other) else NotImplemented


def _ge_operator(input, other):
    return ge(input, other) if _is_operand(other) else NotImplemented


def logical_not(input):
    """Elementwise ``not`` as a bool tensor (nonzero counts as True).

    Example:
        >>> autograd.tensor([True, False]).logical_not()
        tensor([False,  True])
    """
    input = _as_tensor("logical_not", input)
    return make(np.logical_not(input._data))


def bitwise_not(input):
    """Elementwise ``~``: logical not for bool tensors, bit flip for integers.

    Example:
        >>> ~autograd.tensor([True, False])
        tensor([False,  True])
    """
    input = _as_tensor("bitwise_not", input)
    data = input._data
    if _category(data.dtype) == 2:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return make(np.invert(data))


# ======================================================================
# Casts and selection
# ======================================================================

def to_dtype(input, dtype):
    """Cast to a numpy dtype; a float-to-float cast stays differentiable."""
    input = _as_tensor("to", input)
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
    """Pick ``input`` where ``condition`` holds and ``other`` elsewhere.

    Args:
        condition: a bool tensor, broadcast with ``input`` and ``other``.
        input, other: tensors or Python numbers.

    Example:
        >>> x = autograd.tensor([-1., 2.])
        >>> autograd.where(x > 0, x, 0.)
        tensor([0., 2.])
    """
    if not isinstance(condition, TensorBase):
        raise TypeError(
            f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}"
        )
    cond = (cython.cast(TensorBase, condition))._data
    if cond.dtype != _BOOL:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_torch_dtype_name(cond.dtype)}"
        )
    x = _value("where", input, "input")
    y = _value("where", other, "other")
    x, y = _promote(x, y)
    try:
        values = np.where(cond, x, y)
    except ValueError:
        raise _broadcast_error("where", cond, x, y) from None
    out = make(values)
    record(out, "WhereBackward0", _where_backward, (condition, input, other), (condition,))
    return out


def _where_backward(ctx, grad):
    (condition,) = ctx.saved
    needs = ctx.needs_input_grad
    ga = where(condition, grad, 0.0) if needs[1] else None
    gb = where(condition, 0.0, grad) if needs[2] else None
    return (None, ga, gb)


def _where_method(input, condition, other):
    # ``x.where(condition, y)`` is ``where(condition, x, y)``
    return where(condition, input, other)


register_ops(add=add, to_dtype=to_dtype, add_arrays=add_arrays, add_in_place=add_in_place)

__all__ = [
    "add", "sub", "rsub", "mul", "div", "reciprocal", "neg", "pow", "exp", "log", "sqrt",
    "sin", "cos", "tanh", "sigmoid", "abs", "relu", "clamp", "clip", "maximum", "minimum",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "bitwise_not", "where",
    "set_num_threads", "get_num_threads",
]
# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
    # PyTorch's reflected add and mul are ``self.add(other)``: the tensor
    # stays the first input, which next_functions shows.
    "__add__": _add_operator,
    "__radd__": _add_operator,
    "__sub__": _sub_operator,
    "__rsub__": _rsub_operator,
    "__mul__": _mul_operator,
    "__rmul__": _mul_operator,
    "__truediv__": _div_operator,
    "__rtruediv__": _rdiv_operator,
    "__pow__": _pow_operator,
    "__rpow__": _rpow_operator,
    "__neg__": neg,
    "add": add,
    "sub": sub,
    "mul": mul,
    "div": div,
    "reciprocal": reciprocal,
    "neg": neg,
    "pow": pow,
    "exp": exp,
    "log": log,
    "sqrt": sqrt,
    "sin": sin,
    "cos": cos,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "abs": abs,
    "__abs__": abs,
    "relu": relu,
    "clamp": clamp,
    "clip": clip,
    "maximum": maximum,
    "minimum": minimum,
    "eq": eq,
    "ne": ne,
    "lt": lt,
    "le": le,
    "gt": gt,
    "ge": ge,
    "__eq__": _eq_operator,
    "__ne__": _ne_operator,
    "__lt__": _lt_operator,
    "__le__": _le_operator,
    "__gt__": _gt_operator,
    "__ge__": _ge_operator,
    "logical_not": logical_not,
    "bitwise_not": bitwise_not,
    "__invert__": bitwise_not,
    "where": _where_method,
}
