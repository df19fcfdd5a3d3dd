"""Backward nodes, the edges between them, and the backward traversal.

A node is created by an op only when grad mode is on and an input requires
grad.  It refers to the nodes of its inputs (``_next``), never to its own
output, so tensors and nodes form no reference cycles and the graph is freed
as soon as the last reference to its root goes.  A leaf that requires grad
gets one ``AccumulateGrad`` node, which the leaf holds weakly (the node holds
the leaf strongly) so every use of the leaf shares it while any graph does.
"""
import itertools
import os
import sys
from collections import OrderedDict
import traceback
import warnings
import weakref

import cython
import numpy as np

from engine.grad_mode import is_grad_enabled, set_grad_enabled

if not cython.compiled:
    from engine.tensor import TensorBase, format_shape, make

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the "
    "graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)

# Ops the traversal needs, registered by the op modules that define them
# (they are imported after this module).
_ops = {}

# Every backward pass gets a fresh number so nodes can tell whether the
# current pass has counted them without a per-pass set.
_epoch_counter = [0]

# Anomaly mode (autograd.detect_anomaly): global, as in PyTorch.
_anomaly_enabled = False
_anomaly_check_nan = True

_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# Frames of these files are the library's plumbing, not the user's forward.
_PLUMBING = (
    os.path.join(os.path.dirname(_ENGINE_DIR[:-1]), "autograd", "_tensor.py"),
    os.path.join(os.path.dirname(_ENGINE_DIR[:-1]), "autograd", "function.py"),
)

_LEGACY_TYPE_NAMES = {
    "float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor",
    "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor",
    "int32": "IntTensor", "int64": "LongTensor", "bool": "BoolTensor",
}


def register_ops(**ops):
    """Give the traversal the ops it needs (``sum_to``, ``add``, ``to_dtype``,
    and ``add_arrays``, ``add_in_place`` for gradient arrays)."""
    _ops.update(ops)


# ======================================================================
# Nodes
# ======================================================================

# A deep graph is freed node by node, each dealloc dropping the last
# reference to the next node; the trashcan defers that nesting once it gets
# deep.  (``cclass`` must come last: Cython reads these bottom-up and allows
# ``trashcan`` only on extension types.)
@cython.trashcan(True)
@cython.cclass
class Node:
    """A backward function: turns the gradient of its output into gradients
    of its inputs and hands them to ``next_functions``."""

    def apply(self, grad) -> tuple:
        raise NotImplementedError

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple([(n.target, n.slot) if isinstance(n, OutputEdge) else (n, 0)
                      for n in self._next])

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class FunctionNode(Node):
    """The node of a built-in op; its formula lives beside the op's forward."""

    def name(self):
        return self._name

    @property
    def saved(self):
        """What the forward saved for the formula (freed after backward).

        Raises PyTorch's error if an in-place op has changed a saved tensor
        since it was saved."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        saved = self._saved
        if len(saved) != 0:
            _check_saved_versions(self, saved)
        return saved

    @property
    def result(self):
        """The op's output, or None if the op did not save it.  Under
        ``create_graph`` it is differentiable through this very node, so
        formulas that use it (exp, tanh, ...) have correct higher derivatives."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        if self._result is None:
            return None
        if self._result_ref is not None:
            owner = self._result_ref()
            if owner is not None and (cython.cast(TensorBase, owner))._version != self._result_version:
                raise version_error(owner, self._result_version, (0, self.name()))
        out: TensorBase = make(self._result)
        if is_grad_enabled():
            out._grad_fn = self
        return out

    @property
    def attrs(self):
        return self._attrs

    def _release(self):
        if self._result is not None:
            self._result = None
            self._freed = True
        saved = self._saved
        if saved is not None and len(saved) > 0:
            self._saved = None
            self._freed = True

    def apply(self, grad) -> tuple:
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        grads = self._backward(self, grad)
        n: cython.Py_ssize_t = len(self._next)
        if type(grads) is not tuple or len(grads) != n:
            raise RuntimeError(
                f"function {self._name} returned an incorrect number of gradients "
                f"(expected {n})"
            )
        if self._meta is None:
            return grads
        fixed = None
        i: cython.Py_ssize_t
        for i in range(n):
            g = grads[i]
            if g is None:
                continue
            meta = self._meta[i]
            if meta is None:
                continue
            shape, dtype = meta
            if not _has_layout((cython.cast(TensorBase, g))._data, shape, dtype):
                if fixed is None:
                    fixed = list(grads)
                fixed[i] = _reshape_grad(self._name, g, shape, dtype)
        if fixed is not None:
            return tuple(fixed)
        return grads


