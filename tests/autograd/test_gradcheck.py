"""autograd/_gradcheck.py: finite differences against backward."""
import inspect

import numpy as np
import pytest

import autograd
from autograd import GradcheckError


def _leaf(array, requires_grad=True):
    return autograd.from_numpy(np.array(array, dtype=np.float64)).requires_grad_(requires_grad)


def _randn(*shape, seed=0):
    return _leaf(np.random.default_rng(seed).standard_normal(shape))


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3), (2, 1, 4)])
@pytest.mark.parametrize("func", [
    lambda x: (x * x).sum(),
    lambda x: x.exp() * x,
    lambda x: (x.tanh() + 2.0) ** 3,
], ids=["square-sum", "exp-mul", "tanh-cube"])
def test_true_for_correct_gradients(func, shape):
    assert autograd.gradcheck(func, (_randn(*shape),)) is True


def test_single_tensor_input_is_accepted():
    assert autograd.gradcheck(lambda x: x * 2.0, _randn(3))


def test_partly_detached_function_raises():
    x = _randn(3)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        autograd.gradcheck(lambda t: t * t.detach(), (x,))


def test_gradcheck_error_is_a_runtime_error():
    assert issubclass(GradcheckError, RuntimeError)
    with pytest.raises(RuntimeError):
        autograd.gradcheck(lambda t: t * t.detach(), (_randn(2),))


def test_raise_exception_false_returns_false():
    assert autograd.gradcheck(lambda t: t * t.detach(), (_randn(3),), raise_exception=False) is False
    assert autograd.gradcheck(lambda t: t * t, (_randn(3),), raise_exception=False) is True


def test_fully_detached_output_is_caught():
    # No output requires grad although it depends on the input: the
    # gradient backward would report (none) is wrong.
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        autograd.gradcheck(lambda t: t.detach() * 2.0, (_randn(3),))


def test_constant_output_that_does_not_require_grad_passes():
    assert autograd.gradcheck(lambda t: autograd.ones(2, dtype=autograd.float64), (_randn(3),))


def test_several_inputs_and_outputs():
    a, b = _randn(2, 3, seed=1), _randn(3, seed=2)
    assert autograd.gradcheck(lambda a, b: (a * b, a + b.exp(), (a / (b * b + 1.0)).sum()), (a, b))


def test_mismatch_names_the_output_and_input():
    a, b = _randn(2, seed=1), _randn(2, seed=2)
    with pytest.raises(GradcheckError, match="output 1 with respect to input 1"):
        autograd.gradcheck(lambda a, b: (a * b, a * b.detach()), (a, b))


def test_non_contiguous_inputs_are_checked_and_restored():
    base = np.random.default_rng(3).standard_normal((4, 3))
    x = autograd.from_numpy(np.ascontiguousarray(base.T).T).requires_grad_()
    assert not x._data.flags.c_contiguous
    before = x.detach().numpy().copy()
    assert autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    # the perturbations are undone exactly
    np.testing.assert_array_equal(x.detach().numpy(), before)
    with pytest.raises(GradcheckError):
        autograd.gradcheck(lambda t: t * t.detach(), (x,))


def test_inputs_that_do_not_require_grad_are_skipped():
    a = _randn(3, seed=1)
    b = _randn(4, seed=2).requires_grad_(False)
    calls = []

    def func(a, b, scale):
        calls.append(1)
        return (a * a).sum() * b.sum() * scale

    assert autograd.gradcheck(func, (a, b, 2.0))
    # one reference call and two perturbed calls per element of a; b and
    # the number are passed through untouched
    assert len(calls) == 1 + 2 * 3


def test_no_input_requires_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        autograd.gradcheck(lambda t: t * 2.0, (_randn(3).requires_grad_(False),))


def test_does_not_touch_grad():
    x = _randn(3)
    autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    assert x.grad is None


def test_integer_outputs_are_ignored():
    idx = autograd.tensor([0, 1])
    assert autograd.gradcheck(lambda t: (t * 3.0, idx), (_randn(2),))


def test_zero_size_input():
    assert autograd.gradcheck(lambda t: t * 2.0, (_randn(0, 3),))


@pytest.mark.parametrize("offset, ok", [(1e-7, True), (1e-2, False)])
def test_tolerances(offset, ok):
    # The analytical gradient is off by ``offset`` (x - x.detach() is zero
    # numerically but has derivative 1); the defaults admit only the small one.
    def func(t):
        return t * t + (t - t.detach()) * offset

    x = _leaf([0.5, 1.0])
    assert autograd.gradcheck(func, (x,), raise_exception=False) is ok
    # rtol scales with the numerical gradient (2x here): 10% admits both
    assert autograd.gradcheck(func, (x,), atol=0.0, rtol=0.1)
    # with no tolerance at all even the small offset fails
    assert not autograd.gradcheck(func, (x,), atol=0.0, rtol=0.0, raise_exception=False)


def test_eps_is_the_step():
    # x**3's central difference has error eps**2: visible with a coarse step
    x = _leaf([1.0])
    cube = lambda t: t ** 3
    assert autograd.gradcheck(cube, (x,), eps=1e-6)
    assert not autograd.gradcheck(cube, (x,), eps=0.1, atol=1e-4, rtol=0.0, raise_exception=False)


def test_float32_input_warns():
    x = autograd.ones(2, dtype=autograd.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="float32, not float64"):
        assert autograd.gradcheck(lambda t: t * 2.0, (x,), eps=1e-2, atol=1e-3, rtol=1e-3)


def test_stride_zero_input_is_rejected():
    x = autograd.ones(1, 3, dtype=autograd.float64).expand(2, 3).detach().requires_grad_()
    with pytest.raises(RuntimeError, match="stride 0"):
        autograd.gradcheck(lambda t: t * 2.0, (x,))


def test_signature_defaults_match_torch():
    params = inspect.signature(autograd.gradcheck).parameters
    ours = {k: params[k].default for k in ("eps", "atol", "rtol", "raise_exception")}
    assert ours == {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3, "raise_exception": True}
    torch = pytest.importorskip("torch")
    theirs = inspect.signature(torch.autograd.gradcheck).parameters
    assert list(params)[:2] == list(theirs)[:2]
    assert {k: theirs[k].default for k in ours} == ours


def test_verdicts_match_torch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(4).standard_normal((2, 3))
    for make_func, expected in [(lambda lib: lambda t: (t * t.exp()).sum(), True),
                                (lambda lib: lambda t: t * t.detach(), False),
                                (lambda lib: lambda t: t.detach() * 2.0, False)]:
        ours = autograd.gradcheck(make_func(autograd), (_leaf(values),), raise_exception=False)
        theirs = torch.autograd.gradcheck(
            make_func(torch), (torch.tensor(values, requires_grad=True),), raise_exception=False)
        assert ours is expected and theirs is expected
