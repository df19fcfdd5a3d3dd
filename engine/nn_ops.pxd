cimport numpy as cnp
from engine.tensor cimport TensorBase, make, format_shape
from engine.graph cimport record
from engine.pointwise_ops cimport _fast_kind
from engine.reduce_ops cimport _column_sums, _pairwise_sum
from engine.linalg_ops cimport matrix_product