@cython.cfunc
def _check_saved_versions(node: FunctionNode, saved: tuple) -> object:
    i: cython.Py_ssize_t
    expected: cython.Py_ssize_t
    for i in range(len(saved)):
        x = saved[i]
        if isinstance(x, TensorBase):
            if i == 0:
                expected = node._sv0
            elif i == 1:
                expected = node._sv1
            else:
                expected = node._sv_rest[i - 2]
            if (cython.cast(TensorBase, x))._version != expected:
                raise version_error(x, expected)
    return None


@cython.cfunc
def _store_versions(node: FunctionNode, saved: tuple) -> object:
    """Remember the versions of the saved tensors (two inline, more in a tuple)."""
    n: cython.Py_ssize_t = len(saved)
    x = saved[0]
    if isinstance(x, TensorBase):
        node._sv0 = (cython.cast(TensorBase, x))._version
    if n > 1:
        x = saved[1]
        if isinstance(x, TensorBase):
            node._sv1 = (cython.cast(TensorBase, x))._version
        if n > 2:
            node._sv_rest = tuple([(cython.cast(TensorBase, y))._version
                                   if isinstance(y, TensorBase) else 0 for y in saved[2:]])
    return None


def type_description(t):
    """``[autograd.FloatTensor [3]]``: how PyTorch names a tensor in its errors."""
    tb: TensorBase = t
    legacy = _LEGACY_TYPE_NAMES.get(tb._data.dtype.name, str(tb._data.dtype))
    return f"[autograd.{legacy} {format_shape(tb._data.shape)}]"


def version_error(t, expected, output_of=None):
    """PyTorch's error for a saved tensor that an in-place op has modified.

    ``output_of`` is ``(slot, node name)``; by default the tensor's own
    grad_fn (none for a leaf)."""
    tb: TensorBase = t
    if output_of is None and tb._grad_fn is not None:
        fn = tb._grad_fn
        if isinstance(fn, OutputEdge):
            output_of = ((cython.cast(OutputEdge, fn)).slot,
                         (cython.cast(OutputEdge, fn)).target.name())
        else:
            output_of = (0, fn.name())
    where = "" if output_of is None else f", which is output {output_of[0]} of {output_of[1]},"
    if _anomaly_enabled:
        hint = ("Hint: the backtrace further above shows the operation that failed to "
                "compute its gradient. The variable in question was changed in there or "
                "anywhere later. Good luck!")
    else:
        hint = ("Hint: enable anomaly detection to find the operation that failed to compute "
                "its gradient, with autograd.set_detect_anomaly(True).")
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {type_description(t)}{where} is at version {tb._version}; "
        f"expected version {expected} instead. {hint}"
    )


def _reshape_grad(name, g, shape, dtype):
    """Sum a broadcast gradient back to its input's shape and cast it to the
    input's dtype (the one shared place that undoes broadcasting)."""
    if g._data.shape != shape:
        try:
            g = _ops["sum_to"](g, shape)
        except ValueError:
            raise RuntimeError(
                f"Function {name} returned an invalid gradient: got shape "
                f"{format_shape(g._data.shape)} but expected shape {format_shape(shape)}"
            ) from None
    if g._data.dtype != dtype:
        g = _ops["to_dtype"](g, dtype)
    return g


class AccumulateGrad(Node):
    """The node of a leaf: adds the incoming gradient into ``variable.grad``."""

    def apply(self, grad) -> tuple:
        var: TensorBase = self.variable
        g: TensorBase = grad
        if not _same_layout(g._data, var._data):
            g = _reshape_grad("AccumulateGrad", g, var._data.shape, var._data.dtype)
        if is_grad_enabled():
            # create_graph: keep .grad differentiable, so add out of place.
            if var._grad is None:
                var._grad = g
            else:
                var._grad = _ops["add"](var._grad, g)
        elif var._grad is None:
            # The incoming buffer may alias another gradient (add's backward
            # hands the same tensor to both inputs), so only a buffer the
            # traversal summed itself is taken without a copy.
            if self._buffer_owned and g is grad:
                var._grad = make(g._data)
            else:
                var._grad = make(g._data.copy())
        else:
            current: TensorBase = var._grad
            if current._grad_fn is None:
                np.add(current._data, g._data, out=current._data)
                current._version += 1
            else:
                var._grad = make(current._data + g._data)
        return ()


