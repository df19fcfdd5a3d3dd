"""Second (and third) derivatives of every differentiable engine op.

Every case of the op harness tables in test_{pointwise,reduce,shape,linalg}_ops
goes through ``autograd.gradgradcheck``: finite differences of the
first-order gradients (built with ``create_graph=True``) against the double
backward.  The samples already keep clear of kinks (abs, relu, clamp,
maximum, max ...), where the first derivative jumps; away from them those
piecewise-linear ops have a zero second derivative, which is what is
checked.  Behaviour exactly at a kink is compared with PyTorch below.
"""
import numpy as np
import pytest

import autograd
from tests.engine import test_linalg_ops, test_pointwise_ops, test_reduce_ops, test_shape_ops
from tests.op_harness import _first, _make_args, op_params

_MODULES = (test_pointwise_ops, test_reduce_ops, test_shape_ops, test_linalg_ops)
CASES = [case for module in _MODULES for case in module.CASES]

# Double backwards known to be wrong, by harness id -> reason: xfail(strict)
# so that fixing the formula flips them to XPASS and fails the run until removed.
BROKEN = {}


def test_prod_hessian_with_zeros_matches_torch():
    # prod's formula takes another route for zeros under create_graph
    torch = pytest.importorskip("torch")
    values = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, -1.5]])
    for dim in (None, 1, 0):
        hessians = []
        for lib in (autograd, torch):
            x = lib.tensor(values, requires_grad=True)
            out = x.prod() if dim is None else x.prod(dim).sum()
            (g,) = lib.autograd.grad(out, x, create_graph=True) if lib is torch else \
                autograd.grad(out, x, create_graph=True)
            rows = [(autograd if lib is autograd else torch.autograd).grad(
                g.reshape(-1)[k], x, retain_graph=True)[0].reshape(-1).tolist()
                for k in range(values.size)]
            hessians.append(rows)
        np.testing.assert_allclose(hessians[0], hessians[1], err_msg=f"dim={dim}")


def _params(zero_size=False):
    params = []
    for p in op_params(CASES, zero_size=zero_size):
        reason = BROKEN.get(p.id)
        if reason and not zero_size:
            p = pytest.param(*p.values, id=p.id, marks=pytest.mark.xfail(reason=reason,
                                                                         strict=True))
        params.append(p)
    return params


def _check(case, sample):
    args, leaves = _make_args(autograd, sample, "float64")
    if not leaves:
        pytest.skip("no input requires grad")
    positions = [i for i, a in enumerate(args) if any(a is leaf for leaf in leaves)]

    def fn(*tensors):
        call = list(args)
        for p, t in zip(positions, tensors):
            call[p] = t
        return _first(case.fn(autograd, *call, **sample.kwargs))

    autograd.manual_seed(0)
    assert autograd.gradgradcheck(fn, tuple(leaves), atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case, sample", _params())
def test_gradgradcheck(case, sample):
    _check(case, sample)


@pytest.mark.parametrize("case, sample", _params(zero_size=True))
def test_gradgradcheck_zero_size(case, sample):
    _check(case, sample)


def test_every_broken_id_exists():
    # A renamed sample would silently drop its xfail.
    ids = {p.id for p in op_params(CASES)}
    assert set(BROKEN) <= ids


# ======================================================================
# Closed forms: second and third derivatives
# ======================================================================

def _exp_tanh_derivatives(x):
    t = np.tanh(x)
    s = 1 - t * t           # sech^2, and d tanh = s, d s = -2 t s
    e = np.exp(x)
    return (e * t,
            e * (t + s),
            e * (t + 2 * s - 2 * t * s),
            e * (t + 3 * s - 6 * t * s - 2 * s * s + 4 * t * t * s))


CLOSED_FORMS = [
    ("cube", lambda x: x ** 3,
     lambda x: (x ** 3, 3 * x ** 2, 6 * x, np.full_like(x, 6.0))),
    ("cube-by-mul", lambda x: x * x * x,
     lambda x: (x ** 3, 3 * x ** 2, 6 * x, np.full_like(x, 6.0))),
    ("sin", lambda x: x.sin(),
     lambda x: (np.sin(x), np.cos(x), -np.sin(x), -np.cos(x))),
    ("exp-tanh", lambda x: x.exp() * x.tanh(), _exp_tanh_derivatives),
]


@pytest.mark.parametrize("name, fn, expected", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_second_and_third_derivatives_of_closed_forms(name, fn, expected):
    values = np.array([-1.3, -0.2, 0.4, 1.7])
    x = autograd.from_numpy(values.copy()).requires_grad_(True)
    y = fn(x)
    (d1,) = autograd.grad(y.sum(), x, create_graph=True)
    (d2,) = autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = autograd.grad(d2.sum(), x)
    for ours, want in zip((y, d1, d2, d3), expected(values)):
        np.testing.assert_allclose(ours.detach().numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, fn, expected", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_third_derivative_by_gradgradcheck_of_the_gradient(name, fn, expected):
    x = autograd.from_numpy(np.array([-0.7, 0.3, 1.1])).requires_grad_(True)

    def first(t):
        (g,) = autograd.grad(fn(t).sum(), t, create_graph=True)
        return g

    autograd.manual_seed(0)
    assert autograd.gradgradcheck(first, (x,))


# ======================================================================
# At kinks: what the second derivative is, compared with PyTorch
# ======================================================================

KINKS = [
    ("abs", lambda lib, x: lib.abs(x) * x, [-1.0, 0.0, 1.0]),
    ("relu", lambda lib, x: lib.relu(x) * x, [-1.0, 0.0, 1.0]),
    ("clamp", lambda lib, x: x.clamp(0.0, 1.0) * x, [-1.0, 0.0, 0.5, 1.0, 2.0]),
    ("maximum", lambda lib, x: lib.maximum(x, x * x), [-1.0, 0.0, 0.5, 1.0, 2.0]),
    ("max", lambda lib, x: x.max() * x, [1.0, 3.0, 3.0]),
    ("amax", lambda lib, x: x.amax(0) * x, [1.0, 3.0, 3.0]),
    ("sqrt-square", lambda lib, x: (x * x + 1.0).sqrt(), [-1.0, 0.0, 2.0]),
]


@pytest.mark.parametrize("name, fn, values", KINKS, ids=[k[0] for k in KINKS])
def test_second_derivatives_at_kinks_match_torch(name, fn, values):
    torch = pytest.importorskip("torch")
    x = autograd.tensor(values, dtype=autograd.float64, requires_grad=True)
    (g,) = autograd.grad(fn(autograd, x).sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(fn(torch, tx).sum(), tx, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12, atol=1e-15)
