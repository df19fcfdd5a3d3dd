"""autograd/_factories.py: tensor creation, dtypes and defaults as in PyTorch."""
import numpy as np
import pytest

import autograd

# Deterministic factory calls, written once for both libraries.
_SAME_AS_PYTORCH = [
    "lib.tensor(3.)", "lib.tensor(3)", "lib.tensor(True)", "lib.tensor([1, 2.5])",
    "lib.tensor([True, 1])", "lib.tensor([True, 1.5])", "lib.tensor([[1, 2], [3, 4]])",
    "lib.tensor(np.array([1., 2.]))", "lib.tensor(np.array([1, 2], dtype=np.int32))",
    "lib.tensor(np.array([1., 2.], dtype=np.float16))", "lib.tensor(np.float64(2.5))",
    "lib.tensor([])", "lib.tensor([[]])", "lib.tensor([[1, 2], [3, 4]], dtype=lib.float64)",
    "lib.tensor(3.5, dtype=lib.int64)", "lib.tensor(-2.7, dtype=lib.int32)",
    "lib.zeros(2, 3)", "lib.zeros((2, 3))", "lib.zeros([2, 3])", "lib.zeros(())", "lib.zeros(0)",
    "lib.ones(2, dtype=lib.int32)", "lib.ones(2, 1, dtype=lib.bool)",
    "lib.full((2,), 3)", "lib.full((2,), 3.)", "lib.full((2,), True)", "lib.full([2, 2], -1.5)",
    "lib.full((2,), 3, dtype=lib.float64)",
    "lib.eye(3)", "lib.eye(2, 3)", "lib.eye(2, dtype=lib.int64)",
    "lib.arange(5)", "lib.arange(5.)", "lib.arange(0, 1, 0.25)", "lib.arange(1, 10, 3)",
    "lib.arange(5, 0, -1)", "lib.arange(0, 1, 0.1)", "lib.arange(10, dtype=lib.float64)",
    "lib.linspace(0, 1, 5)", "lib.linspace(-1, 1, 4)", "lib.linspace(0, 10, 1)",
    "lib.linspace(0, 1, 0)", "lib.linspace(0, 1, 3, dtype=lib.float64)",
    "lib.zeros_like(lib.ones(2, 3, dtype=lib.int32))", "lib.ones_like(lib.zeros(2, dtype=lib.float64))",
    "lib.full_like(lib.zeros(2, dtype=lib.int64), 7)", "lib.full_like(lib.zeros(2), 7)",
    "lib.as_tensor([1, 2])", "lib.as_tensor(np.array([1., 2.]))",
]


@pytest.mark.parametrize("expr", _SAME_AS_PYTORCH)
def test_matches_pytorch(expr):
    torch = pytest.importorskip("torch")
    theirs = eval(expr, {"lib": torch, "np": np})
    ours = eval(expr, {"lib": autograd, "np": np})
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)


def test_tensor_default_dtypes():
    assert autograd.tensor(1.5).dtype is autograd.float32
    assert autograd.tensor([1.5, 2.]).dtype is autograd.float32
    assert autograd.tensor(2).dtype is autograd.int64
    assert autograd.tensor([True, False]).dtype is autograd.bool
    assert autograd.tensor(np.arange(3, dtype=np.int16)).dtype is autograd.int16
    assert autograd.tensor(np.ones(2)).dtype is autograd.float64


def test_tensor_values_and_shapes():
    t = autograd.tensor([[1, 2, 3], [4, 5, 6]])
    assert t.shape == (2, 3) and t.tolist() == [[1, 2, 3], [4, 5, 6]]
    s = autograd.tensor(2.5)
    assert s.shape == () and s.item() == 2.5
    assert autograd.tensor([]).shape == (0,)
    assert autograd.tensor(((1., 2.), (3., 4.))).tolist() == [[1., 2.], [3., 4.]]


def test_tensor_copies_its_data():
    a = np.array([1., 2.])
    t = autograd.tensor(a)
    a[0] = 9.
    assert t.tolist() == [1., 2.]
    u = autograd.tensor(t)
    t.numpy()[1] = 7.
    assert u.tolist() == [1., 2.]


def test_tensor_accepts_0d_tensors_in_lists():
    a = autograd.tensor([1., 2.], requires_grad=True)
    t = autograd.tensor([a.sum(), autograd.tensor(5.)])
    assert t.tolist() == [3., 5.] and t.requires_grad is False


def test_as_tensor_and_from_numpy_share_memory():
    a = np.array([1., 2., 3.])
    for t in (autograd.as_tensor(a), autograd.from_numpy(a)):
        assert t.dtype is autograd.float64
        a[0] = 10.
        assert t.tolist()[0] == 10.
        t.numpy()[2] = -1.
        assert a[2] == -1.
        a[:] = [1., 2., 3.]
    t = autograd.tensor([1., 2.])
    assert autograd.as_tensor(t) is t
    assert autograd.as_tensor(t, dtype=autograd.float64).dtype is autograd.float64
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got list\)"):
        autograd.from_numpy([1., 2.])
    with pytest.raises(TypeError, match="no autograd equivalent"):
        autograd.from_numpy(np.array(["a"]))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_argument_forms(name):
    f = getattr(autograd, name)
    for t in (f(2, 3), f((2, 3)), f([2, 3])):
        assert t.shape == (2, 3)
        assert t.dtype is autograd.float32
        assert t.requires_grad is False and t.is_leaf
    assert f(()).shape == ()
    assert f(4).shape == (4,)
    assert f(0, 2).shape == (0, 2)


