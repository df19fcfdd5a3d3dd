# Backward nodes, their edges, and the backward traversal.

cimport cython
cimport numpy as cnp
from cpython.ref cimport _Py_REFCNT
from cpython.object cimport PyObject

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
    cdef public object _pre_hooks         # hooks on the gradient of the output (_TensorHooks) or None
    cdef public object _trace             # anomaly mode: the forward call's stack, else None
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
    cdef Py_ssize_t _sv0                  # _version of saved[0] when it was saved
    cdef Py_ssize_t _sv1                  # _version of saved[1] when it was saved
    cdef tuple _sv_rest                   # versions of saved[2:], when more were saved
    cdef Py_ssize_t _result_version       # the output's _version when it was saved
    cdef object _result_ref               # weakref to the output once an in-place op rewrote it

    cdef void _release(self) noexcept

cdef class PyNode(Node):
    cdef public Py_ssize_t _num_outputs   # output slots; more than one means OutputEdges lead here

@cython.final
cdef class OutputEdge(Node):
    cdef public Node target               # the multi-output node
    cdef public Py_ssize_t slot           # which of its outputs this edge carries

@cython.final
cdef class AccumulateGrad(Node):
    cdef public TensorBase variable       # the leaf whose .grad this node fills

cdef bint _anomaly_enabled                # anomaly mode: record forward stacks, check backward
cdef bint _anomaly_check_nan              # anomaly mode: raise on a NaN gradient

cpdef Node gradient_edge(TensorBase t)
cpdef object record(TensorBase out, str name, object backward, tuple inputs, tuple saved, bint save_result=*, object attrs=*)
cpdef bint any_requires_grad(tuple inputs) noexcept
cdef bint same_shape(object x, object y)  # two numpy arrays: one shape? (compiled only)
