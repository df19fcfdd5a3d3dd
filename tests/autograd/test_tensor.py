"""autograd/_tensor.py: the Tensor facade's dtypes, conversions and protocols."""
import pickle

import numpy as np
import pytest

import autograd

_DTYPES = [
    ("float16", np.float16), ("float32", np.float32), ("float64", np.float64),
    ("uint8", np.uint8), ("int8", np.int8), ("int16", np.int16), ("int32", np.int32),
    ("int64", np.int64), ("bool", np.bool_),
]


@pytest.mark.parametrize("name, np_dtype", _DTYPES)
def test_dtype_property_and_dtype_objects(name, np_dtype):
    d = getattr(autograd, name)
    assert repr(d) == f"autograd.{name}"
    t = autograd.zeros(2, dtype=d)
    assert t.dtype is d
    assert t.numpy().dtype == np_dtype
    assert pickle.loads(pickle.dumps(d)) is d
    assert d.is_floating_point == (name.startswith("float"))
    assert t.is_floating_point() == d.is_floating_point


def test_dtype_aliases():
    assert autograd.float is autograd.float32
    assert autograd.double is autograd.float64
    assert autograd.long is autograd.int64
    assert autograd.half is autograd.float16


@pytest.mark.parametrize("name, np_dtype", _DTYPES)
def test_to_dtype(name, np_dtype):
    t = autograd.tensor([0., 1.5, 2.])
    out = t.to(getattr(autograd, name))
    assert out.dtype is getattr(autograd, name)
    np.testing.assert_array_equal(out.numpy(), np.array([0., 1.5, 2.], dtype=np.float32).astype(np_dtype))


def test_to_same_dtype_returns_self():
    t = autograd.tensor([1., 2.])
    assert t.to(autograd.float32) is t
    assert t.float() is t
    assert t.to("cpu") is t


def test_conversion_methods_match_pytorch():
    values = [1.5, -2.7, 0.]
    t = autograd.tensor(values)
    assert t.double().dtype is autograd.float64
    assert t.long().dtype is autograd.int64
    assert t.int().dtype is autograd.int32
    assert t.bool().dtype is autograd.bool
    assert autograd.tensor([1, 2]).float().dtype is autograd.float32
    torch = pytest.importorskip("torch")
    tt = torch.tensor(values)
    assert t.long().tolist() == tt.long().tolist()
    assert t.int().tolist() == tt.int().tolist()
    assert t.bool().tolist() == tt.bool().tolist()
    assert t.double().tolist() == tt.double().tolist()
    assert t.type() == tt.type().replace("torch.", "autograd.")
    assert autograd.tensor([1]).type() == "autograd.LongTensor"
    assert t.type(autograd.float64).dtype is autograd.float64


def test_float_cast_is_differentiable():
    a = autograd.tensor([1., 2.], requires_grad=True)
    b = a.double()
    assert b.grad_fn.name() == "ToCopyBackward0"
    (b * b).sum().backward()
    assert a.grad.dtype is autograd.float32
    assert a.grad.tolist() == [2., 4.]


def test_device_is_cpu():
    assert autograd.tensor([1.]).device == "cpu"


def test_array_protocol():
    t = autograd.tensor([1., 2.])
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.tolist() == [1., 2.]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(autograd.tensor([1.], requires_grad=True))


def test_operators_with_numbers_and_numpy_scalars():
    t = autograd.tensor([1., 2.])
    assert (2 + t).tolist() == [3., 4.]
    assert (2 * t).tolist() == [2., 4.]
    assert (2 - t).tolist() == [1., 0.]
    assert (2 / t).tolist() == [2., 1.]
    assert (2 ** t).tolist() == [2., 4.]
    assert (-t).tolist() == [-1., -2.]
    assert (+t) is t
    r = np.float64(2.) * t
    assert isinstance(r, autograd.Tensor) and r.tolist() == [2., 4.]
    assert r.dtype is autograd.float32


@pytest.mark.parametrize("apply", [
    lambda t, s: t * s,
    lambda t, s: autograd.mul(t, s),
    lambda t, s: t ** s,
    lambda t, s: t.clamp(s),
    lambda t, s: autograd.where(t > 1, t, s),
], ids=["mul-operator", "mul-function", "pow", "clamp", "where"])
def test_numpy_float64_scalars_count_as_numbers(apply):
    # np.float64 subclasses float; like PyTorch, it must not widen float32.
    out = apply(autograd.tensor([1., 2.]), np.float64(2.))
    assert out.dtype is autograd.float32


def test_reflected_operators_keep_the_tensor_first():
    # PyTorch's __radd__/__rmul__ are self.add(other)/self.mul(other).
    a = autograd.tensor([1., 2.], requires_grad=True)
    for out in (3 * a, 3 + a):
        (first, _), (second, _) = out.grad_fn.next_functions
        assert first is not None and first.variable is a
        assert second is None


def test_foreign_operands_are_not_implemented():
    t = autograd.tensor([1., 2.])
    with pytest.raises(TypeError):
        t + "x"
    with pytest.raises(TypeError):
        [1] * t


def test_format():
    assert f"{autograd.tensor(2.5):.2f}" == "2.50"
    assert f"{autograd.tensor([1., 2.])}" == "tensor([1., 2.])"
    assert str(autograd.tensor([1., 2.])) == "tensor([1., 2.])"


def test_pickle_round_trip():
    t = autograd.tensor([1., 2.], requires_grad=True)
    u = pickle.loads(pickle.dumps(t))
    assert isinstance(u, autograd.Tensor)
    assert u.requires_grad and u.is_leaf
    assert u.detach().tolist() == [1., 2.]
    assert not np.shares_memory(u.detach().numpy(), t.detach().numpy())


def test_hash_is_identity():
    a = autograd.tensor([1.])
    b = autograd.tensor([1.])
    assert len({a, b}) == 2
    assert {a: 1}[a] == 1


def test_backward_delegates_to_the_engine():
    a = autograd.tensor([2., 3.], requires_grad=True)
    (a * a).sum().backward()
    assert a.grad.tolist() == [4., 6.]


def test_autograd_dtypes_accepted_everywhere():
    d = autograd.float64
    assert autograd.tensor([1.], dtype=d).dtype is d
    assert autograd.as_tensor([1.], dtype=d).dtype is d
    assert autograd.zeros(1, dtype=d).dtype is d
    assert autograd.ones(1, dtype=d).dtype is d
    assert autograd.empty(1, dtype=d).dtype is d
    assert autograd.full((1,), 2., dtype=d).dtype is d
    assert autograd.eye(2, dtype=d).dtype is d
    assert autograd.arange(3, dtype=d).dtype is d
    assert autograd.linspace(0, 1, 3, dtype=d).dtype is d
    assert autograd.rand(1, dtype=d).dtype is d
    assert autograd.randn(1, dtype=d).dtype is d
    assert autograd.randint(0, 5, (2,), dtype=d).dtype is d
    base = autograd.zeros(2)
    for like in (autograd.zeros_like, autograd.ones_like, autograd.empty_like,
                 autograd.rand_like, autograd.randn_like):
        assert like(base, dtype=d).dtype is d
    assert autograd.full_like(base, 1., dtype=d).dtype is d
    assert autograd.randint_like(base, 5, dtype=d).dtype is d
    assert base.to(d).dtype is d
    assert base.type(d).dtype is d
    assert autograd.tensor([1, 2]).sum(dtype=d).dtype is d
