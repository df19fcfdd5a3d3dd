"""engine/nn_ops.py: linear, batch_norm, masked_scale (dropout) and the
losses through the shared checks, plus running statistics, node names,
second derivatives, numerical stability and the errors."""
import warnings

import numpy as np
import pytest

import autograd
from engine import nn_ops
from tests.op_harness import Arg, OpCase, OpTests, Sample, nc, randn


def _F(lib):
    """The op namespace: the engine module here, torch.nn.functional there."""
    return nn_ops if lib is autograd else lib.nn.functional


def _const(array):
    """A tensor argument that takes no gradient (targets, running stats)."""
    return Arg(np.asarray(array), requires_grad=False)


# ----------------------------------------------------------------------
# samples
# ----------------------------------------------------------------------

def _linear_samples(rng):
    r = lambda *s: randn(rng, *s)
    return [
        Sample((Arg(r(5, 4)), Arg(r(3, 4)), Arg(r(3))), name="2d-bias"),
        Sample((Arg(r(5, 4)), Arg(r(3, 4))), name="2d-no-bias"),
        Sample((Arg(r(2, 3, 4)), Arg(r(3, 4)), Arg(r(3))), name="3d-bias"),
        Sample((Arg(r(2, 3, 4)), Arg(r(3, 4))), name="3d-no-bias"),
        Sample((Arg(r(4)), Arg(r(3, 4)), Arg(r(3))), name="1d-input"),
        Sample((nc(r(5, 4)), nc(r(3, 4)), Arg(r(3))), name="noncontiguous"),
        Sample((nc(r(2, 5, 4)), Arg(r(3, 4)), nc(r(3))), name="noncontiguous-3d"),
        Sample((Arg(r(5, 4)), Arg(r(3, 4)), Arg(r(1))), name="broadcast-bias"),
        Sample((Arg(r(1, 1)), Arg(r(1, 1)), Arg(r(1))), name="size1"),
        Sample((Arg(r(5, 4)), Arg(r(3, 4)), _const(r(3))), name="bias-no-grad"),
        Sample((_const(r(5, 4)), Arg(r(3, 4)), Arg(r(3))), name="input-no-grad"),
    ]


def _linear_zero(rng):
    r = lambda *s: randn(rng, *s)
    return [
        Sample((Arg(r(0, 4)), Arg(r(3, 4)), Arg(r(3))), name="no-rows"),
        Sample((Arg(r(5, 0)), Arg(r(3, 0)), Arg(r(3))), name="no-features"),
        Sample((Arg(r(5, 4)), Arg(r(0, 4))), name="no-outputs"),
    ]


def _bn_samples(rng):
    r = lambda *s: randn(rng, *s)
    pos = lambda *s: randn(rng, *s, low=0.5, high=2.0)
    samples = []
    for shape in [(6, 3), (4, 3, 5), (3, 2, 4, 5)]:
        c = shape[1]
        tag = f"{len(shape)}d"
        samples += [
            Sample((Arg(r(*shape)), None, None), dict(training=True), name=f"train-{tag}"),
            Sample((Arg(r(*shape)), _const(r(c)), _const(pos(c)), Arg(pos(c)), Arg(r(c))),
                   dict(training=True, momentum=0.2), name=f"train-affine-stats-{tag}"),
            Sample((Arg(r(*shape)), _const(r(c)), _const(pos(c)), Arg(pos(c)), Arg(r(c))),
                   dict(training=False), name=f"eval-affine-{tag}"),
            Sample((Arg(r(*shape)), _const(r(c)), _const(pos(c))),
                   dict(training=False, eps=1e-3), name=f"eval-{tag}"),
        ]
    samples += [
        Sample((nc(r(4, 3, 2, 5)), None, None, Arg(pos(3)), None), dict(training=True),
               name="train-noncontiguous-weight-only"),
        Sample((nc(r(5, 3)), _const(r(3)), _const(pos(3)), None, Arg(r(3))),
               dict(training=False), name="eval-noncontiguous-bias-only"),
        Sample((Arg(r(2, 1)), None, None, Arg(pos(1)), Arg(r(1))), dict(training=True),
               name="one-channel"),
        Sample((Arg(r(1, 2, 3)), None, None), dict(training=True), name="batch1-spatial"),
        Sample((_const(r(4, 3)), None, None, Arg(pos(3)), Arg(r(3))), dict(training=True),
               name="input-no-grad"),
    ]
    return samples


