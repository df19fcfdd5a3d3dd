"""Convolution and pooling over NCHW tensors: conv2d, max_pool2d, avg_pool2d,
adaptive_avg_pool2d, with im2col/col2im kernels feeding numpy's BLAS."""
import cython
import numpy as np

if not cython.compiled:
    from engine.graph import record
    from engine.tensor import TensorBase, format_shape, make

__all__ = []
TENSOR_METHODS = {}
