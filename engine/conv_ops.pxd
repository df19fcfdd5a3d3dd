from engine.tensor cimport TensorBase, make, format_shape
from engine.graph cimport record
from libc.string cimport memcpy, memset
from engine.linalg_ops cimport matrix_product
