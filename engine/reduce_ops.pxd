cimport numpy as cnp
from engine.tensor cimport TensorBase, make
from engine.graph cimport record
