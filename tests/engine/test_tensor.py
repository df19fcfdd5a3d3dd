"""engine/tensor.py: the tensor base type's fields, properties and conversions."""
import numpy as np
import pytest

import autograd
from engine import tensor as _tensor


def test_shape_size_dim_numel():
    t = autograd.tensor([[1., 2., 3.], [4., 5., 6.]])
    assert t.shape == (2, 3)
    assert t.size() == (2, 3)
    assert t.size(0) == 2 and t.size(1) == 3 and t.size(-1) == 3 and t.size(-2) == 2
    assert t.dim() == 2 and t.ndim == 2
    assert t.numel() == 6
    assert len(t) == 2
    s = autograd.tensor(1.5)
    assert s.shape == () and s.dim() == 0 and s.numel() == 1
    e = autograd.zeros(0, 4)
    assert e.shape == (0, 4) and e.numel() == 0


def test_size_dim_out_of_range():
    t = autograd.zeros(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        t.size(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(-3)
    with pytest.raises(IndexError, match="tensor has no dimensions"):
        autograd.tensor(1.).size(0)


def test_len_of_0d_tensor():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(autograd.tensor(1.))


def test_item():
    assert autograd.tensor(2.5).item() == 2.5
    assert type(autograd.tensor(2.5).item()) is float
    assert autograd.tensor([[7]]).item() == 7
    assert type(autograd.tensor(7).item()) is int
    assert autograd.tensor(True).item() is True
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        autograd.tensor([1., 2.]).item()
    # works on tensors that require grad, as in PyTorch
    assert autograd.tensor(3., requires_grad=True).item() == 3.0


def test_tolist():
    assert autograd.tensor([[1., 2.], [3., 4.]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert autograd.tensor([1, 2]).tolist() == [1, 2]
    assert autograd.tensor(1.5).tolist() == 1.5
    assert autograd.tensor([True, False]).tolist() == [True, False]
    assert autograd.zeros(0).tolist() == []


def test_python_number_conversions():
    assert float(autograd.tensor([2.5])) == 2.5
    assert int(autograd.tensor([2.7])) == 2
    assert bool(autograd.tensor([0.])) is False
    assert bool(autograd.tensor(3)) is True
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(autograd.tensor([1., 2.]))
    assert [10, 20, 30][autograd.tensor(1)] == 20
    with pytest.raises(TypeError):
        [10, 20][autograd.tensor(1.)]


def test_numpy_shares_memory():
    t = autograd.tensor([1., 2., 3.])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 10.
    assert t.tolist() == [10., 2., 3.]
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)


def test_numpy_refuses_tensors_that_require_grad():
    t = autograd.tensor([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        t.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        (t * 2).numpy()


def test_detach_shares_memory_and_drops_the_graph():
    a = autograd.tensor([1., 2.], requires_grad=True)
    b = a * 2
    d = b.detach()
    assert d.requires_grad is False and d.grad_fn is None and d.is_leaf
    assert b.grad_fn is not None
    d.numpy()[0] = 7.
    assert b.detach().tolist() == [7., 4.]
    assert np.shares_memory(a.detach().numpy(), a.detach().numpy())


def test_requires_grad_():
    t = autograd.tensor([1., 2.])
    assert t.requires_grad_() is t
    assert t.requires_grad is True
    assert t.requires_grad_(False) is t
    assert t.requires_grad is False
    t.requires_grad = True
    assert t.requires_grad


def test_data_shares_values_without_the_graph():
    a = autograd.tensor([1., 2.], requires_grad=True)
    d = a.data
    assert d.requires_grad is False and d.is_leaf
    d.numpy()[1] = 5.
    assert a.detach().tolist() == [1., 5.]
    a.data = autograd.tensor([9., 8.])
    assert a.detach().tolist() == [9., 8.]
    assert a.requires_grad
    with pytest.raises(TypeError, match="data must be a Tensor"):
        a.data = [1., 2.]


def test_grad_setter_validates():
    a = autograd.tensor([1., 2.], requires_grad=True)
    assert a.grad is None
    g = autograd.tensor([3., 4.])
    a.grad = g
    assert a.grad is g
    a.grad = None
    assert a.grad is None
    with pytest.raises(RuntimeError, match=r"gradient of size '\[3\]' to a tensor of size '\[2\]'"):
        a.grad = autograd.ones(3)
    with pytest.raises(RuntimeError, match="dtype 'float64' to a tensor with dtype 'float32'"):
        a.grad = autograd.ones(2, dtype=autograd.float64)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None but got grad of type list"):
        a.grad = [1., 2.]
    # an assigned .grad is where the next backward accumulates
    a.grad = autograd.tensor([1., 1.])
    (a * 3).sum().backward()
    assert a.grad.tolist() == [4., 4.]


def test_version_counter():
    t = autograd.tensor([1., 2.])
    assert t._version == 0
    assert t._version_counter == 0


def test_make_and_make_leaf():
    t = _tensor.make(np.arange(3.))
    assert isinstance(t, autograd.Tensor)
    assert t.requires_grad is False and t.grad is None and t.grad_fn is None
    s = _tensor.make(np.float64(2.))     # numpy scalars become 0-d arrays
    assert isinstance(s.numpy(), np.ndarray) and s.shape == ()
    leaf = _tensor.make_leaf(np.ones(2), True)
    assert leaf.requires_grad and leaf.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        _tensor.make_leaf(np.ones(2, dtype=np.int32), True)


def test_set_tensor_class_checks_its_argument():
    with pytest.raises(TypeError, match="subclass of TensorBase"):
        _tensor.set_tensor_class(int)


def test_format_shape_and_float_kinds():
    assert _tensor.format_shape((2, 3)) == "[2, 3]"
    assert _tensor.format_shape(()) == "[]"
    assert _tensor.is_float_dtype(np.dtype(np.float16))
    assert not _tensor.is_float_dtype(np.dtype(np.int64))
    assert not _tensor.is_float_dtype(np.dtype(np.bool_))