@cython.cfunc
def _sole_reference(grad) -> cython.bint:
    """Is the gradient ``grad`` referenced only by the caller's one local, and
    its array only by ``grad``, owning its memory or viewing (a reshape,
    say) an array that owns its memory and that only this view holds?  Then
    nobody else can see it, and a leaf can take it as its ``.grad`` without
    a copy, as PyTorch steals such a gradient.  (Uncompiled, reference counts
    are not that predictable: never.)"""
    if not cython.compiled:
        return False
    if not isinstance(grad, TensorBase):
        return False
    # borrowed pointers: reading the counts adds no reference
    data = (cython.cast(TensorBase, grad))._data
    if _Py_REFCNT(cython.cast(cython.pointer(PyObject), grad)) != 1 \
            or _Py_REFCNT(cython.cast(cython.pointer(PyObject), data)) != 2:
        return False   # data: grad._data and the local above
    a: cnp.ndarray = cython.cast(cnp.ndarray, data)
    base: cython.pointer(PyObject) = cython.cast(cython.pointer(PyObject), cnp.PyArray_BASE(a))
    if base == cython.NULL:
        return cnp.PyArray_CHKFLAGS(a, cnp.NPY_ARRAY_OWNDATA)
    if _Py_REFCNT(base) != 1 or not cnp.PyArray_CheckExact(cython.cast(object, base)):
        return False   # base: held by the view alone
    b: cnp.ndarray = cython.cast(cnp.ndarray, cython.cast(object, base))
    return cnp.PyArray_BASE(b) == cython.NULL and cnp.PyArray_CHKFLAGS(b, cnp.NPY_ARRAY_OWNDATA)


class PyNode(Node):
    """Base of nodes whose ``apply`` is written in Python (custom Functions).

    A node with several outputs is reached through one ``OutputEdge`` per
    output; its traversal buffer is then a list with one gradient (or None)
    per output slot.
    """

    def release_variables(self):
        """Free what the node saved; called after backward unless retain_graph."""


@cython.final
@cython.cclass
class OutputEdge(Node):
    """Output ``slot`` of a multi-output node: the ``grad_fn`` its tensor
    holds.  It hands the gradient of that output to the shared node, so the
    single-output path of the traversal is untouched."""

    def apply(self, grad) -> tuple:
        target: Node = self.target
        buf = target._buffer
        if buf is None:
            buf = [None] * (cython.cast(PyNode, target))._num_outputs
            target._buffer = buf
            target._buffer_owned = False
        # Each slot has exactly one OutputEdge, and its gradient arrives summed.
        buf[self.slot] = grad
        return (None,)

    def name(self):
        return self.target.name()


def output_edge(node, slot):
    """The node a tensor that is output ``slot`` of ``node`` holds as grad_fn."""
    edge: OutputEdge = OutputEdge.__new__(OutputEdge)
    edge.target = node
    edge.slot = slot
    edge._next = (node,)
    edge.needs_input_grad = (True,)
    return edge


# ======================================================================
# Tensor hooks
# ======================================================================

_handle_ids = itertools.count()


class RemovableHandle:
    """Returned by every ``register_*hook``: ``remove()`` unregisters the hook.

    Works as a context manager too (the hook is removed on exit).
    """

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(_handle_ids)
        if extra_dict is None:
            extra_dict = ()
        elif not isinstance(extra_dict, (list, tuple)):
            extra_dict = (extra_dict,)
        self.extra_dict_ref = tuple([weakref.ref(d) for d in extra_dict])

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def __repr__(self):
        return f"<RemovableHandle id={self.id}>"


class _TensorHooks:
    """The gradient hooks of one tensor: the user's, in registration order,
    then the one that fills ``.grad`` of a non-leaf that retains it.

    A non-leaf's live on its grad_fn; a leaf's on the leaf itself, shared
    with its AccumulateGrad node whenever one exists."""

    def __init__(self):
        self.hooks = OrderedDict()
        self.retain = None          # weakref to the non-leaf that retains its grad


