"""autograd.grad (engine/graph.py ``grad``): gradients returned, never accumulated."""
import numpy as np
import pytest

import autograd


def _leaf(values):
    return autograd.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_gradients_of_several_inputs():
    a = _leaf([1., 2., 3.])
    b = _leaf([4., 5., 6.])
    y = (a * b + a ** 2).sum()
    ga, gb = autograd.grad(y, (a, b))
    assert ga.tolist() == [6., 9., 12.]     # b + 2a
    assert gb.tolist() == [1., 2., 3.]      # a
    assert ga.dtype == autograd.float64


def test_inputs_as_list_and_single_tensor_give_tuples():
    a = _leaf([1., 2.])
    y = (a * a).sum()
    result = autograd.grad(y, a, retain_graph=True)
    assert isinstance(result, tuple) and len(result) == 1
    assert result[0].tolist() == [2., 4.]
    (again,) = autograd.grad(y, [a])
    assert again.tolist() == [2., 4.]


def test_does_not_touch_grad():
    a = _leaf([1., 2.])
    b = _leaf([3., 4.])
    y = (a * b).sum()
    autograd.grad(y, a, retain_graph=True)
    # neither the differentiated leaf nor the other leaf of the graph
    assert a.grad is None and b.grad is None
    a.grad = autograd.tensor([10., 20.], dtype=autograd.float64)
    autograd.grad(y, a)
    assert a.grad.tolist() == [10., 20.] and b.grad is None


def test_grad_outputs_weight_the_vector_jacobian_product():
    a = _leaf([1., 2., 3.])
    y = a * 3.0
    (g,) = autograd.grad(y, a, grad_outputs=autograd.tensor([1., 10., 100.], dtype=autograd.float64))
    assert g.tolist() == [3., 30., 300.]


def test_grad_outputs_for_several_outputs_are_summed():
    a = _leaf([1., 2.])
    y1 = a * 2.0
    y2 = (a * a).sum()
    (g,) = autograd.grad((y1, y2), a, grad_outputs=(
        autograd.tensor([1., 1.], dtype=autograd.float64),
        autograd.tensor(0.5, dtype=autograd.float64)))
    assert g.tolist() == [2. + 1., 2. + 2.]    # 2 + 0.5 * 2a


def test_non_scalar_output_needs_grad_outputs():
    a = _leaf([1., 2.])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        autograd.grad(a * 2.0, a)


def test_grad_outputs_shape_mismatch():
    a = _leaf([1., 2.])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        autograd.grad(a * 2.0, a, grad_outputs=autograd.ones(3, dtype=autograd.float64))


def test_unused_input_raises_unless_allowed():
    a = _leaf([1., 2.])
    unused = _leaf([3.])
    y = (a * a).sum()
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not "
                                           "have been used in the graph. Set allow_unused=True"):
        autograd.grad(y, (a, unused), retain_graph=True)
    ga, gu = autograd.grad(y, (a, unused), allow_unused=True)
    assert ga.tolist() == [2., 4.]
    assert gu is None


def test_unused_input_message_matches_torch():
    torch = pytest.importorskip("torch")
    ta = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as theirs:
        torch.autograd.grad((ta * 2).sum(), (ta, torch.ones(1, requires_grad=True)))
    a = _leaf([1., 1.])
    with pytest.raises(RuntimeError) as ours:
        autograd.grad((a * 2.0).sum(), (a, _leaf([1.])))
    assert str(ours.value) == str(theirs.value)


def test_input_that_does_not_require_grad():
    a = _leaf([1., 2.])
    c = autograd.tensor([1., 2.])
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        autograd.grad((a * c).sum(), c)


def test_output_that_does_not_require_grad():
    c = autograd.tensor([1., 2.])
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        autograd.grad(c.sum(), _leaf([1.]))


def test_second_call_needs_retain_graph():
    a = _leaf([1., 2.])
    y = (a * a).sum()
    (first,) = autograd.grad(y, a)
    assert first.tolist() == [2., 4.]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        autograd.grad(y, a)


def test_retain_graph_allows_repeated_calls():
    a = _leaf([1., 2.])
    y = (a.exp() * a).sum()
    (first,) = autograd.grad(y, a, retain_graph=True)
    (second,) = autograd.grad(y, a, retain_graph=True)
    (third,) = autograd.grad(y, a)
    expected = (np.exp([1., 2.]) * (1 + np.array([1., 2.]))).tolist()
    for g in (first, second, third):
        np.testing.assert_allclose(g.tolist(), expected, rtol=1e-12)


def test_non_leaf_inputs():
    a = _leaf([1., 2., 3.])
    h = a * 2.0
    y = (h * h).sum()
    gh, ga = autograd.grad(y, (h, a))
    assert gh.tolist() == [4., 8., 12.]     # 2h
    assert ga.tolist() == [8., 16., 24.]    # 2h * 2
    assert a.grad is None and h.grad is None


def test_non_leaf_input_reached_by_a_later_path_only():
    # y depends on a directly and through h; the gradient for h is only the
    # part that flows through h.
    a = _leaf([1., 2.])
    h = a * a
    y = (h * 3.0 + a).sum()
    (gh,) = autograd.grad(y, h)
    assert gh.tolist() == [3., 3.]


def test_output_is_the_input():
    a = _leaf([1., 2.])
    (g,) = autograd.grad(a, a, grad_outputs=autograd.tensor([5., 6.], dtype=autograd.float64))
    assert g.tolist() == [5., 6.]


def test_same_input_twice():
    a = _leaf([1., 2.])
    g1, g2 = autograd.grad((a * a).sum(), (a, a))
    assert g1.tolist() == [2., 4.] and g2.tolist() == [2., 4.]


def test_create_graph_gives_higher_derivatives():
    x = _leaf([1., 2.])
    (d1,) = autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert d1.tolist() == [3., 12.]          # 3x^2
    assert d1.requires_grad
    (d2,) = autograd.grad(d1.sum(), x)
    assert d2.tolist() == [6., 12.]          # 6x


def test_gradient_dtype_follows_the_input():
    a = autograd.tensor([1., 2.], dtype=autograd.float32, requires_grad=True)
    (g,) = autograd.grad((a * a).sum(), a)
    assert g.dtype == autograd.float32


@pytest.mark.parametrize("create_graph", [False, True])
def test_values_match_torch(create_graph):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((3, 4))
    b_np = rng.uniform(0.5, 2.0, (4,))
    up = rng.standard_normal((3, 4))

    def run(lib, a, b, up):
        h = (a * b).tanh()
        y1 = h * a.exp() - b / (h + 3.0)
        y2 = (h ** 2).sum()
        return lib_grad(lib)((y1, y2), (a, b, h), grad_outputs=(up, lib_scalar(lib)),
                             create_graph=create_graph)

    def lib_grad(lib):
        return torch.autograd.grad if lib is torch else autograd.grad

    def lib_scalar(lib):
        return torch.tensor(1.5, dtype=torch.float64) if lib is torch else autograd.tensor(
            1.5, dtype=autograd.float64)

    ours = run(autograd, _leaf(a_np), _leaf(b_np), autograd.from_numpy(up))
    theirs = run(torch, torch.tensor(a_np, requires_grad=True),
                 torch.tensor(b_np, requires_grad=True), torch.from_numpy(up))
    assert len(ours) == 3
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10)
        assert o.requires_grad == t.requires_grad
