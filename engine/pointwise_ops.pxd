cimport numpy as cnp
from cpython.long cimport PyLong_AsLongLongAndOverflow
from libc.math cimport fabs, isinf

from engine.tensor cimport TensorBase, make, is_float_dtype, format_shape
from engine.graph cimport record, same_shape
from engine.grad_mode cimport is_grad_enabled

# Fast-path kernels (compiled engine only; see "Compiled fast paths" in
# pointwise_ops.py).  Binary ops come as tensor-tensor (_VV), tensor-number
# (_VS) and number-tensor (_SV) loops; *_GRAD are fused backward formulas.
cdef enum:
    _ADD_VV, _SUB_VV, _MUL_VV, _DIV_VV
    _ADD_VS, _SUB_VS, _MUL_VS, _DIV_VS
    _SUB_SV, _DIV_SV
    _NEG, _SQUARE, _CUBE, _RECIPROCAL, _RELU, _SIGMOID
    _TANH_GRAD, _SIGMOID_GRAD, _RELU_GRAD, _POW2_GRAD, _POW3_GRAD
    # these run numpy's own inner loop, so results match numpy bit for bit
    _EXP, _LOG, _SQRT, _TANH, _SIN, _COS
    _OP_COUNT

cdef int _fast_kind(object x)             # 0, or 1 / 2: an array the loops take (float32 / 64)
cdef Py_ssize_t _PARALLEL_MIN             # elements from which loops use every core
cdef Py_ssize_t _CHUNK                    # elements per parallel work item
cdef int _num_threads                     # threads for the loops on large arrays

# numpy's inner loop (a ufunc's PyUFuncGenericFunction, which runs without the GIL)
ctypedef void (*_inner_loop)(char **, cnp.npy_intp *, cnp.npy_intp *, void *) noexcept nogil

# the loop of each op _EXP.._COS: [op - _EXP][0 for float32, 1 for float64]
cdef _inner_loop _np_loops[_OP_COUNT - _EXP][2]
cdef void *_np_loop_data[_OP_COUNT - _EXP][2]
