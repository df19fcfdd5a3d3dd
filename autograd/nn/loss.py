"""Loss modules: ``nn.MSELoss``, ``nn.NLLLoss`` and ``nn.CrossEntropyLoss``."""
import warnings

from autograd.nn import functional as F
from autograd.nn.module import Module

__all__ = ["MSELoss", "NLLLoss", "CrossEntropyLoss"]


def _legacy_reduction(size_average, reduce):
    """Translate the deprecated size_average/reduce flags into ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        reduction = "none"
    elif size_average:
        reduction = "mean"
    else:
        reduction = "sum"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.", stacklevel=3)
    return reduction


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        # A buffer, so that state_dict() and .to() carry the class weights.
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: ``((input - target) ** 2)`` reduced by ``reduction``.

    Args:
        reduction: "mean" (default), "sum" or "none".

    Example:
        >>> nn.MSELoss()(autograd.tensor([1., 2.]), autograd.tensor([1., 4.]))
        tensor(2.)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of class indices, given log-probabilities (N, C, ...).

    Args:
        weight: per-class rescaling weights (C,).
        ignore_index: target value that contributes nothing (default -100).
        reduction: "mean" (weighted mean, default), "sum" or "none".

    Example:
        >>> logp = autograd.tensor([[0., -1.]])
        >>> nn.NLLLoss()(logp, autograd.tensor([1]))
        tensor(1.)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy between logits (N, C, ...) and class indices or class probabilities.

    Args:
        weight: per-class rescaling weights (C,).
        ignore_index: target value that contributes nothing (default -100).
        reduction: "mean" (default), "sum" or "none".
        label_smoothing: mix the target with the uniform distribution (0.0 to 1.0).

    Example:
        >>> loss = nn.CrossEntropyLoss()
        >>> loss(autograd.zeros(1, 4), autograd.tensor([2]))
        tensor(1.3863)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)
