cimport cython
cimport numpy as cnp
from engine.tensor cimport TensorBase, make
from engine.graph cimport record
from engine.pointwise_ops cimport _fast_kind

cdef object _column_sums(object data)      # a float matrix's column sums in numpy's order, or None
cdef cython.floating _pairwise_sum(cython.floating *a, Py_ssize_t n) noexcept nogil   # numpy's order
