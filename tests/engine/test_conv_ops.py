"""engine/conv_ops.py: conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d."""
import numpy as np
import pytest

import autograd
from engine import conv_ops
from tests.op_harness import Arg, OpCase, OpTests, Sample, nc, randn

# PyTorch warns that it pads a copy for 'same' with an even kernel
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def _f(lib):
    """Where the functions live: this module, or torch.nn.functional."""
    return conv_ops if lib is autograd else lib.nn.functional


def _leaf(array, dtype=np.float64):
    return autograd.tensor(np.asarray(array, dtype=dtype), requires_grad=True)


# ----------------------------------------------------------------------
# samples
# ----------------------------------------------------------------------

def _conv(rng, xs, ws, name, bias=True, x_arg=Arg, w_arg=Arg, **kwargs):
    x = randn(rng, *xs)
    w = randn(rng, *ws)
    b = Arg(randn(rng, ws[0])) if bias else None
    return Sample((x_arg(x), w_arg(w), b), kwargs, name)


def _conv_samples(rng):
    return [
        _conv(rng, (2, 3, 5, 5), (4, 3, 3, 3), "basic"),
        _conv(rng, (2, 2, 6, 5), (3, 2, 3, 3), "stride2-pad1", stride=2, padding=1),
        _conv(rng, (1, 2, 7, 8), (2, 2, 3, 2), "tuples", stride=(2, 1), padding=(1, 2),
              dilation=(2, 1)),
        _conv(rng, (1, 2, 7, 7), (2, 2, 2, 2), "dilation3-stride3", stride=3, dilation=3),
        _conv(rng, (1, 2, 5, 6), (3, 2, 3, 3), "same", padding="same"),
        _conv(rng, (1, 2, 5, 6), (2, 2, 2, 4), "same-even-kernel", padding="same",
              dilation=(1, 2)),
        _conv(rng, (1, 2, 5, 6), (3, 2, 3, 2), "valid", padding="valid"),
        _conv(rng, (2, 4, 5, 5), (6, 2, 3, 3), "groups2", groups=2, padding=1),
        _conv(rng, (1, 3, 5, 5), (3, 1, 3, 3), "depthwise", groups=3, padding=1, stride=2),
        _conv(rng, (1, 3, 4, 4), (6, 1, 3, 3), "depthwise-multiplier", groups=3),
        _conv(rng, (2, 3, 4, 5), (4, 3, 3, 3), "no-bias", bias=False, padding=1),
        _conv(rng, (2, 3, 5, 4), (4, 3, 3, 2), "noncontiguous", x_arg=nc, w_arg=nc),
        _conv(rng, (1, 2, 4, 4), (3, 2, 3, 3), "batch1", padding=(0, 1)),
        _conv(rng, (3, 5, 4), (2, 3, 3, 3), "unbatched", padding=1),
        _conv(rng, (2, 3, 4, 4), (5, 3, 1, 1), "pointwise"),
        _conv(rng, (2, 3, 5, 5), (5, 3, 1, 1), "pointwise-stride2", stride=2),
        _conv(rng, (1, 2, 3, 3), (2, 2, 3, 3), "kernel-fills-input"),
        # at most four output positions in all: the input gradient's product
        # is made transposed (conv_ops._FEW_COLUMNS)
        _conv(rng, (1, 4, 2, 2), (3, 4, 3, 3), "batch1-2x2-map", padding=1),
        _conv(rng, (1, 4, 3, 3), (6, 2, 3, 3), "groups2-one-position", groups=2),
        _conv(rng, (1, 1, 7, 7), (1, 1, 2, 2), "stride-over-kernel", stride=3, padding=1),
        _conv(rng, (2, 2, 4, 4), (3, 2, 3, 3), "weight-frozen", w_arg=lambda a: Arg(a, False)),
        _conv(rng, (2, 2, 4, 4), (3, 2, 3, 3), "input-frozen", x_arg=lambda a: Arg(a, False),
              padding=1),
    ]


def _conv_zero(rng):
    return [
        _conv(rng, (0, 3, 5, 5), (4, 3, 3, 3), "batch-0", padding=1),
    ]


def _pool(rng, shape, name, x_arg=Arg, **kwargs):
    # distinct values: a tie inside a window has no derivative
    values = rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0
    return Sample((x_arg(values),), kwargs, name)


