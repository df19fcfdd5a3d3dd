"""Run an autograd.nn module and its torch.nn twin on the same weights and inputs.

``build(lib)`` constructs the module from either library (``lib`` is
``autograd`` or ``torch``); PyTorch's initial weights are copied into ours
through ``load_state_dict``, then forward values, input gradients, parameter
gradients and buffers (running statistics) are compared.
"""
import numpy as np
import pytest

import autograd

TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def copy_weights(ours, theirs):
    """Load ``theirs``' state_dict (a torch module) into ``ours``."""
    ours.load_state_dict({k: autograd.tensor(v.detach().numpy().copy())
                          for k, v in theirs.state_dict().items()})


def _close(mine, ref, tol, what):
    np.testing.assert_allclose(np.asarray(mine._data), ref.detach().numpy(), err_msg=what, **tol)


def check_module_parity(build, x, dtype, *, target=None, train=True, steps=1, seed=0,
                        tol=None):
    """Forward and backward ``steps`` times through both modules; compare everything.

    Args:
        build: ``lib -> module``.
        x: the input values (numpy); cast to ``dtype``.
        target: a second forward argument (losses), numpy; floats are cast.
        train: run in training mode (else eval).
        steps: how many forward/backward passes (running stats accumulate).
    """
    torch = pytest.importorskip("torch")
    tol = tol or TOLERANCE[dtype]
    rng = np.random.default_rng(seed)
    ours, theirs = build(autograd), build(torch)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    copy_weights(ours, theirs)
    ours.train(train)
    theirs.train(train)
    x = np.asarray(x, dtype=dtype)
    extra, textra = (), ()
    if target is not None:
        target = np.asarray(target)
        if target.dtype.kind == "f":
            target = target.astype(dtype)
        extra, textra = (autograd.tensor(target),), (torch.tensor(target),)
    for step in range(steps):
        a = autograd.tensor(x, requires_grad=True)
        t = torch.tensor(x, requires_grad=True)
        out, tout = ours(a, *extra), theirs(t, *textra)
        assert out.shape == tuple(tout.shape) and out.dtype.name == str(tout.dtype)[6:]
        _close(out, tout, tol, f"forward, step {step}")
        g = rng.standard_normal(tout.shape).astype(dtype)
        out.backward(autograd.tensor(g))
        tout.backward(torch.tensor(g))
        _close(a.grad, t.grad, tol, f"input grad, step {step}")
    named = dict(ours.named_parameters())
    tnamed = dict(theirs.named_parameters())
    assert list(named) == list(tnamed)
    for name, p in named.items():
        _close(p.grad, tnamed[name].grad, tol, f"grad of {name}")
    tbuffers = dict(theirs.named_buffers())
    for name, b in ours.named_buffers():
        if b.dtype.is_floating_point:
            _close(b, tbuffers[name], tol, f"buffer {name}")
        else:
            assert b.tolist() == tbuffers[name].tolist(), name
    return ours, theirs