def test_filled_values():
    assert autograd.zeros(2, 2).tolist() == [[0., 0.], [0., 0.]]
    assert autograd.ones(3).tolist() == [1., 1., 1.]
    assert autograd.full((2,), 2.5).tolist() == [2.5, 2.5]
    assert autograd.eye(2, 3).tolist() == [[1., 0., 0.], [0., 1., 0.]]


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_negative_sizes_raise(name):
    f = getattr(autograd, name)
    with pytest.raises(RuntimeError, match=r"negative dimension -3: \[2, -3\]"):
        f(2, -3)
    with pytest.raises(TypeError, match="size must be a sequence of ints"):
        f(2.5)


def test_other_argument_errors():
    with pytest.raises(RuntimeError, match="negative dimension"):
        autograd.full((-1,), 1.)
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        autograd.eye(-1)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        autograd.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        autograd.arange(0, 5, -1)
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        autograd.linspace(0, 1, -1)
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        autograd.randint(5, 5, (2,))
    with pytest.raises(ValueError, match=r"expected sequence of length 2 at dim 1 \(got 1\)"):
        autograd.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="invalid data type 'str'"):
        autograd.tensor([1, "a"])
    with pytest.raises(RuntimeError, match="Could not infer dtype of NoneType"):
        autograd.tensor(None)


def test_arange_and_linspace():
    assert autograd.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert autograd.arange(5).dtype is autograd.int64
    assert autograd.arange(1, 2, 0.5).tolist() == [1., 1.5]
    assert autograd.arange(1, 2, 0.5).dtype is autograd.float32
    assert autograd.linspace(0, 1, 5).tolist() == [0., 0.25, 0.5, 0.75, 1.]
    assert autograd.linspace(0, 1, 5).dtype is autograd.float32


def test_random_factories():
    r = autograd.rand(1000)
    assert r.dtype is autograd.float32
    assert 0. <= r.numpy().min() and r.numpy().max() < 1.
    assert 0.4 < r.numpy().mean() < 0.6
    n = autograd.randn(2000, dtype=autograd.float64)
    assert n.dtype is autograd.float64
    assert abs(n.numpy().mean()) < 0.15 and 0.85 < n.numpy().std() < 1.15
    i = autograd.randint(3, 7, (500,))
    assert i.dtype is autograd.int64 and set(i.tolist()) == {3, 4, 5, 6}
    j = autograd.randint(4, (2, 3))
    assert j.shape == (2, 3) and 0 <= j.numpy().min() and j.numpy().max() < 4


def test_manual_seed_reproducibility():
    autograd.manual_seed(123)
    first = [autograd.rand(3).tolist(), autograd.randn(2, 2).tolist(),
             autograd.randint(0, 100, (4,)).tolist()]
    autograd.manual_seed(123)
    second = [autograd.rand(3).tolist(), autograd.randn(2, 2).tolist(),
              autograd.randint(0, 100, (4,)).tolist()]
    assert first == second
    autograd.manual_seed(124)
    assert autograd.rand(3).tolist() != first[0]


def test_like_factories():
    base = autograd.ones(2, 3, dtype=autograd.float64)
    for like in (autograd.zeros_like, autograd.ones_like, autograd.empty_like,
                 autograd.rand_like, autograd.randn_like):
        t = like(base)
        assert t.shape == (2, 3) and t.dtype is autograd.float64 and not t.requires_grad
    assert autograd.zeros_like(base).tolist() == [[0.] * 3] * 2
    assert autograd.ones_like(base).tolist() == [[1.] * 3] * 2
    assert autograd.full_like(base, 4).tolist() == [[4.] * 3] * 2
    ints = autograd.randint_like(autograd.zeros(50, dtype=autograd.int32), 2, 5)
    assert ints.dtype is autograd.int32 and set(ints.tolist()) <= {2, 3, 4}
    assert autograd.zeros_like(base, dtype=autograd.int64).dtype is autograd.int64
    # a tensor that requires grad does not pass that on
    assert not autograd.zeros_like(autograd.ones(2, requires_grad=True)).requires_grad


_REQUIRES_GRAD = [
    lambda: autograd.tensor([1., 2.], requires_grad=True),
    lambda: autograd.zeros(2, requires_grad=True),
    lambda: autograd.ones(2, requires_grad=True),
    lambda: autograd.empty(2, requires_grad=True),
    lambda: autograd.full((2,), 1., requires_grad=True),
    lambda: autograd.eye(2, requires_grad=True),
    lambda: autograd.arange(2., requires_grad=True),
    lambda: autograd.linspace(0, 1, 2, requires_grad=True),
    lambda: autograd.rand(2, requires_grad=True),
    lambda: autograd.randn(2, requires_grad=True),
    lambda: autograd.zeros_like(autograd.zeros(2), requires_grad=True),
    lambda: autograd.full_like(autograd.zeros(2), 3., requires_grad=True),
]


@pytest.mark.parametrize("make", _REQUIRES_GRAD)
def test_requires_grad_on_factories(make):
    t = make()
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    (t * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full(t.shape, 2., dtype=np.float32))


def test_requires_grad_on_integer_factories_raises():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        autograd.ones(2, dtype=autograd.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        autograd.arange(3, requires_grad=True)
