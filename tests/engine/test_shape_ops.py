"""engine/shape_ops.py: views, reshapes, permutations, indexing and joining."""
import numpy as np
import pytest

import autograd
# PyTorch warns that .T on other than 2-D tensors is deprecated; the
# behaviour compared here is the current one.
pytestmark = pytest.mark.filterwarnings("ignore:.*T.* is deprecated:UserWarning",
                                        "ignore:The use of `x.T`:UserWarning")

from tests.op_harness import (
    Arg, OpCase, Sample, _make_args, OpTests, nc,
    op_params, randn,
)


def _s(*args, name=""):
    return Sample(tuple(args), name=name)


def _one(shape_fn):
    """Samples of a one-tensor op: ``shape_fn(rng)`` lists (name, Arg, extras...)."""
    def samples(rng):
        return [_s(*rest, name=name) for name, *rest in shape_fn(rng)]
    return samples


# ----------------------------------------------------------------------
# op cases
# ----------------------------------------------------------------------

def _reshape_samples(rng):
    return [
        ("infer", Arg(randn(rng, 3, 4)), (2, -1)),
        ("to-0d", Arg(randn(rng, 1, 1)), ()),
        ("from-0d", Arg(randn(rng)), (1, 1)),
        ("noncontiguous-copy", nc(randn(rng, 4, 3)), (-1,)),
        ("noncontiguous-view", nc(randn(rng, 4, 3)), (4, 3, 1)),
        ("same-shape", Arg(randn(rng, 2, 3)), (2, 3)),
    ]


def _view_samples(rng):
    return [
        ("infer", Arg(randn(rng, 3, 4)), (-1, 2)),
        ("split", Arg(randn(rng, 6)), (2, 3)),
        ("noncontiguous", nc(randn(rng, 4, 3)), (1, 4, 3)),
    ]


def _expand_samples(rng):
    return [
        ("keep", Arg(randn(rng, 3, 1)), (-1, 4)),
        ("lead", Arg(randn(rng, 3, 1)), (2, 3, 5)),
        ("0d", Arg(randn(rng)), (2, 2)),
        ("noncontiguous", nc(randn(rng, 1, 3)), (4, -1)),
    ]


def _mat_samples(rng):
    return [
        ("3d", Arg(randn(rng, 2, 3, 4))),
        ("noncontiguous", nc(randn(rng, 4, 3))),
        ("size1", Arg(randn(rng, 1, 3, 1))),
    ]


def _two_dim(rng):
    return [("2d", Arg(randn(rng, 3, 4))), ("noncontiguous", nc(randn(rng, 4, 3))),
            ("1d", Arg(randn(rng, 3))), ("0d", Arg(randn(rng)))]


def _zero_one(*shapes):
    def zero(rng):
        return [_s(Arg(randn(rng, *s)), name=f"zero{k}") for k, s in enumerate(shapes)]
    return zero


X = lambda rng: randn(rng, 3, 4, 5)   # noqa: E731


def _index_case(name, key_fn):
    """``a[key_fn(lib)]`` on a (3, 4, 5) input and a non-contiguous one."""
    def samples(rng):
        return [_s(Arg(X(rng)), name="contiguous"),
                _s(Arg(np.ascontiguousarray(X(rng).transpose(2, 1, 0)).transpose(2, 1, 0),
                       contiguous=False), name="noncontiguous")]
    return OpCase(f"getitem-{name}", lambda lib, a: a[key_fn(lib)], samples,
                  _zero_one((0, 4, 5)) if name in ZERO_OK else None)


# keys that also work on a (0, 4, 5) input
ZERO_OK = {"slice-step", "ellipsis-int", "none", "empty-list", "slice-list"}

