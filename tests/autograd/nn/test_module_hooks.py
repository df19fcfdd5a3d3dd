"""autograd/nn/module.py: forward (pre-)hooks and full backward (pre-)hooks."""
import numpy as np
import pytest

import autograd
from autograd import nn


def _linear():
    m = nn.Linear(3, 2)
    m.weight.data = autograd.tensor([[1., -2., 0.5], [0.25, 1., -1.]])
    m.bias.data = autograd.tensor([0.1, -0.2])
    return m


X = [[1., 2., 3.], [-1., 0.5, 2.]]


# ----------------------------------------------------------------------
# forward hooks
# ----------------------------------------------------------------------

def test_forward_pre_hook_order_prepend_and_replacement():
    m = _linear()
    calls = []
    m.register_forward_pre_hook(lambda mod, args: calls.append("a"))
    m.register_forward_pre_hook(lambda mod, args: calls.append("b") or (args[0] * 2,))
    m.register_forward_pre_hook(lambda mod, args: calls.append("first"), prepend=True)
    x = autograd.tensor(X)
    out = m(x)
    assert calls == ["first", "a", "b"]
    np.testing.assert_allclose(out.tolist(), m.forward(x * 2).tolist())


def test_forward_pre_hook_single_value_is_wrapped_and_with_kwargs():
    class Add(nn.Module):
        def forward(self, x, y=1.0):
            return x + y

    m = Add()
    h = m.register_forward_pre_hook(lambda mod, args: args[0] * 10)
    assert m(autograd.tensor([1.])).tolist() == [11.]
    h.remove()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"y": kwargs["y"] * 3}),
                                with_kwargs=True)
    assert m(autograd.tensor([1.]), y=2.0).tolist() == [7.]
    m.register_forward_pre_hook(lambda mod, args, kwargs: "bad", with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of "
                       r"\(new_args, new_kwargs\), but got bad\."):
        m(autograd.tensor([1.]), y=2.0)


def test_forward_hook_sees_inputs_and_output_and_may_replace_it():
    m = _linear()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append((mod, args, out)))
    m.register_forward_hook(lambda mod, args, out: out * 0)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs), with_kwargs=True)
    x = autograd.tensor(X)
    out = m(x)
    assert seen[0][0] is m and seen[0][1][0] is x
    assert seen[1] == {}
    assert out.tolist() == [[0., 0.], [0., 0.]]


def test_forward_hook_always_call():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(autograd.ones(1))
    assert seen == [("always", None)]


def test_handles_remove_hooks_and_state_is_unaffected():
    m = _linear()
    keys = list(m.state_dict())
    children = list(nn.Sequential(m).children())
    calls = []
    handles = [
        m.register_forward_pre_hook(lambda mod, args: calls.append("pre")),
        m.register_forward_hook(lambda mod, args, out: calls.append("fwd"), with_kwargs=False),
        m.register_full_backward_pre_hook(lambda mod, g: calls.append("bpre")),
        m.register_full_backward_hook(lambda mod, gi, go: calls.append("bwd")),
    ]
    m(autograd.tensor(X, requires_grad=True)).sum().backward()
    assert calls == ["pre", "fwd", "bpre", "bwd"]
    assert list(m.state_dict()) == keys
    assert list(nn.Sequential(m).children()) == children
    for h in handles:
        h.remove()
    calls.clear()
    m(autograd.tensor(X, requires_grad=True)).sum().backward()
    assert calls == []
    with m.register_forward_hook(lambda mod, args, out: calls.append("ctx")):
        m(autograd.tensor(X))
    m(autograd.tensor(X))
    assert calls == ["ctx"]


# ----------------------------------------------------------------------
# backward hooks
# ----------------------------------------------------------------------

