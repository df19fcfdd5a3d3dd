from engine.tensor cimport TensorBase, make, format_shape
from engine.graph cimport record
from engine.reduce_ops cimport _column_sums
from engine.linalg_ops cimport matrix_product
