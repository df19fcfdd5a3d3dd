from engine.tensor cimport TensorBase, make, is_float_dtype, format_shape
from engine.graph cimport record
