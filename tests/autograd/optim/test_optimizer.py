"""autograd/optim/optimizer.py: parameter groups, zero_grad, state dicts, repr."""
import pickle
import warnings

import numpy as np
import pytest

import autograd
from autograd.optim import SGD, Adam, Optimizer


def _param(values, dtype=np.float64):
    return autograd.from_numpy(np.array(values, dtype=dtype)).requires_grad_()


def _set_grad(p, values):
    p.grad = autograd.from_numpy(np.array(values, dtype=p.detach().numpy().dtype))


# ----------------------------------------------------------------------
# construction and parameter groups
# ----------------------------------------------------------------------
def test_param_groups_from_a_list_and_from_dicts():
    a, b, c = _param([1.0]), _param([2.0]), _param([3.0])
    opt = SGD([a, b], lr=0.1)
    assert len(opt.param_groups) == 1
    assert opt.param_groups[0]["params"][0] is a and opt.param_groups[0]["params"][1] is b
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0

    opt = SGD([{"params": [a, b]}, {"params": c, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0, 0.9]
    # A single tensor becomes a one-element list.
    assert opt.param_groups[1]["params"][0] is c
    assert len(opt.param_groups[1]["params"]) == 1
    # Every group holds every hyperparameter.
    assert set(opt.param_groups[0]) == set(opt.defaults) | {"params"}


def test_generator_of_params_is_consumed_once():
    ps = [_param([1.0]), _param([2.0])]
    opt = SGD((p for p in ps), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2


def test_add_param_group_fills_defaults():
    a, b = _param([1.0]), _param([2.0])
    opt = SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.01})
    group = opt.param_groups[1]
    assert group["lr"] == 0.01 and group["momentum"] == 0.9 and group["params"][0] is b
    _set_grad(a, [1.0])
    _set_grad(b, [1.0])
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.9])
    np.testing.assert_allclose(b.detach().numpy(), [1.99])


def test_constructor_errors():
    p = _param([1.0])
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError,
                       match="iterable of Tensors or dicts, but got autograd.DoubleTensor"):
        SGD(p, lr=0.1)
    with pytest.raises(TypeError,
                       match="optimizer can only optimize Tensors, but one of the params is float"):
        SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        SGD([{"params": {p}}], lr=0.1)


def test_duplicate_params_across_groups_raise():
    a, b = _param([1.0]), _param([2.0])
    with pytest.raises(ValueError,
                       match="^some parameters appear in more than one parameter group$"):
        SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1)
    opt = SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert len(opt.param_groups) == 1


def test_duplicate_params_in_one_group_warn():
    a = _param([1.0])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        SGD([a, a], lr=0.1)


