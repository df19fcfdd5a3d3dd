"""The one place autograd.nn writes a tensor's values in place.

The engine has no in-place tensor ops yet, so initialisers, ``load_state_dict``,
``zero_grad`` and running-statistics updates write straight into the numpy
buffer and bump the version counter, as every in-place op must (a backward
that saved the old values then raises instead of using the new ones).
"""
import numpy as np


def write_(tensor, values):
    """Overwrite ``tensor``'s values with ``values`` (broadcast and cast).

    Args:
        tensor: the tensor to write into; it keeps its buffer, shape and dtype.
        values: a number, numpy array or tensor broadcastable to its shape.

    Returns:
        ``tensor``.

    Example:
        >>> t = autograd.zeros(2)
        >>> write_(t, 3.0)
        tensor([3., 3.])
    """
    data = getattr(values, "_data", values)
    np.copyto(tensor._data, data, casting="unsafe")
    tensor._version += 1
    return tensor
