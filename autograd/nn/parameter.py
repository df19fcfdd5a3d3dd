"""``nn.Parameter``: a tensor that a Module registers as one of its weights."""
import numpy as np

from engine.tensor import TensorBase

from autograd._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered when assigned to a Module.

    It shares ``data``'s buffer (changes to one show in the other) and is cut
    from ``data``'s graph.

    Args:
        data: the initial values (a tensor); an empty float32 tensor if None.
        requires_grad: whether the parameter requires gradient (default True).

    Example:
        >>> p = nn.Parameter(autograd.zeros(2))
        >>> p.requires_grad, p.is_leaf
        (True, True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, TensorBase):
            array = data._data
        else:
            raise TypeError(
                f"Parameter(): data must be a Tensor or None, got {type(data).__name__}"
            )
        self = Tensor.__new__(cls)
        self._data = array
        self.requires_grad = requires_grad
        return self

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = _rebuild_parameter(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            result._grad = self._grad.clone().detach()
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad):
    self = Tensor.__new__(Parameter)
    self._data = data
    self.requires_grad = requires_grad
    return self
