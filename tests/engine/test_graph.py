"""engine/graph.py: recording, the backward traversal, accumulation and errors."""
import gc
import os
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest

import autograd

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def no_collector():
    """Keep the cyclic collector off for the test: it makes nothing here
    correct or wrong, but its passes over everything alive in the test
    process (PyTorch included) dominate the time of graphs this large."""
    enabled = gc.isenabled()
    gc.disable()
    yield
    if enabled:
        gc.enable()


def _leaves():
    a = autograd.tensor([2., 3.], requires_grad=True)
    b = autograd.tensor([6., 4.], requires_grad=True)
    return a, b


# ----------------------------------------------------------------------
# recording
# ----------------------------------------------------------------------

def test_requires_grad_propagates_from_any_input():
    x = autograd.rand(5, 5)
    y = autograd.rand(5, 5)
    z = autograd.rand((5, 5), requires_grad=True)
    assert (x + y).requires_grad is False
    assert (x + y).grad_fn is None
    assert (x + z).requires_grad is True
    assert (z + x).grad_fn.name() == "AddBackward0"


def test_is_leaf():
    a, _ = _leaves()
    plain = autograd.tensor([1., 2.])
    assert a.is_leaf and plain.is_leaf
    b = a * 2
    assert not b.is_leaf
    with autograd.no_grad():
        c = a * 2
    assert c.is_leaf
    assert c.requires_grad is False
    assert c.grad_fn is None
    assert (plain * 2).is_leaf


def test_grad_fn_names_and_structure_match_pytorch():
    a, b = _leaves()
    Q = 3 * a**3 - b**2
    sub = Q.grad_fn
    assert sub.name() == "SubBackward0"
    (mul, _), (pow_b, _) = sub.next_functions
    assert mul.name() == "MulBackward0"
    assert pow_b.name() == "PowBackward0"
    (pow_a, _), (none, _) = mul.next_functions   # the 3 is not a tensor: no edge
    assert pow_a.name() == "PowBackward0"
    assert none is None
    (acc_a, _), = pow_a.next_functions
    (acc_b, _), = pow_b.next_functions
    assert type(acc_a).__name__ == "AccumulateGrad"
    assert acc_a.name() == "AccumulateGrad"
    assert acc_a.variable is a
    assert acc_b.variable is b
    assert acc_a.next_functions == ()
    assert (Q.sum()).grad_fn.name() == "SumBackward0"
    assert repr(sub).startswith("<SubBackward0 object at 0x")

    torch = pytest.importorskip("torch")

    def shape(node):
        if node is None:
            return None
        return (type(node).__name__, tuple(shape(n) for n, _ in node.next_functions))

    def ours(node):
        if node is None:
            return None
        return (node.name(), tuple(ours(n) for n, _ in node.next_functions))

    ta = torch.tensor([2., 3.], requires_grad=True)
    tb = torch.tensor([6., 4.], requires_grad=True)
    TQ = 3 * ta**3 - tb**2
    assert ours(Q.grad_fn) == shape(TQ.grad_fn)
    assert [i for _, i in sub.next_functions] == [i for _, i in TQ.grad_fn.next_functions]


def test_every_use_of_a_leaf_shares_one_accumulate_grad():
    a, _ = _leaves()
    x = a * 2
    y = a + 1
    z = a**2
    acc = x.grad_fn.next_functions[0][0]
    assert y.grad_fn.next_functions[0][0] is acc
    assert z.grad_fn.next_functions[0][0] is acc
    s = a * a
    assert s.grad_fn.next_functions[0][0] is s.grad_fn.next_functions[1][0] is acc


# ----------------------------------------------------------------------
# backward results
# ----------------------------------------------------------------------

def test_tutorial_gradients():
    a, b = _leaves()
    Q = 3 * a**3 - b**2
    Q.backward(gradient=autograd.tensor([1., 1.]))
    np.testing.assert_array_equal(a.grad.numpy(), [36., 81.])
    np.testing.assert_array_equal(b.grad.numpy(), [-12., -8.])
    assert a.grad.dtype == autograd.float32
    assert a.grad.requires_grad is False and a.grad.grad_fn is None


def test_grad_accumulates_across_backward_calls():
    a, b = _leaves()
    (a * b).sum().backward()
    first = a.grad
    np.testing.assert_array_equal(a.grad.numpy(), [6., 4.])
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [12., 8.])
    np.testing.assert_array_equal(b.grad.numpy(), [4., 6.])
    # accumulation is in place, as in PyTorch
    assert a.grad is first


