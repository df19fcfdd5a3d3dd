"""``Optimizer``: parameter groups, per-parameter state and state dicts,
following ``torch.optim.Optimizer``.

Subclasses implement ``step``; updates write into each parameter's numpy
buffer directly (through ``_update_buffer``), so no graph is ever recorded.
"""
import copy
import warnings
from collections import defaultdict

import numpy as np

from engine.tensor import TensorBase, make


class _RequiredParameter:
    """Marks a hyperparameter that every group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    if isinstance(obj, TensorBase):
        return obj.type()
    return type(obj).__name__


def _update_buffer(p):
    """The buffer of ``p`` to update in place; counts as an in-place op on ``p``.

    Every optimizer update goes through here, so a parameter's version moves
    exactly as PyTorch's in-place ``add_``/``addcdiv_`` would move it, and
    autograd can tell that saved values went stale.
    """
    p._version += 1
    return p._data


def _state_tensor(array):
    """Wrap a numpy array owned by the optimizer as a tensor."""
    return make(array)


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups) with a
            ``"params"`` entry and any hyperparameters that override ``defaults``.
        defaults: the hyperparameters a group gets when it does not set them.

    Example:
        >>> w = autograd.zeros(3, requires_grad=True)
        >>> opt = autograd.optim.SGD([{"params": [w], "lr": 0.5}], lr=0.1)
        >>> opt.param_groups[0]["lr"]
        0.5
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, TensorBase):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of "
                f"Tensors or dicts, but got {_typename(params)}"
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------
    # parameter groups
    # ------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters, each with its own hyperparameters.

        Args:
            param_group (dict): ``"params"`` (a tensor or an ordered iterable of
                tensors) plus hyperparameters; missing ones take ``defaults``.

        Example:
            >>> opt.add_param_group({"params": [b], "lr": 0.01})
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, TensorBase):
            param_group["params"] = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a "
                "list instead."
            )
        else:
            param_group["params"] = list(params)

        for param in param_group["params"]:
            if not isinstance(param, TensorBase):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{_typename(param)}"
                )
            if not (param.is_leaf or param._retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in "
                "future, this will cause an error; see "
                "github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        param_set = set()
        for group in self.param_groups:
            param_set.update(group["params"])
        if not param_set.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # ------------------------------------------------------------------
    # gradients and steps
    # ------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none (bool): set ``.grad`` to None (the default, cheaper) or
                else fill the existing gradient with zeros in place.

        Example:
            >>> opt.zero_grad()
            >>> w.grad is None
            True
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                # The buffer outlives this call, so cut it from any graph first
                # (detach_ in PyTorch) as a create_graph backward leaves one.
                if grad._grad_fn is not None:
                    grad._grad_fn = None
                grad._requires_grad = False
                data = grad._data
                if data.flags.writeable:
                    data.fill(0)
                else:
                    # NOTE: a read-only buffer (e.g. a broadcast view) cannot
                    # be zeroed in place, so the tensor gets a fresh one.
                    grad._data = np.zeros(data.shape, dtype=data.dtype)
                grad._version += 1

    def step(self, closure=None):
        """Perform one optimization step (implemented by each optimizer).

        Args:
            closure (callable, optional): re-evaluates the model and returns
                the loss; its value is returned.
        """
        raise NotImplementedError

    def _eval_closure(self, closure):
        if closure is None:
            return None
        from autograd.grad_mode import enable_grad

        with enable_grad():
            return closure()

    # ------------------------------------------------------------------
    # state dicts
    # ------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as a dict, with parameters replaced by indices.

        Returns:
            ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``;
            indices count the parameters across groups in order. The state
            values are the optimizer's own tensors (not copies), as in PyTorch.

        Example:
            >>> sd = opt.state_dict()
            >>> sd["param_groups"][0]["params"]
            [0]
        """
        index_of = {}
        param_groups = []
        next_index = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if id(p) not in index_of:
                    index_of[id(p)] = next_index
                    next_index += 1
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            param_groups.append(packed)
        state = {
            (index_of[id(k)] if isinstance(k, TensorBase) else k): v
            for k, v in self.state.items()
        }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Load a state from ``state_dict()`` (deep-copied, so the source is untouched).

        Args:
            state_dict (dict): a dict returned by ``state_dict()``, for an optimizer
                whose groups hold the same numbers of parameters.

        Example:
            >>> fresh = autograd.optim.SGD([w], lr=0.1, momentum=0.9)
            >>> fresh.load_state_dict(opt.state_dict())
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match "
                    "the size of optimizer's group"
                )

        param_of = {}
        for group, saved in zip(groups, saved_groups):
            for index, p in zip(saved["params"], group["params"]):
                param_of[index] = p

        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                state[param] = _cast_state(param, value)
            else:
                state[key] = copy.deepcopy(value)

        param_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            param_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": param_groups})

    # ------------------------------------------------------------------
    # pickling and repr
    # ------------------------------------------------------------------
    def __getstate__(self):
        return {
            "defaults": self.defaults,
            "state": self.state,
            "param_groups": self.param_groups,
        }

    def __setstate__(self, state):
        self.__dict__.update(state)
        # Groups saved before a hyperparameter existed get its default.
        for group in self.param_groups:
            for name, default in self.defaults.items():
                if default is not required:
                    group.setdefault(name, default)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast_state(param, value, key=None):
    """A copy of one loaded state value, with floating state in the param's dtype.

    ``step`` keeps its own dtype, as in PyTorch (only the moments follow the
    parameter).
    """
    if isinstance(value, TensorBase):
        data = value._data
        if key != "step" and param._data.dtype.kind == "f":
            return _state_tensor(np.array(data, dtype=param._data.dtype, copy=True))
        return _state_tensor(data.copy())
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v, key) for v in value)
    return copy.deepcopy(value)


def _check_unsupported(name, **flags):
    """PyTorch's implementation switches that change what a step does."""
    for flag, value in flags.items():
        if value:
            raise NotImplementedError(
                f"{name}: {flag}=True is not supported; this optimizer has one "
                f"implementation (leave {flag} at its default)"
            )
