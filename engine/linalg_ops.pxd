cimport numpy as cnp

from engine.tensor cimport TensorBase, make, format_shape
from engine.graph cimport record

cdef object matrix_product(object a, object b)   # a @ b for two checked matrices: BLAS or sgemm.h

cdef extern from *:
    """
    #include "sgemm.h"
    #include <numpy/ndarraytypes.h>

    /* the first element of a float32 ndarray (the caller has checked the dtype) */
    static inline float *cygrad_float_data(PyObject *array)
    {
        return (float *)PyArray_DATA((PyArrayObject *)array);
    }
    """
    float *cygrad_float_data(object array)
    int cygrad_sgemm(long m, long n, long k, const float *a, long sam, long sak,
                     const float *b, long sbk, long sbn, float *c, long ldc, int threads) nogil

cdef object _sgemm_product(object a, object b, int threads)
