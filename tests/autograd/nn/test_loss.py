"""Loss modules: arguments, buffers and parity with torch.nn losses."""
import numpy as np
import pytest

import autograd
from autograd import nn
from autograd.nn import functional as F

from tests.autograd.nn.parity import check_module_parity

DTYPES = [np.float32, np.float64]
_rng = np.random.default_rng(0)
_LOGITS = _rng.standard_normal((6, 4))
_CLASSES = np.array([0, 3, 1, -100, 2, 3])
_WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])
_PROBS = _rng.dirichlet(np.ones(4), size=6)


def _weighted(cls, dtype, **kwargs):
    def build(lib):
        return getattr(lib.nn, cls)(weight=lib.tensor(_WEIGHT.astype(dtype)), **kwargs)
    return build


CASES = [
    ("mse", lambda d: (lambda lib: lib.nn.MSELoss()), _rng.standard_normal((3, 4)), "mse_loss"),
    ("mse_sum", lambda d: (lambda lib: lib.nn.MSELoss(reduction="sum")),
     _rng.standard_normal((3, 4)), "mse_loss"),
    ("mse_none", lambda d: (lambda lib: lib.nn.MSELoss(reduction="none")),
     _rng.standard_normal((3, 4)), "mse_loss"),
    ("ce", lambda d: (lambda lib: lib.nn.CrossEntropyLoss()), _CLASSES, "cross_entropy"),
    ("ce_weight_smooth", lambda d: _weighted("CrossEntropyLoss", d, label_smoothing=0.1),
     _CLASSES, "cross_entropy"),
    ("ce_ignore_sum", lambda d: (lambda lib: lib.nn.CrossEntropyLoss(ignore_index=3,
                                                                     reduction="sum")),
     np.where(_CLASSES < 0, 0, _CLASSES), "cross_entropy"),
    ("ce_probs", lambda d: (lambda lib: lib.nn.CrossEntropyLoss()), _PROBS, "cross_entropy"),
    ("nll", lambda d: (lambda lib: lib.nn.NLLLoss()), _CLASSES, "nll_loss"),
    ("nll_weight_none", lambda d: _weighted("NLLLoss", d, reduction="none"), _CLASSES,
     "nll_loss"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make,target,needed", [pytest.param(m, t, n, id=i)
                                                for i, m, t, n in CASES])
def test_loss_parity(make, target, needed, dtype):
    if not hasattr(F, needed):
        pytest.skip(f"F.{needed} not available yet")
    x = _LOGITS if target.shape[0] == 6 else _rng.standard_normal(target.shape)
    ours, _ = check_module_parity(make(dtype), x, dtype, target=target)
    if getattr(ours, "weight", None) is not None:
        assert ours.weight.dtype.name == np.dtype(dtype).name   # .double() moved the buffer


def test_loss_attributes_and_repr():
    ce = nn.CrossEntropyLoss()
    assert (ce.weight, ce.ignore_index, ce.reduction, ce.label_smoothing) == (
        None, -100, "mean", 0.0)
    assert repr(ce) == "CrossEntropyLoss()"
    nll = nn.NLLLoss(weight=autograd.ones(3), reduction="sum")
    assert list(nll.state_dict()) == ["weight"] and nll.reduction == "sum"
    assert nn.MSELoss().reduction == "mean"


def test_legacy_size_average_and_reduce():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.NLLLoss(reduce=False).reduction == "none"
