"""``nn.Module``: the base class of every layer and model.

A Module keeps its parameters, buffers and submodules in three ordered
dicts, filled by attribute assignment (``self.fc = Linear(...)``,
``self.w = Parameter(...)``) or by ``register_parameter`` / ``register_buffer``
/ ``add_module``.  Everything else (``parameters()``, ``state_dict()``,
``train()``, ``repr``) walks those dicts, so names and order are PyTorch's.
"""
import itertools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from engine.graph import RemovableHandle
from engine.grad_mode import is_grad_enabled
from engine.tensor import TensorBase

from autograd.function import Function
from autograd.grad_mode import no_grad
from autograd.nn._inplace import write_
from autograd.nn.parameter import Parameter

__all__ = ["Module"]


def _typename(obj):
    """The qualified type name PyTorch puts in its registration errors."""
    if isinstance(obj, TensorBase):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module = type(obj).__module__ or ""
        qualname = type(obj).__qualname__
    if module in ("", "builtins"):
        return qualname
    return f"{module}.{qualname}"


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return "\n".join([first] + [" " * spaces + line for line in lines])


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the extra ones."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


_HOOK_DICTS = (
    "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
    "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_backward_pre_hooks",
    "_backward_hooks",
)


def _init_hook_dicts(module):
    for name in _HOOK_DICTS:
        if name not in module.__dict__:
            object.__setattr__(module, name, OrderedDict())


def _registered(module, name):
    """``getattr(module, name)``, read first from the parameter registry.

    A forward's ``self.weight`` fails on the instance before
    ``Module.__getattr__`` finds it, and on Python 3.11 that failure builds
    an AttributeError message: as much work as a small op.  Anything not
    registered there (a buffer, a submodule, a plain tensor assigned after
    ``del module.weight``) takes the normal lookup.
    """
    params = module._parameters
    return params[name] if name in params else getattr(module, name)


class _BackwardHookIdentity(Function):
    """Identity on a module's input or output tensors whose backward runs the
    module's backward hooks (``kind`` is "input" or "output")."""

    @staticmethod
    def forward(ctx, hooks, kind, *tensors):
        ctx.hooks = hooks
        ctx.kind = kind
        ctx.set_materialize_grads(False)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        if ctx.kind == "output":
            grads = ctx.hooks.on_grad_outputs(grads)
        else:
            grads = ctx.hooks.on_grad_inputs(grads)
        return (None, None) + tuple(grads)


def _pack(indices, values, n):
    packed = [None] * n
    for i, v in zip(indices, values):
        packed[i] = v
    return tuple(packed)


class _BackwardHooks:
    """One forward call's state for the module's backward hooks: the gradients
    of its outputs, kept until those of its inputs arrive."""

    def __init__(self, module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_index = None
        self.n_outputs = 0
        self.output_index = None

    @staticmethod
    def _wrap(hooks, kind, values):
        index = [i for i, v in enumerate(values) if isinstance(v, TensorBase)]
        tensors = [values[i] for i in index]
        if not any(t.requires_grad for t in tensors):
            return None, values
        wrapped = _BackwardHookIdentity.apply(hooks, kind, *tensors)
        out = list(values)
        for i, t in zip(index, wrapped):
            out[i] = t
        return index, out

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        self.input_index, args = self._wrap(self, "input", args)
        return tuple(args)

    def setup_output_hook(self, result):
        single = isinstance(result, TensorBase)
        values = (result,) if single else result
        if not isinstance(values, (tuple, list)):
            return result
        self.n_outputs = len(values)
        self.output_index, wrapped = self._wrap(self, "output", values)
        if self.output_index is None:
            return result
        if single:
            return wrapped[0]
        return type(result)(wrapped) if isinstance(result, tuple) else wrapped

    def on_grad_outputs(self, grads):
        module = self.module
        grad_outputs = _pack(self.output_index, grads, self.n_outputs)
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, grad_outputs)
            if result is not None:
                if not isinstance(result, tuple) or len(result) != len(grad_outputs):
                    raise RuntimeError(
                        "Backward pre hook returned an invalid number of grad_output, got "
                        f"{len(result) if isinstance(result, tuple) else 1}, but expected "
                        f"{len(grad_outputs)}"
                    )
                grad_outputs = result
        self.grad_outputs = grad_outputs
        if self.input_index is None:
            # No input needs a gradient: the hooks run now, with grad_input all None.
            grad_inputs = (None,) * self.n_inputs
            for hook in list(module._backward_hooks.values()):
                result = hook(module, grad_inputs, grad_outputs)
                if result is not None and not (isinstance(result, tuple)
                                               and all(r is None for r in result)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_outputs = None
        return [grad_outputs[i] for i in self.output_index]

    def on_grad_inputs(self, grads):
        module = self.module
        grad_inputs = _pack(self.input_index, grads, self.n_inputs)
        grad_outputs = self.grad_outputs
        if grad_outputs is None:
            grad_outputs = (None,) * self.n_outputs
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grad_inputs, grad_outputs)
            if result is not None:
                if not isinstance(result, tuple) or len(result) != len(grad_inputs):
                    raise RuntimeError(
                        "Backward hook returned an invalid number of grad_input, got "
                        f"{len(result) if isinstance(result, tuple) else 1}, but expected "
                        f"{len(grad_inputs)}"
                    )
                grad_inputs = result
        self.grad_outputs = None
        return [grad_inputs[i] for i in self.input_index]


