"""engine/pointwise_ops.py: every elementwise op through the shared checks."""
import numpy as np
import pytest

from tests.op_harness import (
    Arg, OpCase, Sample, check_gradcheck, check_parity, check_zero_size, nc, op_params,
    randn,
)


def _binary_samples(low=None, high=None):
    def samples(rng):
        r = lambda *s: randn(rng, *s, low=low, high=high)
        return [
            Sample((Arg(r(3, 4)), Arg(r(3, 4))), name="same"),
            Sample((Arg(r(3, 4)), Arg(r(4))), name="broadcast-row"),
            Sample((Arg(r(3, 1)), Arg(r(1, 4))), name="broadcast-both"),
            Sample((Arg(r(2, 3, 4)), Arg(r(3, 1))), name="broadcast-3d"),
            Sample((nc(r(4, 3)), Arg(r(4, 3))), name="noncontiguous"),
            Sample((Arg(r(1)), Arg(r(5))), name="size1"),
            Sample((Arg(r()), Arg(r(2, 3))), name="scalar-tensor"),
            Sample((Arg(r(3)), 1.5), name="python-float"),
            Sample((Arg(r(3)), Arg(r(3), requires_grad=False)), name="one-requires-grad"),
        ]
    return samples


def _binary_zero(rng):
    return [
        Sample((Arg(randn(rng, 0, 3)), Arg(randn(rng, 3))), name="zero-rows"),
        Sample((Arg(randn(rng, 2, 0)), Arg(randn(rng, 1, 0))), name="zero-cols"),
    ]


def _unary_samples(low=None, high=None):
    def samples(rng):
        r = lambda *s: randn(rng, *s, low=low, high=high)
        return [
            Sample((Arg(r(3, 4)),), name="2d"),
            Sample((nc(r(4, 3)),), name="noncontiguous"),
            Sample((Arg(r()),), name="0d"),
            Sample((Arg(r(1)),), name="size1"),
        ]
    return samples


def _unary_zero(rng):
    return [Sample((Arg(randn(rng, 0, 2)),), name="zero")]


CASES = [
    OpCase("add", lambda lib, a, b: lib.add(a, b), _binary_samples(), _binary_zero),
    OpCase("add-operator", lambda lib, a, b: a + b, _binary_samples(), _binary_zero),
    OpCase("radd", lambda lib, a, b: 2.5 + a + b, _binary_samples(), _binary_zero),
    OpCase("sub", lambda lib, a, b: a - b, _binary_samples(), _binary_zero),
    OpCase("rsub", lambda lib, a, b: 2.0 - a * b, _binary_samples(), _binary_zero),
    OpCase("mul", lambda lib, a, b: a * b, _binary_samples(), _binary_zero),
    OpCase("div", lambda lib, a, b: a / b, _binary_samples(0.5, 2.0), _binary_zero),
    OpCase("rdiv", lambda lib, a, b: 1.5 / (a * b), _binary_samples(0.5, 2.0), _binary_zero),
    OpCase("pow-tensor", lambda lib, a, b: a ** b, _binary_samples(0.5, 2.0), _binary_zero),
    OpCase("pow-int", lambda lib, a: a ** 3, _unary_samples(), _unary_zero),
    OpCase("pow-square", lambda lib, a: a ** 2, _unary_samples(), _unary_zero),
    OpCase("pow-float", lambda lib, a: a ** 1.7, _unary_samples(0.5, 2.0), _unary_zero),
    OpCase("rpow", lambda lib, a: 2.0 ** a, _unary_samples(), _unary_zero),
    OpCase("neg", lambda lib, a: -a, _unary_samples(), _unary_zero),
    OpCase("exp", lambda lib, a: lib.exp(a), _unary_samples(), _unary_zero),
    OpCase("log", lambda lib, a: lib.log(a), _unary_samples(0.5, 3.0), _unary_zero),
    OpCase("tanh", lambda lib, a: a.tanh(), _unary_samples(), _unary_zero),
    OpCase("where", lambda lib, a, b: lib.where(a > 0, a, b), _binary_samples(), _binary_zero,
           skip_parity=""),
]


@pytest.mark.parametrize("case, sample", op_params(CASES))
def test_gradcheck(case, sample):
    check_gradcheck(case, sample)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case, sample", op_params(CASES))
def test_parity_with_torch(case, sample, dtype):
    check_parity(case, sample, dtype)


@pytest.mark.parametrize("case, sample", op_params(CASES, zero_size=True))
def test_zero_size(case, sample):
    check_zero_size(case, sample)