def _hooks_of(tb: TensorBase):
    if tb._grad_fn is None:
        holder = tb._hooks
        if holder is None:
            holder = _TensorHooks()
            tb._hooks = holder
        ref = tb._grad_accumulator
        if ref is not None:
            acc = ref()
            if acc is not None:
                (cython.cast(Node, acc))._pre_hooks = holder
        return holder
    node: Node = tb._grad_fn
    holder = node._pre_hooks
    if holder is None:
        holder = _TensorHooks()
        node._pre_hooks = holder
    return holder


def register_tensor_hook(t, hook):
    """``Tensor.register_hook``: call ``hook(grad)`` whenever the gradient of
    ``t`` is computed; a tensor it returns replaces the gradient."""
    tb: TensorBase = t
    if not (tb._requires_grad or tb._grad_fn is not None):
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    holder = _hooks_of(tb)
    handle = RemovableHandle(holder.hooks)
    holder.hooks[handle.id] = hook
    return handle


def retain_grad(t):
    """``Tensor.retain_grad``: have backward fill ``.grad`` of a non-leaf."""
    tb: TensorBase = t
    if not (tb._requires_grad or tb._grad_fn is not None):
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if tb._grad_fn is None or tb._retains_grad:
        return None
    holder = _hooks_of(tb)
    holder.retain = weakref.ref(tb)
    tb._retains_grad = True
    return None


def _hook_name(hook):
    return getattr(hook, "__name__", type(hook).__name__)


def _check_hook_result(hook, grad, result):
    if not isinstance(result, TensorBase):
        raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
    r: TensorBase = result
    g: TensorBase = grad
    if r._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")
    if r._data.dtype != g._data.dtype:
        was = type_description(g).split(" ")[0][1:]
        got = type_description(r).split(" ")[0][1:]
        raise RuntimeError(
            f"hook '{_hook_name(hook)}' has changed the type of value (was {was} got {got})"
        )
    return result


@cython.cfunc
def _call_pre_hooks(node: Node, grad) -> object:
    """Run the hooks on a node's incoming gradient; return the gradient to use."""
    holder = node._pre_hooks
    hooks = holder.hooks
    if hooks:
        for hook in tuple(hooks.values()):
            result = hook(grad)
            if result is not None:
                grad = _check_hook_result(hook, grad, result)
    ref = holder.retain
    if ref is not None:
        t = ref()
        if t is not None:
            tb: TensorBase = t
            g: TensorBase = grad
            if is_grad_enabled():
                tb._grad = g if tb._grad is None else _ops["add"](tb._grad, g)
            elif tb._grad is None:
                tb._grad = make(g._data.copy())
            else:
                tb._grad = make((cython.cast(TensorBase, tb._grad))._data + g._data)
    # A hook may keep the tensor it was given: never add into it afterwards.
    node._buffer_owned = False
    return grad


# ======================================================================
# Anomaly mode
# ======================================================================

def set_anomaly_enabled(mode, check_nan=True):
    """Turn anomaly mode on or off; returns the previous ``(mode, check_nan)``."""
    global _anomaly_enabled, _anomaly_check_nan
    previous = (bool(_anomaly_enabled), bool(_anomaly_check_nan))
    _anomaly_enabled = bool(mode)
    _anomaly_check_nan = bool(check_nan)
    return previous


def is_anomaly_enabled():
    return bool(_anomaly_enabled)


def is_anomaly_check_nan_enabled():
    return bool(_anomaly_check_nan)


def forward_trace():
    """The stack of the forward call creating a node, without engine frames."""
    # From the innermost Python frame: compiled, the callers' frames are the
    # only ones (extract_stack() alone would skip the innermost).
    frames = [f for f in traceback.extract_stack(sys._getframe())
              if not f.filename.startswith(_ENGINE_DIR) and f.filename not in _PLUMBING]
    return traceback.StackSummary.from_list(frames)


