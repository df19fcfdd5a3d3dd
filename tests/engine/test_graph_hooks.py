"""engine/graph.py: tensor hooks, retain_grad, and the saved-tensor version check."""
import warnings

import numpy as np
import pytest

import autograd


def _x():
    return autograd.tensor([1., 2., 3.], requires_grad=True)


# ----------------------------------------------------------------------
# register_hook
# ----------------------------------------------------------------------

def test_hooks_run_in_registration_order_on_leaf_and_non_leaf():
    x = _x()
    calls = []
    x.register_hook(lambda g: calls.append(("x1", g.tolist())))
    x.register_hook(lambda g: calls.append(("x2", g.tolist())))
    y = x * 2
    y.register_hook(lambda g: calls.append(("y1", g.tolist())))
    y.register_hook(lambda g: calls.append(("y2", g.tolist())))
    (y * y).sum().backward()
    assert calls == [
        ("y1", [4., 8., 12.]), ("y2", [4., 8., 12.]),
        ("x1", [8., 16., 24.]), ("x2", [8., 16., 24.]),
    ]
    assert x.grad.tolist() == [8., 16., 24.]


def test_hook_return_value_replaces_the_gradient_and_chains():
    x = _x()
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.register_hook(lambda g: g + 1)     # sees the first hook's result
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))   # None keeps it
    y.sum().backward()
    assert seen == [[11., 11., 11.]]
    assert x.grad.tolist() == [22., 22., 22.]


def test_leaf_hook_runs_before_accumulation():
    x = _x()
    x.grad = autograd.tensor([100., 100., 100.])
    seen = []

    def hook(g):
        seen.append(x.grad.tolist())
        return g * 3

    x.register_hook(hook)
    (x * 2).sum().backward()
    assert seen == [[100., 100., 100.]]
    assert x.grad.tolist() == [106., 106., 106.]


def test_leaf_hook_registered_before_and_after_the_graph_exists():
    x = _x()
    y = x * 2                    # the leaf's AccumulateGrad node exists now
    x.register_hook(lambda g: g * 5)
    y.sum().backward()
    assert x.grad.tolist() == [10., 10., 10.]
    x.grad = None
    (x * 1).sum().backward()     # a new graph gets a new node with the same hooks
    assert x.grad.tolist() == [5., 5., 5.]


def test_leaf_hook_runs_once_per_backward_with_the_summed_gradient():
    x = _x()
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    (x * 2 + x * 3).sum().backward()
    assert seen == [[5., 5., 5.]]


def test_handle_remove_and_context_manager():
    x = _x()
    calls = []
    h1 = x.register_hook(lambda g: calls.append(1))
    h2 = x.register_hook(lambda g: calls.append(2))
    h1.remove()
    h1.remove()                  # removing twice is harmless
    (x * 2).sum().backward()
    assert calls == [2]
    h2.remove()
    (x * 2).sum().backward()
    assert calls == [2]
    with x.register_hook(lambda g: g * 0):
        (x * 2).sum().backward()
    assert x.grad.tolist() == [4., 4., 4.]
    (x * 2).sum().backward()
    assert x.grad.tolist() == [6., 6., 6.]


def test_hook_on_root_sees_the_seed_gradient():
    x = _x()
    y = x * 2
    y.register_hook(lambda g: g * 0.5)
    y.backward(autograd.tensor([1., 2., 4.]))
    assert x.grad.tolist() == [1., 2., 4.]


def test_hooks_run_under_autograd_grad():
    x = _x()
    calls = []
    x.register_hook(lambda g: calls.append("x") or g * 2)
    y = x * 3
    y.register_hook(lambda g: calls.append("y"))
    (gx,) = autograd.grad(y.sum(), x)
    assert calls == ["y", "x"]
    assert gx.tolist() == [6., 6., 6.]
    assert x.grad is None


def test_hooks_under_create_graph_are_differentiable():
    x = _x()
    y = x * x
    y.register_hook(lambda g: g * x)        # gx = x * 2x, differentiable in x
    (gx,) = autograd.grad(y.sum(), x, create_graph=True)
    assert gx.tolist() == [2., 8., 18.]
    gx.sum().backward()
    assert x.grad.tolist() == [4., 8., 12.]


