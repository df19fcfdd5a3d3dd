"""``nn.Flatten``."""
from autograd.nn.module import Module

__all__ = ["Flatten"]


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one (by default all but the batch dim).

    Example:
        >>> nn.Flatten()(autograd.zeros(32, 1, 5, 5)).shape
        (32, 25)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