def test_retain_graph_allows_a_second_backward():
    a, b = _leaves()
    Q = 3 * a**3 - b**2
    g = autograd.tensor([1., 1.])
    Q.backward(g, retain_graph=True)
    Q.backward(g)
    np.testing.assert_array_equal(a.grad.numpy(), [72., 162.])
    np.testing.assert_array_equal(b.grad.numpy(), [-24., -16.])


def test_second_backward_through_freed_graph_raises():
    a, b = _leaves()
    Q = 3 * a**3 - b**2
    g = autograd.tensor([1., 1.])
    Q.backward(g)
    with pytest.raises(RuntimeError) as info:
        Q.backward(g)
    message = str(info.value)
    assert message.startswith("Trying to backward through the graph a second time")
    assert "Specify retain_graph=True" in message
    # the failed pass left .grad alone
    np.testing.assert_array_equal(a.grad.numpy(), [36., 81.])


def test_graph_that_saved_nothing_can_be_backwarded_twice():
    # PyTorch too: AddBackward0 saves no tensors, so there is nothing to free.
    a, b = _leaves()
    c = (a + b).sum()
    c.backward()
    c.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2., 2.])
    np.testing.assert_array_equal(b.grad.numpy(), [2., 2.])


def test_diamond_sums_the_shared_gradient():
    x = autograd.tensor([1., 2., 3.], requires_grad=True)
    h = x * x              # shared subexpression, reached along two paths
    y = (h * 2 + h.exp()).sum()
    y.backward()
    xs = np.array([1., 2., 3.], dtype=np.float32)
    expected = (2 + np.exp(xs * xs)) * 2 * xs
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


def test_diamond_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([[0.5, -1.], [2., 0.25]])

    def f(lib, x):
        a = x * 3
        b = a.tanh()
        c = a - b
        return (c * b + a.exp() / (c + 4)).sum()

    x = autograd.tensor(values, requires_grad=True)
    f(autograd, x).backward()
    tx = torch.tensor(values, requires_grad=True)
    f(torch, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_leaf_used_100000_times(no_collector):
    x = autograd.tensor([1., 2.], requires_grad=True)
    s = x
    for _ in range(100_000 - 1):
        s = s + x
    (s * autograd.tensor([1., 3.])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [100000., 300000.])


def test_chain_of_a_million_nodes(tmp_path):
    # Deep graphs are where a recursive traversal or a recursive
    # deallocation would blow the stack; a C stack overflow kills the
    # process, so the chain runs in a child.  (The collector is off there
    # only because it adds time, not to hide anything: cycles are tested
    # below.)
    n = 1_000_000 if autograd.ENGINE == "compiled" else 200_000
    code = textwrap.dedent(f"""
        import gc, sys
        gc.disable()
        sys.setrecursionlimit(1000)
        import autograd
        x = autograd.tensor(2.0, requires_grad=True)
        y = x
        for _ in range({n}):
            y = -y
        node = y.grad_fn
        y.backward()
        assert x.grad.item() == 1.0, x.grad
        # NegBackward0 saves nothing, so the whole chain is still alive
        # here and goes when its root does
        assert node.next_functions[0][0] is not None
        del y, node
        print("freed")
    """)
    env = dict(os.environ, PYTHONPATH=_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "freed"


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------

def test_backward_on_non_scalar_needs_a_gradient():
    a, _ = _leaves()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (a * 2).backward()


def test_backward_on_tensor_without_grad():
    t = autograd.tensor([1., 2.]).sum()
    with pytest.raises(RuntimeError,
                       match="element 0 of tensors does not require grad and does not have a grad_fn"):
        t.backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        autograd.tensor([1, 2], requires_grad=True)
    t = autograd.tensor([1, 2])
    with pytest.raises(RuntimeError, match="int64"):
        t.requires_grad_()
    assert t.requires_grad is False


def test_gradient_of_wrong_shape():
    a, _ = _leaves()
    with pytest.raises(RuntimeError) as info:
        (a * 2).backward(autograd.ones(3))
    assert str(info.value) == (
        "Mismatch in shape: grad_output[0] has a shape of [3] and output[0] has a shape of [2]."
    )


def test_non_leaf_cannot_stop_requiring_grad():
    a, _ = _leaves()
    b = a * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        b.requires_grad = False
    b.requires_grad = True   # a no-op, as in PyTorch
    assert b.requires_grad


# ----------------------------------------------------------------------
# buffers and memory
# ----------------------------------------------------------------------

def test_gradient_passed_to_backward_is_not_aliased():
    a, b = _leaves()
    g = autograd.tensor([1., 2.])
    (a + b).backward(g)
    g.numpy()[:] = 100.
    np.testing.assert_array_equal(a.grad.numpy(), [1., 2.])
    np.testing.assert_array_equal(b.grad.numpy(), [1., 2.])
    # a gradient fed straight to a leaf is copied too
    c = autograd.tensor([1., 1.], requires_grad=True)
    h = autograd.tensor([3., 4.])
    c.backward(h)
    h.numpy()[:] = 0.
    np.testing.assert_array_equal(c.grad.numpy(), [3., 4.])


def test_sibling_gradients_are_independent_buffers():
    a, b = _leaves()
    c = a + b                    # AddBackward0 hands the same gradient to both
    g = autograd.tensor([1., 2.])
    c.backward(g)
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    # a later in-place accumulation into a.grad leaves b.grad (and g) alone
    (a * 1.).backward(autograd.tensor([10., 10.]))
    np.testing.assert_array_equal(a.grad.numpy(), [11., 12.])
    np.testing.assert_array_equal(b.grad.numpy(), [1., 2.])
    np.testing.assert_array_equal(g.numpy(), [1., 2.])


def test_a_leaf_takes_only_gradients_nobody_else_holds():
    # The compiled engine lets a leaf take a gradient without a copy when the
    # traversal holds the only reference; any other holder forces a copy.
    a = autograd.tensor([1., 2.], requires_grad=True)
    y = a.clone()
    y.retain_grad()                      # y.grad is the gradient a receives
    (y * 3.).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), y.grad.numpy())
    kept = []
    b = autograd.tensor([1., 2.], requires_grad=True)
    b.register_hook(kept.append)         # the hook keeps b's gradient
    (b * 3.).sum().backward()
    assert not np.shares_memory(b.grad.numpy(), kept[0].numpy())
    # a gradient taken without a copy accumulates in place like any other
    c = autograd.tensor([1., 2.], requires_grad=True)
    (c * 3.).sum().backward()
    first = c.grad
    (c * 4.).sum().backward()
    assert c.grad is first
    np.testing.assert_array_equal(c.grad.numpy(), [7., 7.])


