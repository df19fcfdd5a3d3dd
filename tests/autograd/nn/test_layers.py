"""Layers: construction, defaults, errors, and parity with torch.nn (values and gradients)."""
from collections import OrderedDict

import numpy as np
import pytest

import autograd
from autograd import nn
from autograd.nn import functional as F

from tests.autograd.nn.parity import check_module_parity

DTYPES = [np.float32, np.float64]


def needs(name):
    """Skip while ``F.<name>`` has not landed (runs automatically once it does)."""
    return pytest.mark.skipif(not hasattr(F, name), reason=f"F.{name} not available yet")


def _randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# (id, build(lib), input shape, functional it needs or None)
CASES = [
    ("linear", lambda lib: lib.nn.Linear(5, 3), (4, 5), "linear"),
    ("linear_nobias", lambda lib: lib.nn.Linear(5, 3, bias=False), (4, 5), "linear"),
    ("linear_3d", lambda lib: lib.nn.Linear(5, 2), (2, 3, 5), "linear"),
    ("linear_1d", lambda lib: lib.nn.Linear(5, 2), (5,), "linear"),
    ("conv", lambda lib: lib.nn.Conv2d(3, 4, 3), (2, 3, 7, 6), "conv2d"),
    ("conv_stride_pad", lambda lib: lib.nn.Conv2d(3, 4, (3, 2), stride=2, padding=1),
     (2, 3, 7, 6), "conv2d"),
    ("conv_groups_dil", lambda lib: lib.nn.Conv2d(4, 6, 3, dilation=2, groups=2, bias=False),
     (2, 4, 8, 8), "conv2d"),
    ("conv_same", lambda lib: lib.nn.Conv2d(2, 3, 3, padding="same"), (1, 2, 5, 5), "conv2d"),
    ("conv_valid", lambda lib: lib.nn.Conv2d(2, 3, 3, padding="valid"), (1, 2, 5, 5),
     "conv2d"),
    ("maxpool", lambda lib: lib.nn.MaxPool2d(2), (2, 3, 6, 7), "max_pool2d"),
    ("maxpool_s_p", lambda lib: lib.nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7),
     "max_pool2d"),
    ("maxpool_ceil", lambda lib: lib.nn.MaxPool2d(2, ceil_mode=True), (1, 2, 5, 5),
     "max_pool2d"),
    ("avgpool", lambda lib: lib.nn.AvgPool2d(2), (2, 3, 6, 6), "avg_pool2d"),
    ("avgpool_pad", lambda lib: lib.nn.AvgPool2d(3, 1, 1, count_include_pad=False),
     (1, 2, 5, 4), "avg_pool2d"),
    ("adaptive_1", lambda lib: lib.nn.AdaptiveAvgPool2d((1, 1)), (2, 3, 5, 5),
     "adaptive_avg_pool2d"),
    ("adaptive_3", lambda lib: lib.nn.AdaptiveAvgPool2d(3), (2, 3, 7, 5),
     "adaptive_avg_pool2d"),
    ("relu", lambda lib: lib.nn.ReLU(), (3, 4), "relu"),
    # (PyTorch refuses an in-place op on a leaf, so something runs first)
    ("relu_inplace", lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 4),
                                                   lib.nn.ReLU(inplace=True)), (3, 4), "relu"),
    ("tanh", lambda lib: lib.nn.Tanh(), (3, 4), None),
    ("sigmoid", lambda lib: lib.nn.Sigmoid(), (3, 4), None),
    ("softmax", lambda lib: lib.nn.Softmax(dim=1), (3, 4), "softmax"),
    ("log_softmax", lambda lib: lib.nn.LogSoftmax(dim=-1), (2, 3, 4), "log_softmax"),
    ("flatten", lambda lib: lib.nn.Flatten(), (2, 3, 4, 5), None),
    ("flatten_0_1", lambda lib: lib.nn.Flatten(0, 1), (2, 3, 4), None),
    ("identity", lambda lib: lib.nn.Identity(3, key="x"), (2, 3), None),
    ("dropout_eval_is_identity", lambda lib: lib.nn.Dropout(0.3), (4, 5), "dropout"),
]