def _max_pool_samples(rng):
    return [
        _pool(rng, (2, 3, 6, 5), "k2", kernel_size=2),
        _pool(rng, (2, 2, 7, 6), "k3-s2-p1", kernel_size=3, stride=2, padding=1),
        _pool(rng, (1, 2, 7, 6), "ceil", kernel_size=3, stride=2, ceil_mode=True),
        _pool(rng, (1, 2, 6, 6), "ceil-pad", kernel_size=2, stride=2, padding=1, ceil_mode=True),
        _pool(rng, (1, 2, 7, 7), "dilation", kernel_size=3, dilation=2, padding=1),
        _pool(rng, (1, 2, 6, 5), "tuples", kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
        _pool(rng, (1, 1, 5, 5), "overlap", kernel_size=3, stride=1),
        _pool(rng, (2, 5, 5), "unbatched", kernel_size=2, stride=1),
        _pool(rng, (2, 2, 5, 6), "noncontiguous", x_arg=nc, kernel_size=2),
        _pool(rng, (1, 2, 4, 4), "indices", kernel_size=2, return_indices=True),
    ]


def _avg_pool_samples(rng):
    return [
        _pool(rng, (2, 3, 6, 5), "k2", kernel_size=2),
        _pool(rng, (2, 2, 7, 6), "k3-s2-p1", kernel_size=3, stride=2, padding=1),
        _pool(rng, (1, 2, 7, 6), "exclude-pad", kernel_size=3, stride=2, padding=1,
              count_include_pad=False),
        _pool(rng, (1, 2, 6, 6), "ceil-pad", kernel_size=3, stride=2, padding=1, ceil_mode=True),
        _pool(rng, (1, 2, 6, 6), "ceil-exclude-pad", kernel_size=3, stride=2, padding=1,
              ceil_mode=True, count_include_pad=False),
        _pool(rng, (1, 2, 5, 5), "ceil-no-pad", kernel_size=2, ceil_mode=True),
        _pool(rng, (1, 2, 6, 5), "divisor", kernel_size=(3, 2), padding=(1, 1),
              divisor_override=5),
        _pool(rng, (2, 5, 4), "unbatched", kernel_size=2, stride=1),
        _pool(rng, (2, 2, 5, 6), "noncontiguous", x_arg=nc, kernel_size=2),
    ]


def _adaptive_samples(rng):
    return [
        _pool(rng, (2, 3, 7, 5), "uneven", output_size=(3, 2)),
        _pool(rng, (2, 3, 6, 4), "even", output_size=(3, 2)),
        _pool(rng, (1, 2, 5, 4), "global", output_size=1),
        _pool(rng, (1, 2, 5, 4), "none-entry", output_size=(None, 3)),
        _pool(rng, (1, 1, 3, 4), "upsample", output_size=(5, 7)),
        _pool(rng, (3, 5, 5), "unbatched", output_size=(2, 4)),
        _pool(rng, (2, 2, 5, 6), "noncontiguous", x_arg=nc, output_size=3),
    ]


def _pool_zero(**kwargs):
    return lambda rng: [_pool(rng, (0, 2, 5, 5), "batch-0", **kwargs)]


CASES = [
    OpCase("conv2d", lambda lib, *a, **k: _f(lib).conv2d(*a, **k), _conv_samples, _conv_zero),
    OpCase("max_pool2d", lambda lib, *a, **k: _f(lib).max_pool2d(*a, **k), _max_pool_samples,
           _pool_zero(kernel_size=2)),
    OpCase("avg_pool2d", lambda lib, *a, **k: _f(lib).avg_pool2d(*a, **k), _avg_pool_samples,
           _pool_zero(kernel_size=3, padding=1)),
    OpCase("adaptive_avg_pool2d", lambda lib, *a, **k: _f(lib).adaptive_avg_pool2d(*a, **k),
           _adaptive_samples, _pool_zero(output_size=(2, 3))),
    # through the ops' own outputs twice, so gradients accumulate
    OpCase("conv2d-chain",
           lambda lib, x, w, b, **k: _f(lib).conv2d(_f(lib).conv2d(x, w, b, padding=1), w, b),
           lambda rng: [_conv(rng, (2, 3, 5, 5), (3, 3, 3, 3), "chain")]),
]


class TestOps(OpTests):
    CASES = CASES


# ----------------------------------------------------------------------
# values, nodes and memory
# ----------------------------------------------------------------------

def test_conv2d_known_values_and_gradients():
    x = _leaf(np.arange(16.).reshape(1, 1, 4, 4))
    w = _leaf([[[[1., 0.], [0., -1.]]]])
    b = _leaf([0.5])
    out = conv_ops.conv2d(x, w, b, stride=2)
    # each output: top-left minus bottom-right of its 2x2 block, plus 0.5
    assert out.tolist() == [[[[-4.5, -4.5], [-4.5, -4.5]]]]
    assert out.grad_fn.name() == "ConvolutionBackward0"
    out.sum().backward()
    assert x.grad.numpy()[0, 0].tolist() == [[1, 0, 1, 0], [0, -1, 0, -1]] * 2
    # d/dw[i, j] sums the input at offset (i, j) of each block
    assert w.grad.numpy()[0, 0].tolist() == [[0 + 2 + 8 + 10, 1 + 3 + 9 + 11],
                                             [4 + 6 + 12 + 14, 5 + 7 + 13 + 15]]
    assert b.grad.tolist() == [4.]


def test_max_pool2d_indices_values_and_node():
    x = _leaf([[[[1., 5., 2.], [7., 0., 3.], [4., 9., 8.]]]])
    out, idx = conv_ops.max_pool2d(x, 2, stride=1, return_indices=True)
    assert out.tolist() == [[[[7., 5.], [9., 9.]]]]
    assert idx.tolist() == [[[[3, 1], [7, 7]]]]
    assert idx.dtype == autograd.int64
    assert out.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    out.sum().backward()
    # the 9 is the maximum of two windows: both gradients land on it
    assert x.grad.tolist() == [[[[0., 1., 0.], [1., 0., 0.], [0., 2., 0.]]]]


def test_max_pool2d_ties_take_the_first_and_nan_propagates():
    x = autograd.tensor([[[[2., 2.], [float("nan"), 1.]]]])
    out, idx = conv_ops.max_pool2d(x, 2, return_indices=True)
    assert np.isnan(out.item()) and idx.item() == 2
    out, idx = conv_ops.max_pool2d(autograd.tensor([[[[2., 2.], [0., 1.]]]]), 2,
                                   return_indices=True)
    assert out.item() == 2. and idx.item() == 0


def _max_pool_reference(x, k, s, p, d, oh_n, ow_n):
    """Window by window, taps in row-major order: the first maximum wins,
    and a nan wins over everything (the last nan, as the kernel keeps it)."""
    planes, h_n, w_n = x.shape
    out = np.full((planes, oh_n, ow_n), -np.inf, dtype=x.dtype)
    idx = np.full((planes, oh_n, ow_n), -1, dtype=np.int64)
    for q in range(planes):
        for oh in range(oh_n):
            for ow in range(ow_n):
                for i in range(k[0]):
                    for j in range(k[1]):
                        ih = oh * s[0] - p[0] + i * d[0]
                        iw = ow * s[1] - p[1] + j * d[1]
                        if not (0 <= ih < h_n and 0 <= iw < w_n):
                            continue
                        v = x[q, ih, iw]
                        if idx[q, oh, ow] < 0 or v > out[q, oh, ow] or np.isnan(v):
                            out[q, oh, ow] = v
                            idx[q, oh, ow] = ih * w_n + iw
    return out, idx


@pytest.mark.parametrize("k, s, p, d, ceil", [
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((2, 3), (1, 2), (1, 0), (2, 1), False),
    ((3, 2), (2, 3), (1, 1), (1, 2), True),
    ((1, 1), (2, 2), (0, 0), (1, 1), False),
])
def test_max_pool2d_matches_window_by_window_reference_with_ties_and_nans(k, s, p, d, ceil):
    # few distinct values, so most windows hold ties, and a sprinkling of nans
    rng = np.random.default_rng(7)
    x = rng.integers(0, 4, (6, 9, 11)).astype(np.float32)
    x[rng.random(x.shape) < 0.03] = np.nan
    out, idx = conv_ops.max_pool2d(autograd.tensor(x), k, s, p, d, ceil_mode=ceil,
                                   return_indices=True)
    want_out, want_idx = _max_pool_reference(x, k, s, p, d, *out.shape[1:])
    np.testing.assert_array_equal(out.numpy(), want_out)
    np.testing.assert_array_equal(idx.numpy(), want_idx)


def test_pool_node_names():
    x = _leaf(np.ones((1, 1, 4, 4)))
    assert conv_ops.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert conv_ops.adaptive_avg_pool2d(x, 3).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert conv_ops.max_pool2d(x[0], 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert conv_ops.conv2d(x[0], x[0].unsqueeze(0)).grad_fn.name() == "SqueezeBackward1"


def test_avg_pool2d_padding_and_divisor_values():
    x = autograd.ones(1, 1, 2, 2)
    # one window of 3x3 around a 2x2 input, padding 1: 4 ones over 9 or 4 places
    assert conv_ops.avg_pool2d(x, 3, padding=1, stride=3).item() == pytest.approx(4 / 9)
    assert conv_ops.avg_pool2d(x, 3, padding=1, stride=3, count_include_pad=False).item() == 1.
    assert conv_ops.avg_pool2d(x, 3, padding=1, stride=3, divisor_override=2).item() == 2.


def test_adaptive_avg_pool2d_bins_overlap_when_uneven():
    x = autograd.tensor(np.arange(5.).reshape(1, 1, 1, 5))
    # bins [0, 3) and [2, 5): floor(i*5/2) .. ceil((i+1)*5/2)
    assert conv_ops.adaptive_avg_pool2d(x, (1, 2)).tolist() == [[[[1., 3.]]]]
    zero = conv_ops.adaptive_avg_pool2d(x, (0, 2))
    assert zero.shape == (1, 1, 0, 2)


def test_conv2d_with_no_input_channels_gives_the_bias():
    # PyTorch returns an (N, 0, OH, OW) tensor here; the sum over no channels is 0
    x = _leaf(np.ones((2, 0, 5, 5)))
    w = _leaf(np.ones((4, 0, 3, 3)))
    b = _leaf([1., 2., 3., 4.])
    out = conv_ops.conv2d(x, w, b)
    assert out.shape == (2, 4, 3, 3)
    np.testing.assert_array_equal(out.detach().numpy()[:, :, 0, 0], [[1., 2., 3., 4.]] * 2)
    out.sum().backward()
    assert x.grad.shape == (2, 0, 5, 5) and w.grad.shape == (4, 0, 3, 3)
    assert b.grad.tolist() == [18.] * 4


def test_float32_stays_float32():
    x = _leaf(np.ones((1, 2, 4, 4)), np.float32)
    w = _leaf(np.ones((3, 2, 3, 3)), np.float32)
    out = conv_ops.conv2d(x, w, padding=1)
    out = conv_ops.max_pool2d(out, 2)
    out = conv_ops.adaptive_avg_pool2d(conv_ops.avg_pool2d(out, 1), 1)
    assert out.dtype == autograd.float32
    out.sum().backward()
    assert x.grad.dtype == autograd.float32 and w.grad.dtype == autograd.float32


def test_conv2d_saves_only_its_operands_and_frees_them():
    x = _leaf(np.ones((1, 2, 4, 4)))
    w = _leaf(np.ones((3, 2, 3, 3)))
    out = conv_ops.conv2d(x, w)
    saved = out.grad_fn.saved
    assert len(saved) == 2 and saved[0] is x and saved[1] is w
    out.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()


def _torch_double_backward(torch, fn, arrays):
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss = (fn(torch, *leaves) ** 2).sum()
    grads = torch.autograd.grad(loss, leaves, create_graph=True)
    sum(((g * g).sum() for g in grads)).backward()
    return [leaf.grad.numpy() for leaf in leaves]


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, x, w: _f(lib).conv2d(x, w, stride=2, padding=1, groups=2), [(2, 4, 5, 5), (4, 2, 3, 3)]),
    (lambda lib, x, w: _f(lib).conv2d(x, w, padding="same", dilation=2), [(1, 2, 5, 4), (3, 2, 2, 3)]),
    (lambda lib, x: _f(lib).max_pool2d(x, 3, 2, 1), [(1, 2, 6, 5)]),
    (lambda lib, x: _f(lib).avg_pool2d(x, 3, 2, 1, True, False), [(1, 2, 6, 5)]),
    (lambda lib, x: _f(lib).adaptive_avg_pool2d(x, (2, 3)), [(1, 2, 5, 7)]),
], ids=["conv-groups", "conv-same", "max", "avg", "adaptive"])
def test_double_backward_matches_torch(fn, shapes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) for s in shapes]
    leaves = [_leaf(a) for a in arrays]
    loss = (fn(autograd, *leaves) ** 2).sum()
    grads = autograd.grad(loss, leaves, create_graph=True)
    total = (grads[0] * grads[0]).sum()
    for g in grads[1:]:
        total = total + (g * g).sum()
    total.backward()
    expected = _torch_double_backward(torch, fn, arrays)
    for leaf, e in zip(leaves, expected):
        np.testing.assert_allclose(leaf.grad.numpy(), e, rtol=1e-9, atol=1e-9)


