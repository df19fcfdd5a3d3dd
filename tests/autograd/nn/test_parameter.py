"""nn.Parameter: a leaf tensor sharing its data's buffer."""
import copy
import pickle

import numpy as np
import pytest

import autograd
from autograd import nn


def test_parameter_is_a_leaf_tensor_sharing_the_buffer():
    data = autograd.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, autograd.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert np.shares_memory(p._data, data._data)
    assert not data.requires_grad                       # the source is untouched
    data._data[0] = 5.0
    assert p._data[0] == 5.0


def test_parameter_detaches_a_non_leaf_and_can_be_frozen():
    x = autograd.ones(2, requires_grad=True)
    p = nn.Parameter(x * 3)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    frozen = nn.Parameter(autograd.ones(2), requires_grad=False)
    assert not frozen.requires_grad


def test_default_parameter_is_empty_float32():
    p = nn.Parameter()
    assert p.shape == (0,) and p.dtype == autograd.float32 and p.requires_grad


def test_integer_parameter_cannot_require_grad():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        nn.Parameter(autograd.tensor([1, 2]))
    assert not nn.Parameter(autograd.tensor([1, 2]), requires_grad=False).requires_grad
    with pytest.raises(TypeError, match="must be a Tensor"):
        nn.Parameter([1.0])


def test_ops_on_parameters_give_plain_tensors_and_gradients_flow():
    p = nn.Parameter(autograd.tensor([1.0, 2.0]))
    y = p * p
    assert type(y) is autograd.Tensor
    y.sum().backward()
    assert p.grad.tolist() == [2.0, 4.0]


def test_repr_matches_pytorch():
    assert repr(nn.Parameter(autograd.tensor([1.0, 2.0]))) == (
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    assert repr(nn.Parameter(autograd.tensor([1.5]), requires_grad=False)) == (
        "Parameter containing:\ntensor([1.5000])")
    torch = pytest.importorskip("torch")
    values = np.array([[0.25, -1.0], [3.0, 2.0]], dtype=np.float64)
    assert repr(nn.Parameter(autograd.tensor(values))) == repr(
        torch.nn.Parameter(torch.tensor(values))).replace("torch.", "autograd.")


def test_copies_stay_parameters():
    p = nn.Parameter(autograd.tensor([1.0, 2.0]))
    p.grad = autograd.tensor([0.5, 0.5])
    for clone in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(clone) is nn.Parameter and clone.requires_grad
        assert clone.tolist() == [1.0, 2.0] and not np.shares_memory(clone._data, p._data)
    assert copy.deepcopy(p).grad.tolist() == [0.5, 0.5]
