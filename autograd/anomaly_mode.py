"""Anomaly detection: ``detect_anomaly`` and ``set_detect_anomaly``.

While it is on, every backward node remembers the stack of the forward call
that created it; a backward pass that fails (or, with ``check_nan``, whose
node returns a NaN gradient) first warns with that stack, then raises.  When
it is off nothing is recorded, so it costs nothing.
"""
import functools
import warnings

from engine import graph as _graph

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

is_anomaly_enabled = _graph.is_anomaly_enabled
is_anomaly_check_nan_enabled = _graph.is_anomaly_check_nan_enabled


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on.

    Args:
        check_nan: raise when a backward node returns NaN values.

    Example:
        >>> with autograd.detect_anomaly():
        ...     y = x.sqrt() * 0
        ...     y.sum().backward()     # x == 0: sqrt's gradient is nan
        RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.
    """

    def __init__(self, check_nan=True):
        self.check_nan = bool(check_nan)
        self._previous = None
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            UserWarning, stacklevel=2,
        )

    def __enter__(self):
        self._previous = _graph.set_anomaly_enabled(True, self.check_nan)
        return None

    def __exit__(self, *exc):
        _graph.set_anomaly_enabled(*self._previous)
        return False

    def __call__(self, func):
        check_nan = self.check_nan

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            previous = _graph.set_anomaly_enabled(True, check_nan)
            try:
                return func(*args, **kwargs)
            finally:
                _graph.set_anomaly_enabled(*previous)

        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off.  Takes effect when called; used as a
    context manager it restores the previous setting on exit.

    Args:
        mode: on (True) or off (False).
        check_nan: raise when a backward node returns NaN values.

    Example:
        >>> autograd.set_detect_anomaly(True)
        >>> autograd.is_anomaly_enabled()
        True
    """

    def __init__(self, mode, check_nan=True):
        self._previous = _graph.set_anomaly_enabled(bool(mode), bool(check_nan))

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _graph.set_anomaly_enabled(*self._previous)
        return False
