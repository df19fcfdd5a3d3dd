"""``torch.nn.init``: fill a tensor in place with values from a distribution.

Every function writes into the tensor's own buffer (so a Parameter keeps
its identity), records nothing in the graph, and returns the tensor.
Random values come from ``autograd._factories._rng``, looked up on each
call because ``autograd.manual_seed`` replaces it.
"""
import math
import numbers
import warnings

from autograd import _factories
from autograd.grad_mode import no_grad
from autograd.nn._inplace import write_

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
               "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    Args:
        nonlinearity: "linear", "conv2d", "sigmoid", "tanh", "relu",
            "leaky_relu" or "selu".
        param: the negative slope of leaky_relu (default 0.01).

    Example:
        >>> nn.init.calculate_gain("relu")
        1.4142135623730951
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out): input/output feature maps times the receptive field size."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    shape = tensor.shape
    receptive_field = 1
    for s in shape[2:]:
        receptive_field *= s
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid = ["fan_in", "fan_out"]
    if mode not in valid:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    with no_grad():
        return write_(tensor, values)


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with samples from U(a, b).

    Example:
        >>> w = nn.init.uniform_(autograd.empty(3, 5), -0.1, 0.1)
    """
    return _fill(tensor, _factories._rng.uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with samples from N(mean, std**2).

    Example:
        >>> w = nn.init.normal_(autograd.empty(3, 5), std=0.02)
    """
    return _fill(tensor, _factories._rng.normal(mean, std, size=tensor.shape))


def constant_(tensor, val):
    """Fill with the value ``val``.

    Example:
        >>> nn.init.constant_(autograd.empty(2), 0.3)
        tensor([0.3000, 0.3000])
    """
    if not isinstance(val, numbers.Number):
        val = float(val)
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill with zeros."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with ones."""
    return _fill(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> w = nn.init.xavier_uniform_(autograd.empty(3, 5), gain=nn.init.calculate_gain("relu"))
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    Args:
        tensor: an n-dimensional tensor (n >= 2).
        a: negative slope of the rectifier after this layer (leaky_relu only).
        mode: "fan_in" keeps the forward variance, "fan_out" the backward one.
        nonlinearity: the function after this layer ("relu" or "leaky_relu").

    Example:
        >>> w = nn.init.kaiming_uniform_(autograd.empty(3, 5), mode="fan_in", nonlinearity="relu")
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, std**2) with std = gain / sqrt(fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))

