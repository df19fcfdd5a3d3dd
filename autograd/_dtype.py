"""dtype objects: ``autograd.float32`` and friends, each naming a numpy dtype."""
import builtins

import numpy as np


class dtype:
    """A tensor element type, e.g. ``autograd.float32``."""

    __slots__ = ("name", "numpy_dtype", "is_floating_point")

    def __init__(self, name, numpy_dtype):
        self.name = name
        self.numpy_dtype = np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy_dtype.kind == "f"

    def __repr__(self):
        return f"autograd.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_FROM_NUMPY = {d.numpy_dtype: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}
_PYTHON_TYPES = {builtins.float: float64, builtins.int: int64, builtins.bool: bool}


def _by_name(name):
    return _NAMES[name]


def from_numpy_dtype(np_dtype):
    """The dtype object for a numpy dtype."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(f"numpy dtype {np_dtype} has no autograd equivalent") from None


def to_numpy_dtype(d):
    """Accept an autograd dtype, a numpy dtype or a Python type; return numpy's."""
    if isinstance(d, dtype):
        return d.numpy_dtype
    if d in _PYTHON_TYPES:
        return _PYTHON_TYPES[d].numpy_dtype
    try:
        np_dtype = np.dtype(d)
    except TypeError:
        raise TypeError(f"{d!r} is not a dtype") from None
    from_numpy_dtype(np_dtype)
    return np_dtype
