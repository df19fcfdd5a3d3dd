"""autograd._gradcheck.gradgradcheck: finite differences of first-order
gradients against the double backward."""
import inspect

import numpy as np
import pytest

import autograd
from autograd import GradcheckError


def _leaf(array, requires_grad=True):
    return autograd.from_numpy(np.array(array, dtype=np.float64)).requires_grad_(requires_grad)


def _randn(*shape, seed=0):
    return _leaf(np.random.default_rng(seed).standard_normal(shape))


FUNCS = [
    ("square-sum", lambda x: (x * x).sum()),
    ("exp-mul", lambda x: x.exp() * x),
    ("tanh-cube", lambda x: (x.tanh() + 2.0) ** 3),
    ("linear", lambda x: 2.0 * x + 1.0),
    ("sin-matmul", lambda x: x.sin().reshape(-1, 1) @ x.reshape(1, -1)),
]


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3)])
@pytest.mark.parametrize("name, func", FUNCS, ids=[f[0] for f in FUNCS])
def test_true_for_correct_second_derivatives(name, func, shape):
    autograd.manual_seed(0)
    assert autograd.gradgradcheck(func, (_randn(*shape),)) is True


class _SquareWithAFlatDerivative(autograd.Function):
    """x**2 whose backward is right (2 x g) but detaches x, so that its own
    derivative with respect to x is lost: gradcheck passes, gradgradcheck
    must not."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x.detach()


def test_a_wrong_double_backward_raises():
    x = _leaf([1.5, 0.5, -2.0])
    square = _SquareWithAFlatDerivative.apply
    assert autograd.gradcheck(square, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        autograd.gradgradcheck(square, (x,))


def test_raise_exception_false_returns_false():
    x = _leaf([1.5, 0.5, -2.0])
    assert autograd.gradgradcheck(_SquareWithAFlatDerivative.apply, (x,),
                                  raise_exception=False) is False


def test_a_first_derivative_cut_from_the_graph_is_caught():
    # The first derivative sin(x) * v changes with x, but no graph records it.
    x = _randn(3)

    def func(t):
        return t * t.detach().sin()

    with pytest.raises(GradcheckError):
        autograd.gradgradcheck(func, (x,))


def test_explicit_grad_outputs_and_several_outputs():
    x, y = _randn(3, seed=1), _randn(3, seed=2)
    v1 = _leaf([0.5, -1.0, 2.0])
    v2 = _leaf([1.0, 0.25, -0.5])
    assert autograd.gradgradcheck(lambda a, b: (a * b.exp(), (a * a).sin() + b),
                                  (x, y), (v1, v2))


def test_grad_outputs_that_need_no_grad_are_not_perturbed():
    x = _randn(4)
    v = _leaf([1.0, 2.0, 3.0, 4.0], requires_grad=False)
    assert autograd.gradgradcheck(lambda t: t.cos() * t, (x,), v)
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0, 3.0, 4.0])


def test_non_tensor_arguments_and_inputs_without_grad_are_passed_on():
    x = _randn(3)
    c = _randn(3, seed=5).requires_grad_(False)
    assert autograd.gradgradcheck(lambda t, k, s: (t * k).sin() * s, (x, c, 2.5))


def test_inputs_are_restored():
    x = _randn(2, 3)
    before = x.detach().numpy().copy()
    autograd.gradgradcheck(lambda t: t.exp().sum(1), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_non_contiguous_default_grad_outputs():
    autograd.manual_seed(0)
    assert autograd.gradgradcheck(lambda t: t.tanh() * t, (_randn(3, 2),),
                                  gen_non_contig_grad_outputs=True)


def test_wrong_number_of_grad_outputs_raises():
    with pytest.raises(RuntimeError, match="got 2 grad_outputs for 1 outputs"):
        autograd.gradgradcheck(lambda t: t * t, (_randn(2),), (_randn(2), _randn(2)))


def test_no_input_requiring_grad_raises_like_gradcheck():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        autograd.gradgradcheck(lambda t: t * t, (_randn(2).requires_grad_(False),))


def test_exported_with_pytorchs_parameter_names():
    from autograd import _gradcheck
    assert autograd.gradgradcheck is _gradcheck.gradgradcheck
    params = inspect.signature(autograd.gradgradcheck).parameters
    assert list(params)[:3] == ["func", "inputs", "grad_outputs"]
    assert (params["eps"].default, params["atol"].default, params["rtol"].default) == \
        (1e-6, 1e-5, 1e-3)
    torch = pytest.importorskip("torch")
    theirs = inspect.signature(torch.autograd.gradgradcheck).parameters
    assert set(params) <= set(theirs)


@pytest.mark.parametrize("name, func", FUNCS, ids=[f[0] for f in FUNCS])
def test_agrees_with_torch(name, func):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(3).standard_normal((2, 3))
    autograd.manual_seed(0)
    assert autograd.gradgradcheck(func, (_leaf(values),))
    assert torch.autograd.gradgradcheck(
        func, (torch.tensor(values, requires_grad=True),))