def test_hook_keeping_the_gradient_is_not_written_into_later():
    x = _x()
    kept = []
    x.register_hook(lambda g: kept.append(g))
    (x * 2 + x * 3).sum().backward()   # the summed buffer reaches the hook
    (x * 2 + x * 3).sum().backward()
    assert kept[0].tolist() == [5., 5., 5.]
    assert x.grad.tolist() == [10., 10., 10.]


def test_register_hook_errors():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        autograd.tensor([1.]).register_hook(lambda g: g)
    x = _x()
    y = x * 2
    y.register_hook(lambda g: 3)
    with pytest.raises(TypeError, match="expected Variable, but hook returned 'int'"):
        y.sum().backward()

    def hk(g):
        return autograd.ones(4)

    y = x * 2
    y.register_hook(hk)
    with pytest.raises(RuntimeError, match="hook 'hk' has changed the size of value"):
        y.sum().backward()

    def hk2(g):
        return g.double()

    y = x * 2
    y.register_hook(hk2)
    with pytest.raises(RuntimeError, match=r"hook 'hk2' has changed the type of value "
                       r"\(was autograd.FloatTensor got autograd.DoubleTensor\)"):
        y.sum().backward()


def test_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([0.5, -1.0, 2.0])

    def run(lib):
        x = lib.tensor(data, requires_grad=True)
        log = []
        x.register_hook(lambda g: log.append(("x", g.tolist())) or g * 2)
        y = (x * x).exp()
        y.register_hook(lambda g: log.append(("y", g.tolist())))
        z = y * 3
        z.retain_grad()
        z.register_hook(lambda g: g + 1)
        (z * x).sum().backward()
        return log, x.grad.tolist(), z.grad.tolist()

    ours, theirs = run(autograd), run(torch)
    assert len(ours[0]) == len(theirs[0])
    for (a_name, a), (b_name, b) in zip(ours[0], theirs[0]):
        assert a_name == b_name
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)


# ----------------------------------------------------------------------
# retain_grad and the non-leaf .grad warning
# ----------------------------------------------------------------------

def test_retain_grad_fills_non_leaf_grad_and_accumulates():
    x = _x()
    y = x * 2
    assert y.retains_grad is False
    y.retain_grad()
    y.retain_grad()              # idempotent
    assert y.retains_grad is True
    z = (y * y).sum()
    z.backward(retain_graph=True)
    assert y.grad.tolist() == [4., 8., 12.]
    z.backward()
    assert y.grad.tolist() == [8., 16., 24.]
    assert x.grad.tolist() == [16., 32., 48.]


def test_retain_grad_runs_after_hooks_and_copies():
    x = _x()
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 3)     # registered later, still runs first
    (y + y).sum().backward()
    assert y.grad.tolist() == [6., 6., 6.]
    assert x.grad.tolist() == [12., 12., 12.]


def test_retain_grad_on_leaf_is_a_no_op_and_needs_requires_grad():
    x = _x()
    x.retain_grad()
    assert x.retains_grad is False
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        autograd.tensor([1.]).retain_grad()


def test_non_leaf_grad_warning():
    x = _x()
    y = x * 2
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf "
                      "Tensor is being accessed") as record:
        assert y.grad is None
    assert record[0].filename == __file__
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None
        assert x.grad is None    # leaves never warn
        y.sum().backward()
        assert y.grad.tolist() == [1., 1., 1.]


