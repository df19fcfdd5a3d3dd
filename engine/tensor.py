"""The tensor base type.

``TensorBase`` holds a numpy array and the fields the graph needs.  The
user-facing ``autograd.Tensor`` subclasses it and registers itself with
``set_tensor_class`` so that every op result is an ``autograd.Tensor``.
Results are created with ``__new__`` (no ``__init__`` call), which is the
cheapest way to instantiate an extension type.
"""
import warnings

import cython
import numpy as np

_ndarray = np.ndarray
_NO_ARGS = ()
_tensor_class = None

_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
    ".grad attribute won't be populated during autograd.backward(). If you indeed want "
    "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
    "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more "
    "information."
)


class TensorBase:
    """Values (a numpy array) plus gradient, graph node and version."""

    # ------------------------------------------------------------------
    # autograd attributes
    # ------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad or self._grad_fn is not None

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self._grad_fn is not None:
            if value:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you "
                "want to use a computed variable in a subgraph that doesn't require "
                "differentiation use var_no_grad = var.detach()."
            )
        if value and not is_float_dtype(self._data.dtype):
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients "
                f"(got dtype {self._data.dtype})"
            )
        self._requires_grad = value

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self._retains_grad:
            # Compiled, this property has no frame of its own.
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning,
                          stacklevel=1 if cython.compiled else 2)
        return self._grad

    @property
    def retains_grad(self):
        """True for a non-leaf whose ``.grad`` is filled by backward (see ``retain_grad``)."""
        return self._retains_grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, TensorBase):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of "
                    f"type {type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size "
                    f"'{format_shape(value._data.shape)}' to a tensor of size "
                    f"'{format_shape(self._data.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value._data.dtype}' to a "
                    f"tensor with dtype '{self._data.dtype}'. Please ensure that the "
                    "gradient and the tensor have the same dtype"
                )
        self._grad = value

    # ------------------------------------------------------------------
    # shape and values
    # ------------------------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    def size(self, dim=None):
        shape = self._data.shape
        if dim is None:
            return shape
        n = len(shape)
        if n == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        if not -n <= dim < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {dim})"
            )
        return shape[dim]

    def numpy(self):
        """Return the values as a numpy array sharing this tensor's memory."""
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(-1)[0].item()

    def tolist(self):
        return self._data.tolist()

    def detach(self):
        """Return a tensor sharing this one's values, cut from the graph."""
        return make(self._data)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def data(self):
        return make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, TensorBase):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def _version_counter(self):
        return self._version

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size > 1 else
                "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self._data.reshape(-1)[0])

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())


@cython.ccall
def set_tensor_class(cls) -> object:
    """Make ``cls`` (a TensorBase subclass) the type of every op result."""
    global _tensor_class
    if not (isinstance(cls, type) and issubclass(cls, TensorBase)):
        raise TypeError("set_tensor_class expects a subclass of TensorBase")
    _tensor_class = cls
    return None


@cython.ccall
def make(data) -> TensorBase:
    """Wrap an array (or numpy scalar) as a tensor that does not require grad."""
    t: TensorBase
    cls = _tensor_class
    if cls is None:
        cls = TensorBase
    if cython.compiled:
        # the type's allocator called directly: no __new__ lookup, no call frame
        t = cython.cast(cython.pointer(PyTypeObject), cls).tp_new(
            cython.cast(type, cls), cython.cast(cython.pointer(PyObject), _NO_ARGS), cython.NULL)
    else:
        t = cls.__new__(cls)
    if type(data) is not _ndarray:
        data = np.asarray(data)
    t._data = data
    return t


@cython.ccall
def make_leaf(data, requires_grad: cython.bint) -> TensorBase:
    """Wrap an array as a leaf, checking that only float tensors require grad."""
    t: TensorBase = make(data)
    if requires_grad:
        t.requires_grad = True
    return t


@cython.ccall
def is_float_dtype(dtype) -> cython.bint:
    return dtype.kind == "f" or dtype.kind == "c"


@cython.ccall
def format_shape(shape) -> str:
    return "[" + ", ".join([str(s) for s in shape]) + "]"


if not cython.compiled:
    # Uncompiled, a class attribute stands in for each typed field's C default.
    TensorBase._grad = None
    TensorBase._grad_fn = None
    TensorBase._requires_grad = False
    TensorBase._retains_grad = False
    TensorBase._version = 0
    TensorBase._grad_accumulator = None
    TensorBase._hooks = None