def _apply_anomaly(node: Node, grad):
    """``node.apply`` with anomaly checks: NaN gradients raise, and any error
    is preceded by a warning showing where the node was created."""
    try:
        grads = node.apply(grad)
        if _anomaly_check_nan and grads is not None:
            i: cython.Py_ssize_t
            for i in range(len(grads)):
                g = grads[i]
                if isinstance(g, TensorBase) and (cython.cast(TensorBase, g))._data.dtype.kind in "fc":
                    if np.isnan((cython.cast(TensorBase, g))._data).any():
                        raise RuntimeError(
                            f"Function '{node.name()}' returned nan values in its {i}th output."
                        )
    except Exception:
        trace = node._trace
        if trace is not None:
            warnings.warn(
                f"Error detected in {node.name()}. Traceback of forward call that caused "
                "the error:\n" + "".join(trace.format()),
                UserWarning, stacklevel=2,
            )
        raise
    return grads


@cython.ccall
def gradient_edge(t: TensorBase) -> Node:
    """The node that a gradient for ``t`` flows into."""
    if t._grad_fn is not None:
        return t._grad_fn
    if not t._requires_grad:
        return None
    ref = t._grad_accumulator
    if ref is not None:
        node = ref()
        if node is not None:
            return node
    acc: AccumulateGrad = AccumulateGrad.__new__(AccumulateGrad)
    acc.variable = t
    acc._next = ()
    acc.needs_input_grad = ()
    acc._pre_hooks = t._hooks
    t._grad_accumulator = weakref.ref(acc)
    return acc


@cython.ccall
@cython.exceptval(check=False)
def any_requires_grad(inputs: tuple) -> cython.bint:
    for x in inputs:
        if isinstance(x, TensorBase):
            t: TensorBase = x
            if t._requires_grad or t._grad_fn is not None:
                return True
    return False


@cython.ccall
def record(out: TensorBase, name: str, backward, inputs: tuple, saved: tuple,
           save_result: cython.bint = False, attrs=None) -> object:
    """Attach a backward node to ``out`` if grad mode is on and an input
    requires grad; otherwise do nothing.

    ``inputs`` lists the op's operands in order (non-tensors are allowed and
    get no edge); ``saved`` is what the formula reads as ``node.saved`` and
    is freed after backward; ``attrs`` is non-tensor state kept for good.
    """
    if out._grad_fn is not None:
        _note_rewrite(out)
    if not is_grad_enabled():
        return None
    # One and two operands (nearly every op) build their tuples directly:
    # recording is the per-op cost that small tensors pay.
    n: cython.Py_ssize_t = len(inputs)
    od = out._data
    r0: cython.bint
    r1: cython.bint
    if n == 1:
        x0 = inputs[0]
        if not _requires_grad(x0):
            return None
        node: FunctionNode = FunctionNode.__new__(FunctionNode)
        node._next = (gradient_edge(x0),)
        node.needs_input_grad = _NEEDS_ONE
        m0 = _input_meta(x0, od)
        node._meta = None if m0 is None else (m0,)
    elif n == 2:
        x0 = inputs[0]
        x1 = inputs[1]
        r0 = _requires_grad(x0)
        r1 = _requires_grad(x1)
        if not (r0 or r1):
            return None
        node = FunctionNode.__new__(FunctionNode)
        node._next = (gradient_edge(x0) if r0 else None, gradient_edge(x1) if r1 else None)
        node.needs_input_grad = _NEEDS_TWO[r0 + 2 * r1]
        m0 = _input_meta(x0, od) if r0 else None
        m1 = _input_meta(x1, od) if r1 else None
        node._meta = None if m0 is None and m1 is None else (m0, m1)
    else:
        if not any_requires_grad(inputs):
            return None
        node = FunctionNode.__new__(FunctionNode)
        nexts = [None] * n
        needs = [False] * n
        meta = [None] * n
        i: cython.Py_ssize_t
        for i in range(n):
            x = inputs[i]
            if _requires_grad(x):
                nexts[i] = gradient_edge(x)
                needs[i] = True
                meta[i] = _input_meta(x, od)
        node._next = tuple(nexts)
        node.needs_input_grad = tuple(needs)
        node._meta = tuple(meta)
    node._name = name
    node._backward = backward
    node._saved = saved
    if len(saved) != 0:
        _store_versions(node, saved)
    node._attrs = attrs
    if save_result:
        node._result = od
        node._result_version = out._version
    if _anomaly_enabled:
        node._trace = forward_trace()
    out._grad_fn = node
    return None