INDEX_KEYS = {
    "int": lambda lib: 1,
    "negative-int": lambda lib: -1,
    "int-int": lambda lib: (2, 3),
    "all-ints-0d": lambda lib: (0, -1, 2),
    "slice-step": lambda lib: (slice(None), slice(0, 4, 2)),
    "slice-clipped": lambda lib: slice(-10, 10, 2),
    "none": lambda lib: (None, slice(None), None),
    "ellipsis-int": lambda lib: (Ellipsis, 1),
    "ellipsis-none": lambda lib: (0, Ellipsis, None),
    "list-repeats": lambda lib: [0, 2, 0, 0],
    "negative-list": lambda lib: [-1, 0, -1],
    "numpy-array": lambda lib: (slice(None), np.array([[3, 1], [3, 3]])),
    "tensor-repeats": lambda lib: (slice(None), slice(None), lib.tensor([4, 4, 0, 4])),
    "0d-tensor": lambda lib: lib.tensor(2),
    "two-arrays": lambda lib: ([0, 2, 2], [1, 1, 3]),
    "arrays-split-by-slice": lambda lib: ([0, 2], slice(None), [1, 1]),
    "int-and-array": lambda lib: (1, slice(1, 3), [4, 4, 0]),
    "slice-list": lambda lib: (slice(None), [3, 0, 3]),
    "empty-list": lambda lib: (slice(None), []),
    "mask-2d": lambda lib: lib.tensor(MASK_2D),
    "mask-array": lambda lib: (slice(None), slice(None), np.array([True, False, True, True, False])),
    "mask-and-slice": lambda lib: (lib.tensor([True, False, True]), slice(1, None)),
    "mask-all-false": lambda lib: lib.tensor([False, False, False]),
    "none-array-mix": lambda lib: (None, [2, 0], Ellipsis, 1),
}
MASK_2D = np.array([[True, False, True, False], [False, False, False, True],
                    [True, True, False, False]])


def _join_samples(rng):
    r = lambda *s: randn(rng, *s)   # noqa: E731
    return [
        _s([Arg(r(2, 3)), Arg(r(4, 3))], 0, name="dim0"),
        _s([Arg(r(2, 3)), nc(r(2, 1)), Arg(r(2, 2))], -1, name="neg-dim-noncontiguous"),
        _s([Arg(r(2, 3)), Arg(r(2, 3), requires_grad=False)], 1, name="one-requires-grad"),
        _s([Arg(r(3))], 0, name="single"),
    ]


def _stack_samples(rng):
    r = lambda *s: randn(rng, *s)   # noqa: E731
    return [
        _s([Arg(r(2, 3)), Arg(r(2, 3))], 0, name="dim0"),
        _s([Arg(r(2, 3)), nc(r(2, 3)), Arg(r(2, 3))], -1,
           name="neg-dim-noncontiguous"),
        _s([Arg(r()), Arg(r(), requires_grad=False)], 0, name="0d"),
        _s([Arg(r(2, 3)), Arg(r(2, 3))], 1, name="middle"),
    ]


def _join_zero(rng):
    return [_s([Arg(randn(rng, 0, 3)), Arg(randn(rng, 2, 3))], 0, name="zero-rows"),
            _s([Arg(randn(rng, 2, 0)), Arg(randn(rng, 2, 0))], 1, name="zero-cols")]


def _stack_zero(rng):
    return [_s([Arg(randn(rng, 0, 3)), Arg(randn(rng, 0, 3))], 0, name="zero-rows"),
            _s([Arg(randn(rng, 2, 0)), Arg(randn(rng, 2, 0))], 1, name="zero-cols")]


def _list_fn(op):
    # The harness builds tensors from top-level Args only, so a list of Args
    # is unpacked here and the op called on the list.
    def fn(lib, *args):
        *tensors, dim = args
        return op(lib)(list(tensors), dim)
    return fn


def _flatten_list(samples):
    def flat(rng):
        return [Sample(tuple(s.args[0]) + (s.args[1],), name=s.name) for s in samples(rng)]
    return flat


