"""Tensor factories: ``tensor``, ``zeros``, ``rand``, ... with PyTorch's defaults.

Python floats become float32 (PyTorch's default dtype), Python ints int64 and
bools bool; a numpy array keeps its dtype.  Random factories draw from one
generator that ``manual_seed`` resets.
"""
import numbers

import numpy as np

from engine.tensor import TensorBase, make, make_leaf

from autograd import _dtype

_FLOAT = np.dtype(np.float32)
_rng = np.random.default_rng()


def manual_seed(seed):
    """Seed the generator behind ``rand``, ``randn``, ``randint`` and ``nn.init``."""
    global _rng
    _rng = np.random.default_rng(int(seed))
    return _rng


def generator():
    """The generator the random factories draw from."""
    return _rng


def _np_dtype(dtype, default=None):
    if dtype is None:
        return default
    return _dtype.to_numpy_dtype(dtype)


def _size(size, name):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``; check every entry."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{name}(): size must be a sequence of ints, got {size!r}")
        if s < 0:
            raise RuntimeError(
                f"{name}(): Trying to create tensor with negative dimension {s}: {list(size)}"
            )
    return tuple(int(s) for s in size)


def _check_nested(data, dim=0):
    """Raise PyTorch's error for ragged nested sequences."""
    if not isinstance(data, (list, tuple)):
        return None
    shapes = [_check_nested(x, dim + 1) for x in data]
    first = shapes[0] if shapes else None
    for x, shape in zip(data, shapes):
        if shape != first:
            expected = len(data[0]) if isinstance(data[0], (list, tuple)) else None
            got = len(x) if isinstance(x, (list, tuple)) else None
            if expected is None or got is None:
                raise ValueError(f"tensor(): nested data is not rectangular at dim {dim + 1}")
            raise ValueError(
                f"expected sequence of length {expected} at dim {dim + 1} (got {got})"
            )
    return (len(data),) + (first or ())


def _infer_dtype(data):
    """PyTorch's inference for nested Python data: bool < int < float."""
    try:
        array = np.asarray(data)
    except ValueError:
        _check_nested(data)
        raise
    kind = array.dtype.kind
    if kind == "b":
        return np.dtype(np.bool_)
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "f":
        return _FLOAT
    if kind in "USV":
        raise TypeError(f"tensor(): invalid data type '{type(array.flat[0].item()).__name__}'")
    if kind == "O":
        _check_nested(data)
        raise RuntimeError(f"tensor(): Could not infer dtype of {type(data).__name__}")
    return array.dtype


def tensor(data, dtype=None, requires_grad=False):
    """Copy ``data`` (nested lists, a number, a numpy array or a tensor) into a new leaf.

    Example:
        >>> autograd.tensor([2., 3.], requires_grad=True)
        tensor([2., 3.], requires_grad=True)
    """
    if isinstance(data, TensorBase):
        array = np.array(data._data, dtype=_np_dtype(dtype))
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data, dtype=_np_dtype(dtype))
    else:
        target = _np_dtype(dtype) or _infer_dtype(_unwrap(data))
        array = np.array(_unwrap(data), dtype=target)
    return make_leaf(array, requires_grad)


def _unwrap(data):
    """Nested lists may hold 0-d tensors (``tensor([a.sum(), b.sum()])``)."""
    if isinstance(data, TensorBase):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data


def as_tensor(data, dtype=None):
    """Like ``tensor`` but shares memory with a numpy array or tensor when it can."""
    if isinstance(data, TensorBase):
        if dtype is None or data._data.dtype == _np_dtype(dtype):
            return data
        return make(data._data.astype(_np_dtype(dtype)))
    if isinstance(data, np.ndarray):
        return make(np.asarray(data, dtype=_np_dtype(dtype)))
    return tensor(data, dtype=dtype)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return make(array)


def _filled(name, fill, size, dtype, requires_grad, default=_FLOAT):
    shape = _size(size, name)
    array = np.full(shape, fill, dtype=_np_dtype(dtype, default))
    return make_leaf(array, requires_grad)


def zeros(*size, dtype=None, requires_grad=False):
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return _filled("zeros", 0, size, dtype, requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return _filled("ones", 1, size, dtype, requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    """An uninitialised tensor."""
    shape = _size(size, "empty")
    return make_leaf(np.empty(shape, dtype=_np_dtype(dtype, _FLOAT)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """A tensor filled with ``fill_value``; its dtype follows the value's type."""
    if dtype is None:
        dtype = _infer_dtype(fill_value)
    return _filled("full", fill_value, (size,), dtype, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    """A 2-D tensor with ones on the diagonal."""
    for name, value in (("n", n), ("m", m)):
        if value is not None and value < 0:
            raise RuntimeError(f"eye(): {name} must be greater or equal to 0, got {value}")
    m = n if m is None else m
    _size((n, m), "eye")
    return make_leaf(np.eye(n, m, dtype=_np_dtype(dtype, _FLOAT)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end``; int64 when all
    arguments are ints, else float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("arange(): upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = np.int64 if integral else _FLOAT
    return make_leaf(np.arange(start, end, step, dtype=_np_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    values = np.linspace(start, end, steps, dtype=np.float64)
    return make_leaf(values.astype(_np_dtype(dtype, _FLOAT)), requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform samples from [0, 1)."""
    shape = _size(size, "rand")
    target = _np_dtype(dtype, _FLOAT)
    return make_leaf(_rng.random(shape, dtype=np.float64).astype(target), requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal samples."""
    shape = _size(size, "randn")
    target = _np_dtype(dtype, _FLOAT)
    return make_leaf(_rng.standard_normal(shape).astype(target), requires_grad)


def randint(low=0, high=None, size=None, dtype=None, requires_grad=False):
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``."""
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    shape = _size((size,), "randint")
    if high <= low:
        raise RuntimeError(f"randint(): random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    values = _rng.integers(low, high, size=shape, dtype=np.int64)
    return make_leaf(values.astype(_np_dtype(dtype, np.dtype(np.int64))), requires_grad)


def _like(factory):
    def like(input, dtype=None, requires_grad=False, **kwargs):
        dtype = dtype if dtype is not None else input._data.dtype
        return factory(*input._data.shape, dtype=dtype, requires_grad=requires_grad, **kwargs)
    like.__name__ = factory.__name__ + "_like"
    like.__doc__ = f"``{factory.__name__}`` with the shape (and by default dtype) of ``input``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(input, fill_value, dtype=None, requires_grad=False):
    """``full`` with the shape (and by default dtype) of ``input``."""
    dtype = dtype if dtype is not None else input._data.dtype
    return full(input._data.shape, fill_value, dtype=dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, dtype=None, requires_grad=False):
    """``randint`` with the shape (and by default dtype) of ``input``."""
    if high is None:
        low, high = 0, low
    dtype = dtype if dtype is not None else input._data.dtype
    return randint(low, high, input._data.shape, dtype=dtype, requires_grad=requires_grad)
