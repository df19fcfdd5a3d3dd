"""nn.init: in-place initialisers, gains and fans, PyTorch's default layer init."""
import math
import warnings

import numpy as np
import pytest

import autograd
from autograd import nn
from autograd.nn import init


def test_fill_functions_write_in_place_and_bump_the_version():
    p = nn.Parameter(autograd.empty(3, 4))
    buffer = p._data
    for fn, expected in ((init.zeros_, 0.0), (init.ones_, 1.0),
                         (lambda t: init.constant_(t, 0.3), 0.3)):
        version = p._version
        assert fn(p) is p
        assert p._data is buffer and p._version == version + 1
        np.testing.assert_allclose(p._data, np.full((3, 4), expected, np.float32))
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


def test_uniform_and_normal_statistics():
    autograd.manual_seed(0)
    t = init.uniform_(autograd.empty(200, 100), -2.0, 3.0)
    assert t.dtype == autograd.float32
    assert -2.0 <= t._data.min() and t._data.max() < 3.0
    assert abs(t._data.mean() - 0.5) < 0.05
    t = init.normal_(autograd.empty(200, 100, dtype=autograd.float64), mean=1.0, std=2.0)
    assert t.dtype == autograd.float64
    assert abs(t._data.mean() - 1.0) < 0.05 and abs(t._data.std() - 2.0) < 0.05


def test_manual_seed_reproduces_draws():
    autograd.manual_seed(7)
    a = init.normal_(autograd.empty(5))._data.copy()
    autograd.manual_seed(7)
    b = init.normal_(autograd.empty(5))._data.copy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape,fans", [((3, 5), (5, 3)), ((8, 4, 3, 2), (24, 48)),
                                         ((2, 3, 4), (12, 8))])
def test_fan_in_and_fan_out(shape, fans):
    assert init._calculate_fan_in_and_fan_out(autograd.empty(*shape)) == fans


def test_fan_needs_two_dims_and_valid_mode():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(autograd.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(autograd.empty(3, 3), mode="fan_avg")


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", True)


def test_calculate_gain_matches_pytorch():
    torch = pytest.importorskip("torch")
    for args in (("linear",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                 ("selu",), ("sigmoid",)):
        assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


@pytest.mark.parametrize("mode,fan", [("fan_in", 50), ("fan_out", 40)])
def test_kaiming_uniform_bounds_and_variance(mode, fan):
    autograd.manual_seed(1)
    t = init.kaiming_uniform_(autograd.empty(40, 50), mode=mode, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    assert np.abs(t._data).max() <= bound
    assert np.abs(t._data).max() > 0.95 * bound
    assert t._data.var() == pytest.approx(2 / fan, rel=0.1)


def test_kaiming_normal_and_xavier_statistics():
    autograd.manual_seed(2)
    t = init.kaiming_normal_(autograd.empty(100, 200), mode="fan_out", nonlinearity="relu")
    assert t._data.std() == pytest.approx(math.sqrt(2 / 100), rel=0.05)
    t = init.xavier_uniform_(autograd.empty(100, 200), gain=2.0)
    bound = 2.0 * math.sqrt(6 / 300)
    assert np.abs(t._data).max() <= bound and np.abs(t._data).max() > 0.95 * bound
    t = init.xavier_normal_(autograd.empty(100, 200))
    assert t._data.std() == pytest.approx(math.sqrt(2 / 300), rel=0.05)


def test_zero_element_kaiming_is_a_warned_no_op():
    t = autograd.empty(0, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert init.kaiming_uniform_(t) is t
    assert "zero-element" in str(caught[0].message)


def test_init_records_nothing_in_the_graph():
    p = nn.Parameter(autograd.ones(2, 2))
    init.uniform_(p)
    assert p.grad_fn is None and p.is_leaf


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(30, 20), 30),
    (lambda: nn.Conv2d(6, 8, (3, 2), groups=2), 3 * 3 * 2),
])
def test_default_layer_init_is_uniform_one_over_sqrt_fan_in(make, fan_in):
    autograd.manual_seed(3)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        values = p._data
        assert np.abs(values).max() <= bound
        assert len(np.unique(values)) == values.size       # really random
    w = layer.weight._data
    assert np.abs(w).max() > 0.9 * bound
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.25)


def test_default_init_statistics_match_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    autograd.manual_seed(0)
    ours = nn.Linear(400, 300).weight._data
    theirs = torch.nn.Linear(400, 300).weight.detach().numpy()
    assert np.abs(ours).max() <= 1 / 20 and np.abs(theirs).max() <= 1 / 20
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    assert ours.mean() == pytest.approx(theirs.mean(), abs=1e-3)