def _bn_zero(rng):
    r = lambda *s: randn(rng, *s)
    return [
        Sample((Arg(r(0, 3)), _const(r(3)), _const(r(3) ** 2 + 1)), dict(training=False),
               name="eval-empty-batch"),
        Sample((Arg(r(4, 0, 5)), None, None), dict(training=True), name="no-channels"),
    ]


def _mse_samples(rng):
    r = lambda *s: randn(rng, *s)
    return [
        Sample((Arg(r(3, 4)), _const(r(3, 4))), name="mean"),
        Sample((Arg(r(3, 4)), Arg(r(3, 4))), dict(reduction="sum"), name="sum-target-grad"),
        Sample((Arg(r(3, 4)), Arg(r(3, 4))), dict(reduction="none"), name="none"),
        Sample((nc(r(4, 3)), nc(r(4, 3))), name="noncontiguous"),
        Sample((Arg(r(3, 4)), Arg(r(4))), name="broadcast-target"),
        Sample((Arg(r(3, 1)), Arg(r(1, 4))), dict(reduction="none"), name="broadcast-both"),
        Sample((Arg(r()), Arg(r())), name="0d"),
    ]


def _mse_zero(rng):
    return [Sample((Arg(randn(rng, 0, 3)), Arg(randn(rng, 0, 3))), dict(reduction=red),
                   name=red) for red in ("sum", "none")]


def _targets(rng, c, *shape, ignore=None):
    t = rng.integers(0, c, size=shape).astype(np.int64)
    if ignore is not None and t.size:
        t.reshape(-1)[::3] = ignore
    return t


def _class_samples(rng, smoothing=False):
    """Samples shared by nll_loss and cross_entropy (class-index targets)."""
    r = lambda *s: randn(rng, *s)
    w = lambda c: _const(randn(rng, c, low=0.3, high=2.0))
    samples = []
    for red in ("mean", "sum", "none"):
        samples += [
            Sample((Arg(r(6, 4)), _const(_targets(rng, 4, 6))), dict(reduction=red),
                   name=f"2d-{red}"),
            Sample((Arg(r(6, 4)), _const(_targets(rng, 4, 6)), w(4)), dict(reduction=red),
                   name=f"weight-{red}"),
            Sample((Arg(r(6, 4)), _const(_targets(rng, 4, 6, ignore=-100)), w(4)),
                   dict(reduction=red), name=f"weight-ignore-{red}"),
            Sample((Arg(r(2, 3, 4, 5)), _const(_targets(rng, 3, 2, 4, 5, ignore=1))),
                   dict(reduction=red, ignore_index=1), name=f"4d-ignore-in-range-{red}"),
            Sample((Arg(r(4)), _const(np.array(2))), dict(reduction=red), name=f"unbatched-{red}"),
        ]
    samples += [
        Sample((Arg(r(3, 4, 5)), _const(_targets(rng, 4, 3, 5)), w(4)), name="3d-weight"),
        Sample((Arg(r(2, 3, 2, 2, 2)), _const(_targets(rng, 3, 2, 2, 2, 2))), name="5d"),
        Sample((nc(r(5, 4)), _const(_targets(rng, 4, 5))), name="noncontiguous"),
        Sample((Arg(r(1, 1)), _const(np.array([0]))), name="size1"),
        Sample((Arg(r(5, 3)), _const(_targets(rng, 3, 5).astype(np.uint8))), name="uint8-target"),
    ]
    if smoothing:
        for red in ("mean", "sum", "none"):
            samples += [
                Sample((Arg(r(6, 4)), _const(_targets(rng, 4, 6, ignore=-100))),
                       dict(reduction=red, label_smoothing=0.3), name=f"smooth-ignore-{red}"),
                Sample((Arg(r(6, 4)), _const(_targets(rng, 4, 6, ignore=-100)), w(4)),
                       dict(reduction=red, label_smoothing=0.2), name=f"smooth-weight-{red}"),
                Sample((Arg(r(2, 3, 4)), _const(_targets(rng, 3, 2, 4))),
                       dict(reduction=red, label_smoothing=1.0), name=f"smooth-full-3d-{red}"),
            ]
    return samples


def _probabilities(rng, *shape, axis=1):
    p = rng.uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=axis, keepdims=True)