def test_larger_conv_matches_torch_in_float32():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 8, 17, 15)).astype(np.float32)
    w = rng.standard_normal((12, 4, 3, 5)).astype(np.float32)
    ours = conv_ops.conv2d(_leaf(x, np.float32), _leaf(w, np.float32), stride=(2, 1),
                           padding=(1, 2), dilation=(1, 2), groups=2)
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), stride=(2, 1),
                                        padding=(1, 2), dilation=(1, 2), groups=2)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------

def _t(*shape, dtype=np.float64):
    return autograd.tensor(np.ones(shape, dtype=dtype))


@pytest.mark.parametrize("call, error, match", [
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 3, 3, 3)), RuntimeError,
     r"Given groups=1, weight of size \[8, 3, 3, 3\], expected input\[2, 4, 8, 8\] to have 3 "
     r"channels, but got 4 channels instead"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(7, 2, 3, 3), groups=2), RuntimeError,
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(0, 4, 3, 3)), RuntimeError,
     "expected weight to be at least 1 at dimension 0"),
    (lambda: conv_ops.conv2d(_t(2, 4, 4, 4), _t(8, 4, 5, 5)), RuntimeError,
     r"Calculated padded input size per channel: \(4 x 4\). Kernel size: \(5 x 5\)"),
    (lambda: conv_ops.conv2d(_t(2, 4, 4, 4), _t(8, 4, 2, 2), dilation=4), RuntimeError,
     r"Kernel size: \(5 x 5\). Kernel size can't be greater"),
    (lambda: conv_ops.conv2d(_t(8, 8), _t(8, 4, 3, 3)), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[8, 8\]"),
    (lambda: conv_ops.conv2d(_t(1, 2, 3, 4, 5), _t(8, 4, 3, 3)), RuntimeError, "Expected 3D"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3)), RuntimeError,
     "Expected 4-dimensional weight"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), _t(7)), RuntimeError,
     r"expected bias to be 1-dimensional with 8 elements, but got bias of size \[7\]"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), stride=2, padding="same"),
     RuntimeError, "padding='same' is not supported for strided convolutions"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), padding="full"), RuntimeError,
     "Invalid padding string: 'full'"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), stride=0), RuntimeError,
     "non-positive stride"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), padding=-1), RuntimeError,
     "negative padding"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), dilation=(1, 0)), RuntimeError,
     "non-positive dilation"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), groups=0), RuntimeError,
     "non-positive groups"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), stride=(1, 1, 1)), RuntimeError,
     "stride must be a single integer value or a list of 2 values"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3, dtype=np.float32)), RuntimeError,
     "expected scalar type Double but found Float"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8), _t(8, 4, 3, 3), _t(8, dtype=np.float32)),
     RuntimeError, r"Input type \(double\) and bias type \(float\) should be the same"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8, dtype=np.int64), _t(8, 4, 3, 3, dtype=np.int64)),
     NotImplementedError, "\"conv2d\" not implemented for 'Long'"),
    (lambda: conv_ops.conv2d(_t(2, 4, 8, 8, dtype=bool), _t(8, 4, 3, 3, dtype=bool)),
     NotImplementedError, "'Bool'"),
    (lambda: conv_ops.conv2d(np.ones((1, 1, 3, 3)), _t(1, 1, 3, 3)), TypeError,
     "argument 'input' .* must be Tensor, not ndarray"),
    (lambda: conv_ops.max_pool2d(_t(2, 4, 8, 8), 3, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 "
     "and dilation=1"),
    (lambda: conv_ops.max_pool2d(_t(2, 4, 8, 8), 3, padding=2, dilation=2), RuntimeError,
     "pad should be smaller than or equal to half of kernel size"),
    (lambda: conv_ops.max_pool2d(_t(2, 4, 8, 8), 9), RuntimeError,
     r"Given input size: \(4x8x8\). Calculated output size: \(4x0x0\). Output size is too small"),
    (lambda: conv_ops.max_pool2d(_t(1, 1, 2, 2), 3, dilation=2, padding=1), RuntimeError,
     "Output size is too small"),
    (lambda: conv_ops.max_pool2d(_t(2, 4, 8, 8), 0), RuntimeError,
     "kernel size should be greater than zero"),
    (lambda: conv_ops.max_pool2d(_t(2, 4, 8, 8), 2, stride=0), RuntimeError,
     "stride should be greater than zero"),
    (lambda: conv_ops.max_pool2d(_t(2, 4, 8, 8), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero"),
    (lambda: conv_ops.max_pool2d(_t(2, 4, 8, 8), (2, 2, 2)), RuntimeError,
     "kernel_size must be a single int, or a tuple of two ints"),
    (lambda: conv_ops.max_pool2d(_t(8, 8), 2), RuntimeError,
     r"Expected 3D or 4D \(batch mode\) tensor with optional 0 dim batch size for input, "
     r"but got:\[8, 8\]"),
    (lambda: conv_ops.max_pool2d(_t(2, 0, 8, 8), 2), RuntimeError, "optional 0 dim batch size"),
    (lambda: conv_ops.max_pool2d(_t(2, 4, 8, 8, dtype=np.int32), 2), NotImplementedError,
     "'Int'"),
    (lambda: conv_ops.avg_pool2d(_t(2, 4, 8, 8), 3, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size"),
    (lambda: conv_ops.avg_pool2d(_t(2, 4, 8, 8), 9), RuntimeError, "Output size is too small"),
    (lambda: conv_ops.avg_pool2d(_t(2, 4, 8, 8), 2, divisor_override=0), RuntimeError,
     "divisor must be not zero"),
    (lambda: conv_ops.avg_pool2d(_t(2, 4, 8, 8, dtype=bool), 2), NotImplementedError, "'Bool'"),
    (lambda: conv_ops.avg_pool2d(_t(1, 2, 3, 4, 5), 2), RuntimeError, "Expected 3D or 4D"),
    (lambda: conv_ops.adaptive_avg_pool2d(_t(2, 4, 8, 8), (-1, 2)), RuntimeError,
     "elements of output_size must be greater than or equal to 0"),
    (lambda: conv_ops.adaptive_avg_pool2d(_t(2, 4, 8, 8), (2, 2, 2)), RuntimeError,
     "output_size must be 2"),
    (lambda: conv_ops.adaptive_avg_pool2d(_t(8, 8), 2), RuntimeError, r"\[8, 8\]"),
    (lambda: conv_ops.adaptive_avg_pool2d(_t(2, 3, 0, 4), 2), RuntimeError,
     "non-zero size for non-batch dimensions"),
    (lambda: conv_ops.adaptive_avg_pool2d(_t(2, 3, 4, 4, dtype=np.int64), 2),
     NotImplementedError, "'Long'"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_failed_call_records_nothing_and_leaves_inputs_alone():
    x = _leaf(np.ones((2, 4, 8, 8)))
    w = _leaf(np.ones((8, 3, 3, 3)))
    with pytest.raises(RuntimeError):
        conv_ops.conv2d(x, w)
    assert x.grad is None and x.is_leaf


def test_torch_exports():
    # conv2d and max_pool2d exist as torch.<name>; the rest only in nn.functional
    assert set(conv_ops.__all__) == {"conv2d", "max_pool2d"}
    assert conv_ops.TENSOR_METHODS == {}


def test_max_pool2d_window_that_holds_no_input_element():
    # the dilated window steps over the single row; PyTorch returns -inf with an
    # index outside the plane, here the index is -1 and no gradient flows
    x = _leaf(np.arange(8.).reshape(1, 1, 1, 8))
    out, idx = conv_ops.max_pool2d(x, 2, stride=1, padding=1, dilation=2, return_indices=True)
    assert np.all(np.isneginf(out.detach().numpy()))
    assert np.all(idx.numpy() == -1)
    out.sum().backward()
    assert not np.any(x.grad.numpy())


# ----------------------------------------------------------------------
# fast paths: batch-wide columns, gather tables, threads, 1x1 kernels
# ----------------------------------------------------------------------

def _conv_step(x, w, **kwargs):
    """conv2d forward and all three gradients for a fixed upstream gradient."""
    xt = _leaf(x, x.dtype)
    wt = _leaf(w, w.dtype)
    bt = _leaf(np.linspace(-1, 1, w.shape[0]), x.dtype)
    out = conv_ops.conv2d(xt, wt, bt, **kwargs)
    g = np.cos(np.arange(out.numel())).reshape(out.shape).astype(x.dtype)
    out.backward(autograd.tensor(g))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy(), g


def _torch_conv_step(torch, x, w, g, **kwargs):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(np.linspace(-1, 1, w.shape[0]).astype(x.dtype), requires_grad=True)
    out = torch.nn.functional.conv2d(xt, wt, bt, **kwargs)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("xs, ws, kwargs", [
    ((3, 4, 9, 9), (5, 4, 1, 1), {}),                           # 1x1: the input is its columns
    ((3, 4, 9, 9), (5, 4, 1, 1), {"stride": 2}),                # 1x1 strided (ResNet's shortcut)
    ((3, 4, 4, 4), (6, 4, 3, 3), {"padding": 1}),               # narrow output: gather table
    ((3, 4, 20, 20), (6, 4, 3, 3), {"padding": 1}),             # wide output: row copies
    ((2, 3, 23, 21), (4, 3, 7, 7), {"stride": 2, "padding": 3}),  # ResNet's first layer
    ((3, 4, 6, 6), (6, 2, 3, 3), {"padding": 1, "groups": 2}),
])
def test_batched_conv_matches_torch(xs, ws, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    *ours, g = _conv_step(x, w, **kwargs)
    theirs = _torch_conv_step(torch, x, w, g, **kwargs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_conv_non_contiguous_batch_matches_contiguous():
    rng = np.random.default_rng(12)
    base = rng.standard_normal((5, 9, 4, 8))
    x = base.transpose(0, 2, 3, 1)[:, ::2]          # (5, 2, 8, 9), strided
    w = rng.standard_normal((3, 2, 3, 3))
    strided = _conv_step(x, w, padding=1, stride=(1, 2))
    dense = _conv_step(np.ascontiguousarray(x), w, padding=1, stride=(1, 2))
    for a, b in zip(strided, dense):
        np.testing.assert_array_equal(a, b)


def _reference_columns(x, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n):
    """im2col by its definition: each tap's strided slice of a zero-padded copy."""
    n_n, c_n, h_n, w_n = x.shape
    padded = np.zeros((n_n, c_n, pt + h_n + kh * dh + oh_n * sh,
                       pl + w_n + kw * dw + ow_n * sw), x.dtype)
    padded[:, :, pt:pt + h_n, pl:pl + w_n] = x
    cols = np.empty((c_n, kh, kw, n_n, oh_n, ow_n), x.dtype)
    for i in range(kh):
        for j in range(kw):
            window = padded[:, :, i * dh:i * dh + sh * oh_n:sh, j * dw:j * dw + sw * ow_n:sw]
            cols[:, i, j] = window.transpose(1, 0, 2, 3)
    return cols.reshape(c_n * kh * kw, n_n * oh_n * ow_n)


def _reference_col2im(cols, shape, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n):
    """col2im by its definition: every tap adds its columns back, in tap order."""
    n_n, c_n, h_n, w_n = shape
    padded = np.zeros((n_n, c_n, pt + h_n + kh * dh + oh_n * sh,
                       pl + w_n + kw * dw + ow_n * sw), cols.dtype)
    view = cols.reshape(c_n, kh, kw, n_n, oh_n, ow_n)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i * dh:i * dh + sh * oh_n:sh, j * dw:j * dw + sw * ow_n:sw] += (
                view[:, i, j].transpose(1, 0, 2, 3))
    return padded[:, :, pt:pt + h_n, pl:pl + w_n]


# x shape, (kh, kw), (sh, sw), (pt, pl), (dh, dw): the same padding after
_COLUMN_GEOMETRIES = [
    ((2, 3, 9, 40), (3, 3), (1, 1), (1, 1), (1, 1)),    # ResNet's 3x3 layers
    ((2, 3, 9, 40), (3, 3), (2, 2), (1, 1), (1, 1)),    # strided: two column phases
    ((2, 2, 11, 70), (7, 7), (2, 2), (3, 3), (1, 1)),   # ResNet's first layer
    ((2, 2, 8, 50), (3, 2), (1, 3), (2, 1), (2, 2)),    # stride 3, dilation 2: phases 0, 2
    ((1, 2, 5, 40), (1, 1), (2, 2), (0, 0), (1, 1)),    # 1x1 strided: every other row
    ((2, 1, 2, 17), (5, 5), (1, 1), (4, 4), (1, 1)),    # padding deeper than the plane
    ((1, 2, 7, 43), (2, 2), (3, 3), (0, 0), (1, 1)),    # the last columns read by no tap
    ((2, 3, 6, 6), (3, 3), (1, 1), (1, 1), (1, 1)),     # narrow output
    ((2, 2, 1, 1), (3, 3), (1, 1), (1, 1), (1, 1)),     # a 1x1 plane
]


@pytest.mark.parametrize("run_min", [0, 1000])        # every row as a run, or none
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, k, s, p, d", _COLUMN_GEOMETRIES)
def test_columns_and_their_adjoint_match_the_definition(xs, k, s, p, d, dtype, run_min,
                                                         monkeypatch):
    # Both forms of the im2col/col2im kernels (row runs through the padded,
    # phase-split scratch; the gather table) against the definition.  The
    # cutoff between them only changes speed.
    monkeypatch.setattr(conv_ops, "_RUN_MIN", run_min)
    conv_ops._TABLES.clear()
    rng = np.random.default_rng(13)
    x = rng.standard_normal(xs).astype(dtype)
    oh_n = (xs[2] + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow_n = (xs[3] + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    geometry = (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], oh_n, ow_n)
    try:
        cols = conv_ops._im2col(x, *geometry)
        np.testing.assert_array_equal(cols, _reference_columns(x, *geometry))
        g = rng.standard_normal(cols.shape).astype(dtype)
        np.testing.assert_array_equal(conv_ops._col2im(g, xs, *geometry),
                                      _reference_col2im(g, xs, *geometry))
    finally:
        conv_ops._TABLES.clear()


def test_columns_match_torch_unfold():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    x = rng.standard_normal((3, 2, 6, 7)).astype(np.float32)
    cols = conv_ops._im2col(x, 3, 2, 2, 1, 1, 0, 1, 2, 3, 5)
    unfolded = torch.nn.functional.unfold(torch.tensor(x), (3, 2), dilation=(1, 2),
                                          padding=(1, 0), stride=(2, 1)).numpy()
    # ours: (C*kh*kw, N*L) with the images side by side
    np.testing.assert_array_equal(cols, unfolded.transpose(1, 0, 2).reshape(12, -1))


def _with_threads(n, fn):
    old = autograd.get_num_threads()
    autograd.set_num_threads(n)
    try:
        return fn()
    finally:
        autograd.set_num_threads(old)


@pytest.mark.parametrize("xs, ws, kwargs", [
    ((8, 16, 32, 32), (16, 16, 3, 3), {"padding": 1}),          # row kernels
    ((16, 64, 8, 8), (32, 64, 3, 3), {"padding": 1}),           # gather kernels
])
def test_conv_threads_give_identical_results(xs, ws, kwargs):
    rng = np.random.default_rng(15)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    assert x.size * 9 >= conv_ops._PARALLEL_MIN          # large enough to use threads
    one = _with_threads(1, lambda: _conv_step(x, w, **kwargs))
    two = _with_threads(2, lambda: _conv_step(x, w, **kwargs))
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_float32_conv_matches_float64():
    # Products this large go through the compiled engine's own GEMM
    # (sgemm.h, where the CPU has AVX-512): the forward (32x144 @ 144x1024),
    # the weight gradient (32x1024 @ 1024x144, columns read transposed) and
    # the input gradient (144x32 @ 32x1024, weights read transposed).
    rng = np.random.default_rng(17)
    x = rng.standard_normal((4, 16, 16, 16))
    w = rng.standard_normal((32, 16, 3, 3))
    single = _conv_step(x.astype(np.float32), w.astype(np.float32), padding=1)
    double = _conv_step(x, w, padding=1)
    for a, b in zip(single[:3], double[:3]):
        assert a.dtype == np.float32
        # float32 rounding of sums over up to 1,024 terms: about 1e-7 * sqrt(k)
        assert np.abs(a - b).max() < 3e-6 * np.abs(b).max()


def test_max_pool_threads_give_identical_results():
    rng = np.random.default_rng(16)
    # ties and nans in places, so that which position wins is exercised too
    x = rng.integers(0, 4, (8, 32, 32, 32)).astype(np.float32)
    x[rng.random(x.shape) < 0.001] = np.nan
    assert x.size >= conv_ops._PARALLEL_MIN          # large enough to use threads

    def pool():
        out, idx = conv_ops.max_pool2d(autograd.tensor(x), 3, 2, 1, return_indices=True)
        return out.numpy(), idx.numpy()

    one = _with_threads(1, pool)
    two = _with_threads(2, pool)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    torch = pytest.importorskip("torch")
    values, indices = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1,
                                                     return_indices=True)
    np.testing.assert_array_equal(one[0], values.numpy())
    np.testing.assert_array_equal(one[1], indices.numpy())
