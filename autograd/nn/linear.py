"""``nn.Identity`` and ``nn.Linear``."""
import math

from autograd import _factories
from autograd.nn import functional as F
from autograd.nn import init
from autograd.nn.module import Module, _registered
from autograd.nn.parameter import Parameter

__all__ = ["Identity", "Linear"]


class Identity(Module):
    """Return the input unchanged (accepts and ignores any constructor arguments).

    Example:
        >>> nn.Identity(54, unused="x")(autograd.ones(2)).shape
        (2,)
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        dtype: dtype of the parameters (default float32).

    The weight is (out_features, in_features); weight and bias start as
    U(-1/sqrt(in_features), 1/sqrt(in_features)), as in PyTorch.

    Example:
        >>> m = nn.Linear(20, 30)
        >>> m(autograd.randn(128, 20)).shape
        (128, 30)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_factories.empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(_factories.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw fresh weights with PyTorch's default initialisation."""
        # kaiming_uniform_ with a=sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, _registered(self, "weight"), _registered(self, "bias"))

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
