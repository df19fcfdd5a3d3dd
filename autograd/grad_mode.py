"""``no_grad``, ``enable_grad`` and ``set_grad_enabled``: context managers
and decorators over the engine's thread-local grad mode."""
import functools
import inspect

from engine import grad_mode as _mode

is_grad_enabled = _mode.is_grad_enabled


def _wrap_generator(func, mode):
    """Run each step of the generator ``func`` makes in ``mode``, and the
    caller's code between steps in the caller's mode (as PyTorch does)."""

    def step(gen, method, *args):
        previous = _mode.set_grad_enabled(mode)
        try:
            return getattr(gen, method)(*args)
        finally:
            _mode.set_grad_enabled(previous)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            value = step(gen, "send", None)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    step(gen, "close")
                    raise
                except BaseException as error:
                    value = step(gen, "throw", error)
                else:
                    value = step(gen, "send", sent)
        except StopIteration as stop:
            return stop.value

    return wrapper


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that also decorates."""

    _mode = True

    def __enter__(self):
        self._previous = _mode.set_grad_enabled(self._mode)
        return None

    def __exit__(self, *exc):
        _mode.set_grad_enabled(self._previous)
        return False

    def __call__(self, func):
        mode = self._mode
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(func, mode)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            previous = _mode.set_grad_enabled(mode)
            try:
                return func(*args, **kwargs)
            finally:
                _mode.set_grad_enabled(previous)

        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeContext):
    """Turn off graph recording: ops inside produce tensors without grad_fn.

    Example:
        >>> with autograd.no_grad():
        ...     y = x * 2          # y.requires_grad is False
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Turn graph recording back on, e.g. inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off.  Takes effect when called (like PyTorch), and
    restores the previous mode when used as a context manager or decorator."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._previous = _mode.set_grad_enabled(self._mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _mode.set_grad_enabled(self._previous)
        return False

    def __call__(self, func):
        _mode.set_grad_enabled(self._previous)
        return super().__call__(func)

    def clone(self):
        return type(self)(self._mode)
