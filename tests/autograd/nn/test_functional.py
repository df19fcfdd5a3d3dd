"""autograd/nn/functional.py: PyTorch's F names and argument handling,
dropout's random mask, and a small training run against PyTorch."""
import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
from tests.op_harness import Arg, OpCase, OpTests, Sample, nc, randn


def _F(lib):
    return F if lib is autograd else lib.nn.functional


def _const(array):
    return Arg(np.asarray(array), requires_grad=False)


def _activation_samples(rng):
    return [
        Sample((Arg(randn(rng, 3, 4)),), name="2d"),
        Sample((nc(randn(rng, 4, 3)),), name="noncontiguous"),
    ]


def _softmax_samples(rng):
    return [
        Sample((Arg(randn(rng, 3, 4)),), dict(dim=1), name="dim1"),
        Sample((Arg(randn(rng, 2, 3, 4)),), dict(dim=0), name="dim0"),
        Sample((Arg(randn(rng, 3, 4)),), dict(dim=-1, dtype=None), name="dtype-none"),
    ]


def _loss_samples(rng):
    t = np.array([0, 2, 1, 2, 0])
    return [
        Sample((Arg(randn(rng, 5, 3)), _const(t)), name="mean"),
        Sample((Arg(randn(rng, 5, 3)), _const(t), _const(randn(rng, 3, low=0.5, high=2))),
               dict(reduction="sum", ignore_index=2), name="weight-ignore-sum"),
    ]


CASES = [
    OpCase("relu", lambda lib, a: _F(lib).relu(a), _activation_samples),
    OpCase("relu-inplace-kwarg", lambda lib, a: _F(lib).relu(a * 1, inplace=True),
           _activation_samples),
    OpCase("sigmoid", lambda lib, a: _F(lib).sigmoid(a), _activation_samples),
    OpCase("tanh", lambda lib, a: _F(lib).tanh(a), _activation_samples),
    OpCase("softmax", lambda lib, a, **kw: _F(lib).softmax(a, **kw), _softmax_samples),
    OpCase("log_softmax", lambda lib, a, **kw: _F(lib).log_softmax(a, **kw), _softmax_samples),
    OpCase("linear", lambda lib, *a: _F(lib).linear(*a),
           lambda rng: [Sample((Arg(randn(rng, 4, 3)), Arg(randn(rng, 2, 3)), Arg(randn(rng, 2))))],
           lambda rng: [Sample((Arg(randn(rng, 0, 3)), Arg(randn(rng, 2, 3))), name="empty")]),
    OpCase("batch_norm", lambda lib, *a, **kw: _F(lib).batch_norm(*a, **kw),
           lambda rng: [Sample((Arg(randn(rng, 4, 3, 2)), None, None, Arg(randn(rng, 3)),
                                Arg(randn(rng, 3))), dict(training=True))], atol=1e-4),
    OpCase("mse_loss", lambda lib, *a, **kw: _F(lib).mse_loss(*a, **kw),
           lambda rng: [Sample((Arg(randn(rng, 3, 2)), Arg(randn(rng, 3, 2))),
                               dict(reduction="sum"))]),
    OpCase("nll_loss", lambda lib, *a, **kw: _F(lib).nll_loss(*a, **kw), _loss_samples),
    OpCase("cross_entropy", lambda lib, *a, **kw: _F(lib).cross_entropy(*a, **kw),
           _loss_samples),
]


class TestFunctional(OpTests):
    CASES = CASES


def test_exposes_pytorch_names():
    for name in ("relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "batch_norm",
                 "dropout", "mse_loss", "nll_loss", "cross_entropy"):
        assert callable(getattr(F, name)), name
        assert name in F.__all__
    assert autograd.nn.functional is F


