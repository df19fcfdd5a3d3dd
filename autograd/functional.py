"""Function transforms built on ``autograd.grad`` (``torch.autograd.functional``).

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp`` and ``hvp`` take a
function of tensors and the point to evaluate it at, and return the
requested products or matrices.  Structures follow PyTorch: a result has one
entry per input when ``inputs`` was a tuple and is a single tensor
otherwise; ``jacobian`` of several outputs and inputs nests as
``result[output][input]``.

This engine is reverse-mode only, so the forward-mode products (``jvp``,
``hvp``) use the double-backward trick: the vector-Jacobian product
``u -> J^T u`` is linear in ``u``, and differentiating it with respect to
``u`` against ``v`` gives ``J v``.  ``vectorize=True`` is accepted and runs
the same loop over output elements (results are identical, there is no
batched backward to speed it up); ``strategy="forward-mode"`` raises
``NotImplementedError``.

Note that this is not ``autograd.nn.functional`` (relu, softmax, losses).

    >>> import autograd
    >>> from autograd.functional import jacobian
    >>> jacobian(lambda x: x ** 2, autograd.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
"""
from engine import graph as _graph
from engine.shape_ops import stack
from engine.tensor import TensorBase, format_shape

from autograd._factories import zeros, zeros_like
from autograd.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


# ======================================================================
# Helpers shared by the transforms
# ======================================================================

def _as_tuple(value, arg_name, fn_name):
    """``(was_tuple, tuple_of_tensors)``; anything else is a TypeError."""
    was_tuple = isinstance(value, tuple)
    items = value if was_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, TensorBase):
            where = (f"the value at index {i} has type {type(item)}" if was_tuple
                     else f"the given {arg_name} has type {type(item)}")
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where}."
            )
    return was_tuple, items


def _unpack(result, was_tuple):
    """Undo ``_as_tuple`` on a result (one flag, or two for nested results:
    ``(outer, inner)``)."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(r[0] for r in result)
        if not outer:
            result = result[0]
        return result
    return result if was_tuple else result[0]


def _prepare(tensors, create_graph, need_graph):
    """Fresh tensor objects to call the function with.

    A new object per input tells the inputs the transform differentiates
    apart from the same tensors captured by the function's closure.  With
    ``create_graph`` an input that requires grad stays connected to the
    caller's graph (through a view), so the results are differentiable
    with respect to it; otherwise it is detached.
    """
    prepared = []
    for t in tensors:
        if create_graph and t.requires_grad:
            prepared.append(t.view_as(t))
        else:
            prepared.append(t.detach().requires_grad_(need_graph))
    return tuple(prepared)


def _finish(tensors, create_graph):
    """Detach results (recursively) unless the caller asked for a graph."""
    if create_graph:
        return tensors
    if tensors and isinstance(tensors[0], TensorBase):
        return tuple(t.detach() for t in tensors)
    return tuple(_finish(t, create_graph) for t in tensors)


def _validate_v(v, reference, reference_was_tuple):
    """``v`` must have one tensor per reference tensor, of the same shape."""
    if len(v) != len(reference):
        if reference_was_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(reference)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (vi, ri) in enumerate(zip(v, reference)):
        if tuple(vi.shape) != tuple(ri.shape):
            prefix = f"Entry {i} in " if reference_was_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {format_shape(ri.shape)} but got "
                f"{format_shape(vi.shape)}."
            )


def _require_v_for(tensors, what):
    if len(tensors) != 1 or tensors[0].numel() != 1:
        raise RuntimeError(
            f"The vector v can only be None if {what} a single Tensor with a single element."
        )


_STRICT_MESSAGES = {
    "outputs": ("Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided "
                 "function with respect to input {i} is independent of the input. This is "
                 "not allowed in strict mode. You should ensure that your function is twice "
                 "differentiable and that the jacobian depends on the inputs (this would be "
                 "violated by a linear function for example)."),
    "hessian": ("The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs."),
}


def _check_requires_grad(tensors, kind, strict):
    """In strict mode, every tensor must exist and depend on the inputs."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` that skips outputs which are None or need no grad
    and returns None for unused inputs (and for everything when no output
    is differentiable)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept, kept_grads = [], []
    for out, g in zip(outputs, grad_outputs):
        if out is not None and out.requires_grad:
            kept.append(out)
            kept_grads.append(g)
    if not kept:
        return (None,) * len(inputs)
    return _graph.grad(tuple(kept), tuple(inputs), tuple(kept_grads),
                       retain_graph=retain_graph, create_graph=create_graph,
                       allow_unused=True)


