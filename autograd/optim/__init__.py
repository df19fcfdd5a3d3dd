"""Optimizers with PyTorch's ``torch.optim`` API.

    >>> w = autograd.tensor([1., 2.], requires_grad=True)
    >>> opt = autograd.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> opt.zero_grad()
    >>> (w * w).sum().backward()
    >>> opt.step()
"""
from autograd.optim.optimizer import Optimizer
from autograd.optim.sgd import SGD
from autograd.optim.adam import Adam, AdamW

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]