if cython.compiled:
    cnp.import_array()

_NEEDS_ONE = (True,)
_NEEDS_TWO = ((False, False), (True, False), (False, True), (True, True))


@cython.cfunc
@cython.inline
def _requires_grad(x) -> cython.bint:
    if not isinstance(x, TensorBase):
        return False
    t: TensorBase = cython.cast(TensorBase, x)
    return t._requires_grad or t._grad_fn is not None


@cython.cfunc
def _input_meta(x, out_data) -> object:
    """What apply() checks an input's gradient against: None when the input
    has the output's shape and dtype (a formula's gradient then has them too),
    else the input's (shape, dtype)."""
    data = (cython.cast(TensorBase, x))._data
    if _same_layout(data, out_data):
        return None
    return (data.shape, data.dtype)


@cython.cfunc
def _same_layout(a, b) -> cython.bint:
    """Do the numpy arrays ``a`` and ``b`` have one shape and one dtype?"""
    if cython.compiled:
        x: cnp.ndarray = cython.cast(cnp.ndarray, a)
        y: cnp.ndarray = cython.cast(cnp.ndarray, b)
        # builtin dtypes are singletons: the pointer test settles nearly all
        return ((cnp.PyArray_DESCR(x) is cnp.PyArray_DESCR(y) or a.dtype == b.dtype)
                and same_shape(a, b))
    return a.shape == b.shape and a.dtype == b.dtype


@cython.cfunc
def same_shape(x, y) -> cython.bint:
    """Do the numpy arrays ``x`` and ``y`` have one shape?  (compiled engine only)"""
    a: cnp.ndarray = cython.cast(cnp.ndarray, x)
    b: cnp.ndarray = cython.cast(cnp.ndarray, y)
    nd: cython.int = cnp.PyArray_NDIM(a)
    if cnp.PyArray_NDIM(b) != nd:
        return False
    dx: cython.pointer(cnp.npy_intp) = cnp.PyArray_DIMS(a)
    dy: cython.pointer(cnp.npy_intp) = cnp.PyArray_DIMS(b)
    i: cython.int
    for i in range(nd):
        if dx[i] != dy[i]:
            return False
    return True


@cython.cfunc
def _has_layout(a, shape: tuple, dtype) -> cython.bint:
    """Has the numpy array ``a`` this shape (a tuple of ints) and dtype?"""
    if cython.compiled:
        x: cnp.ndarray = cython.cast(cnp.ndarray, a)
        nd: cython.Py_ssize_t = cnp.PyArray_NDIM(x)
        same_descr: cython.bint = (cython.cast(cython.p_void, cnp.PyArray_DESCR(x))
                                   == cython.cast(cython.p_void, dtype))
        if nd != len(shape) or not (same_descr or a.dtype == dtype):
            return False
        dims: cython.pointer(cnp.npy_intp) = cnp.PyArray_DIMS(x)
        i: cython.Py_ssize_t
        for i in range(nd):
            if dims[i] != cython.cast(cnp.npy_intp, shape[i]):
                return False
        return True
    return a.shape == shape and a.dtype == dtype


@cython.cfunc
def _note_rewrite(out: TensorBase) -> object:
    """``out`` already has a node, so an in-place op is rewriting it: if that
    node saved ``out`` as its result, let it watch ``out``'s version (a weak
    reference, made only here, so that the check costs nothing otherwise)."""
    old = out._grad_fn
    if isinstance(old, FunctionNode):
        node: FunctionNode = old
        if node._result is not None and node._result_ref is None and node._result is out._data:
            node._result_ref = weakref.ref(out)
    return None


def mark_rewritten(t):
    """Call before an in-place op changes ``t`` without recording a node
    (``record`` does this itself), so a backward that needs ``t`` as saved
    by its grad_fn detects the change."""
    tb: TensorBase = t
    if tb._grad_fn is not None:
        _note_rewrite(tb)
    return None


# ======================================================================
# The backward traversal
# ======================================================================

