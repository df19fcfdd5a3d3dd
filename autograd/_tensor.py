"""``autograd.Tensor``: the Python face of the engine's tensor type.

Arithmetic, reductions and shape ops are the engine's functions bound as
methods; this class adds Python protocols, conversions and the repr.  It
re-implements no arithmetic.
"""

from engine import graph as _graph
from engine import inplace_ops as _inplace
from engine import linalg_ops as _linalg
from engine import pointwise_ops as _pw
from engine import reduce_ops as _red
from engine import shape_ops as _shape
from engine.tensor import TensorBase, make, set_tensor_class

from autograd import _dtype
from autograd._repr import tensor_repr


_LEGACY_TYPE_NAMES = {
    "float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor",
    "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor",
    "int32": "IntTensor", "int64": "LongTensor", "bool": "BoolTensor",
}


class Tensor(TensorBase):
    """An n-dimensional array that records operations for differentiation."""

    __hash__ = object.__hash__   # ``==`` is elementwise, identity hashes
    __array_priority__ = 1000    # numpy defers ``ndarray op Tensor`` to us

    # ------------------------------------------------------------------
    # arithmetic operators: the engine's op modules provide them (see
    # TENSOR_METHODS, bound below), as compiled functions where compiled
    # ------------------------------------------------------------------
    def __pos__(self):
        return self

    # ------------------------------------------------------------------
    # dtype and conversions
    # ------------------------------------------------------------------
    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return "cpu"

    def to(self, dtype=None, *, copy=False):
        """Cast to ``dtype`` (``to("cpu")`` is accepted and changes nothing)."""
        if dtype is None or dtype == "cpu":
            out = self
        else:
            out = _pw.to_dtype(self, _dtype.to_numpy_dtype(dtype))
        if copy and out is self:
            out = self.clone()
        return out

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool)

    def type(self, dtype=None):
        """The legacy type name (``autograd.FloatTensor``), or a cast to ``dtype``."""
        if dtype is None:
            return f"autograd.{_LEGACY_TYPE_NAMES[self._data.dtype.name]}"
        return self.to(dtype)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        data = self._data
        if dtype is not None:
            data = data.astype(dtype, copy=False)
        return data.copy() if copy else data

    # ------------------------------------------------------------------
    # autograd
    # ------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the leaves' ``.grad``.

        Args:
            gradient: d(something)/d(self), needed unless self has one element.
            retain_graph: keep saved values for another backward (defaults to
                ``create_graph``).
            create_graph: record the backward pass, for higher derivatives.

        Example:
            >>> a = autograd.tensor([2., 3.], requires_grad=True)
            >>> (a * a).sum().backward()
            >>> a.grad
            tensor([4., 6.])
        """
        _graph.backward(self, gradient, retain_graph, create_graph, inputs)

    @property
    def grad_fn(self):
        fn = self._grad_fn
        # An output of a multi-output node holds an edge into that node.
        if type(fn) is _graph.OutputEdge:
            return fn.target
        return fn

    @property
    def output_nr(self):
        """Which output of its grad_fn this tensor is (0 unless the node has several)."""
        fn = self._grad_fn
        if type(fn) is _graph.OutputEdge:
            return fn.slot
        return 0

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time the gradient of this tensor is computed.

        The hook may return a tensor to use instead of ``grad`` (None keeps
        it).  Hooks run in registration order; on a leaf, before the
        gradient is accumulated into ``.grad``.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Example:
            >>> x = autograd.tensor([1., 2.], requires_grad=True)
            >>> h = x.register_hook(lambda g: g * 2)
            >>> (x * 3).sum().backward()
            >>> x.grad
            tensor([6., 6.])
        """
        return _graph.register_tensor_hook(self, hook)

    def retain_grad(self):
        """Have backward fill ``.grad`` of this non-leaf tensor (no-op on leaves).

        Example:
            >>> y = x * 2
            >>> y.retain_grad()
            >>> y.sum().backward()
            >>> y.grad
            tensor([1., 1.])
        """
        _graph.retain_grad(self)

    def __repr__(self):
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data.copy(), self.requires_grad))


def _rebuild(data, requires_grad):
    t = make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


# Each engine op module lists the methods and operators it provides.
for _module in (_pw, _red, _shape, _linalg, _inplace):
    for _name, _function in _module.TENSOR_METHODS.items():
        setattr(Tensor, _name, _function)
del _module, _name, _function

set_tensor_class(Tensor)
