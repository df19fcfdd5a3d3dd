cimport numpy as cnp
from engine.tensor cimport TensorBase, make
from engine.graph cimport record
from engine.pointwise_ops cimport _fast_kind
