"""autograd/anomaly_mode.py: detect_anomaly, set_detect_anomaly, NaN checks, traces."""
import warnings

import numpy as np
import pytest

import autograd

_ENABLED_WARNING = "Anomaly Detection has been enabled"


@pytest.fixture(autouse=True)
def _anomaly_off():
    yield
    autograd.set_detect_anomaly(False)


def _quiet_detect_anomaly(check_nan=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return autograd.detect_anomaly(check_nan)


def test_detect_anomaly_warns_and_toggles():
    assert autograd.is_anomaly_enabled() is False
    with pytest.warns(UserWarning, match=_ENABLED_WARNING + ". This mode will increase the "
                      "runtime and should only be enabled for debugging."):
        mode = autograd.detect_anomaly()
    with mode:
        assert autograd.is_anomaly_enabled() is True
        assert autograd.is_anomaly_check_nan_enabled() is True
        with _quiet_detect_anomaly(check_nan=False):
            assert autograd.is_anomaly_check_nan_enabled() is False
        assert autograd.is_anomaly_check_nan_enabled() is True
    assert autograd.is_anomaly_enabled() is False


def test_detect_anomaly_restores_on_error_and_decorates():
    with pytest.raises(ValueError):
        with _quiet_detect_anomaly():
            raise ValueError
    assert autograd.is_anomaly_enabled() is False

    @_quiet_detect_anomaly()
    def inside():
        return autograd.is_anomaly_enabled()

    assert inside() is True
    assert autograd.is_anomaly_enabled() is False


def test_set_detect_anomaly_takes_effect_when_called():
    autograd.set_detect_anomaly(True)
    assert autograd.is_anomaly_enabled()
    autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()
    with autograd.set_detect_anomaly(True, check_nan=False):
        assert autograd.is_anomaly_enabled()
        assert not autograd.is_anomaly_check_nan_enabled()
    assert not autograd.is_anomaly_enabled()
    assert autograd.is_anomaly_check_nan_enabled()


def test_nan_gradient_raises_with_the_forward_trace():
    x = autograd.tensor([0., 1.], requires_grad=True)
    with _quiet_detect_anomaly():
        y = x.sqrt() * 0     # the line the trace must show
        with pytest.warns(UserWarning) as record:
            with pytest.raises(RuntimeError, match=r"^Function 'SqrtBackward0' returned nan "
                               r"values in its 0th output\.$"):
                y.sum().backward()
    messages = [str(w.message) for w in record]
    (message,) = [m for m in messages if m.startswith("Error detected in")]
    assert message.startswith(
        "Error detected in SqrtBackward0. Traceback of forward call that caused the error:\n")
    assert __file__ in message
    assert "y = x.sqrt() * 0" in message
    assert "engine" + "/" not in message.replace(__file__, "")


def test_check_nan_off_or_anomaly_off_lets_nan_through():
    x = autograd.tensor([0.], requires_grad=True)
    with _quiet_detect_anomaly(check_nan=False):
        (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.tolist()[0])
    x.grad = None
    (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.tolist()[0])


def test_inf_gradient_is_not_an_anomaly():
    # As in PyTorch, only NaN is checked.
    x = autograd.tensor([0.], requires_grad=True)
    with _quiet_detect_anomaly():
        x.sqrt().sum().backward()
    assert x.grad.tolist() == [float("inf")]


def test_traces_are_recorded_only_while_on():
    x = autograd.tensor([1.], requires_grad=True)
    assert (x * 2).grad_fn._trace is None
    with _quiet_detect_anomaly():
        y = x * 2
    assert y.grad_fn._trace is not None
    assert any(frame.filename == __file__ for frame in y.grad_fn._trace)


def test_any_backward_error_shows_the_trace():
    a = autograd.tensor([1., 2.], requires_grad=True)
    with _quiet_detect_anomaly():
        b = a * 2
        c = b * b
        b._version += 1
        with pytest.warns(UserWarning, match="Error detected in MulBackward0"):
            with pytest.raises(RuntimeError, match="Hint: the backtrace further above shows "
                               "the operation that failed to compute its gradient"):
                c.sum().backward()


def test_nan_error_matches_pytorch():
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([0., 4.], requires_grad=True)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            with lib.autograd.detect_anomaly() if lib is torch else autograd.detect_anomaly():
                y = (x.sqrt() * 0).sum()
                with pytest.raises(RuntimeError) as info:
                    y.backward()
        detected = [str(w.message) for w in record if "Error detected" in str(w.message)]
        return str(info.value), detected[0].split(".")[0]

    assert run(autograd) == run(torch)
