"""engine.optim_ops: the optimizers' fused updates, against their numpy form
bit for bit, at one thread and two."""
import numpy as np
import pytest

import autograd
from engine.optim_ops import sgd_update

# above the parallel threshold (262,144), not a multiple of a chunk
_PARALLEL = 262_144 + 3 * 16_384 + 4_099


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"], autouse=True)
def threads(request):
    before = autograd.get_num_threads()
    autograd.set_num_threads(request.param)
    yield request.param
    autograd.set_num_threads(before)


def _assert_identical(ours, expected):
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    bits = np.dtype(f"u{expected.dtype.itemsize}")
    np.testing.assert_array_equal(ours.view(bits), expected.view(bits))


def _sgd_numpy(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first):
    """autograd.optim.SGD's numpy form: one temporary per operation, rounded to the dtype."""
    if maximize:
        g = np.negative(g)
    if weight_decay:
        g = g + p * weight_decay
    if momentum:
        if first:
            buf[...] = g
        else:
            buf *= momentum
            buf += g if dampening == 0 else g * (1.0 - dampening)
        g = g + buf * momentum if nesterov else buf
    p += g * -lr


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [7, _PARALLEL])
@pytest.mark.parametrize("options", [
    dict(momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False),
    dict(momentum=0.9, dampening=0, weight_decay=0, nesterov=False, maximize=False),
    dict(momentum=0.9, dampening=0.3, weight_decay=1e-2, nesterov=False, maximize=True),
    dict(momentum=0.8, dampening=0, weight_decay=1e-3, nesterov=True, maximize=False),
])
def test_fused_sgd_update_equals_the_numpy_form_bit_for_bit(dtype, size, options):
    rng = np.random.default_rng(5)
    p0, g, b0 = (rng.standard_normal(size).astype(dtype) for _ in range(3))
    for first in (True, False):
        p, buf = p0.copy(), b0.copy()
        expected_p, expected_buf = p0.copy(), b0.copy()
        _sgd_numpy(expected_p, g, expected_buf, 0.05, first=first, **options)
        done = sgd_update(p, g, buf, 0.05, first=first, **options)
        if autograd.ENGINE == "python":
            assert done is False
            np.testing.assert_array_equal(p, p0)        # the caller's numpy form runs instead
            continue
        assert done is True
        _assert_identical(p, expected_p)
        if options["momentum"]:
            _assert_identical(buf, expected_buf)


def test_fused_sgd_update_declines_what_it_cannot_do():
    p = np.ones(4, np.float32)
    for grad, buf, momentum in [
        (np.ones(4, np.float64), None, 0),              # another dtype
        (np.ones(8, np.float32)[::2], None, 0),          # not contiguous
        (np.ones(3, np.float32), None, 0),               # another shape
        (np.ones(4, np.float32), None, 0.9),             # momentum without a buffer
    ]:
        assert sgd_update(p, grad, buf, 0.1, momentum, 0, 0, False, False, False) is False
    np.testing.assert_array_equal(p, 1.0)
