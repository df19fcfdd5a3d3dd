"""``nn.Conv2d``."""
import math

from autograd import _factories
from autograd.nn import functional as F
from autograd.nn import init
from autograd.nn.module import Module, _registered
from autograd.nn.parameter import Parameter

__all__ = ["Conv2d"]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _pair(x):
    if isinstance(x, (tuple, list)):
        if len(x) != 2:
            raise ValueError(f"Conv2d: expected an int or a pair, got {x!r}")
        return tuple(x)
    return (x, x)


class Conv2d(Module):
    """2-D convolution over an (N, C_in, H, W) input.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: int or (kH, kW).
        stride, padding, dilation: int or pair; padding may also be "valid"
            or "same" (stride 1 only).
        groups: split the channels into this many independent convolutions.
        bias: learn one additive bias per output channel (default True).
        padding_mode: only "zeros" is implemented.

    Weight and bias start as U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with
    fan_in = in_channels / groups * kH * kW, as in PyTorch.

    Example:
        >>> m = nn.Conv2d(16, 33, 3, stride=2)
        >>> m(autograd.randn(20, 16, 50, 100)).shape
        (20, 33, 24, 49)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and any(s != 1 for s in _pair(stride)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode='{padding_mode}'"
            )
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"Conv2d: padding_mode='{padding_mode}' is not implemented; use 'zeros'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.dilation = _pair(dilation)
        self.transposed = False
        self.output_padding = (0, 0)
        self.groups = groups
        self.padding_mode = padding_mode
        self._resolve_padding()   # reject an unsupported 'same' now, not at forward
        self.weight = Parameter(_factories.empty(
            out_channels, in_channels // groups, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(_factories.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _resolve_padding(self):
        if self.padding == "valid":
            return (0, 0)
        if self.padding == "same":
            # F.conv2d pads both sides equally; "same" needs total padding
            # dilation * (k - 1), so an odd total has no symmetric form.
            pads = []
            for k, d in zip(self.kernel_size, self.dilation):
                total = d * (k - 1)
                if total % 2:
                    raise NotImplementedError(
                        f"Conv2d: padding='same' with kernel_size={self.kernel_size} and "
                        f"dilation={self.dilation} needs asymmetric padding, which is not "
                        "implemented"
                    )
                pads.append(total // 2)
            return tuple(pads)
        return self.padding

    def reset_parameters(self):
        """Draw fresh weights with PyTorch's default initialisation."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        padding = self._resolve_padding() if isinstance(self.padding, str) else self.padding
        return F.conv2d(input, _registered(self, "weight"), _registered(self, "bias"),
                        self.stride, padding, self.dilation, self.groups)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
