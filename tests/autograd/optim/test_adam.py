"""autograd/optim/adam.py: Adam and AdamW updates, state and argument checks."""
import numpy as np
import pytest

import autograd
from tests.autograd.optim.parity import run_parity


def _param(values, dtype=np.float64):
    return autograd.from_numpy(np.array(values, dtype=dtype)).requires_grad_()


def _set_grad(p, values):
    p.grad = autograd.from_numpy(np.array(values, dtype=p.detach().numpy().dtype))


def _adam_reference(p, grads, lr, b1, b2, eps, wd=0.0, decoupled=False, amsgrad=False):
    """Adam's textbook recurrences in float64, step by step."""
    p = np.array(p, dtype=np.float64)
    m = v = vmax = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = np.asarray(g, dtype=np.float64)
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vhat = (vmax if amsgrad else v) / (1 - b2 ** t)
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(vhat) + eps)
    return p, m, v


# ----------------------------------------------------------------------
# closed form, no torch
# ----------------------------------------------------------------------
def test_first_step_moves_each_entry_by_about_lr():
    p = _param([1.0, -2.0, 3.0])
    opt = autograd.optim.Adam([p], lr=0.1)
    g = np.array([0.5, -4.0, 1e-3])
    _set_grad(p, g)
    opt.step()
    # After one step m_hat = g and v_hat = g*g, so the step is lr * g / (|g| + eps).
    expected = np.array([1.0, -2.0, 3.0]) - 0.1 * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    state = opt.state[p]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq"]
    np.testing.assert_allclose(state["exp_avg"].numpy(), 0.1 * g, rtol=1e-12)
    np.testing.assert_allclose(state["exp_avg_sq"].numpy(), 0.001 * g * g, rtol=1e-12)


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True),
    dict(amsgrad=True),
])
def test_three_steps_match_the_recurrences(kwargs):
    p0 = [0.3, -1.2]
    grads = [[1.0, -0.5], [-2.0, 0.25], [0.1, 3.0]]
    p = _param(p0)
    opt = autograd.optim.Adam([p], lr=0.01, betas=(0.8, 0.9), eps=1e-6, **kwargs)
    for g in grads:
        _set_grad(p, g)
        opt.step()
    expected, m, v = _adam_reference(
        p0, grads, 0.01, 0.8, 0.9, 1e-6, kwargs.get("weight_decay", 0.0),
        kwargs.get("decoupled_weight_decay", False), kwargs.get("amsgrad", False))
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["exp_avg"].numpy(), m, rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["exp_avg_sq"].numpy(), v, rtol=1e-12)
    assert opt.state[p]["step"].item() == 3.0


def test_adamw_decays_the_weights_before_the_adam_step():
    p = _param([2.0, -1.0])
    opt = autograd.optim.AdamW([p], lr=0.1, weight_decay=0.5)
    g = np.array([1.0, 1.0])
    _set_grad(p, g)
    opt.step()
    expected = np.array([2.0, -1.0]) * (1 - 0.05) - 0.1 * g / (g + 1e-8)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    # The penalty stays out of the moments.
    np.testing.assert_allclose(opt.state[p]["exp_avg"].numpy(), 0.1 * g, rtol=1e-12)
    assert autograd.optim.AdamW([_param([1.0])]).defaults["weight_decay"] == 1e-2
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_maximize_ascends():
    p = _param([0.0])
    opt = autograd.optim.Adam([p], lr=0.1, maximize=True)
    _set_grad(p, [3.0])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.1 * 3.0 / (3.0 + 1e-8)], rtol=1e-12)


def test_state_dtypes_float32():
    p = _param([1.0, 2.0], np.float32)
    opt = autograd.optim.Adam([p], lr=0.1, amsgrad=True)
    _set_grad(p, np.array([1.0, -1.0]))
    version = p._version
    opt.step()
    state = opt.state[p]
    assert p.dtype is autograd.float32
    assert p._version > version
    assert state["step"].dtype is autograd.float32 and state["step"].shape == ()
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert state[key].dtype is autograd.float32, key
        assert state[key].shape == (2,)
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 2.1], rtol=1e-6)


def test_state_dtypes_float64_step_still_float32():
    p = _param([1.0])
    opt = autograd.optim.Adam([p])
    _set_grad(p, [1.0])
    opt.step()
    assert opt.state[p]["step"].dtype is autograd.float32
    assert opt.state[p]["exp_avg"].dtype is autograd.float64


def test_params_without_grad_are_skipped_and_get_no_state():
    a, b = _param([1.0]), _param([2.0])
    opt = autograd.optim.Adam([a, b], lr=0.1)
    _set_grad(a, [1.0])
    opt.step()
    opt.step()
    assert b not in opt.state
    np.testing.assert_array_equal(b.detach().numpy(), [2.0])
    assert opt.state[a]["step"].item() == 2.0


def test_closure_loss_is_returned():
    p = _param([1.0, -1.0])
    opt = autograd.optim.Adam([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 2.0
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -0.9], rtol=1e-9)


# ----------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    (dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (dict(weight_decay=-0.5), "Invalid weight_decay value: -0.5"),
])
def test_invalid_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        getattr(autograd.optim, cls)([_param([1.0])], **kwargs)


@pytest.mark.parametrize("flag", ["capturable", "differentiable", "fused"])
def test_unsupported_switches(flag):
    with pytest.raises(NotImplementedError, match=flag):
        autograd.optim.Adam([_param([1.0])], **{flag: True})


# ----------------------------------------------------------------------
# parity with torch.optim.Adam / AdamW
# ----------------------------------------------------------------------
_OPTIONS = [
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, betas=(0.5, 0.9), eps=1e-3, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, maximize=True, betas=(0.7, 0.95))),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", _OPTIONS,
                         ids=[f"{n}-{','.join(kw)}" for n, kw in _OPTIONS])
def test_parity_with_torch(name, kwargs, dtype):
    pytest.importorskip("torch")
    run_parity(name, kwargs, dtype)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parity_param_groups_and_missing_grads(name, dtype):
    pytest.importorskip("torch")
    groups = [
        {"params": [2, 0], "lr": 0.05, "amsgrad": True},
        {"params": [1], "betas": (0.8, 0.99), "weight_decay": 0.2},
    ]
    run_parity(name, dict(lr=0.01), dtype, groups=groups, missing={(0, 0), (2, 1), (4, 2)})
