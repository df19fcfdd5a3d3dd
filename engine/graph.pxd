# Backward nodes, their edges, and the backward traversal.

cimport cython

from engine.tensor cimport TensorBase, make, format_shape

# Node uses CPython's trashcan (subclasses inherit it), so freeing a
# million-node chain cannot overflow the C stack.  The directive sits on the
# class in graph.py: in pure Python mode Cython ignores it here.
cdef class Node:
    cdef public tuple _next               # per input: the Node its gradient flows to, or None
    cdef public tuple needs_input_grad    # per input: does it need a gradient?
    cdef Py_ssize_t _deps                 # traversal: edges still to deliver a gradient
    cdef Py_ssize_t _epoch                # traversal: the pass that last counted this node
    cdef object _buffer                   # traversal: gradient summed so far (a tensor)
    cdef bint _buffer_owned               # traversal: _buffer is ours to add into in place
    cdef object __weakref__

    cpdef tuple apply(self, object grad)

@cython.final
cdef class FunctionNode(Node):
    cdef public str _name                 # e.g. "MulBackward0"
    cdef object _backward                 # the formula: (node, grad) -> tuple of gradients
    cdef tuple _saved                     # what the formula reads; None once freed
    cdef object _result                   # the op's output array, when the formula needs it
    cdef tuple _meta                      # per input: (shape, dtype) or None
    cdef bint _freed                      # saved values were released by a backward pass
    cdef public object _attrs             # extra non-tensor state a formula reads

    cdef void _release(self) noexcept

@cython.final
cdef class AccumulateGrad(Node):
    cdef public TensorBase variable       # the leaf whose .grad this node fills

cpdef Node gradient_edge(TensorBase t)
cpdef object record(TensorBase out, str name, object backward, tuple inputs, tuple saved, bint save_result=*, object attrs=*)
cpdef bint any_requires_grad(tuple inputs) noexcept