def _ce_samples(rng):
    r = lambda *s: randn(rng, *s)
    samples = _class_samples(rng, smoothing=True)
    for red in ("mean", "sum", "none"):
        samples += [
            Sample((Arg(r(5, 4)), _const(_probabilities(rng, 5, 4))), dict(reduction=red),
                   name=f"probs-{red}"),
            Sample((Arg(r(5, 4)), Arg(_probabilities(rng, 5, 4)),
                    _const(randn(rng, 4, low=0.3, high=2.0))),
                   dict(reduction=red, label_smoothing=0.1), name=f"probs-grad-weight-smooth-{red}"),
            Sample((Arg(r(2, 3, 2, 2)), _const(_probabilities(rng, 2, 3, 2, 2))),
                   dict(reduction=red), name=f"probs-4d-{red}"),
        ]
    samples.append(Sample((Arg(r(4)), _const(_probabilities(rng, 4, axis=0))), name="probs-unbatched"))
    return samples


def _class_zero(rng):
    r = lambda *s: randn(rng, *s)
    return [Sample((Arg(r(0, 4)), _const(np.zeros(0, np.int64))), dict(reduction=red), name=red)
            for red in ("sum", "none")] + [
        Sample((Arg(r(0, 3, 2)), _const(np.zeros((0, 2), np.int64))), dict(reduction="none"),
               name="kdim-none"),
    ]


_MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])


def _masked_samples(rng):
    return [
        Sample((Arg(randn(rng, 3, 4)), _MASK, 2.5), name="contiguous"),
        Sample((nc(randn(rng, 3, 4)), _MASK, 1.25), name="noncontiguous"),
    ]


def _masked_zero(rng):
    return [Sample((Arg(randn(rng, 0, 4)), np.zeros((0, 4), bool), 2.0), name="empty")]


def _masked_torch(lib, x, mask, scale):
    return x * lib.from_numpy(mask).to(x.dtype) * scale


CASES = [
    OpCase("linear", lambda lib, *a, **kw: _F(lib).linear(*a, **kw), _linear_samples,
           _linear_zero),
    OpCase("batch_norm", lambda lib, *a, **kw: _F(lib).batch_norm(*a, **kw), _bn_samples,
           _bn_zero, atol=1e-4),
    OpCase("mse_loss", lambda lib, *a, **kw: _F(lib).mse_loss(*a, **kw), _mse_samples, _mse_zero),
    OpCase("nll_loss", lambda lib, *a, **kw: _F(lib).nll_loss(*a, **kw), _class_samples,
           _class_zero),
    OpCase("cross_entropy", lambda lib, *a, **kw: _F(lib).cross_entropy(*a, **kw), _ce_samples,
           _class_zero),
    OpCase("masked_scale", lambda lib, x, m, s: nn_ops.masked_scale(x, m, s), _masked_samples,
           _masked_zero, torch_fn=_masked_torch),
]


@pytest.mark.filterwarnings("ignore:Using a target size")
class TestOps(OpTests):
    CASES = CASES


# ----------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------

def _both(array, requires_grad=True, dtype="float64"):
    torch = pytest.importorskip("torch")
    array = np.asarray(array)
    if array.dtype.kind == "f":
        array = array.astype(dtype)
    ours = autograd.tensor(array.copy(), requires_grad=requires_grad)
    theirs = torch.tensor(array.copy(), requires_grad=requires_grad)
    return ours, theirs


def _close(a, b, rtol=1e-6, atol=1e-8):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------
# node names
# ----------------------------------------------------------------------

def test_node_names_follow_pytorch():
    x = autograd.randn(4, 3, requires_grad=True)
    w = autograd.randn(2, 3, requires_grad=True)
    b = autograd.randn(2, requires_grad=True)
    t = autograd.tensor([0, 1, 1, 0])
    assert nn_ops.linear(x, w, b).grad_fn.name() == "AddmmBackward0"
    assert nn_ops.linear(x, w).grad_fn.name() == "MmBackward0"
    assert nn_ops.batch_norm(x, None, None, training=True).grad_fn.name() == \
        "NativeBatchNormBackward0"
    assert nn_ops.mse_loss(x, x.detach()).grad_fn.name() == "MseLossBackward0"
    assert nn_ops.nll_loss(x, t).grad_fn.name() == "NllLossBackward0"
    assert nn_ops.cross_entropy(x, t).grad_fn.name() == "NllLossBackward0"
    x4 = autograd.randn(2, 3, 2, 2, requires_grad=True)
    assert nn_ops.nll_loss(x4, autograd.zeros(2, 2, 2, dtype=autograd.int64)).grad_fn.name() == \
        "NllLoss2DBackward0"
    assert nn_ops.masked_scale(x, np.ones((4, 3), bool), 2.0).grad_fn.name() == "MulBackward0"


