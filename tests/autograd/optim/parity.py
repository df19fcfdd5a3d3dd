"""Run an autograd optimizer and its torch.optim twin on the same parameters
and gradients, and compare parameters and state after every step."""
import numpy as np

import autograd

SHAPES = [(3, 4), (5,), ()]
STEPS = 5
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def arrays(dtype, seed=0):
    """Initial parameter values, one array per shape in SHAPES."""
    rng = np.random.default_rng(seed)
    return [np.array(rng.standard_normal(s), dtype=dtype) for s in SHAPES]


def gradient_sequence(dtype, seed=1, missing=()):
    """STEPS lists of gradients; (step, index) pairs in ``missing`` get None."""
    rng = np.random.default_rng(seed)
    seq = []
    for step in range(STEPS):
        grads = [np.array(rng.standard_normal(s), dtype=dtype) for s in SHAPES]
        seq.append([None if (step, i) in missing else g for i, g in enumerate(grads)])
    return seq


def _groups(params, groups):
    if groups is None:
        return params
    return [dict(g, params=[params[i] for i in g["params"]]) for g in groups]


def assert_state_equal(ours, theirs, p, tp, dtype):
    """The per-parameter state of both optimizers matches (keys, dtypes, values)."""
    torch = __import__("torch")
    mine, ref = ours.state.get(p, {}), theirs.state.get(tp, {})
    assert sorted(mine) == sorted(ref)
    for key, value in ref.items():
        if isinstance(value, torch.Tensor):
            got = mine[key].numpy()
            expected = value.detach().numpy()
            assert got.dtype == expected.dtype, key
            assert got.shape == expected.shape, key
            np.testing.assert_allclose(got, expected, **TOLERANCE[dtype], err_msg=key)
        else:
            assert mine[key] == value, key


def run_parity(name, kwargs, dtype, groups=None, missing=()):
    """Step ``autograd.optim.<name>`` and ``torch.optim.<name>`` STEPS times
    with the same gradients and check that they agree throughout."""
    torch = __import__("torch")
    init = arrays(dtype)
    params = [autograd.from_numpy(a.copy()).requires_grad_() for a in init]
    tparams = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    ours = getattr(autograd.optim, name)(_groups(params, groups), **kwargs)
    theirs = getattr(torch.optim, name)(_groups(tparams, groups), **kwargs)

    for step, grads in enumerate(gradient_sequence(dtype, missing=missing)):
        for p, tp, g in zip(params, tparams, grads):
            p.grad = None if g is None else autograd.from_numpy(g.copy())
            tp.grad = None if g is None else torch.tensor(g.copy())
        ours.step()
        theirs.step()
        for i, (p, tp) in enumerate(zip(params, tparams)):
            got = p.detach().numpy()
            assert got.dtype == dtype
            np.testing.assert_allclose(
                got, tp.detach().numpy(), **TOLERANCE[dtype],
                err_msg=f"param {i} after step {step + 1}",
            )

    for p, tp in zip(params, tparams):
        assert_state_equal(ours, theirs, p, tp, dtype)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    return ours, params
