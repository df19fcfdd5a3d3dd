"""``autograd.Function``: operations with a hand-written backward.

    >>> class Exp(autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (y,) = ctx.saved_tensors
    ...         return grad * y
    >>> y = Exp.apply(autograd.tensor([0.], requires_grad=True))
    >>> y.grad_fn
    <ExpBackward object at ...>

Each call of ``apply`` makes one backward node, an instance of the class
``<Name>Backward`` made for the Function, which is also the ``ctx`` the
forward and backward receive (as in PyTorch, so ``y.grad_fn`` shows what
the forward stored on ``ctx``).  The node is written in Python; the engine
sees it as any other node.  A forward returning several tensors makes one
node with several outputs (see ``engine.graph.OutputEdge``).
"""
import functools
import inspect
import warnings
import weakref

import numpy as np

from engine import graph as _graph
from engine.grad_mode import is_grad_enabled, set_grad_enabled
from engine.tensor import TensorBase, format_shape, make

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable",
           "InplaceFunction", "NestedIOFunction"]


class FunctionCtx:
    """What ``forward`` (or ``setup_context``) may call on ``ctx``."""

    def save_for_backward(self, *tensors):
        """Save tensors (or None) for ``backward``, read as ``ctx.saved_tensors``.

        They are checked against in-place changes when read and freed after
        backward (unless ``retain_graph``).
        """
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, TensorBase):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of "
                    f"type {type(t).__name__}"
                )
        self.to_save = tensors

    def mark_dirty(self, *tensors):
        """Declare inputs that ``forward`` modified in place (and returns)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that get no gradient (e.g. indices)."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        """Whether ``backward`` gets zeros (True, the default) or None for
        outputs that received no gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(_graph.PyNode, FunctionCtx):
    """The backward node of one ``Function.apply`` call (and its ``ctx``)."""

    _forward_cls = None

    def _setup(self):
        d = self.__dict__
        d["materialize_grads"] = True
        d["to_save"] = None
        d["dirty_tensors"] = ()
        d["non_differentiable"] = ()
        d["_saved"] = None
        d["_freed"] = False
        d["_output_meta"] = ()
        d["_input_meta"] = ()
        d["_is_tensor_input"] = ()

    @property
    def saved_tensors(self):
        """The tensors ``save_for_backward`` saved (freed after backward)."""
        if self._freed:
            raise RuntimeError(_graph._FREED_MESSAGE)
        saved = self._saved
        if saved is None:
            return ()
        out = []
        for entry in saved:
            if entry is None:
                out.append(None)
                continue
            kind, value, version, extra = entry
            if kind == 0:          # an input or intermediate, kept as it is
                if value._version != version:
                    raise _graph.version_error(value, version)
                out.append(value)
            else:                  # an output, kept as its data: no reference cycle
                owner = extra()
                if owner is not None and owner._version != version:
                    raise _graph.version_error(owner, version, (kind - 1, self.name()))
                t = make(value)
                t._grad_fn = self if self._num_outputs == 1 else _graph.output_edge(self, kind - 1)
                out.append(t)
        return tuple(out)

    @property
    def saved_variables(self):
        return self.saved_tensors

    def release_variables(self):
        if self._saved is not None:
            self._saved = None
            self._freed = True

    def apply(self, grad):
        name = self.name()
        grads = list(grad) if self._num_outputs > 1 else [grad]
        if self.materialize_grads:
            for i, meta in enumerate(self._output_meta):
                if grads[i] is None and meta is not None:
                    grads[i] = make(np.zeros(meta[0], dtype=meta[1]))
        result = _user_backward(self._forward_cls)(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        expected = len(self._is_tensor_input)
        if len(result) > expected and all(r is None for r in result[expected:]):
            result = result[:expected]
        if len(result) != expected:
            raise RuntimeError(
                f"function {name} returned an incorrect number of gradients "
                f"(expected {expected}, got {len(result)})"
            )
        out = []
        edge = 0
        for i, g in enumerate(result):
            if not self._is_tensor_input[i]:
                if g is not None:
                    raise RuntimeError(
                        f"function {name} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a "
                        "Variable"
                    )
                continue
            meta = self._input_meta[edge]
            if g is not None and not isinstance(g, TensorBase):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            if g is None or meta is None:
                out.append(None)
            else:
                out.append(_validate_grad(name, edge, g, meta))
            edge += 1
        return tuple(out)


def _user_backward(cls):
    backward = cls.backward
    vjp = cls.vjp
    overrides_backward = backward is not Function.backward
    overrides_vjp = vjp is not Function.vjp
    if overrides_backward and overrides_vjp:
        raise RuntimeError(
            "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. "
            "You should only implement one of them."
        )
    return vjp if overrides_vjp else backward


def _expandable(shape, desired):
    if len(shape) > len(desired):
        return False
    for s, d in zip(reversed(shape), reversed(desired)):
        if s != d and s != 1:
            return False
    return True


def _validate_grad(name, index, g, meta):
    shape, dtype = meta
    if g._data.shape != shape:
        if not _expandable(shape, g._data.shape):
            raise RuntimeError(
                f"Function {name} returned an invalid gradient at index {index} - got "
                f"{format_shape(g._data.shape)} but expected shape compatible with "
                f"{format_shape(shape)}"
            )
        g = _graph._ops["sum_to"](g, shape)
    if g._data.dtype != dtype:
        g = _graph._ops["to_dtype"](g, dtype)
    return g


class FunctionMeta(type):
    """Gives each Function subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": cls.__module__})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class of operations with a custom backward.

    Subclasses define static ``forward(ctx, *args, **kwargs)`` (or
    ``forward(*args, **kwargs)`` plus ``setup_context(ctx, inputs, output)``)
    and ``backward(ctx, *grad_outputs)``, which returns one gradient (or
    None) per forward argument.  Call them with ``apply``.
    """

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions "
            "are all static, so you should invoke them on the class itself. Instantiating "
            "an autograd function will raise an error in a future version.",
            DeprecationWarning, stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. "
            "Please use new-style autograd function with static forward method."
        )

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def vjp(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it "
            "with forward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` (with grad mode off) and record the node.

        Example:
            >>> y = Exp.apply(x)
        """
        separate_setup = cls.setup_context is not Function.setup_context
        if separate_setup:
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        ctx = cls._backward_cls()
        ctx._setup()
        grad_on = is_grad_enabled()
        is_tensor = tuple([isinstance(a, TensorBase) for a in args])
        needs = tuple([grad_on and is_tensor[i] and (args[i]._requires_grad
                                                     or args[i]._grad_fn is not None)
                       for i in range(len(args))])
        ctx.needs_input_grad = needs
        differentiable = any(needs)
        if differentiable:
            # The edges come first: mark_dirty rebases an input's history.
            ctx._next = tuple([_graph.gradient_edge(a) if needs[i] else None
                               for i, a in enumerate(args) if is_tensor[i]])
            ctx._input_meta = tuple([(a._data.shape, a._data.dtype) if needs[i] else None
                                     for i, a in enumerate(args) if is_tensor[i]])
            ctx._is_tensor_input = is_tensor
            if _graph.is_anomaly_enabled():
                ctx._trace = _graph.forward_trace()
        previous = set_grad_enabled(False)
        try:
            if separate_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            set_grad_enabled(previous)
        return _wrap_outputs(ctx, args, output, differentiable)


def _wrap_outputs(ctx, args, output, differentiable):
    """Give the outputs their grad_fn and keep what ctx saved."""
    is_tuple = isinstance(output, tuple)
    outputs = output if is_tuple else (output,)
    dirty = {id(t) for t in ctx.dirty_tensors}
    non_diff = {id(t) for t in ctx.non_differentiable}
    inputs = {id(a) for a in args if isinstance(a, TensorBase)}
    for t in ctx.dirty_tensors:
        if id(t) not in inputs:
            raise ValueError("mark_dirty only accepts input tensors, but argument isn't one")
    n = len(outputs)
    ctx._num_outputs = n
    results = list(outputs)
    meta = [None] * n
    for i, o in enumerate(outputs):
        if not isinstance(o, TensorBase):
            continue
        meta[i] = (o._data.shape, o._data.dtype)
        if id(o) in dirty:
            if differentiable and o._grad_fn is None and o._requires_grad:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation."
                )
            o._version += 1
            target = o
        elif differentiable and (id(o) in inputs or o._grad_fn is not None or o._requires_grad):
            # The output of the op is a new tensor, even if forward returned an input.
            target = make(o._data)
        else:
            target = o
        results[i] = target
        if not differentiable or id(o) in non_diff or o._data.dtype.kind not in "fc":
            continue
        target._grad_fn = ctx if n == 1 else _graph.output_edge(ctx, i)
    ctx._output_meta = tuple(meta)
    if differentiable:
        _save(ctx, outputs, results)
    ctx.to_save = None
    ctx.dirty_tensors = ()
    ctx.non_differentiable = ()
    return tuple(results) if is_tuple else results[0]


def _save(ctx, outputs, results):
    to_save = ctx.to_save
    if to_save is None:
        return
    by_id = {id(o): i for i, o in enumerate(outputs) if isinstance(o, TensorBase)}
    saved = []
    for t in to_save:
        if t is None:
            saved.append(None)
            continue
        slot = by_id.get(id(t))
        if slot is None:
            saved.append((0, t, t._version, None))
        else:
            out = results[slot]
            saved.append((slot + 1, out._data, out._version, weakref.ref(out)))
    ctx._saved = tuple(saved)


def _raise_once(ctx, grad):
    raise RuntimeError(
        "trying to differentiate twice a function that was marked with @once_differentiable"
    )


def _delayed_error(value):
    if not isinstance(value, TensorBase) or value._data.dtype.kind not in "fc":
        return value
    stand_in = make(value._data)
    stand_in._requires_grad = True
    out = make(value._data)
    _graph.record(out, "DelayedError", _raise_once, (stand_in,), ())
    return out


def once_differentiable(fn):
    """Decorate a ``backward`` that is not itself differentiable.

    It runs with grad mode off; under ``create_graph`` its results are
    marked so that differentiating through them raises.
    """

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        previous = set_grad_enabled(False)
        try:
            outputs = fn(ctx, *args)
        finally:
            set_grad_enabled(previous)
        if not is_grad_enabled():
            return outputs
        if not any(isinstance(a, TensorBase) and a.requires_grad for a in args):
            return outputs
        if not isinstance(outputs, tuple):
            return _delayed_error(outputs)
        return tuple([_delayed_error(o) for o in outputs])

    return wrapper


class InplaceFunction(Function):
    """A Function that may work in place (``inplace`` flag), as PyTorch's."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class NestedIOFunction(Function):
    """Kept for name compatibility; not supported."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("NestedIOFunction is not supported")
