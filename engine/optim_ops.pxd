cimport numpy as cnp
from engine.graph cimport same_shape
from engine.pointwise_ops cimport _fast_kind, _PARALLEL_MIN, _CHUNK, _num_threads

# sgd_update's settings, as bits
cdef enum:
    _SGD_MAXIMIZE = 1
    _SGD_DECAY = 2
    _SGD_MOMENTUM = 4
    _SGD_FIRST = 8
    _SGD_DAMPEN = 16
    _SGD_NESTEROV = 32