CASES = [
    OpCase("reshape", lambda lib, a, s: a.reshape(s), _one(_reshape_samples),
           lambda rng: [_s(Arg(randn(rng, 0, 4)), (2, -1, 2)), _s(Arg(randn(rng, 3, 0)), (0,))]),
    OpCase("reshape_as", lambda lib, a: a.reshape_as(lib.zeros(4, 3)),
           _one(lambda rng: [("nc", nc(randn(rng, 3, 4)))])),
    OpCase("view", lambda lib, a, s: a.view(s), _one(_view_samples),
           lambda rng: [_s(Arg(randn(rng, 0, 4)), (-1, 2))]),
    OpCase("view_as", lambda lib, a: a.view_as(lib.zeros(6, 2)),
           _one(lambda rng: [("2d", Arg(randn(rng, 3, 4)))])),
    OpCase("expand", lambda lib, a, s: a.expand(*s), _one(_expand_samples),
           lambda rng: [_s(Arg(randn(rng, 0, 1)), (0, 3)), _s(Arg(randn(rng, 3, 1)), (2, 3, 0))]),
    OpCase("expand_as", lambda lib, a: a.expand_as(lib.zeros(2, 3, 4)),
           _one(lambda rng: [("bcast", Arg(randn(rng, 3, 1)))])),
    OpCase("flatten", lambda lib, a: a.flatten(), _one(_mat_samples), _zero_one((2, 0, 3))),
    OpCase("flatten-range", lambda lib, a: lib.flatten(a, 1, -1),
           _one(lambda rng: [("3d", Arg(randn(rng, 2, 3, 4))), ("nc", nc(randn(rng, 4, 3)))]),
           _zero_one((2, 0, 3))),
    OpCase("flatten-0d", lambda lib, a: a.flatten(), _one(lambda rng: [("0d", Arg(randn(rng)))])),
    OpCase("transpose", lambda lib, a: a.transpose(0, -1), _one(_mat_samples), _zero_one((0, 3))),
    OpCase("swapaxes", lambda lib, a: lib.swapaxes(a, -1, -2), _one(_mat_samples)),
    OpCase("t", lambda lib, a: a.t(), _one(_two_dim), _zero_one((0, 3))),
    OpCase("T", lambda lib, a: a.T, _one(_two_dim), _zero_one((0, 3))),
    OpCase("mT", lambda lib, a: a.mT, _one(_mat_samples)),
    OpCase("permute", lambda lib, a: a.permute(2, 0, -2), _one(
        lambda rng: [("3d", Arg(randn(rng, 2, 3, 4))), ("size1", Arg(randn(rng, 1, 3, 1)))]),
        _zero_one((2, 0, 3))),
    OpCase("permute-tuple", lambda lib, a: lib.permute(a, (1, 0)), _one(
        lambda rng: [("nc", nc(randn(rng, 4, 3)))])),
    OpCase("squeeze", lambda lib, a: a.squeeze(), _one(
        lambda rng: [("size1", Arg(randn(rng, 1, 3, 1))), ("0d", Arg(randn(rng))),
                     ("nc", nc(randn(rng, 4, 1)))]), _zero_one((1, 0, 1))),
    OpCase("squeeze-dim", lambda lib, a: a.squeeze(-1), _one(
        lambda rng: [("size1", Arg(randn(rng, 1, 3, 1))), ("not-1", Arg(randn(rng, 3, 2)))])),
    OpCase("squeeze-dims", lambda lib, a: a.squeeze((0, 1)), _one(
        lambda rng: [("size1", Arg(randn(rng, 1, 3, 1)))])),
    OpCase("unsqueeze", lambda lib, a: a.unsqueeze(-1), _one(_two_dim), _zero_one((0,))),
    OpCase("unsqueeze-0", lambda lib, a: lib.unsqueeze(a, 0), _one(_two_dim)),
    OpCase("clone", lambda lib, a: a.clone(), _one(_two_dim), _zero_one((0, 2))),
    OpCase("contiguous", lambda lib, a: a.contiguous() * 1.0, _one(_two_dim)),
    OpCase("select", lambda lib, a: a.select(1, -2), _one(_mat_samples)),
    OpCase("narrow", lambda lib, a: a.narrow(-1, 1, 2), _one(
        lambda rng: [("2d", Arg(randn(rng, 3, 4))), ("nc", nc(randn(rng, 4, 3)))])),
    OpCase("iter", lambda lib, a: lib.stack([row * (i + 1) for i, row in enumerate(a)], 1),
           _one(lambda rng: [("2d", Arg(randn(rng, 3, 4))), ("nc", nc(randn(rng, 4, 3)))])),
    OpCase("cat", _list_fn(lambda lib: lib.cat), _flatten_list(_join_samples),
           _flatten_list(_join_zero)),
    OpCase("concatenate", _list_fn(lambda lib: lib.concatenate),
           _flatten_list(lambda rng: _join_samples(rng)[:1])),
    OpCase("stack", _list_fn(lambda lib: lib.stack), _flatten_list(_stack_samples),
           _flatten_list(_stack_zero)),
] + [_index_case(name, key) for name, key in INDEX_KEYS.items()]


class TestOps(OpTests):
    CASES = CASES


