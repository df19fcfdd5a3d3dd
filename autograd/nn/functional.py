"""``torch.nn.functional``: the layers' operations as functions.

    >>> import autograd.nn.functional as F
    >>> x = autograd.randn(4, 3, requires_grad=True)
    >>> loss = F.cross_entropy(F.linear(x, autograd.randn(2, 3)), autograd.tensor([0, 1, 1, 0]))
    >>> loss.backward()

The arithmetic lives in the engine (``engine.nn_ops`` and the pointwise and
reduction modules); this module adds PyTorch's Python-level argument
handling: legacy ``size_average``/``reduce`` arguments, the implicit softmax
dim, and dropout's random mask.
"""
import warnings

import numpy as np

from engine import nn_ops as _nn
from engine.conv_ops import adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d
from engine import pointwise_ops as _pw
from engine import reduce_ops as _red

from autograd import _factories

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "batch_norm", "dropout",
    "mse_loss", "nll_loss", "cross_entropy",
    "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
]


# ======================================================================
# activations
# ======================================================================

def relu(input, inplace=False):
    """``max(input, 0)`` elementwise.

    ``inplace=True`` is accepted but returns a new tensor (the input is not
    modified); use the result, as ``nn.ReLU(inplace=True)`` users do.

    Example:
        >>> F.relu(autograd.tensor([-1., 2.]))
        tensor([0., 2.])
    """
    return _pw.relu(input)


def sigmoid(input):
    """``1 / (1 + exp(-input))`` elementwise (same as ``autograd.sigmoid``)."""
    return _pw.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent elementwise (same as ``autograd.tanh``)."""
    return _pw.tanh(input)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        UserWarning, stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / exp(x).sum(dim)`` along ``dim``, without overflow.

    Without ``dim`` PyTorch's deprecated implicit choice applies (dim 0 for
    0-, 1- and 3-D inputs, else 1) with its warning.

    Example:
        >>> F.softmax(autograd.tensor([[1., 1.]]), dim=1)
        tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return _red.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(x, dim))``, computed stably.

    Example:
        >>> F.log_softmax(autograd.tensor([0., 0.]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _red.log_softmax(input, dim, dtype)


# ======================================================================
# layers
# ======================================================================

def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: optional (out_features,).

    Example:
        >>> F.linear(autograd.ones(2, 3), autograd.ones(4, 3)).shape
        (2, 4)
    """
    return _nn.linear(input, weight, bias)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Batch normalisation over dim 1 of an (N, C, *) input.

    In training the batch statistics normalise the input and, when given,
    ``running_mean``/``running_var`` are updated in place (the variance
    unbiased); in evaluation the running statistics are used.

    Example:
        >>> x = autograd.randn(8, 3)
        >>> F.batch_norm(x, None, None, training=True).shape
        (8, 3)
    """
    return _nn.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                          eps)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)``; the identity when not training (or ``p == 0``).

    The mask comes from the generator ``autograd.manual_seed`` seeds.
    ``inplace=True`` is accepted but returns a new tensor and leaves the
    input unchanged.

    Example:
        >>> x = autograd.ones(4)
        >>> F.dropout(x, 0.5, training=False) is x
        True
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    shape = tuple(input.shape)
    if p == 1:
        return _nn.masked_scale(input, np.zeros(shape, dtype=np.bool_), 0.0)
    # read the attribute each call: manual_seed replaces the generator
    keep = _factories._rng.random(shape, dtype=np.float32) >= p
    return _nn.masked_scale(input, keep, 1.0 / (1.0 - p))


# ======================================================================
# losses
# ======================================================================

def _legacy_reduction(size_average, reduce):
    """PyTorch's mapping of the deprecated ``size_average``/``reduce``."""
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='mean' instead.",
        UserWarning, stacklevel=3,
    )
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    if reduce:
        return "sum"
    return "none"


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error between ``input`` and ``target``.

    Example:
        >>> F.mse_loss(autograd.tensor([1., 3.]), autograd.tensor([1., 1.]))
        tensor(2.)
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _nn.mse_loss(input, target, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log likelihood of class-index targets (``input`` holds
    log-probabilities).

    Example:
        >>> F.nll_loss(autograd.tensor([[-0.5, -1.5]]), autograd.tensor([0]))
        tensor(0.5000)
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _nn.nll_loss(input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits against class indices or class probabilities.

    Example:
        >>> F.cross_entropy(autograd.tensor([[0., 0.]]), autograd.tensor([1]))
        tensor(0.6931)
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _nn.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
