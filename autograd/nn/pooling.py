"""``nn.MaxPool2d``, ``nn.AvgPool2d`` and ``nn.AdaptiveAvgPool2d``."""
from autograd.nn import functional as F
from autograd.nn.module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


class MaxPool2d(Module):
    """Max over each kernel_size window of an (N, C, H, W) input.

    Args:
        kernel_size: int or (kH, kW).
        stride: window step (default: kernel_size).
        padding: implicit -inf padding on both sides.
        dilation: spacing between window elements.
        return_indices: also return the argmax positions.
        ceil_mode: round the output size up instead of down.

    Example:
        >>> nn.MaxPool2d(3, stride=2)(autograd.randn(20, 16, 50, 32)).shape
        (20, 16, 24, 15)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding,
                            self.dilation, ceil_mode=self.ceil_mode,
                            return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over each kernel_size window of an (N, C, H, W) input.

    Args:
        kernel_size, stride (default kernel_size), padding (zeros), ceil_mode.
        count_include_pad: count padded zeros in the divisor (default True).
        divisor_override: divide by this instead of the window size.

    Example:
        >>> nn.AvgPool2d(2)(autograd.randn(1, 3, 8, 8)).shape
        (1, 3, 4, 4)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average-pool an (N, C, H, W) input down to output_size (int, pair, or None entries).

    Example:
        >>> nn.AdaptiveAvgPool2d((1, 1))(autograd.randn(2, 8, 7, 7)).shape
        (2, 8, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