def _root_gradients(tensors, grad_tensors, caller):
    """Check the roots and build their initial gradients."""
    if not isinstance(tensors, (tuple, list)):
        tensors = (tensors,)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif not isinstance(grad_tensors, (tuple, list)):
        grad_tensors = (grad_tensors,)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"{caller}: got {len(grad_tensors)} gradients for {len(tensors)} tensors"
        )
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, TensorBase):
            raise TypeError(f"{caller}: expected a Tensor, got {type(t).__name__}")
        tb: TensorBase = t
        if not (tb._requires_grad or tb._grad_fn is not None):
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if tb._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            # np.ones is Python code around empty and copyto: microseconds
            # that every loss.backward() would pay
            seed = np.empty(tb._data.shape, dtype=tb._data.dtype)
            seed.fill(1)
            g = make(seed)
        else:
            if not isinstance(g, TensorBase):
                g = make(np.asarray(g, dtype=tb._data.dtype))
            gb: TensorBase = g
            if gb._data.shape != tb._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of "
                    f"{format_shape(gb._data.shape)} and output[{i}] has a shape of "
                    f"{format_shape(tb._data.shape)}."
                )
            if gb._data.dtype != tb._data.dtype:
                g = _ops["to_dtype"](gb, tb._data.dtype)
        roots.append((gradient_edge(tb), g))
    return roots


@cython.cfunc
def _add_to_buffer(node: Node, g, create_graph: cython.bint) -> cython.void:
    """Sum one more incoming gradient into ``node``'s buffer, in place once
    the buffer is one this traversal allocated."""
    current = node._buffer
    if current is None:
        node._buffer = g
        node._buffer_owned = False
    elif create_graph:
        node._buffer = _ops["add"](current, g)
    elif node._buffer_owned:
        c: TensorBase = current
        _ops["add_in_place"](c._data, (cython.cast(TensorBase, g))._data)
    else:
        node._buffer = make(_ops["add_arrays"]((cython.cast(TensorBase, current))._data,
                                               (cython.cast(TensorBase, g))._data))
        node._buffer_owned = True


