"""autograd/functional.py: vjp, jvp, jacobian, hessian, vhp, hvp
(``torch.autograd.functional``)."""
import numpy as np
import pytest

import autograd
from autograd import functional as F


def _to(lib, value, requires_grad=False):
    """numpy arrays (nested in tuples) as ``lib`` float64 tensors."""
    if isinstance(value, tuple):
        return tuple(_to(lib, v, requires_grad) for v in value)
    t = lib.from_numpy(np.array(value, dtype=np.float64))
    return t.requires_grad_(True) if requires_grad else t


def _numpy(value):
    if isinstance(value, tuple):
        return tuple(_numpy(v) for v in value)
    return value.detach().numpy()


def _assert_same(ours, theirs, rtol=1e-10, atol=1e-12):
    """Same nesting of tuples, same shapes, same values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _assert_same(o, t, rtol, atol)
        return
    assert not isinstance(ours, tuple)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                               rtol=rtol, atol=atol)


def _torch_functional():
    pytest.importorskip("torch")
    import torch.autograd.functional as TF
    return TF


RNG = np.random.default_rng(0)
X3 = RNG.standard_normal(3)
Y22 = RNG.standard_normal((2, 2))
Z = RNG.standard_normal(())

# name, function (written once for both libraries), inputs, v for vjp, v for jvp
CALLS = [
    ("single-in-single-out", lambda a: a.sin() * a.exp(), X3, X3, X3),
    ("scalar-in-scalar-out", lambda a: (a * a).tanh(), Z, None, None),
    ("tuple-in", lambda a, b: a * b.sum() + (a * a).cos(), (X3, Y22), X3, (X3, Y22)),
    ("tuple-out", lambda a: (a * 2.0, (a ** 3).sum()), X3, (X3, Z), X3),
    ("tuple-in-tuple-out", lambda a, b: (a @ b, b.exp()), (X3[:2], Y22),
     (X3[:2], Y22), (X3[:2], Y22)),
    ("one-tuple", lambda a: a.tanh(), (X3,), (X3,), (X3,)),
]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name, fn, inputs, v_out, v_in", CALLS, ids=[c[0] for c in CALLS])
@pytest.mark.parametrize("transform", ["vjp", "jvp", "jacobian"])
def test_vjp_jvp_jacobian_match_torch(transform, name, fn, inputs, v_out, v_in, create_graph):
    TF = _torch_functional()
    import torch

    def run(lib, module):
        args = (fn, _to(lib, inputs))
        if transform == "vjp":
            args += (None if v_out is None else _to(lib, v_out),)
        elif transform == "jvp":
            args += (None if v_in is None else _to(lib, v_in),)
        return getattr(module, transform)(*args, create_graph=create_graph)

    ours, theirs = run(autograd, F), run(torch, TF)
    _assert_same(ours, theirs)


SCALAR_CALLS = [
    ("single", lambda a: (a ** 3).sum() * a[0], X3),
    ("scalar-input", lambda a: a.sin() * a.exp(), Z),
    ("tuple", lambda a, b: (a.exp() * b[0]).sum() + (b * b * b).sum() * a[1], (X3[:2], Y22)),
    ("one-element-output", lambda a: (a * a.exp()).sum().reshape(1, 1), X3),
]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name, fn, inputs", SCALAR_CALLS, ids=[c[0] for c in SCALAR_CALLS])
@pytest.mark.parametrize("transform", ["hessian", "vhp", "hvp"])
def test_hessian_vhp_hvp_match_torch(transform, name, fn, inputs, create_graph):
    TF = _torch_functional()
    import torch
    v = None if name == "scalar-input" else tuple(
        np.linspace(-1, 1, np.size(x)).reshape(np.shape(x)) for x in
        (inputs if isinstance(inputs, tuple) else (inputs,)))
    if v is not None and not isinstance(inputs, tuple):
        v = v[0]

    def run(lib, module):
        args = (fn, _to(lib, inputs))
        if transform != "hessian":
            args += (None if v is None else _to(lib, v),)
        return getattr(module, transform)(*args, create_graph=create_graph)

    _assert_same(run(autograd, F), run(torch, TF))


def test_results_carry_a_graph_only_with_create_graph():
    x = _to(autograd, X3, requires_grad=True)
    f = lambda a: (a ** 3).sum()
    for create_graph in (False, True):
        out, g = F.vjp(f, x, create_graph=create_graph)
        h = F.hessian(f, x, create_graph=create_graph)
        _, hv = F.hvp(f, x, x, create_graph=create_graph)
        for t in (out, g, h, hv):
            assert t.requires_grad is create_graph


def test_create_graph_results_differentiate_like_torch():
    TF = _torch_functional()
    import torch
    f = lambda a, b: (a.sin() * b).sum()

    def run(lib, module, grad):
        a, b = _to(lib, (X3, X3[::-1].copy()), requires_grad=True)
        _, hv = module.hvp(f, (a, b), (a, b), create_graph=True)
        jac = module.jacobian(lambda t: t.exp() * t, a, create_graph=True)
        return grad((hv[0] * hv[1]).sum() + jac.sum(), (a, b))

    _assert_same(run(autograd, F, autograd.grad), run(torch, TF, torch.autograd.grad))


def test_inputs_captured_by_the_function_are_constants():
    # The function sees fresh tensors: ``x`` in the closure is not the input.
    TF = _torch_functional()
    import torch
    for lib, module in ((autograd, F), (torch, TF)):
        x = _to(lib, X3, requires_grad=True)
        jac = module.jacobian(lambda a: a * x, x)
        np.testing.assert_allclose(_numpy(jac), np.diag(X3))


def test_works_under_no_grad():
    x = _to(autograd, X3)
    with autograd.no_grad():
        _, g = F.vjp(lambda a: (a * a).sum(), x)
        h = F.hessian(lambda a: (a * a * a).sum(), x)
    np.testing.assert_allclose(g.numpy(), 2 * X3)
    np.testing.assert_allclose(h.numpy(), np.diag(6 * X3))


def test_vectorize_runs_the_same_loop():
    f = lambda a, b: (a * b.sum(), b.exp())
    inputs = _to(autograd, (X3, Y22))
    _assert_same(F.jacobian(f, inputs, vectorize=True), F.jacobian(f, inputs))
    g = lambda a: (a ** 4).sum()
    _assert_same(F.hessian(g, inputs[0], vectorize=True), F.hessian(g, inputs[0]))


def test_forward_mode_strategy_is_not_implemented():
    x = _to(autograd, X3)
    with pytest.raises(NotImplementedError, match="forward-mode.*reverse-mode"):
        F.jacobian(lambda a: a * a, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="forward-mode"):
        F.hessian(lambda a: (a * a).sum(), x, outer_jacobian_strategy="forward-mode")
    with pytest.raises(ValueError, match="forward-mode"):
        F.jacobian(lambda a: a * a, x, strategy="sideways")


def test_jacobian_of_an_output_with_no_elements():
    x = _to(autograd, X3)
    jac = F.jacobian(lambda a: a[:0] * 2.0, x)
    assert tuple(jac.shape) == (0, 3)


# ----------------------------------------------------------------------
# finite differences
# ----------------------------------------------------------------------

def _gradient(f, x):
    x = autograd.from_numpy(x.copy()).requires_grad_(True)
    (g,) = autograd.grad(f(x), x)
    return g.numpy()


HVP_FUNCS = [
    ("cubic", lambda a: (a ** 3).sum() + (a[0] * a[1] * a[2])),
    ("exp-tanh", lambda a: (a.exp() * a.tanh()).sum()),
    ("softmax-quadratic", lambda a: (a.softmax(0) * a).sum() + (a @ a).sin()),
]


@pytest.mark.parametrize("name, f", HVP_FUNCS, ids=[h[0] for h in HVP_FUNCS])
def test_hvp_and_vhp_match_finite_differences_of_gradients(name, f):
    x = np.array([0.3, -0.8, 1.1])
    v = np.array([0.7, 0.2, -1.5])
    h = 1e-6
    numerical = (_gradient(f, x + h * v) - _gradient(f, x - h * v)) / (2 * h)
    _, hv = F.hvp(f, _to(autograd, x), _to(autograd, v))
    _, vh = F.vhp(f, _to(autograd, x), _to(autograd, v))
    np.testing.assert_allclose(hv.numpy(), numerical, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(vh.numpy(), numerical, rtol=1e-6, atol=1e-8)
    hess = F.hessian(f, _to(autograd, x)).numpy()
    np.testing.assert_allclose(hess @ v, numerical, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12, atol=1e-14)


def test_jvp_matches_finite_differences_of_the_function():
    f = lambda a, b: (a.sin() * b, (a * b).sum().exp())
    x, y = np.array([0.3, -0.8]), np.array([1.2, 0.4])
    u, w = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    h = 1e-6

    def value(p, q):
        return _numpy(f(*_to(autograd, (p, q))))

    plus, minus = value(x + h * u, y + h * w), value(x - h * u, y - h * w)
    _, jv = F.jvp(f, _to(autograd, (x, y)), _to(autograd, (u, w)))
    for got, p, m in zip(jv, plus, minus):
        np.testing.assert_allclose(got.numpy(), (p - m) / (2 * h), rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------
# errors: same type and message as PyTorch
# ----------------------------------------------------------------------

def _independent(a, b):
    return a * 2.0


ERRORS = [
    ("vjp-v-shape", lambda m, t: m.vjp(lambda a: a * 2.0, t(X3), t(X3[:2])),
     RuntimeError, "v has invalid size: should be "),
    ("vjp-v-entry-shape", lambda m, t: m.vjp(lambda a: (a, a * 2.0), t(X3), (t(X3), t(Y22))),
     RuntimeError, "Entry 1 in v has invalid size: should be "),
    ("vjp-v-length", lambda m, t: m.vjp(lambda a: (a, a * 2.0), t(X3), (t(X3),)),
     RuntimeError, "v is a tuple of invalid length: should be 2 but got 1."),
    ("vjp-v-single", lambda m, t: m.vjp(lambda a: a * 2.0, t(X3), (t(X3), t(X3))),
     RuntimeError, "The given v should contain a single Tensor."),
    ("vjp-v-none", lambda m, t: m.vjp(lambda a: a * 2.0, t(X3)),
     RuntimeError, "The vector v can only be None if the user-provided function returns a "
                   "single Tensor with a single element."),
    ("jvp-v-none", lambda m, t: m.jvp(lambda a: a * 2.0, t(X3)),
     RuntimeError, "The vector v can only be None if the input to the user-provided "
                   "function is a single Tensor with a single element."),
    ("jvp-v-shape", lambda m, t: m.jvp(lambda a, b: a * b, (t(X3), t(X3)), (t(X3), t(Y22))),
     RuntimeError, "Entry 1 in v has invalid size: should be "),
    ("hvp-v-shape", lambda m, t: m.hvp(lambda a: (a * a).sum(), t(X3), t(Y22)),
     RuntimeError, "v has invalid size: should be "),
    ("vjp-strict", lambda m, t: m.vjp(_independent, (t(X3), t(X3)), t(X3), strict=True),
     RuntimeError, "The output of the user-provided function is independent of input 1. "
                   "This is not allowed in strict mode."),
    ("vjp-strict-first", lambda m, t: m.vjp(lambda a, b: b * 2.0, (t(X3), t(X3)), t(X3),
                                            strict=True),
     RuntimeError, "The output of the user-provided function is independent of input 0. "
                   "This is not allowed in strict mode."),
    ("vjp-strict-constant-output", lambda m, t: m.vjp(lambda a: a.detach(), t(X3), t(X3),
                                                      strict=True),
     RuntimeError, "Output 0 of the user-provided function does not require gradients. "
                   "The outputs must be computed in a differentiable manner from the input "
                   "when running in strict mode."),
    ("jvp-strict", lambda m, t: m.jvp(_independent, (t(X3), t(X3)), (t(X3), t(X3)),
                                      strict=True),
     RuntimeError, "The output of the user-provided function is independent of input 1. "
                   "This is not allowed in strict mode."),
    ("jacobian-strict", lambda m, t: m.jacobian(_independent, (t(X3), t(X3)), strict=True),
     RuntimeError, "Output 0 of the user-provided function is independent of input 1. "
                   "This is not allowed in strict mode."),
    ("jacobian-strict-vectorize", lambda m, t: m.jacobian(lambda a: a * a, t(X3), strict=True,
                                                          vectorize=True),
     RuntimeError, "`strict=True` and `vectorized=True` are not supported together"),
    ("hessian-strict-linear", lambda m, t: m.hessian(lambda a: (a * 2.0).sum(), t(X3),
                                                     strict=True),
     RuntimeError, "While computing the hessian, found that the jacobian of the "
                   "user-provided function with respect to input 0 is independent of the "
                   "input."),
    ("vhp-strict-linear", lambda m, t: m.vhp(lambda a: (a * 2.0).sum(), t(X3), t(X3),
                                             strict=True),
     RuntimeError, "While computing the hessian, found that the jacobian"),
    ("hvp-strict-unused", lambda m, t: m.hvp(lambda a, b: (a * a).sum(), (t(X3), t(X3)),
                                             (t(X3), t(X3)), strict=True),
     RuntimeError, "The output of the user-provided function is independent of input 1. "
                   "This is not allowed in strict mode."),
    ("hessian-not-scalar", lambda m, t: m.hessian(lambda a: a * a, t(X3)),
     RuntimeError, "The Tensor returned by the function given to hessian should contain a "
                   "single element"),
    ("hessian-tuple-output", lambda m, t: m.hessian(lambda a: (a.sum(), a.sum()), t(X3)),
     RuntimeError, "The function given to hessian should return a single Tensor"),
    ("hvp-tuple-output", lambda m, t: m.hvp(lambda a: (a.sum(),), t(X3), t(X3)),
     RuntimeError, "The function given to hvp should return a single Tensor"),
    ("vhp-not-scalar", lambda m, t: m.vhp(lambda a: a * a, t(X3), t(X3)),
     RuntimeError, "The Tensor returned by the function given to vhp should contain a single "
                   "element"),
    ("inputs-type", lambda m, t: m.jacobian(lambda a: a, [t(X3)]),
     TypeError, "The inputs given to jacobian must be either a Tensor or a tuple of Tensors "
                "but the given inputs has type <class 'list'>."),
    ("inputs-entry-type", lambda m, t: m.vjp(lambda a, b: a, (t(X3), 2.0), t(X3)),
     TypeError, "The inputs given to vjp must be either a Tensor or a tuple of Tensors but "
                "the value at index 1 has type <class 'float'>."),
    ("output-type", lambda m, t: m.jvp(lambda a: 3.0, t(X3), t(X3)),
     TypeError, "The outputs of the user-provided function given to jvp must be either a "
                "Tensor or a tuple of Tensors but the given outputs of the user-provided "
                "function has type <class 'float'>."),
]


@pytest.mark.parametrize("name, call, error, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, call, error, message):
    with pytest.raises(error) as info:
        call(F, lambda v: _to(autograd, v))
    assert message in str(info.value)


@pytest.mark.parametrize("name, call, error, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name, call, error, message):
    TF = _torch_functional()
    import torch
    with pytest.raises(error) as info:
        call(TF, lambda v: _to(torch, v))
    assert message in str(info.value)


def test_strict_with_create_graph_rejects_a_constant_gradient():
    # A linear function's gradient exists but does not depend on the input.
    with pytest.raises(RuntimeError, match="The jacobian of the user-provided function is "
                                           "independent of input 0. This is not allowed in "
                                           "strict mode when create_graph=True."):
        F.vjp(lambda a: a * 2.0, _to(autograd, X3, requires_grad=True), _to(autograd, X3),
              create_graph=True, strict=True)


def test_non_strict_gives_zeros_for_independent_inputs():
    TF = _torch_functional()
    import torch
    for transform, extra in (("vjp", (X3,)), ("jvp", ((X3, X3),)), ("jacobian", ())):
        ours = getattr(F, transform)(_independent, _to(autograd, (X3, X3)),
                                     *_to(autograd, extra))
        theirs = getattr(TF, transform)(_independent, _to(torch, (X3, X3)),
                                        *_to(torch, extra))
        _assert_same(ours, theirs)
    _assert_same(F.hessian(lambda a, b: (a * a).sum(), _to(autograd, (X3, X3))),
                 TF.hessian(lambda a, b: (a * a).sum(), _to(torch, (X3, X3))))
