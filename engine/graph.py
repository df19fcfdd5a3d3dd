"""Backward nodes, the edges between them, and the backward traversal.

A node is created by an op only when grad mode is on and an input requires
grad.  It refers to the nodes of its inputs (``_next``), never to its own
output, so tensors and nodes form no reference cycles and the graph is freed
as soon as the last reference to its root goes.  A leaf that requires grad
gets one ``AccumulateGrad`` node, which the leaf holds weakly (the node holds
the leaf strongly) so every use of the leaf shares it while any graph does.
"""
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


def register_ops(**ops):
    """Give the traversal the ops it needs (``sum_to``, ``add``, ``to_dtype``)."""
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
        return tuple([(n, 0) for n in self._next])

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class FunctionNode(Node):
    """The node of a built-in op; its formula lives beside the op's forward."""

    def name(self):
        return self._name

    @property
    def saved(self):
        """What the forward saved for the formula (freed after backward)."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        return self._saved

    @property
    def result(self):
        """The op's output.  Under ``create_graph`` it is differentiable
        through this very node, so formulas that use it (exp, tanh, ...)
        have correct higher derivatives."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
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
        fixed = None
        i: cython.Py_ssize_t
        for i in range(n):
            g = grads[i]
            if g is None:
                continue
            meta = self._meta[i]
            if meta is None:
                continue
            data = (cython.cast(TensorBase, g))._data
            shape, dtype = meta
            if data.shape != shape or data.dtype != dtype:
                if fixed is None:
                    fixed = list(grads)
                fixed[i] = _reshape_grad(self._name, g, shape, dtype)
        if fixed is not None:
            return tuple(fixed)
        return grads


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
        if g._data.shape != var._data.shape or g._data.dtype != var._data.dtype:
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
    if not is_grad_enabled() or not any_requires_grad(inputs):
        return None
    node: FunctionNode = FunctionNode.__new__(FunctionNode)
    n: cython.Py_ssize_t = len(inputs)
    nexts = [None] * n
    needs = [False] * n
    meta = [None] * n
    i: cython.Py_ssize_t
    for i in range(n):
        x = inputs[i]
        if isinstance(x, TensorBase):
            t: TensorBase = x
            if t._requires_grad or t._grad_fn is not None:
                nexts[i] = gradient_edge(t)
                needs[i] = True
                meta[i] = (t._data.shape, t._data.dtype)
    node._name = name
    node._backward = backward
    node._next = tuple(nexts)
    node.needs_input_grad = tuple(needs)
    node._meta = tuple(meta)
    node._saved = saved
    node._attrs = attrs
    if save_result:
        node._result = out._data
    out._grad_fn = node
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
            g = make(np.ones(tb._data.shape, dtype=tb._data.dtype))
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
        np.add(c._data, (cython.cast(TensorBase, g))._data, out=c._data)
    else:
        node._buffer = make((cython.cast(TensorBase, current))._data
                            + (cython.cast(TensorBase, g))._data)
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
    visited = []
    stack = []
    node: Node
    nxt: Node
    for root, _g in roots:
        if root is not None:
            node = root
            if node._epoch != epoch:
                node._epoch = epoch
                node._deps = 0
                visited.append(node)
                stack.append(node)
    # Pass 1: dependency counts, iteratively.
    while stack:
        node = stack.pop()
        for n in node._next:
            if n is None:
                continue
            nxt = n
            if nxt._epoch != epoch:
                nxt._epoch = epoch
                nxt._deps = 0
                visited.append(nxt)
                stack.append(nxt)
            nxt._deps += 1

    results = [None] * len(capture) if capture is not None else None
    previous_mode = set_grad_enabled(create_graph)
    try:
        for root, g in roots:
            if root is not None:
                _add_to_buffer(root, g, create_graph)
        ready = []
        for root, _g in roots:
            if root is not None:
                node = root
                if node._deps == 0 and node._epoch == epoch:
                    node._deps = -1  # queued
                    ready.append(node)
        # Pass 2: run each node once all of its gradients have arrived.
        while ready:
            node = ready.pop()
            grad = node._buffer
            node._buffer = None
            if capture is not None:
                slot = capture.get(node)
                if slot is not None:
                    results[slot] = grad
                if isinstance(node, AccumulateGrad):
                    continue
            nexts = node._next
            if grad is None:
                grads = None
            else:
                grads = node.apply(grad)
                if node._buffer_owned:
                    node._buffer_owned = False
            if not keep_graph and isinstance(node, FunctionNode):
                (cython.cast(FunctionNode, node))._release()
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
                    ready.append(nxt)
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
    FunctionNode._result = None
    FunctionNode._freed = False
    FunctionNode._attrs = None
    FunctionNode._saved = ()
