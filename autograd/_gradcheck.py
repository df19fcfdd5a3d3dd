"""``gradcheck``: compare analytical gradients with central finite differences."""
import numpy as np

from engine import graph as _graph
from engine.tensor import TensorBase, make


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical gradients differ."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn, inputs):
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, TensorBase)]


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``fn``'s gradients w.r.t. every input that requires grad.

    For every output element, the row of the Jacobian that backward computes
    is compared with central differences ``(f(x + eps) - f(x - eps)) / 2eps``
    taken one input element at a time.  Inputs should be float64.

    Returns True, or raises ``GradcheckError`` (returns False when
    ``raise_exception=False``) naming the input and the largest difference.

    Example:
        >>> x = autograd.randn(3, dtype=autograd.float64, requires_grad=True)
        >>> autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, TensorBase) and x.requires_grad]
    for i in wrt:
        if inputs[i]._data.dtype != np.float64:
            import warnings
            warnings.warn(
                f"gradcheck: input {i} is {inputs[i]._data.dtype}, not float64; "
                "finite differences may be too imprecise to compare",
                stacklevel=2,
            )
    outputs = _outputs(fn, inputs)
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        numerical = _numerical_jacobian(fn, inputs, wrt, k, eps)
        analytical = _analytical_jacobian(out, inputs, wrt)
        for j, i in enumerate(wrt):
            a, n = analytical[j], numerical[j]
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False):
                worst = np.max(np.abs(a - n)) if a.size else 0.0
                message = (
                    f"Jacobian mismatch for output {k} with respect to input {i}: "
                    f"largest difference {worst:.3g}\nnumerical:\n{n}\nanalytical:\n{a}"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def _numerical_jacobian(fn, inputs, wrt, k, eps):
    out_size = _outputs(fn, inputs)[k]._data.size
    jacobians = []
    for i in wrt:
        x = inputs[i]._data
        jac = np.zeros((out_size, x.size))
        for e in range(x.size):
            index = np.unravel_index(e, x.shape)
            original = x[index].item()
            x[index] = original + eps
            plus = _outputs(fn, inputs)[k]._data.astype(np.float64).ravel()
            x[index] = original - eps
            minus = _outputs(fn, inputs)[k]._data.astype(np.float64).ravel()
            x[index] = original
            jac[:, e] = (plus - minus) / (2 * eps)
        jacobians.append(jac)
    return jacobians


def _analytical_jacobian(out, inputs, wrt):
    size = out._data.size
    jacobians = [np.zeros((size, inputs[i]._data.size)) for i in wrt]
    targets = [inputs[i] for i in wrt]
    for r in range(size):
        seed = np.zeros(size, dtype=out._data.dtype)
        seed[r] = 1
        grads = _graph.grad(out, targets, make(seed.reshape(out._data.shape)),
                            retain_graph=True, allow_unused=True)
        for j, g in enumerate(grads):
            if g is not None:
                jacobians[j][r] = g._data.astype(np.float64).ravel()
    return jacobians
