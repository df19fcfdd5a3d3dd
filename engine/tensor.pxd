# The tensor base type: a numpy buffer plus the autograd bookkeeping.

from cpython.object cimport PyObject, PyTypeObject

cdef class TensorBase:
    cdef public object _data              # numpy.ndarray holding the values
    cdef public object _grad              # accumulated gradient (a tensor) or None
    cdef public object _grad_fn           # graph.Node that made this tensor; None for leaves
    cdef public bint _requires_grad       # set on leaves; non-leaves require grad via _grad_fn
    cdef public bint _retains_grad        # a non-leaf asked to keep its .grad
    cdef public Py_ssize_t _version       # bumped by every in-place op
    cdef public object _grad_accumulator  # weakref to this leaf's AccumulateGrad node
    cdef public object _hooks             # a leaf's gradient hooks (graph._TensorHooks) or None
    cdef object __weakref__

cpdef object set_tensor_class(object cls)
cpdef TensorBase make(object data)
cpdef TensorBase make_leaf(object data, bint requires_grad)
cpdef bint is_float_dtype(object dtype)
cpdef str format_shape(object shape)

cdef object _ndarray                      # numpy.ndarray, for exact type checks
cdef tuple _NO_ARGS                      # the empty argument tuple of tp_new
cdef object _tensor_class                 # the facade's Tensor, once registered