def test_float32_stays_float32():
    x = autograd.randn(4, 3, requires_grad=True)
    w = autograd.randn(2, 3, requires_grad=True)
    t = autograd.tensor([0, 1, 2, 0])
    for out in (nn_ops.linear(x, w), nn_ops.batch_norm(x, None, None, training=True),
                nn_ops.mse_loss(x, x.detach() + 1), nn_ops.nll_loss(x, t),
                nn_ops.cross_entropy(x, t), nn_ops.cross_entropy(x, t, label_smoothing=0.1)):
        assert out.dtype == autograd.float32
        out.sum().backward()
    assert x.grad.dtype == autograd.float32 and w.grad.dtype == autograd.float32


# ----------------------------------------------------------------------
# batch_norm: running statistics and the fused kernels
# ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_running_stats_match_torch(shape, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape) * 3 + 1
    xa, xt = _both(x, dtype=dtype)
    rma, rmt = _both(rng.standard_normal(3), False, dtype)
    rva, rvt = _both(rng.uniform(0.5, 2, 3), False, dtype)
    version = rma._version
    for _ in range(3):
        nn_ops.batch_norm(xa, rma, rva, training=True, momentum=0.3)
        torch.nn.functional.batch_norm(xt, rmt, rvt, training=True, momentum=0.3)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else {}
    _close(rma, rmt, **tol)
    _close(rva, rvt, **tol)
    assert rma._version == version + 3
    # evaluation reads the statistics and leaves them alone
    before = rma.numpy().copy()
    _close(nn_ops.batch_norm(xa, rma, rva, training=False),
           torch.nn.functional.batch_norm(xt, rmt, rvt, training=False), **tol)
    np.testing.assert_array_equal(rma.numpy(), before)


