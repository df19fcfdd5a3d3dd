"""``nn.BatchNorm1d`` and ``nn.BatchNorm2d``."""
from autograd import _dtype

from autograd import _factories
from autograd.nn import functional as F
from autograd.nn import init
from autograd.nn._inplace import write_
from autograd.nn.module import Module
from autograd.nn.parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """Shared state and forward of the BatchNorm layers."""

    # 2: num_batches_tracked exists (a version-1 state_dict lacks it).
    _version = 2

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(_factories.empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(_factories.empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _factories.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", _factories.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 _factories.tensor(0, dtype=_dtype.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Zero the running mean and batch count and set the running variance to 1."""
        if self.track_running_stats:
            write_(self.running_mean, 0)
            write_(self.running_var, 1)
            write_(self.num_batches_tracked, 0)

    def reset_parameters(self):
        """Reset the running statistics, weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            write_(self.num_batches_tracked, self.num_batches_tracked._data + 1)
            if self.momentum is None:
                # cumulative moving average: the n-th batch gets weight 1/n
                factor = 1.0 / float(self.num_batches_tracked.item())
        # Eval mode normalises with batch statistics only if there are no
        # running statistics to use.
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        keep_stats = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep_stats else None,
            self.running_var if keep_stats else None,
            self.weight, self.bias, use_batch_stats, factor, self.eps,
        )

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats \
                and key not in state_dict:
            # Older checkpoints have no batch count: keep ours instead of
            # reporting it missing.
            state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked
                               is not None else _factories.tensor(0, dtype=_dtype.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a (N, C) or (N, C, L) input, per channel C.

    Args:
        num_features: C.
        eps: added to the variance for stability (default 1e-5).
        momentum: weight of the new batch in the running statistics (default
            0.1); None means a cumulative average over all batches.
        affine: learn a per-channel scale (weight) and shift (bias).
        track_running_stats: keep running_mean/running_var for eval mode.
        bias: with affine, also learn the shift (keyword only, default True).

    Example:
        >>> m = nn.BatchNorm1d(100)
        >>> m(autograd.randn(20, 100)).shape
        (20, 100)
    """

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over an (N, C, H, W) input, per channel C.

    Arguments as for ``BatchNorm1d``.

    Example:
        >>> m = nn.BatchNorm2d(16)
        >>> m(autograd.randn(4, 16, 5, 5)).shape
        (4, 16, 5, 5)
    """

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")
