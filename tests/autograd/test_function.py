"""autograd/function.py: custom Functions, their nodes, multi-output, once_differentiable."""
import gc
import warnings
import weakref

import numpy as np
import pytest

import autograd
from autograd.function import once_differentiable


class Exp(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Scale(autograd.Function):
    """x * k with a non-tensor argument and an attribute on ctx."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k, None


class Cube(autograd.Function):
    """Backward written with autograd ops, so it is differentiable again."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class MulAdd(autograd.Function):
    """Two tensor inputs, two outputs: (a * b, a + b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b, a + b

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        a, b = ctx.saved_tensors
        return g_prod * b + g_sum, g_prod * a + g_sum


def _x(values=(0.5, -1.0, 2.0)):
    return autograd.tensor(list(values), dtype=autograd.float64, requires_grad=True)


# ----------------------------------------------------------------------
# single output
# ----------------------------------------------------------------------

def test_forward_backward_values_and_node():
    x = _x()
    y = Exp.apply(x)
    np.testing.assert_allclose(y.tolist(), np.exp(x.tolist()))
    assert type(y.grad_fn).__name__ == "ExpBackward"
    assert y.grad_fn.name() == "ExpBackward"
    assert repr(y).endswith("grad_fn=<ExpBackward>)")
    ((acc, nr),) = y.grad_fn.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x and nr == 0
    (y * 2).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), 2 * np.exp(x.tolist()))
    assert (y * 2).grad_fn.next_functions[0][0] is y.grad_fn


def test_non_tensor_arguments_needs_input_grad_and_ctx_attributes():
    x = _x()
    c = autograd.tensor([1., 2., 3.], dtype=autograd.float64)
    seen = {}

    class F(autograd.Function):
        @staticmethod
        def forward(ctx, a, k, b):
            seen["needs"] = ctx.needs_input_grad
            seen["grad_mode"] = autograd.is_grad_enabled()
            ctx.anything = [k]
            return a * k + b

        @staticmethod
        def backward(ctx, grad):
            seen["k"] = ctx.anything
            return grad * ctx.anything[0], None, grad

    y = F.apply(x, 3.0, c)
    assert seen["needs"] == (True, False, False)
    assert seen["grad_mode"] is False
    assert y.grad_fn.needs_input_grad == (True, False, False)
    assert y.grad_fn.anything == [3.0]
    assert [n for n, _ in y.grad_fn.next_functions] == [x.grad_fn or y.grad_fn.next_functions[0][0], None]
    y.sum().backward()
    assert x.grad.tolist() == [3., 3., 3.]
    assert seen["k"] == [3.0]


def test_without_grad_no_node_is_recorded():
    x = _x()
    with autograd.no_grad():
        y = Exp.apply(x)
    assert y.grad_fn is None and not y.requires_grad
    z = Exp.apply(autograd.tensor([1.]))
    assert z.grad_fn is None


def test_returning_an_input_gives_a_new_tensor():
    class Identity(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = _x()
    y = Identity.apply(x)
    assert y is not x and x.is_leaf
    assert y.grad_fn.name() == "IdentityBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2., 2., 2.]


def test_saved_tensors_are_freed_after_backward_unless_retained():
    x = _x()
    y = Exp.apply(x)
    assert y.grad_fn.saved_tensors[0].tolist() == y.tolist()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), 2 * np.exp(x.tolist()))
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.grad_fn.saved_tensors
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_saved_input_is_the_same_tensor_and_saved_output_is_connected():
    x = _x()
    seen = {}

    class F(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.save_for_backward(x, out, None)
            return out

        @staticmethod
        def backward(ctx, grad):
            a, out, none = ctx.saved_tensors
            seen.update(a=a, out_fn=out.grad_fn, none=none)
            return grad * 2

    y = F.apply(x)
    y.sum().backward()
    assert seen["a"] is x
    assert seen["out_fn"] is y.grad_fn
    assert seen["none"] is None


def test_function_with_nothing_saved_can_backward_twice():
    x = _x()
    y = Scale.apply(x, 2.0)
    y.sum().backward()
    y.sum().backward()
    assert x.grad.tolist() == [4., 4., 4.]


def test_save_for_backward_rejects_non_tensors():
    class F(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 1

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but "
                       "argument 1 is of type int"):
        F.apply(_x())


def test_graph_is_freed_without_the_collector():
    enabled = gc.isenabled()
    gc.disable()
    try:
        x = _x()
        y = Exp.apply(x)          # saves its own output
        node = weakref.ref(y.grad_fn)
        z = MulAdd.apply(x, y)
        node2 = weakref.ref(z[0].grad_fn)
        del y, z
        assert node() is None and node2() is None
    finally:
        if enabled:
            gc.enable()


# ----------------------------------------------------------------------
# the newer style: forward without ctx, plus setup_context
# ----------------------------------------------------------------------

def test_setup_context_style():
    class Pow(autograd.Function):
        @staticmethod
        def forward(x, n=3):
            return x ** n

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, n = inputs
            ctx.n = n
            ctx.save_for_backward(x, output)

        @staticmethod
        def backward(ctx, grad):
            x, out = ctx.saved_tensors
            return grad * ctx.n * out / x, None

    x = _x()
    y = Pow.apply(x)             # the default n is bound as an input
    assert y.grad_fn.n == 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), 3 * np.array(x.tolist()) ** 2)
    x.grad = None
    Pow.apply(x, n=2).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), 2 * np.array(x.tolist()))


# ----------------------------------------------------------------------
# several outputs
# ----------------------------------------------------------------------

def test_multi_output_shares_one_node():
    a, b = _x(), _x((1., 2., 3.))
    p, s = MulAdd.apply(a, b)
    assert p.grad_fn is s.grad_fn
    assert p.grad_fn.name() == "MulAddBackward"
    assert (p.output_nr, s.output_nr) == (0, 1)
    assert [nr for _, nr in (p + s).grad_fn.next_functions] == [0, 1]
    assert (p * s).grad_fn.next_functions[1][0] is p.grad_fn
    (p * s).sum().backward()
    av, bv = np.array(a.tolist()), np.array(b.tolist())
    np.testing.assert_allclose(a.grad.tolist(), bv * (av + bv) + av * bv)
    np.testing.assert_allclose(b.grad.tolist(), av * (av + bv) + av * bv)


def test_outputs_without_gradient_get_zeros_or_none():
    seen = []

    class Two(autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3, "label"

        @staticmethod
        def backward(ctx, g1, g2, g3):
            seen.append((None if g1 is None else g1.tolist(),
                         None if g2 is None else g2.tolist(), g3))
            return (g1 if g1 is not None else g2) * 1, None

    x = _x()
    y1, y2, label = Two.apply(x, True)
    assert label == "label"
    y2.sum().backward()
    y1, y2, _ = Two.apply(x, False)
    y1.sum().backward()
    assert seen == [([0., 0., 0.], [1., 1., 1.], None), ([1., 1., 1.], None, None)]


def test_multi_output_works_with_grad_hooks_and_retain_grad():
    a, b = _x(), _x((1., 2., 3.))
    p, s = MulAdd.apply(a, b)
    s.retain_grad()
    s.register_hook(lambda g: g * 10)
    (gp,) = autograd.grad((p + s).sum(), p, retain_graph=True)
    assert gp.tolist() == [1., 1., 1.]
    (p + s).sum().backward()
    # autograd.grad fills retained grads too, as in PyTorch
    assert s.grad.tolist() == [20., 20., 20.]
    bv = np.array(b.tolist())
    np.testing.assert_allclose(a.grad.tolist(), bv + 10)


def test_mark_non_differentiable():
    seen = []

    class MaxArg(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            i = x.argmax()
            v = x.max()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            ctx.n = x.shape[0]
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            seen.append((gi.tolist(), gi.dtype))
            (i,) = ctx.saved_tensors
            g = autograd.zeros(ctx.n, dtype=gv.dtype)
            g[int(i)] = gv
            return g

    x = _x()
    v, i = MaxArg.apply(x)
    assert v.requires_grad and not i.requires_grad and i.grad_fn is None
    v.backward()
    assert seen == [(0, autograd.int64)]
    assert x.grad.tolist() == [0., 0., 1.]


def test_mark_dirty_rebases_the_input():
    class Double_(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    leaf = _x()
    x = leaf * 1
    version = x._version
    y = Double_.apply(x)
    assert y is x
    assert x.grad_fn.name() == "Double_Backward"
    assert x._version > version
    x.sum().backward()
    assert leaf.grad.tolist() == [2., 2., 2.]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used "
                       "in an in-place operation."):
        Double_.apply(_x())


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------

def _returning(result):
    class F(autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return result(grad)

    return F


@pytest.mark.parametrize("result, error, message", [
    (lambda g: (g,), RuntimeError,
     r"^function FBackward returned an incorrect number of gradients \(expected 2, got 1\)$"),
    (lambda g: g, RuntimeError,
     r"^function FBackward returned an incorrect number of gradients \(expected 2, got 1\)$"),
    (lambda g: (g, None, 3), RuntimeError,
     r"^function FBackward returned an incorrect number of gradients \(expected 2, got 3\)$"),
    (lambda g: (g, 1), RuntimeError,
     r"^function FBackward returned a gradient different than None at position 2, but the "
     r"corresponding forward input was not a Variable$"),
    (lambda g: (autograd.ones(2), None), RuntimeError,
     r"^Function FBackward returned an invalid gradient at index 0 - got \[2\] but expected "
     r"shape compatible with \[3\]$"),
    (lambda g: (autograd.ones(1), None), RuntimeError,
     r"^Function FBackward returned an invalid gradient at index 0 - got \[1\] but expected "
     r"shape compatible with \[3\]$"),
    (lambda g: (3, None), RuntimeError, r"^expected Variable or None \(got int\)$"),
])
def test_backward_result_errors(result, error, message):
    y = _returning(result).apply(_x(), 2.0)
    with pytest.raises(error, match=message):
        y.sum().backward()


def test_backward_result_errors_match_pytorch():
    torch = pytest.importorskip("torch")

    def run(lib, result):
        class F(lib.autograd.Function if lib is torch else autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, grad):
                return result(lib, grad)

        x = lib.tensor([1., 2., 3.], requires_grad=True)
        try:
            F.apply(x, 2.0).sum().backward()
        except Exception as error:  # noqa: BLE001 (compared below)
            return type(error).__name__, str(error)
        return x.grad.tolist()

    cases = [lambda lib, g: (g,), lambda lib, g: (g, None, None), lambda lib, g: (g, 1),
             lambda lib, g: (lib.ones(2), None), lambda lib, g: (lib.ones(2, 3), None),
             lambda lib, g: (g.double(), None), lambda lib, g: (3, None)]
    for case in cases:
        assert run(autograd, case) == run(torch, case)


def test_extra_none_gradients_are_allowed_and_broadcast_gradients_are_summed():
    x = _x()
    _returning(lambda g: (g, None, None, None)).apply(x, 2.0).sum().backward()
    assert x.grad.tolist() == [1., 1., 1.]
    x.grad = None
    _returning(lambda g: (autograd.ones(2, 3, dtype=autograd.float32), None)).apply(x, 2.0).sum().backward()
    assert x.grad.tolist() == [2., 2., 2.]
    assert x.grad.dtype == autograd.float64


def test_missing_methods_and_instantiation():
    class NoBackward(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    with pytest.raises(NotImplementedError, match="You must implement either the backward or "
                       "vjp method"):
        NoBackward.apply(_x()).sum().backward()

    class NoForward(autograd.Function):
        pass

    with pytest.raises(NotImplementedError, match="You must implement the forward function"):
        NoForward.apply(_x())
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        f = Exp()
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward"):
        f(_x())

    class Both(Exp):
        @staticmethod
        def vjp(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        Both.apply(_x()).sum().backward()

    class OnlyVjp(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def vjp(ctx, grad):
            return grad * 5

    x = _x()
    OnlyVjp.apply(x).sum().backward()
    assert x.grad.tolist() == [5., 5., 5.]


# ----------------------------------------------------------------------
# version check
# ----------------------------------------------------------------------

def test_modified_saved_tensors_raise():
    a = _x()
    b = a * 1
    y = Cube.apply(b)
    b._version += 1
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient "
                       r"computation has been modified by an inplace operation: "
                       r"\[autograd.DoubleTensor \[3\]\], which is output 0 of MulBackward0, "
                       r"is at version 1; expected version 0 instead\."):
        y.sum().backward()
    y = Exp.apply(a)
    y._version += 2
    with pytest.raises(RuntimeError, match=r"which is output 0 of ExpBackward, is at version 2; "
                       r"expected version 0 instead\."):
        y.sum().backward()


# ----------------------------------------------------------------------
# higher derivatives, gradcheck, once_differentiable
# ----------------------------------------------------------------------

def test_second_derivative_through_a_custom_function():
    x = _x()
    (g,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    xv = np.array(x.tolist())
    np.testing.assert_allclose(g.tolist(), 3 * xv ** 2)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.tolist(), 6 * xv)


def test_second_derivative_through_a_saved_output_and_multi_output():
    x = _x()
    (g,) = autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), np.exp(x.tolist()))
    a, b = _x(), _x((1., 2., 3.))
    p, s = MulAdd.apply(a, b)
    ga, gb = autograd.grad((p * s).sum(), (a, b), create_graph=True)
    (ga + gb).sum().backward()
    # d/da of [b(a+b) + ab + a(a+b) + ab] = b + b + 2a + b + b, and symmetrically
    av, bv = np.array(a.tolist()), np.array(b.tolist())
    np.testing.assert_allclose(a.grad.tolist(), 4 * bv + 2 * av)
    np.testing.assert_allclose(b.grad.tolist(), 4 * av + 2 * bv)


def test_gradcheck_and_gradgradcheck_of_custom_functions():
    x = _x()
    assert autograd.gradcheck(Exp.apply, (x,))
    assert autograd.gradcheck(Cube.apply, (x,))
    assert autograd.gradcheck(lambda v: Scale.apply(v, 1.5), (x,))
    y = autograd.tensor([[1., 2.], [0.5, -3.]], dtype=autograd.float64, requires_grad=True)
    z = autograd.tensor([[2., 1.], [1., 4.]], dtype=autograd.float64, requires_grad=True)
    assert autograd.gradcheck(MulAdd.apply, (y, z))
    assert autograd.gradgradcheck(Cube.apply, (x,))
    assert autograd.gradgradcheck(MulAdd.apply, (y, z))


class _OnceSquare(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        assert not autograd.is_grad_enabled()
        (x,) = ctx.saved_tensors
        return grad * 2 * x


def test_once_differentiable():
    x = _x()
    _OnceSquare.apply(x).sum().backward()
    assert x.grad.tolist() == [1., -2., 4.]
    # create_graph with a seed that does not require grad: a plain result
    (g,) = autograd.grad(_OnceSquare.apply(x).sum(), x, create_graph=True)
    assert g.grad_fn is None and not g.requires_grad
    # a differentiable seed: the result records a node that refuses to run
    y = _OnceSquare.apply(x)
    (g,) = autograd.grad(y, x, grad_outputs=x * 1, create_graph=True)
    assert g.grad_fn.name() == "DelayedError"
    assert g.tolist() == [0.5, 2., 8.]
    with pytest.raises(RuntimeError, match="^trying to differentiate twice a function that was "
                       "marked with @once_differentiable$"):
        g.sum().backward()


def test_anomaly_mode_names_custom_nodes():
    class NanGrad(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    x = _x()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly():
            y = NanGrad.apply(x)
            assert any(f.filename == __file__ for f in y.grad_fn._trace)
            with pytest.raises(RuntimeError, match="Function 'NanGradBackward' returned nan "
                               "values in its 0th output."):
                y.sum().backward()


# ----------------------------------------------------------------------
# parity with PyTorch
# ----------------------------------------------------------------------

def test_custom_functions_match_pytorch():
    torch = pytest.importorskip("torch")

    def define(base):
        class MulAdd(base):
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a * b, a + b

            @staticmethod
            def backward(ctx, g_prod, g_sum):
                a, b = ctx.saved_tensors
                return g_prod * b + g_sum, g_prod * a + g_sum

        class Cube(base):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x * x

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * 3 * x * x

        return MulAdd, Cube

    def run(lib, base):
        MulAdd, Cube = define(base)
        a = lib.tensor([[0.5, -1.], [2., 3.]], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([1., -2.], dtype=lib.float64, requires_grad=True)
        p, s = MulAdd.apply(a, b)
        q = Cube.apply(p)
        out = (q * s).sum()
        names = (type(q.grad_fn).__name__, type(p.grad_fn).__name__,
                 [nr for _, nr in (q * s).grad_fn.next_functions],
                 q.grad_fn.next_functions[0][1], s.output_nr)
        ga, gb = lib.autograd.grad(out, (a, b), create_graph=True) if lib is torch else \
            autograd.grad(out, (a, b), create_graph=True)
        (ga.sum() + gb.sum()).backward()
        return names, ga.tolist(), gb.tolist(), a.grad.tolist(), b.grad.tolist()

    ours = run(autograd, autograd.Function)
    theirs = run(torch, torch.autograd.Function)
    assert ours[0] == theirs[0]
    for x, y in zip(ours[1:], theirs[1:]):
        np.testing.assert_allclose(x, y, rtol=1e-12)