def test_full_backward_hook_gets_grad_input_and_grad_output():
    m = _linear()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((mod, gi, go)))
    x = autograd.tensor(X, requires_grad=True)
    out = m(x)
    (out * autograd.tensor([1., 2.])).sum().backward()
    ((mod, grad_input, grad_output),) = seen
    assert mod is m
    assert len(grad_input) == 1 and len(grad_output) == 1
    assert grad_output[0].tolist() == [[1., 2.], [1., 2.]]
    np.testing.assert_allclose(grad_input[0].tolist(), x.grad.tolist())
    np.testing.assert_allclose(x.grad.tolist(), [[1.5, 0., -1.5]] * 2)


def test_backward_hooks_may_replace_gradients():
    m = _linear()
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
    x = autograd.tensor(X, requires_grad=True)
    m(x).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [[3.5, -1., -0.]] * 2)
    # the parameters see the doubled grad_output
    np.testing.assert_allclose(m.bias.grad.tolist(), [4., 4.])


def test_backward_hook_when_no_input_requires_grad():
    m = _linear()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go[0].tolist())))
    m(autograd.tensor(X)).sum().backward()
    assert seen == [((None,), [[1., 1.], [1., 1.]])]
    m.register_full_backward_hook(lambda mod, gi, go: (autograd.ones(1),))
    with pytest.raises(RuntimeError, match="Backward hook for Modules where no input requires "
                       "gradient should always return None or None for all gradients."):
        m(autograd.tensor(X)).sum().backward()


def test_backward_hook_with_several_inputs_and_outputs():
    class Pair(nn.Module):
        def forward(self, a, scale, b):
            return a * b * scale, a + b

    m = Pair()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    a = autograd.tensor([1., 2.], requires_grad=True)
    b = autograd.tensor([3., 4.])
    p, s = m(a, 2.0, b)
    (p + s * 10).sum().backward()
    ((grad_input, grad_output),) = seen
    assert len(grad_input) == 3 and grad_input[1] is None and grad_input[2] is None
    assert grad_input[0].tolist() == [16., 18.]
    assert [g.tolist() for g in grad_output] == [[1., 1.], [10., 10.]]
    assert a.grad.tolist() == [16., 18.]


def test_backward_hook_return_count_is_checked():
    m = _linear()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                       "grad_input, got 2, but expected 1"):
        m(autograd.tensor(X, requires_grad=True)).sum().backward()


def test_no_backward_hook_work_under_no_grad():
    m = _linear()
    m.register_full_backward_hook(lambda mod, gi, go: None)
    with autograd.no_grad():
        out = m(autograd.tensor(X, requires_grad=True))
    assert out.grad_fn is None


def test_module_hooks_match_pytorch():
    torch = pytest.importorskip("torch")

    def run(lib, nn_mod):
        seq = nn_mod.Sequential(nn_mod.Linear(3, 4), nn_mod.Tanh(), nn_mod.Linear(4, 2))
        with lib.no_grad():
            for i, p in enumerate(seq.parameters()):
                p.copy_(lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) * (i + 1),
                                   dtype=lib.float32))
        log = []
        for name, mod in seq.named_children():
            mod.register_forward_pre_hook(lambda m, args, name=name: log.append(("pre", name)))
            mod.register_forward_hook(
                lambda m, args, out, name=name: log.append(("fwd", name, out.tolist())))
            mod.register_full_backward_pre_hook(
                lambda m, go, name=name: log.append(("bpre", name, go[0].tolist())))
            mod.register_full_backward_hook(
                lambda m, gi, go, name=name: log.append(
                    ("bwd", name, None if gi[0] is None else gi[0].tolist(),
                     go[0].tolist())))
        x = lib.tensor(X, requires_grad=True)
        (seq(x) ** 2).sum().backward()
        return log, x.grad.tolist()

    (ours, ours_grad), (theirs, theirs_grad) = run(autograd, nn), run(torch, torch.nn)
    assert [entry[:2] for entry in ours] == [entry[:2] for entry in theirs]
    for a, b in zip(ours, theirs):
        for x, y in zip(a[2:], b[2:]):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-5, atol=1e-6)