def test_batch_norm_empty_batch_leaves_running_stats():
    rm, rv = autograd.zeros(3), autograd.ones(3)
    out = nn_ops.batch_norm(autograd.zeros(0, 3), rm, rv, training=True)
    assert tuple(out.shape) == (0, 3)
    assert rm.tolist() == [0.0, 0.0, 0.0] and rv.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_float32_large_matches_torch(training):
    # big enough for the compiled kernels' float32 path and float64 accumulation
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((8, 16, 12, 12)) * 2 + 5).astype(np.float32)
    xa, xt = _both(x, dtype="float32")
    wa, wt = _both(rng.uniform(0.5, 2, 16), dtype="float32")
    ba, bt = _both(rng.standard_normal(16), dtype="float32")
    rma, rmt = _both(rng.standard_normal(16), False, "float32")
    rva, rvt = _both(rng.uniform(0.5, 2, 16), False, "float32")
    oa = nn_ops.batch_norm(xa, rma, rva, wa, ba, training)
    ot = torch.nn.functional.batch_norm(xt, rmt, rvt, wt, bt, training)
    _close(oa, ot, rtol=1e-4, atol=1e-4)
    g = rng.standard_normal(x.shape).astype(np.float32)
    oa.backward(autograd.tensor(g))
    ot.backward(torch.tensor(g))
    for a, b in ((xa, xt), (wa, wt), (ba, bt)):
        _close(a.grad, b.grad, rtol=1e-3, atol=1e-3)
    _close(rva, rvt, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_second_derivatives_match_torch(training):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    xa, xt = _both(rng.standard_normal((4, 3, 2)))
    wa, wt = _both(rng.uniform(0.5, 2, 3))
    ba, bt = _both(rng.standard_normal(3))
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    ca = rng.standard_normal((4, 3, 2))
    results = []
    for lib, x, w, b in ((autograd, xa, wa, ba), (torch, xt, wt, bt)):
        out = _F(lib).batch_norm(x, lib.tensor(rm), lib.tensor(rv), w, b, training=training)
        gx, gw = lib.autograd.grad((out * lib.tensor(ca)).sum(), (x, w), create_graph=True) \
            if lib is torch else autograd.grad((out * autograd.tensor(ca)).sum(), (x, w),
                                               create_graph=True)
        total = (gx * gx).sum() + (gw * gw).sum()
        total.backward()
        results.append((gx, gw, x.grad, w.grad, b.grad))
    for a, b in zip(*results):
        if b is None:
            assert a is None or not np.any(a.numpy())
        else:
            _close(a, b, rtol=1e-6, atol=1e-9)


def test_batch_norm_graph_and_fused_formulas_agree():
    # the create_graph formula and the fused one give the same first derivative
    rng = np.random.default_rng(6)
    x = autograd.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    w = autograd.tensor(rng.uniform(0.5, 2, 2), requires_grad=True)
    c = autograd.tensor(rng.standard_normal((5, 2, 3)))
    fused = autograd.grad((nn_ops.batch_norm(x, None, None, w, training=True) * c).sum(), (x, w))
    graph = autograd.grad((nn_ops.batch_norm(x, None, None, w, training=True) * c).sum(), (x, w),
                          create_graph=True)
    for a, b in zip(fused, graph):
        _close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape, out_features", [((6, 3), 4), ((2, 5, 3), 4), ((6, 3), 1)],
                         ids=["matrix", "3-D input", "one output"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_backward_on_arrays_equals_the_graph_formula_bit_for_bit(x_shape, out_features,
                                                                          dtype):
    # without create_graph linear's backward works on the arrays; with it, it
    # builds the graph from ops: the same products and sums, the same bits
    rng = np.random.default_rng(7)
    x = autograd.tensor(rng.standard_normal(x_shape).astype(dtype), requires_grad=True)
    w = autograd.tensor(rng.standard_normal((out_features, 3)).astype(dtype), requires_grad=True)
    b = autograd.tensor(rng.standard_normal(out_features).astype(dtype), requires_grad=True)
    c = autograd.tensor(rng.standard_normal(x_shape[:-1] + (out_features,)).astype(dtype))
    arrays = autograd.grad((nn_ops.linear(x, w, b) * c).sum(), (x, w, b))
    graph = autograd.grad((nn_ops.linear(x, w, b) * c).sum(), (x, w, b), create_graph=True)
    for a, g in zip(arrays, graph):
        assert a.dtype == g.dtype and a.shape == g.shape
        np.testing.assert_array_equal(a.numpy(), g.detach().numpy())
    # and the values are the formulas' (float64 reference)
    x64, w64, c64 = (t.detach().numpy().astype(np.float64) for t in (x, w, c))
    rows = c64.reshape(-1, out_features)
    expected = (c64 @ w64, rows.T @ x64.reshape(-1, 3), rows.sum(axis=0))
    for a, e in zip(arrays, expected):
        np.testing.assert_allclose(a.numpy(), e, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------
# second derivatives of the other ops (formulas in engine ops)
# ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["linear", "mse_loss", "cross_entropy", "cross_entropy_smooth"])
def test_second_derivatives_match_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 4))
    w = rng.standard_normal((3, 4))
    y = rng.standard_normal((5, 3))
    t = np.array([0, 2, 1, 1, 2])

    def run(lib):
        xs = lib.tensor(x, requires_grad=True)
        ws = lib.tensor(w, requires_grad=True)
        h = _F(lib).linear(xs, ws) if name != "linear" else _F(lib).linear(xs, ws)
        if name == "linear":
            loss = (h * h).sum()
        elif name == "mse_loss":
            loss = _F(lib).mse_loss(h, lib.tensor(y))
        else:
            loss = _F(lib).cross_entropy(h, lib.tensor(t),
                                         label_smoothing=0.2 if name.endswith("smooth") else 0.0)
        grad_fn = torch.autograd.grad if lib is torch else autograd.grad
        (gx,) = grad_fn(loss, (xs,), create_graph=True)
        (gx * gx).sum().backward()
        return gx, ws.grad

    for a, b in zip(run(autograd), run(torch)):
        _close(a, b, rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------
# losses: values the harness cannot express
# ----------------------------------------------------------------------

def test_cross_entropy_is_stable_for_huge_logits():
    torch = pytest.importorskip("torch")
    logits = np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 5e3]], dtype=np.float32)
    xa, xt = _both(logits, dtype="float32")
    t = np.array([1, 2])
    la = nn_ops.cross_entropy(xa, autograd.tensor(t))
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(t))
    assert np.isfinite(la.item())
    _close(la, lt, rtol=1e-6)
    la.backward()
    lt.backward()
    assert np.all(np.isfinite(xa.grad.numpy()))
    _close(xa.grad, xt.grad, rtol=1e-6, atol=1e-7)


def test_all_targets_ignored_gives_nan_and_zero_gradient():
    x = autograd.randn(3, 4, requires_grad=True)
    loss = nn_ops.cross_entropy(x, autograd.tensor([-100, -100, -100]))
    assert np.isnan(loss.item())
    loss.backward()
    assert x.grad.tolist() == [[0.0] * 4] * 3