def test_leaf_that_does_not_require_grad_is_accepted():
    frozen = autograd.tensor([1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = SGD([frozen], lr=0.1)
    opt.step()
    np.testing.assert_array_equal(frozen.numpy(), [1.0])


def test_base_step_is_abstract():
    opt = Optimizer([_param([1.0])], {"lr": 0.1})
    with pytest.raises(NotImplementedError):
        opt.step()


def test_required_hyperparameter():
    from autograd.optim.optimizer import required

    p = _param([1.0])
    with pytest.raises(ValueError,
                       match="didn't specify a value of required optimization parameter lr"):
        Optimizer([p], {"lr": required})
    assert Optimizer([{"params": [p], "lr": 0.3}], {"lr": required}).param_groups[0]["lr"] == 0.3


# ----------------------------------------------------------------------
# zero_grad and step
# ----------------------------------------------------------------------
def test_zero_grad_sets_to_none_by_default():
    a, b = _param([1.0, 2.0]), _param([3.0])
    opt = SGD([a, b], lr=0.1)
    (a * a).sum().backward()
    assert a.grad is not None and b.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_zero_grad_in_place_keeps_the_buffer():
    a = _param([1.0, 2.0])
    opt = SGD([a], lr=0.1)
    (a * a).sum().backward()
    grad = a.grad
    buffer = grad.numpy()
    version = grad._version
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad
    np.testing.assert_array_equal(buffer, [0.0, 0.0])
    assert grad._version == version + 1
    # The next backward accumulates into the zeroed buffer.
    (a * 3.0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_zero_grad_in_place_detaches_a_differentiable_grad():
    a = _param([1.0, 2.0])
    opt = SGD([a], lr=0.1)
    (a * a).sum().backward(create_graph=True)
    assert a.grad.requires_grad
    opt.zero_grad(set_to_none=False)
    assert a.grad.grad_fn is None and not a.grad.requires_grad
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])


def test_step_with_closure_returns_its_loss_and_enables_grad():
    a = _param([1.0, 2.0])
    opt = SGD([a], lr=0.1)
    seen = []

    def closure():
        seen.append(autograd.is_grad_enabled())
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with autograd.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert loss.item() == 5.0
    np.testing.assert_allclose(a.detach().numpy(), [0.8, 1.6])
    assert opt.step() is None


# ----------------------------------------------------------------------
# state_dict / load_state_dict
# ----------------------------------------------------------------------
def _trained(cls, kwargs, steps=3):
    a, b, c = _param([1.0, -2.0]), _param([[0.5, 0.25], [3.0, -1.0]]), _param([4.0])
    opt = cls([{"params": [a, b]}, {"params": [c], "lr": 0.05}], **kwargs)
    for i in range(steps):
        _set_grad(a, [0.1 * i + 1.0, -0.5])
        _set_grad(b, [[1.0, i], [-1.0, 2.0]])
        if i != 1:
            _set_grad(c, [2.0])
        else:
            c.grad = None
        opt.step()
    return opt, [a, b, c]


def test_state_dict_format():
    opt, (a, b, c) = _trained(SGD, dict(lr=0.1, momentum=0.9))
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == [0, 1, 2]
    assert set(sd["state"][1]) == {"momentum_buffer"}
    assert sd["state"][1]["momentum_buffer"] is opt.state[b]["momentum_buffer"]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert list(sd["param_groups"][0])[-1] == "params"
    assert sd["param_groups"][1]["lr"] == 0.05
    # The optimizer's own groups are untouched.
    assert opt.param_groups[0]["params"][0] is a


def test_state_dict_matches_torch_layout():
    torch = pytest.importorskip("torch")
    opt, params = _trained(Adam, dict(lr=0.1, amsgrad=True))
    tparams = [torch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    topt = torch.optim.Adam([{"params": tparams[:2]}, {"params": tparams[2:], "lr": 0.05}],
                            lr=0.1, amsgrad=True)
    for tp in tparams:
        tp.grad = torch.ones_like(tp)
    topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert {k: sorted(v) for k, v in sd["state"].items()} == \
        {k: sorted(v) for k, v in tsd["state"].items()}


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (SGD, dict(lr=0.1, momentum=0.8, dampening=0.2, weight_decay=0.01)),
    (Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
    (autograd.optim.AdamW, dict(lr=0.1)),
])
def test_round_trip_continues_identically(cls, kwargs):
    opt, params = _trained(cls, kwargs)
    copies = [_param(p.detach().numpy().copy()) for p in params]
    fresh = cls([{"params": copies[:2]}, {"params": copies[2:]}], lr=123.0)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[1]["lr"] == 0.05 and fresh.param_groups[0]["lr"] == 0.1
    assert fresh.param_groups[0]["params"][0] is copies[0]
    grads = [[0.3, 0.7], [[-1.0, 0.5], [2.0, 0.0]], [1.5]]
    for _ in range(3):
        for p, q, g in zip(params, copies, grads):
            _set_grad(p, g)
            _set_grad(q, g)
        opt.step()
        fresh.step()
        for p, q in zip(params, copies):
            np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
    for p, q in zip(params, copies):
        assert sorted(opt.state[p]) == sorted(fresh.state[q])
        for key, value in opt.state[p].items():
            np.testing.assert_array_equal(fresh.state[q][key].numpy(), value.numpy())


def test_load_deep_copies():
    opt, params = _trained(Adam, dict(lr=0.1))
    sd = opt.state_dict()
    before = sd["state"][0]["exp_avg"].numpy().copy()
    fresh = Adam([{"params": params[:2]}, {"params": params[2:]}])
    fresh.load_state_dict(sd)
    assert fresh.state[params[0]]["exp_avg"] is not sd["state"][0]["exp_avg"]
    _set_grad(params[0], [5.0, 5.0])
    fresh.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"].numpy(), before)
    assert fresh.param_groups[0] is not sd["param_groups"][0]
    fresh.param_groups[0]["lr"] = 9.0
    assert sd["param_groups"][0]["lr"] == 0.1


def test_load_casts_floating_state_to_the_param_dtype():
    opt, params = _trained(Adam, dict(lr=0.1, amsgrad=True))
    floats = [_param(p.detach().numpy().astype(np.float32), np.float32) for p in params]
    fresh = Adam([{"params": floats[:2]}, {"params": floats[2:]}])
    fresh.load_state_dict(opt.state_dict())
    state = fresh.state[floats[0]]
    assert state["exp_avg"].dtype is autograd.float32
    assert state["max_exp_avg_sq"].dtype is autograd.float32
    assert state["step"].dtype is autograd.float32
    np.testing.assert_allclose(state["exp_avg"].numpy(),
                               opt.state[params[0]]["exp_avg"].numpy(), rtol=1e-6)
    # A float64 step stays float64: step is not cast.
    sd = opt.state_dict()
    sd["state"][0]["step"] = autograd.tensor(3.0, dtype=autograd.float64)
    fresh.load_state_dict(sd)
    assert fresh.state[floats[0]]["step"].dtype is autograd.float64


def test_load_errors():
    opt, params = _trained(SGD, dict(lr=0.1, momentum=0.9))
    sd = opt.state_dict()
    one_group = SGD(params, lr=0.1)
    with pytest.raises(ValueError,
                       match="^loaded state dict has a different number of parameter groups$"):
        one_group.load_state_dict(sd)
    other_sizes = SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1)
    with pytest.raises(ValueError, match="^loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group$"):
        other_sizes.load_state_dict(sd)


def test_pickle_round_trip():
    opt, params = _trained(SGD, dict(lr=0.1, momentum=0.9))
    clone = pickle.loads(pickle.dumps(opt))
    q = clone.param_groups[0]["params"][0]
    assert q is not params[0]
    np.testing.assert_array_equal(clone.state[q]["momentum_buffer"].numpy(),
                                  opt.state[params[0]]["momentum_buffer"].numpy())


def test_repr():
    opt = SGD([{"params": [_param([1.0])]}, {"params": [_param([2.0])], "lr": 0.5}],
              lr=0.1, momentum=0.9)
    assert repr(opt) == (
        "SGD (\n"
        "Parameter Group 0\n"
        "    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n"
        "    lr: 0.1\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n"
        "    weight_decay: 0\n"
        "Parameter Group 1\n"
        "    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n"
        "    lr: 0.5\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n"
        "    weight_decay: 0\n"
        ")"
    )


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", {}), ("AdamW", {})]:
        ours = getattr(autograd.optim, name)([_param([1.0])], **kwargs)
        theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
        assert repr(ours) == repr(theirs)
