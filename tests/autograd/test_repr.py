"""autograd/_repr.py: printing matches PyTorch's character for character."""
import pytest

import autograd

# Each case runs with ``lib`` bound to autograd and to torch; the outputs must
# agree once "torch." reads "autograd.".
CASES = [
    'lib.tensor([1., 2.])',
    'lib.tensor([1., 2.], requires_grad=True)',
    'lib.tensor([1., 2.], requires_grad=True) * 2',
    'lib.tensor([True, True])',
    'lib.tensor([True, False, True])',
    'lib.tensor(True)',
    'lib.tensor([1, 2, 3])',
    'lib.tensor([-1, 20, 300])',
    'lib.tensor(3)',
    'lib.tensor(3.5)',
    'lib.tensor(3.)',
    'lib.tensor(-0.25)',
    'lib.tensor([[1., 2.], [3., 4.]])',
    'lib.tensor([[1.5, -2.25], [3., 4.]])',
    'lib.tensor([[[1., 2.], [3., 4.]], [[5., 6.], [7., 8.]]])',
    'lib.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 80]]])',
    'lib.tensor([1., 2.], dtype=lib.float64)',
    'lib.tensor([1.5, 2.25], dtype=lib.float64)',
    'lib.tensor([1, 2], dtype=lib.int32)',
    'lib.tensor([1, 2], dtype=lib.uint8)',
    'lib.tensor([1, 2], dtype=lib.int16)',
    'lib.tensor([1., 2.], dtype=lib.float16)',
    'lib.tensor([-1., 2.])',
    'lib.tensor([-1.5, 2.])',
    'lib.tensor([0.1, 100.])',
    'lib.tensor([0.1, 1000.])',
    'lib.tensor([0.1, 10000.])',
    'lib.tensor([1e-5, 1.])',
    'lib.tensor([1e-4, 1.])',
    'lib.tensor([1e8, 1.])',
    'lib.tensor([1e9, 1.])',
    'lib.tensor([123456789., 1.])',
    'lib.tensor([1e10])',
    'lib.tensor([1e-10])',
    'lib.tensor([1.5e10])',
    'lib.tensor([12345.678])',
    'lib.tensor([0.001, 0.002])',
    'lib.tensor([1.23456789])',
    "lib.tensor([float('nan'), 1.])",
    "lib.tensor([float('inf'), -float('inf'), 1.])",
    "lib.tensor([float('inf'), 1.5])",
    "lib.tensor([float('nan')])",
    "lib.tensor([float('nan'), 1e-6, 2.])",
    'lib.tensor([0., 0.])',
    'lib.tensor([0., -0.])',
    'lib.tensor([])',
    'lib.tensor([], dtype=lib.int64)',
    'lib.zeros(0, 3)',
    'lib.zeros(2, 0)',
    'lib.zeros(0, dtype=lib.float64)',
    'lib.zeros(0, 3, requires_grad=True)',
    'lib.tensor([[1., 2., 3.]], requires_grad=True).sum()',
    'lib.tensor([1.5, 2.5], dtype=lib.float64, requires_grad=True)',
    'lib.tensor([1.5, 2.5], dtype=lib.float64, requires_grad=True) * 2',
    'lib.arange(12).reshape(3, 4)',
    'lib.arange(24).reshape(2, 3, 4)',
    'lib.arange(24.).reshape(2, 3, 4) / 7',
    'lib.arange(16).reshape(2, 2, 2, 2)',
    'lib.tensor([[1e-5, 1.], [2., 3.]])',
    'lib.tensor([-1e-5, 1.])',
    'lib.tensor([1e20, -1e-20])',
    'lib.tensor([100., 200.])',
    'lib.tensor([1000000., 2.])',
    'lib.tensor([123.456, 0.5])',
    'lib.tensor([[True], [False]])',
    'lib.tensor([1, -2], dtype=lib.int8)',
    'lib.ones(2, 3, dtype=lib.float64)',
    'lib.tensor(1e-7)',
    'lib.tensor(1e10)',
    'lib.tensor(2, dtype=lib.float64)',
    'lib.tensor([0.5, 0.25], dtype=lib.float16)',
    'lib.tensor([1e8, 1.])',
    'lib.tensor([1e8])',
    'lib.tensor([100000001.])',
    'lib.arange(30.)',
    'lib.arange(100)',
    'lib.arange(20.) / 3',
    'lib.arange(20.) / 3 * lib.tensor(1., requires_grad=True)',
    'lib.arange(12.).reshape(3, 4) * lib.tensor(1., requires_grad=True)',
    'lib.arange(2000.)',
    'lib.arange(2000).reshape(40, 50)',
    'lib.arange(3000.).reshape(10, 20, 15) / 7',
    'lib.arange(1001)',
    'lib.arange(1000)',
    'lib.tensor([True, False]).reshape(2, 1)',
    'lib.zeros(0, dtype=lib.bool)',
    'lib.zeros(2, 0, 3, dtype=lib.int32)',
    "lib.tensor([float('nan'), 1.5])",
    "lib.tensor([float('nan'), 1e-6])",
    "lib.tensor(float('nan'))",
    "lib.tensor(float('-inf'))",
    "lib.tensor([float('nan'), 1e6, 1.])",
    'lib.arange(8.).reshape(2, 4) + 0.5',
    'lib.tensor([[-1e-3, 5.], [7., 100.]], dtype=lib.float64)',
    'lib.arange(40.) / 3 * lib.tensor(1., dtype=lib.float64, requires_grad=True)',
    'lib.arange(7.) * lib.tensor(1., requires_grad=True)',
    'lib.arange(9.) * lib.tensor(1., requires_grad=True) + 1000',
    'lib.arange(10.) * lib.tensor(1., requires_grad=True) + 1000',
    'lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True).sum()',
]

