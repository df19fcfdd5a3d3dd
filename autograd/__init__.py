"""PyTorch's autograd on a compiled core.

    >>> import autograd
    >>> a = autograd.tensor([2., 3.], requires_grad=True)
    >>> b = autograd.tensor([6., 4.], requires_grad=True)
    >>> Q = 3 * a**3 - b**2
    >>> Q.backward(gradient=autograd.tensor([1., 1.]))
    >>> a.grad, b.grad
    (tensor([36., 81.]), tensor([-12.,  -8.]))

``autograd.ENGINE`` says which engine runs: "compiled" (the default
whenever it was built) or "python" (``AUTOGRAD_ENGINE=python``).
"""
import engine as _engine
from engine import graph as _graph
from engine import inplace_ops as _inplace
from engine import conv_ops as _conv
from engine import linalg_ops as _linalg
from engine import pointwise_ops as _pw
from engine import reduce_ops as _red
from engine import shape_ops as _shape

from autograd._dtype import (
    bool, dtype, float16, float32, float64, int8, int16, int32, int64, uint8,
)
from autograd._tensor import Tensor
from autograd._factories import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace,
    manual_seed, ones, ones_like, rand, rand_like, randint, randint_like, randn,
    randn_like, tensor, zeros, zeros_like,
)
from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd._gradcheck import GradcheckError, gradcheck, gradgradcheck
from autograd.function import Function, once_differentiable
from autograd.anomaly_mode import (
    detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly,
)
from autograd.serialization import load, save
from autograd import models, nn, optim, viz  # noqa: E402  (they import the names above)
from autograd import functional  # noqa: E402

ENGINE = _engine.ENGINE

float = float32   # noqa: A001  (PyTorch's aliases)
double = float64
long = int64
half = float16

backward = _graph.backward
grad = _graph.grad

for _module in (_pw, _red, _shape, _linalg, _conv, _inplace):
    for _name in _module.__all__:
        globals()[_name] = getattr(_module, _name)
del _module, _name

__version__ = "0.1.0"
