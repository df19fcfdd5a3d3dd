"""Grad mode: the thread-local switch that decides whether ops record nodes.

Compiled, the flag is a C thread-local variable (declared in grad_mode.pxd),
so every op reads it for the cost of a load.  Uncompiled, it lives in a
``threading.local``.  Either way a new thread starts with grad mode on, as
in PyTorch.
"""
import cython

if not cython.compiled:
    import threading

    _state = threading.local()


@cython.ccall
@cython.exceptval(check=False)
def is_grad_enabled() -> cython.bint:
    """Return True when ops on tensors that require grad record the graph."""
    if cython.compiled:
        return not cygrad_grad_disabled
    else:
        return not getattr(_state, "disabled", False)


@cython.ccall
@cython.exceptval(check=False)
def set_grad_enabled(mode: cython.bint) -> cython.bint:
    """Set grad mode for the calling thread and return the previous mode."""
    global cygrad_grad_disabled
    previous: cython.bint
    if cython.compiled:
        previous = not cygrad_grad_disabled
        cygrad_grad_disabled = not mode
    else:
        previous = not getattr(_state, "disabled", False)
        _state.disabled = not mode
    return previous