@pytest.mark.parametrize("case, sample", op_params(CASES))
def test_double_backward_matches_torch(case, sample):
    """The backward formulas are engine ops: differentiate the gradient
    (a linear function of the upstream gradient v) with respect to v."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (autograd, torch):
        args, leaves = _make_args(lib, sample, "float64")
        if not leaves:
            pytest.skip("no input requires grad")
        out = case.fn(lib, *args)
        rng = np.random.default_rng(2)
        v = lib.tensor(rng.standard_normal(tuple(out.shape)), requires_grad=True)
        grads = lib.autograd.grad(out, leaves, v, create_graph=True) if lib is torch \
            else autograd.grad(out, leaves, v, create_graph=True)
        total = None
        for g in grads:
            w = lib.tensor(rng.standard_normal(tuple(g.shape)))
            term = (g * w).sum()
            total = term if total is None else total + term
        (gv,) = (torch.autograd.grad if lib is torch else autograd.grad)(total, v)
        results.append([g.detach().numpy() for g in grads] + [gv.detach().numpy()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------
# node names, views and identities
# ----------------------------------------------------------------------

NAMED = [
    lambda lib, x: x[0],
    lambda lib, x: x[1:2],
    lambda lib, x: x[:],
    lambda lib, x: x[...],
    lambda lib, x: x[None],
    lambda lib, x: x[0, 1:3],
    lambda lib, x: x[1:3, 0],
    lambda lib, x: x[:, None, 0],
    lambda lib, x: x[[0, 0]],
    lambda lib, x: x[0, [1, 2]],
    lambda lib, x: x[lib.tensor(1)],
    lambda lib, x: x.reshape(60),
    lambda lib, x: x.transpose(0, 2).reshape(-1),
    lambda lib, x: x.transpose(0, 2).contiguous(),
    lambda lib, x: x.view(3, 20),
    lambda lib, x: x.flatten(1),
    lambda lib, x: x[0, 0, 0].flatten(),
    lambda lib, x: x.expand(2, 3, 4, 5),
    lambda lib, x: x.transpose(0, 1),
    lambda lib, x: x[0].t(),
    lambda lib, x: x[0, 0].t(),
    lambda lib, x: x[0].T,
    lambda lib, x: x.mT,
    lambda lib, x: x.permute(2, 0, 1),
    lambda lib, x: x.squeeze(),
    lambda lib, x: x.squeeze(0),
    lambda lib, x: x.squeeze((0, 1)),
    lambda lib, x: x.unsqueeze(3),
    lambda lib, x: x.clone(),
    lambda lib, x: x.select(1, 2),
    lambda lib, x: x.narrow(1, 1, 2),
    lambda lib, x: lib.cat([x, x]),
    lambda lib, x: lib.stack([x, x]),
]


@pytest.mark.parametrize("k", range(len(NAMED)))
def test_node_names_match_torch(k):
    torch = pytest.importorskip("torch")
    ours = NAMED[k](autograd, autograd.randn(3, 4, 5, requires_grad=True))
    theirs = NAMED[k](torch, torch.randn(3, 4, 5, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert tuple(ours.shape) == tuple(theirs.shape)


def test_views_share_memory_and_copies_do_not():
    x = autograd.arange(12.).reshape(3, 4)
    for v in (x[1], x[:, ::2], x[None], x.T, x.transpose(0, 1), x.view(4, 3), x.unsqueeze(0),
              x.permute(1, 0), x.select(0, 2), x.narrow(1, 1, 2), x[...]):
        assert np.shares_memory(v.numpy(), x.numpy())
    for c in (x.clone(), x[[0, 1]], x[autograd.tensor([True, False, True])], x.T.contiguous(),
              autograd.cat([x, x])):
        assert not np.shares_memory(c.numpy(), x.numpy())


def test_contiguous_returns_self_when_already_contiguous():
    x = autograd.randn(2, 3, requires_grad=True)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.is_contiguous() and not x.t().is_contiguous()
    assert y.grad_fn.name() == "CloneBackward0"
    assert y.tolist() == x.detach().numpy().T.tolist()


def test_flatten_of_equal_dims_is_the_input():
    x = autograd.randn(4)
    assert x.flatten() is x
    assert autograd.tensor(2.).flatten().shape == (1,)


def test_t_of_vectors_and_scalars_keeps_values():
    v = autograd.tensor([1., 2., 3.], requires_grad=True)
    assert v.t().tolist() == [1., 2., 3.]
    assert autograd.tensor(5.).t().item() == 5.


def test_iteration_yields_rows_in_the_graph():
    x = autograd.tensor([[1., 2.], [3., 4.], [5., 6.]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1., 2.], [3., 4.], [5., 6.]]
    (rows[0] * 2 + rows[2]).sum().backward()
    assert x.grad.tolist() == [[2., 2.], [0., 0.], [1., 1.]]
    with pytest.raises(TypeError, match="0-d"):
        iter(autograd.tensor(1.))


def test_repeated_indices_accumulate():
    x = autograd.tensor([1., 2., 3.], requires_grad=True)
    x[autograd.tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3., 0., 1.]
    y = autograd.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    y[[1, 1], [0, 0]].sum().backward()
    assert y.grad.tolist() == [[0., 0.], [2., 0.]]


def test_second_derivative_through_indexing():
    x = autograd.tensor([1., 2., 3.], dtype=autograd.float64, requires_grad=True)
    y = (x[[0, 0, 2]] ** 3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [6., 0., 27.]            # 2 * 3x^2 at x0, 3x^2 at x2
    g.sum().backward()
    assert x.grad.tolist() == [12., 0., 18.]      # 2 * 6x, 0, 6x


def test_basic_index_values_match_numpy():
    a = np.arange(60.).reshape(3, 4, 5)
    x = autograd.tensor(a)
    keys = [(1, slice(None, None, 3)), (Ellipsis, None, 2), (slice(1, None), [0, 3]),
            ([[0, 1], [2, 0]],), (np.array([True, False, True]), 2), (True,), (False,),
            (np.int64(2), -1), ()]
    for key in keys:
        np.testing.assert_array_equal(x[key].numpy(), a[key])


def test_int32_and_byte_tensor_indices():
    x = autograd.tensor([10., 20., 30.])
    assert x[autograd.tensor([2, 0], dtype=autograd.int32)].tolist() == [30., 10.]
    # byte tensors are (legacy) masks in PyTorch
    assert x[autograd.tensor([1, 0, 1], dtype=autograd.uint8)].tolist() == [10., 30.]


def test_cat_skips_legacy_empty_vectors_and_promotes():
    a = autograd.randn(2, 3, requires_grad=True)
    e = autograd.zeros(0, requires_grad=True)
    out = autograd.cat([a, e], 1)
    assert out.shape == (2, 3)
    out.sum().backward()
    assert a.grad.tolist() == [[1.] * 3] * 2
    assert e.grad.shape == (0,)
    ints = autograd.tensor([[1, 2, 3]])
    assert autograd.cat([a.detach(), ints]).dtype == autograd.float32
    assert autograd.cat([a.detach().double(), ints]).dtype == autograd.float64
    assert autograd.cat([autograd.tensor([True]), autograd.tensor([1], dtype=autograd.int32)]) \
        .dtype == autograd.int32
    assert autograd.stack([autograd.tensor(1.), autograd.tensor(2)]).dtype == autograd.float32


def test_cat_gradients_go_only_to_inputs_that_need_them():
    a = autograd.randn(2, 2, requires_grad=True)
    b = autograd.randn(3, 2)
    autograd.cat([a, b]).sum().backward()
    assert a.grad.tolist() == [[1., 1.], [1., 1.]]
    assert b.grad is None


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------

def _x():
    return autograd.randn(3, 4, 5)


ERRORS = [
    (lambda: _x()[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: _x()[-4], IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda: _x()[:, 7], IndexError, "index 7 is out of bounds for dimension 1 with size 4"),
    (lambda: _x()[[0, 5]], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: _x()[autograd.tensor([-9])], IndexError, "index -9 is out of bounds"),
    (lambda: autograd.zeros(0, 3)[0], IndexError, "dimension 0 with size 0"),
    (lambda: _x()[::-1], ValueError, "step must be greater than zero"),
    (lambda: _x()[::0], ValueError, "slice step cannot be zero"),
    (lambda: _x()[1.5], IndexError, r"valid indices \(got float\)"),
    (lambda: _x()["a"], IndexError, r"valid indices \(got str\)"),
    (lambda: _x()[autograd.tensor([1.0])], IndexError, "tensors used as indices must be long"),
    (lambda: _x()[0, 0, 0, 0], IndexError, "too many indices for tensor of dimension 3"),
    (lambda: _x()[..., 0, ...], IndexError, "single ellipsis"),
    (lambda: _x()[autograd.tensor([True, False])], IndexError,
     r"shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor "
     r"\[3, 4, 5\] at index 0"),
    (lambda: _x()[[0, 1], [0, 1, 2]], IndexError, r"could not be broadcast.*\[2\], \[3\]"),
    (lambda: _x().reshape(7, -1), RuntimeError, r"reshape.*'\[7, -1\]' is invalid for input of size 60"),
    (lambda: _x().reshape(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda: _x().reshape(-2, 30), RuntimeError, r"invalid shape dimension -2 at index 0 of shape \[-2, 30\]"),
    (lambda: _x().reshape(2.0, 30), TypeError, "reshape.*float"),
    (lambda: _x().view(7, 9), RuntimeError, r"view.*'\[7, 9\]' is invalid for input of size 60"),
    (lambda: _x().transpose(0, 2).view(-1), RuntimeError,
     r"view size is not compatible with input tensor's size and stride.*\[5, 4, 3\]"),
    (lambda: _x().expand(3, 4), RuntimeError,
     r"expand.*number of sizes provided \(2\) must be greater or equal"),
    (lambda: _x().expand(-1, 3, 4, 5), RuntimeError, "leading, non-existing dimension 0"),
    (lambda: _x().expand(3, 7, 5), RuntimeError,
     r"expanded size of the tensor \(7\) must match the existing size \(4\) at non-singleton "
     r"dimension 1.*\[3, 7, 5\].*\[3, 4, 5\]"),
    (lambda: _x().expand(3, -2, 5), RuntimeError, r"expanded size of the tensor \(-2\)"),
    (lambda: _x().transpose(0, 3), IndexError,
     r"transpose.*Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"),
    (lambda: _x().t(), RuntimeError, "t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"),
    (lambda: autograd.zeros(3).mT, RuntimeError, "mT is only supported on matrices"),
    (lambda: _x().permute(2, 0), RuntimeError, r"input.dim\(\) = 3 is not equal to len\(dims\) = 2"),
    (lambda: _x().permute(2, 0, 0), RuntimeError, "duplicate dims are not allowed"),
    (lambda: _x().permute(3, 0, 1), IndexError, "permute.*Dimension out of range"),
    (lambda: _x().squeeze(3), IndexError, "squeeze.*Dimension out of range"),
    (lambda: _x().squeeze((0, 0)), RuntimeError, "dim 0 appears multiple times"),
    (lambda: _x().unsqueeze(4), IndexError, r"unsqueeze.*\[-4, 3\], but got 4"),
    (lambda: _x().flatten(2, 1), RuntimeError, "start_dim cannot come after end_dim"),
    (lambda: _x().select(1, 5), IndexError,
     r"select\(\): index 5 out of range for tensor of size \[3, 4, 5\] at dimension 1"),
    (lambda: _x().narrow(1, 2, 3), RuntimeError,
     r"start \(2\) \+ length \(3\) exceeds dimension size \(4\)"),
    (lambda: autograd.cat([autograd.zeros(2, 3), autograd.zeros(3, 3)], 1), RuntimeError,
     r"cat\(\): Sizes of tensors must match except in dimension 1. Expected size 2 but got "
     r"size 3 for tensor number 1 in the list.*\[2, 3\].*\[3, 3\]"),
    (lambda: autograd.cat([autograd.zeros(2, 3), autograd.zeros(3)]), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 1"),
    (lambda: autograd.cat([]), ValueError, "cat.*expected a non-empty list of Tensors"),
    (lambda: autograd.cat([autograd.tensor(1.)]), RuntimeError,
     r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    (lambda: autograd.cat([autograd.zeros(2), 3]), TypeError, "expected Tensor as element 1"),
    (lambda: autograd.cat(autograd.zeros(2)), TypeError, "must be tuple of Tensors, not Tensor"),
    (lambda: autograd.cat([autograd.zeros(2, 2)], 2), IndexError, r"cat.*\[-2, 1\], but got 2"),
    (lambda: autograd.stack([autograd.zeros(2, 3), autograd.zeros(3, 3)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[3, 3\] "
     r"at entry 1"),
    (lambda: autograd.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda: autograd.stack([autograd.zeros(2)], 3), IndexError, "stack.*Dimension out of range"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors(k):
    fn, exc, pattern = ERRORS[k]
    with pytest.raises(exc, match=pattern):
        fn()