class Module:
    """Base class for all neural-network modules; subclass it and define ``forward``.

    Example:
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(2, 1)
        ...     def forward(self, x):
        ...         return self.fc(x).relu()
        >>> [name for name, _ in Net().named_parameters()]
        ['fc.weight', 'fc.bias']
    """

    # Bumped when a subclass changes its state_dict layout (BatchNorm is 2);
    # recorded per module in ``state_dict()._metadata`` as PyTorch does.
    _version = 1
    training: bool

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: "
                f"{args!r} {kwargs!r}"
            )
        # object.__setattr__: our own __setattr__ reads these dicts.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        _init_hook_dicts(self)

    # ------------------------------------------------------------------
    # calling
    # ------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if (d.get("_forward_pre_hooks") or d.get("_forward_hooks")
                or d.get("_backward_hooks") or d.get("_backward_pre_hooks")):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {result}."
                        )
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hooks = None
        if (self._backward_hooks or self._backward_pre_hooks) and is_grad_enabled():
            backward_hooks = _BackwardHooks(self)
            args = backward_hooks.setup_input_hook(args)
        called = set()
        try:
            result = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    hook_result = hook(self, args, kwargs, result)
                else:
                    hook_result = hook(self, args, result)
                if hook_result is not None:
                    result = hook_result
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called and hook_id not in called:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception as error:  # noqa: BLE001 (the first error wins)
                        warnings.warn(
                            "forward hook with ``always_call=True`` raised an exception that "
                            f"was silenced as another error was raised in forward: {error}",
                            stacklevel=2,
                        )
            raise
        if backward_hooks is not None:
            result = backward_hooks.setup_output_hook(result)
        return result

    # ------------------------------------------------------------------
    # hooks
    # ------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each ``forward``.

        It may return new args (a tuple, or a single value that gets wrapped).
        With ``with_kwargs``, it is ``hook(module, args, kwargs)`` and may
        return ``(new_args, new_kwargs)``.  ``prepend`` runs it before the
        hooks already registered.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Example:
            >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        """
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """Call ``hook(module, args, output)`` after each ``forward``.

        It may return a replacement output.  With ``with_kwargs`` it is
        ``hook(module, args, kwargs, output)``; with ``always_call`` it also
        runs (with output None) when ``forward`` raises.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Example:
            >>> outputs = []
            >>> h = m.register_forward_hook(lambda mod, args, out: outputs.append(out))
        """
        handle = RemovableHandle(self._forward_hooks,
                                 extra_dict=[self._forward_hooks_with_kwargs,
                                             self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` when the gradients of the module's
        outputs are computed; it may return a replacement ``grad_output`` tuple.

        Example:
            >>> h = m.register_full_backward_pre_hook(lambda mod, g: (g[0] * 0.5,))
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` when the gradients of
        the module's positional inputs are computed.

        ``grad_input`` has one entry per positional argument (None for
        non-tensors and inputs that need no gradient); the hook may return
        a replacement tuple of the same length.

        Example:
            >>> h = m.register_full_backward_hook(
            ...     lambda mod, gin, gout: print([g.shape for g in gout]))
        """
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------
    # registration
    # ------------------------------------------------------------------
    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is state but not a parameter (e.g. BatchNorm's running_mean).

        Args:
            name: attribute name of the buffer.
            tensor: a tensor, or None (then it is skipped by ``state_dict``).
            persistent: whether ``state_dict`` includes it.

        Example:
            >>> m = nn.Module()
            >>> m.register_buffer("steps", autograd.tensor(0))
            >>> list(m.state_dict())
            ['steps']
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, TensorBase):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Add a Parameter (or None, a placeholder such as a disabled bias).

        Example:
            >>> m = nn.Module()
            >>> m.register_parameter("w", nn.Parameter(autograd.ones(2)))
            >>> [n for n, _ in m.named_parameters()]
            ['w']
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                f"must be created explicitly. To express '{name}' as a function of another "
                "Tensor, compute the value in the forward() method."
            )
        self._parameters[name] = param

    def add_module(self, name, module):
        """Add a child module (or None) under ``name``.

        Example:
            >>> m = nn.Module()
            >>> m.add_module("fc", nn.Linear(2, 2))
            >>> [n for n, _ in m.named_children()]
            ['fc']
        """
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` ("" is this module)."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return module

    def get_parameter(self, target):
        """The parameter at dotted path ``target`` (e.g. ``"0.weight"``)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    # ------------------------------------------------------------------
    # attribute protocol
    # ------------------------------------------------------------------
    def __getattr__(self, name):
        # Only called when normal lookup fails: look in the three registries.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        def remove_from(*dicts_or_sets):
            for d in dicts_or_sets:
                if name in d:
                    if isinstance(d, dict):
                        del d[name]
                    else:
                        d.discard(name)

        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(self.__dict__, self._buffers, self._modules,
                        self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(torch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            remove_from(self.__dict__, self._parameters, self._buffers,
                        self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as child module '{name}' "
                    "(torch.nn.Module or None expected)"
                )
            modules[name] = value
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, TensorBase):
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as buffer '{name}' "
                    "(torch.Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)
        _init_hook_dicts(self)

    # ------------------------------------------------------------------
    # iteration over parameters, buffers and modules
    # ------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (module_prefix + ("." if module_prefix else "") + name, value)

    def parameters(self, recurse=True):
        """Yield the parameters (each once), submodules' too when ``recurse``.

        Example:
            >>> [tuple(p.shape) for p in nn.Linear(3, 2).parameters()]
            [(2, 3), (2,)]
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted name, parameter)`` pairs, e.g. ``("0.weight", p)``."""
        return self._named_members(lambda m: m._parameters.items(), prefix=prefix,
                                   recurse=recurse, remove_duplicate=remove_duplicate)

    def buffers(self, recurse=True):
        """Yield the buffers (non-persistent ones too)."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted name, buffer)`` pairs."""
        return self._named_members(lambda m: m._buffers.items(), prefix=prefix,
                                   recurse=recurse, remove_duplicate=remove_duplicate)

    def children(self):
        """Yield the direct submodules (each once)."""
        for _, module in self.named_children():
            yield module

    def named_children(self):
        """Yield ``(name, submodule)`` for the direct submodules."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def modules(self):
        """Yield this module and every submodule, depth first (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted name, module)`` for this module ("") and all below it."""
        # Depth-first pre-order, as the recursive version
        #   yield prefix, self; for child: yield from child.named_modules(prefix.name)
        # but with an explicit stack so deep nets do not hit the recursion limit.
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(name + ("." if name else "") + child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    # ------------------------------------------------------------------
    # modes and gradients
    # ------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode on this module and every submodule; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the parameters' gradients: to None, or to zeros in place.

        Example:
            >>> m = nn.Linear(2, 1)
            >>> m(autograd.ones(1, 2)).sum().backward()
            >>> m.zero_grad()
            >>> m.weight.grad is None
            True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
                continue
            grad = p.grad
            if grad.grad_fn is not None:
                grad = grad.detach()
                p.grad = grad
            else:
                grad.requires_grad_(False)
            write_(grad, 0)

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and on self; returns self.

        Example:
            >>> def init(m):
            ...     if isinstance(m, nn.Linear):
            ...         nn.init.zeros_(m.bias)
            >>> net = nn.Sequential(nn.Linear(2, 2)).apply(init)
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------
    # dtype conversion
    # ------------------------------------------------------------------
    def _apply(self, fn):
        for module in self.children():
            module._apply(fn)
        with no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                # Parameters keep their identity (optimizers hold them):
                # only their buffer changes.
                param.data = fn(param)
                if param.grad is not None:
                    param._grad = fn(param.grad)
            for key, buf in self._buffers.items():
                if buf is not None:
                    self._buffers[key] = fn(buf)
        return self

    def to(self, *args, **kwargs):
        """Cast floating-point parameters and buffers to a dtype (``"cpu"`` is accepted).

        Example:
            >>> nn.Linear(2, 2).to(autograd.float64).weight.dtype
            autograd.float64
        """
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, TensorBase):
                dtype = arg.dtype
            elif isinstance(arg, str) or arg is None:
                if arg not in (None, "cpu"):
                    raise RuntimeError(f"to(): unsupported device '{arg}' (only 'cpu')")
            else:
                dtype = arg
        if dtype is None:
            return self
        from autograd import _dtype
        if _dtype.to_numpy_dtype(dtype).kind != "f":
            raise TypeError(
                "nn.Module.to only accepts floating point dtypes, but got desired dtype="
                f"{dtype}"
            )
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def float(self):
        """Cast floating-point parameters and buffers to float32."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        """Cast floating-point parameters and buffers to float64."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        """Cast floating-point parameters and buffers to float16."""
        from autograd import _dtype
        return self._apply(lambda t: t.to(_dtype.float16) if t.is_floating_point() else t)

    def cpu(self):
        return self

    def type(self, dst_type):
        """Cast every parameter and buffer to ``dst_type``."""
        return self._apply(lambda t: t.to(dst_type))

    # ------------------------------------------------------------------
    # state_dict
    # ------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of parameters and persistent buffers under dotted names.

        The tensors are detached but share memory with the module's (unless
        ``keep_vars``, which returns the Parameters themselves).

        Example:
            >>> list(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).state_dict())
            ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
        """
        if args:
            # PyTorch's deprecated positional form: (destination, prefix, keep_vars)
            names = ("destination", "prefix", "keep_vars")
            values = dict(zip(names, args))
            destination = values.get("destination", destination)
            prefix = values.get("prefix", prefix)
            keep_vars = values.get("keep_vars", keep_vars)
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        # Iterative pre-order walk; each module writes its own entries.
        stack = [(prefix, self)]
        while stack:
            module_prefix, module = stack.pop()
            metadata = getattr(destination, "_metadata", None)
            if metadata is not None:
                metadata[module_prefix[:-1]] = {"version": module._version}
            module._save_to_state_dict(destination, module_prefix, keep_vars)
            children = [(module_prefix + name + ".", child)
                        for name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        persistent = {k: v for k, v in self._buffers.items()
                      if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(),
                                                        persistent.items())
                       if v is not None}
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, TensorBase):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}"
                )
                continue
            if tuple(value.shape) != tuple(param.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{tuple(value.shape)} from checkpoint, the shape in current model is "
                    f"{tuple(param.shape)}."
                )
                continue
            try:
                with no_grad():
                    write_(param, value)
            except Exception as ex:  # noqa: BLE001 (reported, as PyTorch does)
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the '
                    f"model are {tuple(param.shape)} and whose dimensions in the checkpoint "
                    f"are {tuple(value.shape)}, an exception occurred : {ex.args}."
                )
        if strict:
            for key in state_dict:
                if not key.startswith(prefix):
                    continue
                head = key[len(prefix):].split(".", 1)
                if len(head) > 1:
                    if head[0] not in self._modules:
                        unexpected_keys.append(key)
                elif head[0] not in local_state:
                    unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into this module's parameters and buffers in place.

        Args:
            state_dict: a mapping from dotted names to tensors (as ``state_dict()`` makes).
            strict: raise if keys are missing or unexpected (sizes must always match).

        Returns:
            A named tuple ``(missing_keys, unexpected_keys)``.

        Example:
            >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata
        # Each module sees only the keys under its own prefix, as PyTorch's
        # recursive ``load(child, child_state_dict, child_prefix)``.
        stack = [(self, state_dict, "")]
        while stack:
            module, local_dict, prefix = stack.pop()
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            module._load_from_state_dict(local_dict, prefix, local_metadata, True,
                                         missing_keys, unexpected_keys, error_msgs)
            children = []
            for name, child in module._modules.items():
                if child is None:
                    continue
                child_prefix = prefix + name + "."
                child_dict = {k: v for k, v in local_dict.items() if k.startswith(child_prefix)}
                children.append((child, child_dict, child_prefix))
            stack.extend(reversed(children))
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ------------------------------------------------------------------
    # repr
    # ------------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside this module's parentheses in its repr; override it."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