def _case_params():
    params = []
    for case_id, build, shape, needed in CASES:
        marks = [needs(needed)] if needed else []
        params.append(pytest.param(build, shape, id=case_id, marks=marks))
    return params


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("build,shape", _case_params())
def test_layer_parity(build, shape, dtype):
    # eval mode: the same forward as train for every layer here except
    # Dropout, whose eval forward is the deterministic one
    check_module_parity(build, _randn(*shape), dtype, train=False)


BATCHNORM_CASES = [
    ("bn1d", lambda lib: lib.nn.BatchNorm1d(4), (8, 4)),
    ("bn1d_3d", lambda lib: lib.nn.BatchNorm1d(4), (6, 4, 5)),
    ("bn1d_cumulative", lambda lib: lib.nn.BatchNorm1d(4, momentum=None), (8, 4)),
    ("bn1d_no_affine", lambda lib: lib.nn.BatchNorm1d(4, affine=False, eps=1e-3), (8, 4)),
    ("bn1d_no_bias", lambda lib: lib.nn.BatchNorm1d(4, bias=False), (8, 4)),
    ("bn1d_untracked", lambda lib: lib.nn.BatchNorm1d(4, track_running_stats=False), (8, 4)),
    ("bn2d", lambda lib: lib.nn.BatchNorm2d(3, momentum=0.3), (4, 3, 5, 6)),
]


@needs("batch_norm")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("build,shape", [pytest.param(b, s, id=i) for i, b, s in BATCHNORM_CASES])
def test_batchnorm_parity(build, shape, train, dtype):
    x = _randn(*shape) * 2 + 0.5
    ours, _ = check_module_parity(build, x, dtype, train=train, steps=3,
                                  tol=dict(rtol=1e-4, atol=5e-5) if dtype == np.float32 else None)
    if ours.track_running_stats:
        assert ours.num_batches_tracked.item() == (3 if train else 0)


@needs("batch_norm")
def test_batchnorm_train_then_eval_uses_running_stats():
    torch = pytest.importorskip("torch")
    ours, theirs = check_module_parity(lambda lib: lib.nn.BatchNorm2d(3), _randn(4, 3, 3, 3),
                                       np.float64, train=True, steps=2)
    ours.eval()
    theirs.eval()
    x = _randn(2, 3, 3, 3, seed=5)
    np.testing.assert_allclose(ours(autograd.tensor(x))._data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_batchnorm_attributes_and_errors():
    m = nn.BatchNorm1d(3)
    assert (m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats) == (
        3, 1e-05, 0.1, True, True)
    assert m.weight.tolist() == [1.0] * 3 and m.bias.tolist() == [0.0] * 3
    assert m.running_mean.tolist() == [0.0] * 3 and m.running_var.tolist() == [1.0] * 3
    assert m.num_batches_tracked.dtype == autograd.int64 and m.num_batches_tracked.item() == 0
    assert [n for n, _ in m.named_buffers()] == ["running_mean", "running_var",
                                                  "num_batches_tracked"]
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        m(autograd.zeros(2, 3, 1, 1))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(autograd.zeros(2, 3))
    untracked = nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    assert list(untracked.parameters()) == [] and untracked.running_mean is None
    assert list(untracked.state_dict()) == []


def test_batchnorm_loads_a_checkpoint_without_batch_count():
    m = nn.BatchNorm1d(2)
    m.num_batches_tracked._data[...] = 7
    sd = nn.BatchNorm1d(2).state_dict()
    del sd["num_batches_tracked"]
    # a version-2 state_dict must have it ...
    with pytest.raises(RuntimeError, match='Missing key.*"num_batches_tracked"'):
        m.load_state_dict(sd)
    # ... but one without version metadata is an old checkpoint: keep our count
    assert m.load_state_dict(dict(sd)) == ([], [])
    assert m.num_batches_tracked.item() == 7


def test_linear_attributes_and_shapes():
    m = nn.Linear(4, 3)
    assert (m.in_features, m.out_features) == (4, 3)
    assert m.weight.shape == (3, 4) and m.bias.shape == (3,)
    assert m.weight.dtype == autograd.float32
    assert nn.Linear(2, 2, bias=False).bias is None
    assert nn.Linear(2, 2, dtype=autograd.float64).weight.dtype == autograd.float64


def test_conv2d_attributes_and_errors():
    m = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    assert m.kernel_size == (3, 3) and m.stride == (2, 2) and m.padding == (1, 1)
    assert m.dilation == (1, 1) and m.groups == 2 and m.padding_mode == "zeros"
    assert m.weight.shape == (6, 2, 3, 3) and m.bias.shape == (6,)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 1, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 1, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 4, 1, groups=0)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 1, padding_mode="mirror")
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'"):
        nn.Conv2d(1, 1, 1, padding_mode="reflect")
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(NotImplementedError, match="asymmetric"):
        nn.Conv2d(1, 1, 2, padding="same")