# The printed form of a few cases, checked without PyTorch.
EXPECTED = {
    "lib.tensor([1., 2.])": "tensor([1., 2.])",
    "lib.tensor([1., 2.], requires_grad=True) * 2": "tensor([2., 4.], grad_fn=<MulBackward0>)",
    "lib.tensor([True, True])": "tensor([True, True])",
    "lib.tensor([True, False, True])": "tensor([ True, False,  True])",
    "lib.tensor([1.5, 2.25], dtype=lib.float64)": "tensor([1.5000, 2.2500], dtype=autograd.float64)",
    "lib.tensor([[1.5, -2.25], [3., 4.]])": "tensor([[ 1.5000, -2.2500],\n        [ 3.0000,  4.0000]])",
    "lib.tensor([float('nan'), 1.])": "tensor([nan, 1.])",
    "lib.tensor([1e-5, 1.])": "tensor([1.0000e-05, 1.0000e+00])",
    "lib.tensor([], dtype=lib.int64)": "tensor([], dtype=autograd.int64)",
    "lib.zeros(0, 3)": "tensor([], size=(0, 3))",
    "lib.tensor(3.5)": "tensor(3.5000)",
    "lib.arange(8.).reshape(2, 2, 2)":
        "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
}


def _build(expr, lib):
    return eval(expr, {"lib": lib})


@pytest.mark.parametrize("expr", sorted(EXPECTED))
def test_expected_text(expr):
    assert repr(_build(expr, autograd)) == EXPECTED[expr]


@pytest.mark.parametrize("expr", CASES)
def test_matches_pytorch(expr):
    torch = pytest.importorskip("torch")
    theirs = repr(_build(expr, torch)).replace("torch.", "autograd.")
    assert repr(_build(expr, autograd)) == theirs


def test_str_is_repr():
    t = autograd.tensor([[1., 2.]], requires_grad=True)
    assert str(t) == repr(t) == "tensor([[1., 2.]], requires_grad=True)"


def test_summarized_print_of_a_large_tensor():
    text = repr(autograd.arange(2000.))
    assert text == "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])"
