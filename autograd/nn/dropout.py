"""``nn.Dropout``."""
from autograd.nn import functional as F
from autograd.nn.module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1-p).

    In eval mode it returns the input unchanged.

    Args:
        p: probability of an element being zeroed (default 0.5).
        inplace: passed on to ``F.dropout`` (which returns a new tensor
            while the engine has no in-place ops).

    Example:
        >>> m = nn.Dropout(p=0.2).eval()
        >>> m(autograd.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
