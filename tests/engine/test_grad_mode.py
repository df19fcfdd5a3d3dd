"""engine/grad_mode.py (and its facade autograd/grad_mode.py): the
thread-local switch, as context managers, decorators and plain calls."""
import threading

import pytest

import autograd


@pytest.fixture(autouse=True)
def grad_mode_restored():
    assert autograd.is_grad_enabled()
    yield
    enabled = autograd.is_grad_enabled()
    autograd.set_grad_enabled(True)
    assert enabled, "the test left grad mode off"


def _records():
    x = autograd.tensor([1., 2.], requires_grad=True)
    return (x * 2).requires_grad


def test_default_is_enabled():
    assert autograd.is_grad_enabled() is True
    assert _records()


def test_no_grad_context():
    x = autograd.tensor([1., 2.], requires_grad=True)
    with autograd.no_grad():
        assert autograd.is_grad_enabled() is False
        y = x * 2
    assert autograd.is_grad_enabled() is True
    assert y.requires_grad is False and y.grad_fn is None
    assert (x * 2).grad_fn is not None


def test_enable_grad_inside_no_grad():
    with autograd.no_grad():
        with autograd.enable_grad():
            assert autograd.is_grad_enabled()
            assert _records()
        assert not autograd.is_grad_enabled()
        assert not _records()
    assert autograd.is_grad_enabled()


def test_set_grad_enabled_context():
    with autograd.set_grad_enabled(False):
        assert not autograd.is_grad_enabled()
        with autograd.set_grad_enabled(True):
            assert autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()


def test_set_grad_enabled_as_a_plain_call():
    autograd.set_grad_enabled(False)
    assert not autograd.is_grad_enabled()
    assert not _records()
    autograd.set_grad_enabled(True)
    assert autograd.is_grad_enabled()
    assert _records()


def test_decorators():
    @autograd.no_grad()
    def off():
        return autograd.is_grad_enabled(), _records()

    @autograd.enable_grad()
    def on():
        return autograd.is_grad_enabled(), _records()

    @autograd.set_grad_enabled(False)
    def set_off(value):
        return value, autograd.is_grad_enabled()

    # creating the set_grad_enabled decorator must not leave grad mode off
    assert autograd.is_grad_enabled()
    assert off() == (False, False)
    assert autograd.is_grad_enabled()
    with autograd.no_grad():
        assert on() == (True, True)
        assert not autograd.is_grad_enabled()
    assert set_off(7) == (7, False)
    assert autograd.is_grad_enabled()
    assert off.__name__ == "off"


def test_nesting_restores_each_level():
    seen = []
    with autograd.no_grad():
        seen.append(autograd.is_grad_enabled())
        with autograd.no_grad():
            seen.append(autograd.is_grad_enabled())
            with autograd.enable_grad():
                seen.append(autograd.is_grad_enabled())
            seen.append(autograd.is_grad_enabled())
        seen.append(autograd.is_grad_enabled())
    seen.append(autograd.is_grad_enabled())
    assert seen == [False, False, True, False, False, True]


def test_restored_after_exceptions():
    with pytest.raises(ValueError):
        with autograd.no_grad():
            raise ValueError("boom")
    assert autograd.is_grad_enabled()

    @autograd.no_grad()
    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert autograd.is_grad_enabled()

    with autograd.no_grad():
        with pytest.raises(ValueError):
            with autograd.enable_grad():
                raise ValueError("boom")
        assert not autograd.is_grad_enabled()


def _in_thread(fn):
    result = {}

    def run():
        try:
            result["value"] = fn()
        except BaseException as e:  # reported in the main thread
            result["error"] = e

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_new_thread_starts_enabled_even_inside_no_grad():
    with autograd.no_grad():
        assert _in_thread(lambda: (autograd.is_grad_enabled(), _records())) == (True, True)
        assert not autograd.is_grad_enabled()


def test_no_grad_in_a_thread_does_not_affect_the_main_thread():
    started = threading.Event()
    release = threading.Event()
    inside = {}

    def worker():
        with autograd.no_grad():
            inside["mode"] = autograd.is_grad_enabled()
            started.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert started.wait(10)
        assert inside["mode"] is False
        assert autograd.is_grad_enabled()
        assert _records()
    finally:
        release.set()
        thread.join()
    assert autograd.is_grad_enabled()


def test_decorated_generator_runs_its_steps_in_the_mode():
    @autograd.no_grad()
    def steps():
        received = yield autograd.is_grad_enabled()
        yield (received, autograd.is_grad_enabled(), _records())
        return "done"

    gen = steps()
    assert autograd.is_grad_enabled()      # nothing ran yet
    assert next(gen) is False
    assert autograd.is_grad_enabled()      # the caller's mode between steps
    assert gen.send("hi") == ("hi", False, False)
    with pytest.raises(StopIteration) as info:
        next(gen)
    assert info.value.value == "done"
    assert autograd.is_grad_enabled()


def test_engine_switch_returns_previous_mode():
    from engine import grad_mode

    assert grad_mode.set_grad_enabled(False) is True
    assert grad_mode.set_grad_enabled(False) is False
    assert grad_mode.set_grad_enabled(True) is False
    assert grad_mode.is_grad_enabled() is True
