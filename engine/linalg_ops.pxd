from engine.tensor cimport TensorBase, make, format_shape
from engine.graph cimport record

cdef object matrix_product(object a, object b)   # a @ b for two checked matrices, by BLAS