def _reshaped_gradient(keep):
    """A Function whose backward hands back a reshape (a view) of a new
    array, kept in ``keep`` too when it is a list."""
    class Reshaped(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            flat = np.full(4, 2.)
            if keep is not None:
                keep.append(flat)
            return autograd.from_numpy(flat.reshape(2, 2))
    return Reshaped


def test_a_leaf_copies_a_gradient_viewing_an_array_someone_else_holds():
    kept = []
    a = autograd.zeros(2, 2, dtype=autograd.float64, requires_grad=True)
    _reshaped_gradient(kept).apply(a).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), kept[0])
    kept[0][:] = 0.
    np.testing.assert_array_equal(a.grad.numpy(), [[2., 2.], [2., 2.]])


def test_a_gradient_viewing_an_array_nobody_holds_accumulates_like_any_other():
    a = autograd.zeros(2, 2, dtype=autograd.float64, requires_grad=True)
    _reshaped_gradient(None).apply(a).sum().backward()
    first = a.grad
    np.testing.assert_array_equal(first.numpy(), [[2., 2.], [2., 2.]])
    _reshaped_gradient(None).apply(a).sum().backward()
    assert a.grad is first
    np.testing.assert_array_equal(a.grad.numpy(), [[4., 4.], [4., 4.]])


def test_no_reference_cycles_between_tensors_and_nodes(no_collector):
    # With the collector off, only reference counting can free the graph.
    a, b = _leaves()
    out = (3 * a**3 - b**2).sum()
    nodes = [weakref.ref(out.grad_fn)]
    node = out.grad_fn
    while node.next_functions:
        node = node.next_functions[0][0]
        nodes.append(weakref.ref(node))
    del node
    assert len(nodes) == 5   # Sum, Sub, Mul, Pow, AccumulateGrad
    out.backward()
    assert all(r() is not None for r in nodes)
    del out
    assert [r() for r in nodes] == [None] * len(nodes)


def test_graph_is_freed_without_backward(no_collector):
    a, _ = _leaves()
    out = (a * a).exp().sum()
    ref = weakref.ref(out.grad_fn)
    acc = weakref.ref(out.grad_fn.next_functions[0][0].next_functions[0][0]
                      .next_functions[0][0])
    assert acc() is not None and acc().variable is a
    del out
    assert ref() is None
    assert acc() is None   # the leaf holds its AccumulateGrad weakly
