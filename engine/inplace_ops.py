"""In-place operations: add_, mul_, ..., and indexed assignment."""
import cython
import numpy as np

if not cython.compiled:
    from engine.graph import record
    from engine.tensor import TensorBase, format_shape, make

__all__ = []
TENSOR_METHODS = {}
