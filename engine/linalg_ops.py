"""Linear algebra: matmul.

Each op's forward is followed by its backward formula (see shape_ops.py for
the formula conventions).
"""
import cython
import numpy as np

if not cython.compiled:
    from engine.graph import record
    from engine.tensor import TensorBase, format_shape, make

__all__ = []
# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
}
