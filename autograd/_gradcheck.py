"""``gradcheck``: compare analytical gradients with central finite differences."""
import warnings

import numpy as np

from engine import graph as _graph
from engine.tensor import TensorBase, make


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical gradients differ."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _float_outputs(func, inputs):
    """The floating-point tensors ``func`` returns (integer outputs such as
    indices have no gradient to check)."""
    return [o for o in _as_tuple(func(*inputs))
            if isinstance(o, TensorBase) and o._data.dtype.kind in "fc"]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``func``'s gradients against finite differences.

    For every input that requires grad, the Jacobian that backward computes
    (one ``autograd.grad`` call per output element) is compared with central
    differences ``(f(x + eps) - f(x - eps)) / 2eps`` taken one input element
    at a time; they agree when ``|analytical - numerical| <= atol + rtol *
    |numerical|`` everywhere.  Outputs that do not require grad are not
    checked, unless none does: then every numerical derivative must be zero.
    Inputs should be float64; they are perturbed in place and restored.

    Args:
        func: takes the ``inputs`` positionally, returns a tensor or a tuple.
        inputs: a tensor or a tuple of arguments (non-tensors are passed on).
        eps: the finite-difference step.
        atol, rtol: the tolerances of the comparison.
        raise_exception: raise ``GradcheckError`` on a mismatch (default)
            instead of returning False.

    Returns:
        True when every Jacobian matches.

    Example:
        >>> x = autograd.randn(3, dtype=autograd.float64, requires_grad=True)
        >>> autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, TensorBase) and x.requires_grad]
    if not wrt:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none "
            "of them have requires_grad=True."
        )
    for i in wrt:
        data = inputs[i]._data
        if data.dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {i} requires grad and is {data.dtype}, not float64; "
                "finite differences may be too imprecise for the check to pass",
                stacklevel=2,
            )
        overlapping = data.size > 0 and any(
            s == 0 and d > 1 for s, d in zip(data.strides, data.shape))
        if overlapping or not data.flags.writeable:
            # A perturbation of one element would move several (or none).
            raise RuntimeError(
                f"gradcheck: input {i} has a dimension with stride 0 or is read-only; "
                "gradcheck perturbs inputs element by element, so pass a tensor that "
                "owns its memory (e.g. x.clone() or x.contiguous())."
            )
    try:
        _check(func, inputs, wrt, eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check(func, inputs, wrt, eps, atol, rtol):
    outputs = _float_outputs(func, inputs)
    numerical = _numerical_jacobians(func, inputs, wrt, [o._data.size for o in outputs], eps)
    differentiable = [k for k, o in enumerate(outputs) if o.requires_grad]
    if not differentiable:
        for k in range(len(outputs)):
            for j, i in enumerate(wrt):
                if np.any(numerical[k][j] != 0):
                    raise GradcheckError(
                        f"Numerical gradient for function expected to be zero: no output "
                        f"requires grad, but output {k} changes with input {i}"
                    )
        return
    for k in differentiable:
        analytical = _analytical_jacobians(outputs[k], inputs, wrt)
        for j, i in enumerate(wrt):
            a, n = analytical[j], numerical[k][j]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                worst = np.max(np.abs(a - n))
                raise GradcheckError(
                    f"Jacobian mismatch for output {k} with respect to input {i}: "
                    f"largest difference {worst:.3g}\nnumerical:\n{n}\nanalytical:\n{a}"
                )


def _numerical_jacobians(func, inputs, wrt, sizes, eps):
    """``jac[k][j]``: d(output k)/d(input wrt[j]) as an (out size, in size) array."""
    jac = [[np.zeros((size, inputs[i]._data.size)) for i in wrt] for size in sizes]
    for j, i in enumerate(wrt):
        x = inputs[i]._data
        for e in range(x.size):
            index = np.unravel_index(e, x.shape)
            original = x[index].item()
            # Copy the values at once: an output may be a view of the input.
            x[index] = original + eps
            plus = [o._data.astype(np.float64) for o in _float_outputs(func, inputs)]
            x[index] = original - eps
            minus = [o._data.astype(np.float64) for o in _float_outputs(func, inputs)]
            x[index] = original
            for k in range(len(sizes)):
                jac[k][j][:, e] = (plus[k] - minus[k]).ravel() / (2 * eps)
    return jac


def _analytical_jacobians(out, inputs, wrt):
    """Row r of each Jacobian is the gradient of output element r."""
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


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True):
    """Check ``func``'s second derivatives against finite differences.

    The first-order gradients ``autograd.grad(func(*inputs), inputs,
    grad_outputs, create_graph=True)`` are themselves a function of the
    inputs and of ``grad_outputs``; ``gradcheck`` then compares the double
    backward through that function with central differences of it.

    Args:
        func: takes the ``inputs`` positionally, returns a tensor or a tuple.
        inputs: a tensor or a tuple of arguments (non-tensors are passed on).
        grad_outputs: the upstream gradients, one per output that requires
            grad; by default random float64-accurate values in [-1, 1) drawn
            from the generator ``autograd.manual_seed`` seeds, which require
            grad, so the dependence on them is checked too.
        eps, atol, rtol: as for ``gradcheck``.
        gen_non_contig_grad_outputs: make the default ``grad_outputs``
            non-contiguous.
        raise_exception: raise ``GradcheckError`` on a mismatch (default)
            instead of returning False.

    Returns:
        True when every second derivative matches.

    Example:
        >>> x = autograd.randn(3, dtype=autograd.float64, requires_grad=True)
        >>> autograd.gradgradcheck(lambda t: t.sin() * t, (x,))
        True
    """
    from autograd import _factories  # the generator is rebound by manual_seed

    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = [o for o in _float_outputs(func, inputs) if o.requires_grad]
        grad_outputs = []
        for o in outputs:
            shape = o._data.shape
            values = _factories._rng.uniform(-1.0, 1.0, size=shape).astype(o._data.dtype)
            if gen_non_contig_grad_outputs and values.ndim > 0:
                # Every other element of a buffer twice the size.
                buffer = np.repeat(values[..., None], 2, axis=-1)
                values = buffer[..., 0]
            g = make(values)
            g.requires_grad = True
            grad_outputs.append(g)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, TensorBase) and x.requires_grad]

    def first_order(*args):
        # The leaves are perturbed in place between calls, so each call
        # rebuilds the graph from the current values.
        outputs = [o for o in _as_tuple(func(*args[:n_in]))
                   if isinstance(o, TensorBase) and o.requires_grad]
        if len(outputs) != len(grad_outputs):
            raise RuntimeError(
                f"gradgradcheck: got {len(grad_outputs)} grad_outputs for "
                f"{len(outputs)} outputs that require grad"
            )
        grads = _graph.grad(tuple(outputs), tuple(args[i] for i in wrt), args[n_in:],
                            create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
