"""autograd/optim/sgd.py: SGD's update rule, state and argument checks."""
import numpy as np
import pytest

import autograd
from tests.autograd.optim.parity import run_parity


def _param(values, dtype=np.float64):
    return autograd.from_numpy(np.array(values, dtype=dtype)).requires_grad_()


def _set_grad(p, values):
    p.grad = autograd.from_numpy(np.array(values, dtype=p.detach().numpy().dtype))


# ----------------------------------------------------------------------
# closed form, no torch
# ----------------------------------------------------------------------
def test_plain_step_is_p_minus_lr_g():
    p = _param([1.0, -2.0, 3.0])
    opt = autograd.optim.SGD([p], lr=0.1)
    _set_grad(p, [0.5, 1.0, -2.0])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.95, -2.1, 3.2], rtol=1e-15)
    # Without momentum no state is kept.
    assert len(opt.state) == 0


def test_step_from_a_real_loss():
    p = _param([1.0, 2.0])
    opt = autograd.optim.SGD([p], lr=0.25)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.5, 1.0])


def test_weight_decay_and_maximize():
    p = _param([1.0, -2.0])
    opt = autograd.optim.SGD([p], lr=0.1, weight_decay=0.5, maximize=True)
    _set_grad(p, [2.0, 4.0])
    opt.step()
    # maximize: g = -g, then g + wd * p; p - lr * g
    expected = np.array([1.0, -2.0]) - 0.1 * (-np.array([2.0, 4.0]) + 0.5 * np.array([1.0, -2.0]))
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-15)


def test_momentum_first_step_clones_the_gradient_then_accumulates():
    p = _param([0.0, 0.0])
    opt = autograd.optim.SGD([p], lr=1.0, momentum=0.9, dampening=0.5)
    g1, g2 = np.array([1.0, 2.0]), np.array([-3.0, 0.5])
    _set_grad(p, g1)
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    # The first buffer is the gradient itself (no dampening), but not the same memory.
    np.testing.assert_array_equal(buf.numpy(), g1)
    assert not np.shares_memory(buf.numpy(), p.grad.numpy())
    np.testing.assert_allclose(p.detach().numpy(), -g1)
    _set_grad(p, g2)
    opt.step()
    buf2 = 0.9 * g1 + 0.5 * g2
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), buf2)
    np.testing.assert_allclose(p.detach().numpy(), -g1 - buf2)
    # The gradient the user holds is never modified.
    np.testing.assert_array_equal(p.grad.numpy(), g2)


def test_nesterov_step():
    p = _param([1.0])
    opt = autograd.optim.SGD([p], lr=0.1, momentum=0.5, nesterov=True)
    _set_grad(p, [2.0])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.1 * (2.0 + 0.5 * 2.0)])
    _set_grad(p, [1.0])
    opt.step()
    buf = 0.5 * 2.0 + 1.0
    np.testing.assert_allclose(p.detach().numpy(), [0.7 - 0.1 * (1.0 + 0.5 * buf)])


def test_float32_stays_float32_and_version_bumps():
    p = _param([1.0, 2.0], np.float32)
    opt = autograd.optim.SGD([p], lr=0.1, momentum=0.9)
    _set_grad(p, np.array([1.0, 1.0], np.float32))
    version = p._version
    data = p.detach().numpy()
    opt.step()
    assert p._version == version + 1
    assert p.detach().numpy() is data or np.shares_memory(p.detach().numpy(), data)
    assert p.dtype is autograd.float32
    assert opt.state[p]["momentum_buffer"].dtype is autograd.float32
    np.testing.assert_allclose(data, np.array([0.9, 1.9], np.float32))


def test_params_without_grad_are_skipped():
    a, b = _param([1.0]), _param([2.0])
    opt = autograd.optim.SGD([a, b], lr=0.1, momentum=0.9)
    _set_grad(a, [1.0])
    version = b._version
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.9])
    np.testing.assert_array_equal(b.detach().numpy(), [2.0])
    assert b._version == version
    assert b not in opt.state


def test_step_records_no_graph():
    p = _param([1.0])
    opt = autograd.optim.SGD([p], lr=0.1, momentum=0.9)
    _set_grad(p, [1.0])
    opt.step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


# ----------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.1), "Invalid learning rate: -0.1"),
    (dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    (dict(weight_decay=-1e-4), "Invalid weight_decay value: -0.0001"),
    (dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (dict(nesterov=True, momentum=0.9, dampening=0.1),
     "Nesterov momentum requires a momentum and zero dampening"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        autograd.optim.SGD([_param([1.0])], **kwargs)


def test_unsupported_switches():
    with pytest.raises(NotImplementedError, match="fused"):
        autograd.optim.SGD([_param([1.0])], fused=True)
    # foreach only picks an implementation; the result is the same.
    autograd.optim.SGD([_param([1.0])], foreach=True)


def test_defaults():
    opt = autograd.optim.SGD([_param([1.0])])
    assert opt.defaults == dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                                nesterov=False, maximize=False, foreach=None,
                                differentiable=False, fused=None)


# ----------------------------------------------------------------------
# parity with torch.optim.SGD
# ----------------------------------------------------------------------
_OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, momentum=0.9, weight_decay=0.05, maximize=True),
    dict(lr=0.05, momentum=0.7, dampening=0.2, weight_decay=0.01, maximize=True),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", _OPTIONS, ids=lambda kw: ",".join(kw))
def test_parity_with_torch(kwargs, dtype):
    pytest.importorskip("torch")
    run_parity("SGD", kwargs, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parity_param_groups_and_missing_grads(dtype):
    pytest.importorskip("torch")
    groups = [
        {"params": [0, 2], "lr": 0.02, "nesterov": True},
        {"params": [1], "momentum": 0.5, "dampening": 0.5, "maximize": True},
    ]
    # Param 2 has no gradient on steps 1 and 3, param 1 none on the first step.
    run_parity("SGD", dict(lr=0.1, momentum=0.9), dtype, groups=groups,
               missing={(0, 1), (1, 2), (3, 2)})


def test_parity_training_loop_with_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w0, x, y = rng.standard_normal((4, 3)), rng.standard_normal((6, 3)), rng.standard_normal(6)
    w = autograd.from_numpy(w0.copy()).requires_grad_()
    tw = torch.tensor(w0.copy(), requires_grad=True)
    xs, ys = autograd.from_numpy(x), autograd.from_numpy(y)
    txs, tys = torch.tensor(x), torch.tensor(y)
    opt = autograd.optim.SGD([w], lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    topt = torch.optim.SGD([tw], lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    for _ in range(5):
        opt.zero_grad()
        topt.zero_grad()
        loss = ((xs @ w.transpose(0, 1)).sum(1) - ys).pow(2).mean()
        tloss = ((txs @ tw.T).sum(1) - tys).pow(2).mean()
        loss.backward()
        tloss.backward()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
        opt.step()
        topt.step()
        np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