_INDEPENDENT = {
    "back": ("The output of the user-provided function is independent of input {i}. "
             "This is not allowed in strict mode."),
    "back_trick": ("The gradient with respect to the input is independent of entry {i} in "
                   "the grad_outputs when using the double backward trick to compute forward "
                   "mode gradients. This is not allowed in strict mode."),
    "double_back": ("The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode."),
    "double_back_trick": ("The hessian of the user-provided function is independent of entry "
                          "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                          "prevents from using the double backward trick to replace forward "
                          "mode AD."),
}


def _zeros_for_none(grads, references, strict, create_graph, stage):
    """Replace missing gradients by zeros shaped like their reference (or,
    in strict mode, raise)."""
    filled = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = zeros_like(references[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if stage.startswith("double") else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode when create_graph=True."
            )
        filled.append(g)
    return tuple(filled)


def _call(func, inputs, fn_name, strict):
    was_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                   fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    return was_tuple, outputs


# ======================================================================
# Products
# ======================================================================

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Args:
        func: takes the inputs positionally, returns a tensor or a tuple.
        inputs: a tensor or a tuple of tensors.
        v: like the outputs of ``func``; may be None only for a
            single-element output.
        create_graph: make the results differentiable.
        strict: raise instead of returning zeros when an output does not
            depend on an input.

    Returns:
        ``(func_output, vjp)``, ``vjp`` shaped like ``inputs``.

    Example:
        >>> x = autograd.tensor([1., 2.])
        >>> vjp(lambda t: t ** 2, x, autograd.tensor([1., 1.]))[1]
        tensor([2., 4.])
    """
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = _call(func, inputs, "vjp", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, outputs, outputs_tuple)
        else:
            _require_v_for(outputs, "the user-provided function returns")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(outputs, inputs, v, create_graph=create_graph)
        result = _zeros_for_none(grads, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(result, create_graph), inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs``.

    Computed with two backward passes (the double-backward trick), so
    ``func`` must be twice differentiable in this engine's sense: its
    first-order gradient formulas must themselves record a graph.

    Args:
        func: takes the inputs positionally, returns a tensor or a tuple.
        inputs: a tensor or a tuple of tensors.
        v: like ``inputs``; may be None only for a single-element input.
        create_graph, strict: as for ``vjp``.

    Returns:
        ``(func_output, jvp)``, ``jvp`` shaped like the outputs.

    Example:
        >>> x = autograd.tensor([1., 2.])
        >>> jvp(lambda t: t ** 2, x, autograd.tensor([1., 0.]))[1]
        tensor([2., 0.])
    """
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, inputs, inputs_tuple)
        else:
            _require_v_for(inputs, "the input to the user-provided function is")
        outputs_tuple, outputs = _call(func, inputs, "jvp", strict)
        # The first backward is linear in its upstream gradient, so that
        # gradient's values never reach the result; zeros keep inf/nan out.
        upstream = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        grad_inputs = _grad(outputs, inputs, upstream, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(grad_inputs, upstream, v, create_graph=create_graph)
        result = _zeros_for_none(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(result, create_graph), outputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Hessian product ``v^T H`` of a scalar function.

    Args:
        func: takes the inputs positionally, returns a one-element tensor.
        inputs: a tensor or a tuple of tensors.
        v: like ``inputs``; may be None only for a single-element input.
        create_graph, strict: as for ``vjp``.

    Returns:
        ``(func_output, vhp)``, ``vhp`` shaped like ``inputs``.

    Example:
        >>> x = autograd.tensor([1., 2.])
        >>> vhp(lambda t: (t ** 3).sum(), x, autograd.tensor([1., 1.]))[1]
        tensor([ 6., 12.])
    """
    with enable_grad():
        inputs_tuple, inputs, v, outputs_tuple, outputs = _scalar_call(
            func, inputs, v, create_graph, strict, "vhp")
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(jac, inputs, v, create_graph=create_graph)
        result = _zeros_for_none(grads, inputs, strict, create_graph, "double_back")
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(result, create_graph), inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian-vector product ``H v`` of a scalar function.

    Equal to ``vhp`` for the symmetric Hessians of twice continuously
    differentiable functions; computed with the double-backward trick.

    Args:
        func: takes the inputs positionally, returns a one-element tensor.
        inputs: a tensor or a tuple of tensors.
        v: like ``inputs``; may be None only for a single-element input.
        create_graph, strict: as for ``vjp``.

    Returns:
        ``(func_output, hvp)``, ``hvp`` shaped like ``inputs``.

    Example:
        >>> x = autograd.tensor([1., 2.])
        >>> hvp(lambda t: (t ** 3).sum(), x, autograd.tensor([1., 1.]))[1]
        tensor([ 6., 12.])
    """
    with enable_grad():
        inputs_tuple, inputs, v, outputs_tuple, outputs = _scalar_call(
            func, inputs, v, create_graph, strict, "hvp")
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        grad_jac = tuple(zeros_like(t).requires_grad_(True) for t in inputs)
        double_back = _grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(double_back, grad_jac, v, create_graph=create_graph)
        result = _zeros_for_none(grads, inputs, strict, create_graph, "double_back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(result, create_graph), inputs_tuple))


def _scalar_call(func, inputs, v, create_graph, strict, fn_name):
    """The shared front of ``vhp``/``hvp``: prepare inputs and ``v``, call
    ``func`` and check that it returned one single-element tensor."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _prepare(inputs, create_graph, need_graph=True)
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _prepare(v, create_graph, need_graph=False)
        _validate_v(v, inputs, inputs_tuple)
    else:
        _require_v_for(inputs, "the input to the user-provided function is")
    outputs_tuple, outputs = _call(func, inputs, fn_name, strict)
    if outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a "
            "single element"
        )
    return inputs_tuple, inputs, v, outputs_tuple, outputs


# ======================================================================
# Matrices
# ======================================================================

def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``, one backward pass per output
    element.

    Args:
        func: takes the inputs positionally, returns a tensor or a tuple.
        inputs: a tensor or a tuple of tensors.
        create_graph: make the Jacobian differentiable.
        strict: raise instead of returning zeros when an output does not
            depend on an input.
        vectorize: accepted for compatibility; the same loop runs (this
            engine has no batched backward), with the same results.
        strategy: only "reverse-mode"; "forward-mode" raises
            NotImplementedError.

    Returns:
        A tensor of shape ``output.shape + input.shape`` for one output
        and one input; ``result[i]`` per input (tuple inputs),
        ``result[o]`` per output (tuple outputs), ``result[o][i]`` for both.

    Example:
        >>> jacobian(lambda a, b: a * b, (autograd.tensor([1., 2.]), autograd.tensor([3., 4.])))
        (tensor([[3., 0.],
                [0., 4.]]), tensor([[1., 0.],
                [0., 2.]]))
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more '
            'performant. Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        raise NotImplementedError(
            'jacobian: strategy="forward-mode" is not supported: this engine implements '
            'reverse-mode differentiation only. Use strategy="reverse-mode" (the default).'
        )
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                "are not supported together. Please either set `strict=False` or "
                "`vectorize=False`."
            )
        jac = tuple(_jacobian_rows(i, out, inputs, create_graph, strict)
                    for i, out in enumerate(outputs))
        jac = _finish(jac, create_graph)
    return _unpack(jac, (outputs_tuple, inputs_tuple))


def _jacobian_rows(i, out, inputs, create_graph, strict):
    """d(out)/d(inputs[j]) for every j, each shaped ``out.shape + input.shape``."""
    rows = [[] for _ in inputs]
    flat = out.reshape(-1)
    for e in range(out.numel()):
        grads = _grad((flat[e],), inputs, retain_graph=True, create_graph=create_graph)
        for j, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of input "
                        f"{j}. This is not allowed in strict mode."
                    )
                g = zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(
                    f"The jacobian of the user-provided function is independent of input "
                    f"{i}. This is not allowed in strict mode when create_graph=True."
                )
            rows[j].append(g)
    blocks = []
    for j, inp in enumerate(inputs):
        shape = tuple(out.shape) + tuple(inp.shape)
        if rows[j]:
            blocks.append(stack(rows[j], 0).reshape(shape))
        else:
            # An output with no elements: nothing to stack.
            blocks.append(zeros(shape, dtype=inp.dtype))
    return tuple(blocks)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient.

    Args:
        func: takes the inputs positionally, returns a one-element tensor.
        inputs: a tensor or a tuple of tensors.
        create_graph, strict, vectorize: as for ``jacobian``.
        outer_jacobian_strategy: only "reverse-mode".

    Returns:
        A tensor of shape ``input.shape + input.shape`` for one input;
        ``result[i][j]`` (shape ``inputs[i].shape + inputs[j].shape``) for
        a tuple of inputs.

    Example:
        >>> hessian(lambda t: (t ** 3).sum(), autograd.tensor([1., 2.]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar(*args):
        out = func(*args)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a "
                "single element"
            )
        return out.reshape(())

    def gradient(*args):
        jac = jacobian(scalar, args, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack(result, (inputs_tuple, inputs_tuple))