def test_weighted_mean_divides_by_counted_weights():
    x = autograd.tensor([[-1.0, -2.0], [-3.0, -4.0], [-5.0, -6.0]], requires_grad=True)
    w = autograd.tensor([2.0, 3.0])
    loss = nn_ops.nll_loss(x, autograd.tensor([0, 1, 1]), weight=w, ignore_index=0)
    # only the two class-1 targets count: (3*4 + 3*6) / (3 + 3)
    assert loss.item() == pytest.approx(5.0)
    loss.backward()
    assert x.grad.tolist() == [[0.0, 0.0], [0.0, -0.5], [0.0, -0.5]]


def test_mse_loss_warns_when_shapes_differ():
    with pytest.warns(UserWarning, match="Using a target size"):
        out = nn_ops.mse_loss(autograd.zeros(3, 1), autograd.ones(3))
    assert out.item() == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn_ops.mse_loss(autograd.zeros(3), autograd.ones(3))


def test_masked_scale_gradient_is_mask_times_scale():
    x = autograd.randn(3, 4, requires_grad=True)
    out = nn_ops.masked_scale(x, autograd.tensor(_MASK), 4.0)
    np.testing.assert_allclose(out.detach().numpy(), x.detach().numpy() * _MASK * 4.0)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), _MASK * np.float32(4.0))


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: nn_ops.linear(autograd.zeros(2, 4), autograd.zeros(3, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x4 and 5x3\)"),
    (lambda: nn_ops.linear(autograd.zeros(2, 4), autograd.zeros(3, 4, dtype=autograd.float64)),
     RuntimeError, "same dtype"),
    (lambda: nn_ops.linear(autograd.zeros(2, 4), autograd.zeros(3, 4),
                           autograd.zeros(3, dtype=autograd.float64)), RuntimeError, "same dtype"),
    (lambda: nn_ops.linear(autograd.zeros(2, 4), autograd.zeros(3, 4), autograd.zeros(4)),
     RuntimeError, r"bias of shape \[4\]"),
    (lambda: nn_ops.linear(autograd.tensor(1.0), autograd.zeros(3, 4)), RuntimeError,
     "at least 1D"),
    (lambda: nn_ops.linear([1.0], autograd.zeros(3, 4)), TypeError, "must be Tensor"),
    (lambda: nn_ops.batch_norm(autograd.zeros(1, 3), None, None, training=True), ValueError,
     r"Expected more than 1 value per channel when training, got input size \[1, 3\]"),
    (lambda: nn_ops.batch_norm(autograd.zeros(1, 3, 1), None, None, training=True), ValueError,
     "more than 1 value per channel"),
    (lambda: nn_ops.batch_norm(autograd.zeros(4, 3), None, None), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    (lambda: nn_ops.batch_norm(autograd.zeros(4, 3), autograd.zeros(4), autograd.ones(3)),
     RuntimeError, "running_mean should contain 3 elements not 4"),
    (lambda: nn_ops.batch_norm(autograd.zeros(4, 3), None, None, autograd.ones(2),
                               training=True), RuntimeError, "weight should contain 3 elements"),
    (lambda: nn_ops.batch_norm(autograd.zeros(4), None, None, training=True), ValueError,
     "2D or higher"),
    (lambda: nn_ops.batch_norm(autograd.zeros(4, 3, dtype=autograd.int64), None, None,
                               training=True), RuntimeError, "floating point"),
    (lambda: nn_ops.nll_loss(autograd.zeros(4, 3), autograd.tensor([0, 1, 5, 1])), IndexError,
     "Target 5 is out of bounds."),
    (lambda: nn_ops.cross_entropy(autograd.zeros(4, 3), autograd.tensor([0, -1, 2, 1])),
     IndexError, "Target -1 is out of bounds."),
    (lambda: nn_ops.cross_entropy(autograd.zeros(2, 3, 2), autograd.tensor([[0, 3], [1, 1]])),
     IndexError, "Target 3 is out of bounds."),
    (lambda: nn_ops.nll_loss(autograd.zeros(4, 3), autograd.tensor([0, 1, 2])), ValueError,
     r"Expected input batch_size \(4\) to match target batch_size \(3\)."),
    (lambda: nn_ops.nll_loss(autograd.zeros(4, 3), autograd.tensor([0, 1, 2, 1],
                                                                    dtype=autograd.int32)),
     RuntimeError, "expected target dtype to be Long or Byte, but got Int"),
    (lambda: nn_ops.nll_loss(autograd.zeros(4, 3), autograd.tensor([0., 1., 2., 1.])),
     RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
    (lambda: nn_ops.nll_loss(autograd.zeros(4, 3), autograd.tensor([0, 1, 2, 1]),
                             weight=autograd.ones(2)), RuntimeError,
     "weight tensor should be defined either for all 3 classes"),
    (lambda: nn_ops.nll_loss(autograd.zeros(4, 3), autograd.zeros(4, 2, dtype=autograd.int64)),
     RuntimeError, "0D or 1D target tensor expected"),
    (lambda: nn_ops.nll_loss(autograd.zeros(2, 3, 4, 5), autograd.zeros(2, 4, 6,
                                                                        dtype=autograd.int64)),
     RuntimeError, "size mismatch"),
    (lambda: nn_ops.nll_loss(autograd.zeros(3), autograd.tensor([1, 2])), ValueError,
     "1D target must have size 1"),
    (lambda: nn_ops.nll_loss(autograd.tensor(0.0), autograd.tensor(0)), ValueError,
     r"Expected 1 or more dimensions \(got 0\)"),
    (lambda: nn_ops.nll_loss(autograd.zeros(4, 3), autograd.tensor([0, 1, 2, 1]),
                             reduction="avg"), ValueError, "avg is not a valid value for reduction"),
    (lambda: nn_ops.nll_loss(autograd.zeros(4, 3), autograd.tensor([0, 1, 2, 1]),
                             weight=autograd.ones(3, requires_grad=True)), RuntimeError,
     "not differentiable with respect to argument 'weight'"),
    (lambda: nn_ops.cross_entropy(autograd.zeros(4, 3), autograd.rand(4, 3), ignore_index=1),
     RuntimeError, "ignore_index is not supported for floating point target"),
    (lambda: nn_ops.cross_entropy(autograd.zeros(4, 3), autograd.zeros(4, 3, dtype=autograd.int64)),
     RuntimeError, "Expected floating point type for target with class probabilities, got Long"),
    (lambda: nn_ops.cross_entropy(autograd.zeros(4, 3), autograd.tensor([0, 1, 2, 1]),
                                  label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: nn_ops.mse_loss(autograd.zeros(3, 2), autograd.zeros(4), reduction="x"), ValueError,
     "x is not a valid value for reduction"),
    (lambda: nn_ops.masked_scale(autograd.zeros(3), np.ones(4, bool), 2.0), RuntimeError,
     r"mask of shape \[4\]"),
    (lambda: nn_ops.masked_scale(autograd.zeros(3, dtype=autograd.int64), np.ones(3, bool), 2.0),
     RuntimeError, "floating point"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.filterwarnings("ignore:Using a target size")
def test_mse_loss_shapes_that_do_not_broadcast():
    with pytest.raises(RuntimeError, match=r"\[3, 2\] and target \[4\]"):
        nn_ops.mse_loss(autograd.zeros(3, 2), autograd.zeros(4))


def test_weight_without_grad_mode_is_fine():
    w = autograd.ones(3, requires_grad=True)
    with autograd.no_grad():
        loss = nn_ops.nll_loss(autograd.zeros(2, 3), autograd.tensor([0, 1]), weight=w)
    assert loss.item() == 0.0


def test_nll_loss_never_reads_out_of_bounds_for_ignored_targets():
    # an ignore_index outside [0, C) must not be used as an index
    x = autograd.randn(3, 2, requires_grad=True)
    loss = nn_ops.nll_loss(x, autograd.tensor([1, 7, 0]), ignore_index=7, reduction="none")
    assert loss.tolist()[1] == 0.0
    loss.sum().backward()
    assert x.grad.tolist()[1] == [0.0, 0.0]


def _batch_norm_step(x, training):
    xt = autograd.tensor(x, requires_grad=True)
    c = x.shape[1]
    w = autograd.tensor(np.linspace(0.5, 1.5, c).astype(x.dtype), requires_grad=True)
    b = autograd.tensor(np.linspace(-1, 1, c).astype(x.dtype), requires_grad=True)
    rm = autograd.tensor(np.zeros(c, dtype=x.dtype))
    rv = autograd.tensor(np.ones(c, dtype=x.dtype))
    out = nn_ops.batch_norm(xt, rm, rv, w, b, training=training)
    g = np.sin(np.arange(out.numel())).reshape(out.shape).astype(x.dtype)
    out.backward(autograd.tensor(g))
    return (out.detach().numpy(), xt.grad.numpy(), w.grad.numpy(), b.grad.numpy(),
            rm.numpy(), rv.numpy())


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_threads_give_identical_results(training):
    # Each channel's sums (and each plane's values) are computed by one
    # thread in one order, so the thread count cannot change a bit.
    x = np.random.default_rng(21).standard_normal((8, 24, 40, 40)).astype(np.float32)
    assert x.size >= nn_ops._BN_PARALLEL_MIN
    old = autograd.get_num_threads()
    try:
        autograd.set_num_threads(1)
        one = _batch_norm_step(x, training)
        autograd.set_num_threads(2)
        two = _batch_norm_step(x, training)
    finally:
        autograd.set_num_threads(old)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_non_contiguous_input_matches_contiguous():
    base = np.random.default_rng(22).standard_normal((6, 7, 5, 9))
    x = base.transpose(0, 3, 2, 1)[:, ::2]           # (6, 5, 5, 7), strided
    strided = _batch_norm_step(x, True)
    dense = _batch_norm_step(np.ascontiguousarray(x), True)
    for a, b in zip(strided, dense):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 7, 8, 9, 128, 300])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_nll_loss_of_rows_has_the_bits_of_numpys_formula(dtype, rows, reduction):
    # (N, C) input and int64 targets take a C loop in the compiled engine;
    # its sums must add in numpy's (pairwise) order
    rng = np.random.default_rng(rows)
    x = rng.standard_normal((rows, 10)).astype(dtype) * 3
    t = rng.integers(0, 10, rows)
    t[::4] = -100
    wt = (t != -100).astype(dtype)
    picked = np.where(wt != 0, x[np.arange(rows), np.where(wt != 0, t, 0)], 0).astype(dtype)
    total = np.add.reduce(-(picked * wt))
    with np.errstate(invalid="ignore"):     # one row, ignored: 0 / 0
        expected = total / np.add.reduce(wt) if reduction == "mean" else total
    xt = autograd.tensor(x, requires_grad=True)
    loss = nn_ops.nll_loss(xt, autograd.tensor(t), reduction=reduction)
    assert loss.dtype == (autograd.float32 if dtype == np.float32 else autograd.float64)
    np.testing.assert_array_equal(loss.detach().numpy(), np.asarray(expected, dtype))
    loss.backward()
    grad = np.zeros_like(x)
    scale = np.add.reduce(wt) if reduction == "mean" else 1.0
    if scale != 0:      # every target ignored: a nan mean, but a zero gradient
        grad[np.arange(rows), np.where(wt != 0, t, 0)] = -wt / scale
    np.testing.assert_array_equal(xt.grad.numpy(), grad)


@pytest.mark.parametrize("shape,kwargs", [
    ((4, 3), {}),                                           # the rows' C loop
    ((4, 3), {"reduction": "none"}),                        # numpy
    ((4, 3), {"weight": autograd.tensor([1.0, 2.0, 0.5])}),  # numpy, weighted
])
def test_ignored_targets_let_no_nan_or_inf_into_the_loss(shape, kwargs):
    # PyTorch skips an ignored target; index 0, a stand-in, must not be read
    x = np.arange(12, dtype=np.float32).reshape(shape) * -0.5
    x[1, 0] = np.nan
    x[2, 0] = -np.inf
    t = autograd.tensor([2, -100, -100, 1])
    loss = nn_ops.nll_loss(autograd.tensor(x), t, **kwargs)
    assert np.isfinite(loss.numpy()).all()
    torch = pytest.importorskip("torch")
    kw = {k: torch.tensor(v.numpy()) if k == "weight" else v for k, v in kwargs.items()}
    expected = torch.nn.functional.nll_loss(torch.tensor(x), torch.tensor([2, -100, -100, 1]),
                                            **kw)
    np.testing.assert_allclose(loss.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_a_class_weighted_zero_still_passes_nan_on_like_pytorch(reduction):
    # only ignored targets are skipped: a counted target of weight 0 gives
    # 0 * x, which is nan for a nan x
    x = np.array([[np.nan, 1.0, 2.0], [0.5, 1.0, 2.0]], dtype=np.float32)
    loss = nn_ops.nll_loss(autograd.tensor(x), autograd.tensor([0, 1]),
                           weight=autograd.tensor([0.0, 1.0, 1.0]), reduction=reduction)
    assert np.isnan(loss.numpy().reshape(-1)[0])
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.nll_loss(torch.tensor(x), torch.tensor([0, 1]),
                                            weight=torch.tensor([0.0, 1.0, 1.0]),
                                            reduction=reduction)
    np.testing.assert_array_equal(loss.numpy(), expected.numpy())
