from engine.tensor cimport TensorBase, make, format_shape, is_float_dtype
from engine.graph cimport record, gradient_edge, any_requires_grad