def test_relu_inplace_leaves_input_unchanged():
    x = autograd.tensor([-1.0, 2.0])
    out = F.relu(x, inplace=True)
    assert out.tolist() == [0.0, 2.0]
    assert x.tolist() == [-1.0, 2.0]


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_implicit_softmax_dim_matches_torch(shape, name):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        ours = getattr(F, name)(autograd.tensor(x))
    with pytest.warns(UserWarning):
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:size_average and reduce")
@pytest.mark.parametrize("size_average, reduce", [
    (None, False), (False, None), (False, True), (True, False), (True, True),
])
def test_legacy_reduction_arguments_match_torch(size_average, reduce):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3))
    y = rng.standard_normal((4, 3))
    t = np.array([0, 2, 1, 1])
    kw = dict(size_average=size_average, reduce=reduce)
    for name, target in (("mse_loss", y), ("nll_loss", t), ("cross_entropy", t)):
        ours = getattr(F, name)(autograd.tensor(x), autograd.tensor(target), **kw)
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(target), **kw)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------
# dropout
# ----------------------------------------------------------------------

@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_probability_out_of_range(p):
    with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
        F.dropout(autograd.ones(3), p)


def test_dropout_identity_cases_return_the_input():
    x = autograd.randn(5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    empty = autograd.zeros(0, 3)
    assert F.dropout(empty, 0.5) is empty


def test_dropout_p1_zeroes_everything():
    x = autograd.randn(4, 3, requires_grad=True)
    out = F.dropout(x, 1.0)
    assert out.grad_fn.name() == "MulBackward0"
    assert not np.any(out.detach().numpy())
    out.sum().backward()
    assert not np.any(x.grad.numpy())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p):
    autograd.manual_seed(0)
    x = autograd.ones(200, 500)
    out = F.dropout(x, p).numpy()
    dropped = np.mean(out == 0)
    # 100,000 Bernoulli draws: the standard error is below 0.0016
    assert abs(dropped - p) < 0.01
    np.testing.assert_allclose(out[out != 0], 1.0 / (1.0 - p), rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.05
    assert out.dtype == np.float32


def test_dropout_gradient_is_mask_times_scale():
    autograd.manual_seed(1)
    x = autograd.tensor(np.random.default_rng(2).uniform(1, 2, (30, 40)), requires_grad=True)
    out = F.dropout(x, 0.25)
    assert out.dtype == autograd.float64
    kept = out.detach().numpy() != 0
    assert 0 < kept.mean() < 1
    g = np.random.default_rng(3).standard_normal((30, 40))
    out.backward(autograd.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g * kept / 0.75, rtol=1e-12)


def test_dropout_follows_manual_seed():
    x = autograd.ones(50, 50)
    autograd.manual_seed(7)
    first = F.dropout(x, 0.5).numpy()
    second = F.dropout(x, 0.5).numpy()
    autograd.manual_seed(7)
    again = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)


def test_dropout_inplace_flag_is_accepted():
    x = autograd.ones(10, 10)
    out = F.dropout(x, 0.5, inplace=True)
    assert x.tolist() == np.ones((10, 10)).tolist()
    assert np.any(out.numpy() == 0)


# ----------------------------------------------------------------------
# a few SGD steps of a small MLP with batch norm, against PyTorch
# ----------------------------------------------------------------------

def test_training_steps_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 6))
    t = rng.integers(0, 3, 16)
    init = [rng.standard_normal((8, 6)) * 0.4, rng.standard_normal(8) * 0.1,
            rng.uniform(0.5, 1.5, 8), rng.standard_normal(8) * 0.1,
            rng.standard_normal((3, 8)) * 0.4, np.zeros(3)]
    histories = []
    for lib in (autograd, torch):
        Fl = _F(lib)
        params = [lib.tensor(p.copy(), requires_grad=True) for p in init]
        rm, rv = lib.zeros(8, dtype=lib.float64), lib.ones(8, dtype=lib.float64)
        losses = []
        for _ in range(5):
            h = Fl.linear(lib.tensor(x), params[0], params[1])
            h = Fl.relu(Fl.batch_norm(h, rm, rv, params[2], params[3], training=True))
            loss = Fl.cross_entropy(Fl.linear(h, params[4], params[5]), lib.tensor(t),
                                    label_smoothing=0.1)
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p.data = p - 0.1 * p.grad
                    p.grad = None
            losses.append(loss.item())
        histories.append((losses, rm.numpy().copy(), rv.numpy().copy()))
    (ours, rm_a, rv_a), (theirs, rm_t, rv_t) = histories
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    assert ours[-1] < ours[0]
    np.testing.assert_allclose(rm_a, rm_t, rtol=1e-10)
    np.testing.assert_allclose(rv_a, rv_t, rtol=1e-10)