def test_retain_grad_matches_pytorch():
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([[1., -2.], [3., 0.5]], requires_grad=True)
        h = x.tanh()
        h.retain_grad()
        s = (h * x).sum(0)
        s.retain_grad()
        (s * s).sum().backward()
        return h.grad.tolist(), s.grad.tolist(), x.grad.tolist()

    for a, b in zip(run(autograd), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# ----------------------------------------------------------------------
# FunctionNode.result
# ----------------------------------------------------------------------

def test_result_is_none_when_the_op_saved_no_output():
    x = _x()
    assert (x * 2).grad_fn.result is None
    r = x.exp().grad_fn.result
    np.testing.assert_allclose(r.tolist(), np.exp([1., 2., 3.]))


# ----------------------------------------------------------------------
# saved-tensor version check
# ----------------------------------------------------------------------

def test_modified_saved_input_raises_pytorchs_error():
    a = autograd.tensor([1., 2., 3.], requires_grad=True)
    b = a * 2
    c = b * b
    b._version += 1          # what an in-place op on b does
    with pytest.raises(RuntimeError) as info:
        c.sum().backward()
    assert str(info.value) == (
        "one of the variables needed for gradient computation has been modified by an "
        "inplace operation: [autograd.FloatTensor [3]], which is output 0 of MulBackward0, "
        "is at version 1; expected version 0 instead. Hint: enable anomaly detection to "
        "find the operation that failed to compute its gradient, with "
        "autograd.set_detect_anomaly(True)."
    )


def test_modified_saved_leaf_names_no_node():
    x = autograd.tensor(1., requires_grad=True)
    w = autograd.tensor(2., dtype=autograd.float32)
    c = x * w
    w._version += 2
    with pytest.raises(RuntimeError, match=r"inplace operation: \[autograd.FloatTensor \[\]\] "
                       r"is at version 2; expected version 0 instead\. Hint"):
        c.backward()


def test_version_check_for_every_saved_position():
    from engine.graph import record
    from engine.tensor import make

    def op(*ts):
        out = make(sum(t._data for t in ts))
        record(out, "FourBackward0", lambda ctx, g: (ctx.saved and (g,) * 4), ts, ts)
        return out

    for position in range(4):
        ts = [autograd.tensor([1., 2.], requires_grad=True) for _ in range(4)]
        for i, t in enumerate(ts):
            t._version = i           # saved at versions 0, 1, 2, 3
        out = op(*ts)
        out.sum().backward(retain_graph=True)    # unchanged: fine
        assert ts[3].grad.tolist() == [1., 1.]
        ts[position]._version += 1
        with pytest.raises(RuntimeError, match=f"is at version {position + 1}; "
                           f"expected version {position} instead"):
            out.sum().backward()


def test_saved_version_recorded_at_save_time():
    a = autograd.tensor([1., 2.], requires_grad=True)
    b = a * 1
    b._version = 5               # modified before it is saved: fine
    c = b * b
    c.sum().backward()
    assert a.grad.tolist() == [2., 4.]


def test_rewritten_saved_output_is_detected():
    from engine.graph import mark_rewritten
    a = autograd.tensor([1., 2., 3.], requires_grad=True)
    b = a.exp()
    mark_rewritten(b)            # what an in-place op on b does first
    b._version += 1
    with pytest.raises(RuntimeError, match=r"\[autograd.FloatTensor \[3\]\], which is output 0 "
                       r"of ExpBackward0, is at version 1; expected version 0"):
        b.sum().backward()
    c = a.exp()
    c.sum().backward()           # untouched outputs are fine
    np.testing.assert_allclose(a.grad.tolist(), np.exp([1., 2., 3.]))


def test_version_error_matches_pytorch_text():
    torch = pytest.importorskip("torch")
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    b = a * 2
    c = b * b
    with torch.no_grad():
        b.mul_(2)
    with pytest.raises(RuntimeError) as theirs:
        c.sum().backward()
    x = autograd.tensor([1., 2., 3.], dtype=autograd.float32, requires_grad=True)
    y = x * 2
    z = y * y
    y._version += 1
    with pytest.raises(RuntimeError) as ours:
        z.sum().backward()
    prefix = ("one of the variables needed for gradient computation has been modified by an "
              "inplace operation: [")
    assert str(theirs.value).startswith(prefix + "torch.FloatTensor [3]]")
    assert str(ours.value).startswith(prefix + "autograd.FloatTensor [3]]")
    assert "is at version 1; expected version 0 instead. Hint: enable anomaly detection" in str(theirs.value)
    assert "is at version 1; expected version 0 instead. Hint: enable anomaly detection" in str(ours.value)