def test_pooling_defaults():
    m = nn.MaxPool2d(3)
    assert (m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode) == (3, 3, 0, 1, False)
    a = nn.AvgPool2d((2, 3), stride=1)
    assert (a.kernel_size, a.stride, a.count_include_pad, a.divisor_override) == (
        (2, 3), 1, True, None)
    assert nn.AdaptiveAvgPool2d(1).output_size == 1


@needs("dropout")
def test_dropout_training_masks_and_scales():
    autograd.manual_seed(0)
    m = nn.Dropout(p=0.25)
    x = autograd.ones(200, 50, requires_grad=True)
    y = m(x)
    kept = y._data != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y._data[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, kept / 0.75, rtol=1e-6)
    m.eval()
    np.testing.assert_array_equal(m(x)._data, x._data)
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(1.5)


def test_flatten_and_identity():
    x = autograd.zeros(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, -2)(x).shape == (6, 4)
    assert nn.Identity()(x) is x


@needs("linear")
@pytest.mark.parametrize("with_bn", [False, True])
def test_gradcheck_small_composed_model(with_bn):
    autograd.manual_seed(0)
    layers = [nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)]
    if with_bn:
        layers.insert(1, nn.BatchNorm1d(4))
    model = nn.Sequential(*layers).double()
    x = autograd.randn(5, 3, dtype=autograd.float64, requires_grad=True)
    params = tuple(model.parameters())
    assert autograd.gradcheck(lambda x, *ps: model(x), (x,) + params)


@needs("conv2d")
@needs("max_pool2d")
@needs("adaptive_avg_pool2d")
def test_gradcheck_small_conv_model():
    autograd.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 2, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 2),
    ).double()
    x = autograd.randn(2, 2, 4, 4, dtype=autograd.float64, requires_grad=True)
    assert autograd.gradcheck(lambda x, *ps: model(x), (x,) + tuple(model.parameters()))


@needs("conv2d")
@pytest.mark.parametrize("dtype", DTYPES)
def test_small_cnn_parity_in_training(dtype):
    def build(lib):
        return lib.nn.Sequential(OrderedDict(
            conv=lib.nn.Conv2d(3, 4, 3, padding=1, bias=False), bn=lib.nn.BatchNorm2d(4),
            act=lib.nn.ReLU(inplace=True), pool=lib.nn.MaxPool2d(2),
            gap=lib.nn.AdaptiveAvgPool2d((1, 1)), flat=lib.nn.Flatten(),
            fc=lib.nn.Linear(4, 3)))
    check_module_parity(build, _randn(2, 3, 6, 6), dtype, train=True, steps=2,
                        tol=dict(rtol=1e-4, atol=5e-5) if dtype == np.float32 else None)