def run_backward(roots, keep_graph, create_graph, capture=None):
    """Propagate the root gradients to every reachable node.

    ``roots`` is a list of ``(node, gradient)``.  With ``capture`` (a dict
    from node to slot, used by ``autograd.grad``) the gradient arriving at
    each captured node is returned in its slot instead of being accumulated
    into ``.grad``.

    The recursive algorithm would be::

        def visit(node, grad):
            for next, g in zip(node.next, node.apply(grad)):
                visit(next, g)

    which revisits shared subgraphs and overflows the stack on deep graphs.
    Instead: count, for every reachable node, how many edges point at it;
    then run nodes from a ready stack, each once, when all its incoming
    gradients have been summed.
    """
    _epoch_counter[0] += 1
    epoch: cython.Py_ssize_t = _epoch_counter[0]
    # Both passes walk ``visited`` as their stack, by index: popping a
    # Python list shrinks (reallocates) it whenever it drops below half,
    # which on a chain happened at every node.
    visited = []
    node: Node
    nxt: Node
    for root, _g in roots:
        if root is not None:
            node = root
            if node._epoch != epoch:
                node._epoch = epoch
                node._deps = 0
                visited.append(node)
    # Pass 1: dependency counts, iteratively (every node is appended once,
    # and each appended node is expanded once).
    k: cython.Py_ssize_t = 0
    while k < len(visited):
        node = visited[k]
        k += 1
        for n in node._next:
            if n is None:
                continue
            nxt = n
            if nxt._epoch != epoch:
                nxt._epoch = epoch
                nxt._deps = 0
                visited.append(nxt)
            nxt._deps += 1

    results = [None] * len(capture) if capture is not None else None
    anomaly: cython.bint = _anomaly_enabled
    previous_mode = set_grad_enabled(create_graph)
    try:
        for root, g in roots:
            if root is not None:
                _add_to_buffer(root, g, create_graph)
        ready = []
        top: cython.Py_ssize_t = 0   # ready[:top] is the stack; slots above are stale
        for root, _g in roots:
            if root is not None:
                node = root
                if node._deps == 0 and node._epoch == epoch:
                    node._deps = -1  # queued
                    ready.append(node)
                    top += 1
        # Pass 2: run each node once all of its gradients have arrived.
        while top > 0:
            top -= 1
            node = ready[top]
            ready[top] = None
            grad = node._buffer
            node._buffer = None
            if node._pre_hooks is not None and grad is not None:
                grad = _call_pre_hooks(node, grad)
            if capture is not None:
                slot = capture.get(node)
                if slot is not None:
                    results[slot] = grad
                if isinstance(node, AccumulateGrad):
                    continue
            nexts = node._next
            # drop the previous node's gradients first: a leaf's gradient
            # that nothing else holds is then taken without a copy
            grads = None
            g = None
            if grad is not None and not create_graph and isinstance(node, AccumulateGrad) \
                    and not node._buffer_owned and _sole_reference(grad):
                node._buffer_owned = True
            if grad is not None:
                if anomaly:
                    grads = _apply_anomaly(node, grad)
                else:
                    grads = node.apply(grad)
                if node._buffer_owned:
                    node._buffer_owned = False
            if not keep_graph:
                if isinstance(node, FunctionNode):
                    (cython.cast(FunctionNode, node))._release()
                elif isinstance(node, PyNode):
                    node.release_variables()
            i: cython.Py_ssize_t
            for i in range(len(nexts)):
                n = nexts[i]
                if n is None:
                    continue
                nxt = n
                if grads is not None:
                    g = grads[i]
                    if g is not None:
                        _add_to_buffer(nxt, g, create_graph)
                nxt._deps -= 1
                if nxt._deps == 0:
                    if top < len(ready):
                        ready[top] = nxt
                    else:
                        ready.append(nxt)
                    top += 1
    finally:
        set_grad_enabled(previous_mode)
        for n in visited:
            nxt = n
            nxt._buffer = None
            nxt._buffer_owned = False
            nxt._deps = 0
    return results


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute the gradients of ``tensors`` and accumulate them into the
    ``.grad`` of the leaves (PyTorch's ``torch.autograd.backward``)."""
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_gradients(tensors, grad_tensors, "backward")
    if inputs is not None:
        raise NotImplementedError("backward(inputs=...) is not supported yet")
    run_backward(roots, bool(retain_graph), bool(create_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Return the gradients of ``outputs`` with respect to ``inputs``
    without touching any ``.grad`` (PyTorch's ``torch.autograd.grad``)."""
    if retain_graph is None:
        retain_graph = create_graph
    single = isinstance(inputs, TensorBase)
    if single:
        inputs = (inputs,)
    inputs = tuple(inputs)
    capture = {}
    nodes = []
    for i, t in enumerate(inputs):
        if not isinstance(t, TensorBase):
            raise TypeError(f"grad: inputs[{i}] is a {type(t).__name__}, not a Tensor")
        tb: TensorBase = t
        if not (tb._requires_grad or tb._grad_fn is not None):
            raise RuntimeError(
                "One of the differentiated Tensors does not require grad"
            )
        # gradient_edge creates a leaf's accumulator if no graph made it yet
        # (the output may be the input itself); capture keeps it alive.
        node = gradient_edge(tb)
        nodes.append(node)
        if node not in capture:
            capture[node] = i
    roots = _root_gradients(outputs, grad_outputs, "grad")
    slots = run_backward(roots, bool(retain_graph), bool(create_graph), capture)
    results = []
    for i, t in enumerate(inputs):
        tb = t
        g = slots[capture[nodes[i]]]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior."
                )
        else:
            gb: TensorBase = g
            if gb._data.shape != tb._data.shape or gb._data.dtype != tb._data.dtype:
                g = _reshape_grad("grad", g, tb._data.shape, tb._data.dtype)
        results.append(g)
    return tuple(results)


if not cython.compiled:
    # Uncompiled, a class attribute stands in for each typed field's C default.
    Node._next = ()
    Node.needs_input_grad = ()
    Node._deps = 0
    Node._epoch = 0
    Node._buffer = None
    Node._buffer_owned = False
    Node._pre_hooks = None
    Node._trace = None
    PyNode._num_outputs = 1
    OutputEdge.target = None
    OutputEdge.slot = 0
    FunctionNode._result = None
    FunctionNode._sv0 = 0
    FunctionNode._sv1 = 0
    FunctionNode._sv_rest = None
    FunctionNode._result_version = 0
    FunctionNode._result_ref = None
    FunctionNode._freed = False
    FunctionNode._attrs = None
    FunctionNode._saved = ()
