"""Shape ops: views, reshapes, broadcasting, indexing, joining.

Each op's forward is followed by its backward formula.  A formula gets the
node (``ctx``: ``saved``, ``attrs``, ``needs_input_grad``) and the output's
gradient, returns one gradient per input (None where none is needed), and is
written in engine ops so that ``create_graph=True`` differentiates it again.

Views are numpy views: like PyTorch's, they share memory with their base.
Python's sequence indexing is kept to non-negative, checked indices here:
the compiled build turns off wraparound and bounds checks.
"""
import operator

import cython
import numpy as np

from engine.graph import register_ops

if not cython.compiled:
    from engine.graph import record
    from engine.tensor import TensorBase, format_shape, make


# ======================================================================
# Argument helpers
# ======================================================================

def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _int_arg(name, value, what):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name}(): argument '{what}' must be int, not {type(value).__name__}"
        ) from None


def _ints(name, values, what):
    out = []
    for pos, v in enumerate(values):
        try:
            out.append(operator.index(v))
        except TypeError:
            raise TypeError(
                f"{name}(): argument '{what}' must be tuple of ints, but found element "
                f"of type {type(v).__name__} at pos {pos}"
            ) from None
    return tuple(out)


def _wrap_dim(name, dim, ndim):
    """``dim`` as a non-negative axis of a tensor with ``ndim`` dimensions
    (a 0-d tensor accepts 0 and -1, as in PyTorch)."""
    dim = _int_arg(name, dim, "dim")
    rank = ndim if ndim > 0 else 1
    if dim < -rank or dim >= rank:
        raise IndexError(
            f"{name}(): Dimension out of range (expected to be in range of "
            f"[{-rank}, {rank - 1}], but got {dim})"
        )
    return dim + rank if dim < 0 else dim


def _wrap_dims(name, dims, ndim):
    out = []
    for d in dims:
        d = _wrap_dim(name, d, ndim)
        if d in out:
            raise RuntimeError(f"{name}(): dim {d} appears multiple times in the list of dims")
        out.append(d)
    return out


def _tensor_arg(name, x, what="input"):
    if not isinstance(x, TensorBase):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(x).__name__}")
    return x


# ======================================================================
# sum_to / expand: broadcasting and its adjoint
# ======================================================================

def sum_to(input, shape):
    """Sum ``input`` down to ``shape``, undoing numpy-style broadcasting."""
    data = input._data
    shape = tuple(shape)
    if data.shape == shape:
        return input
    lead = data.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot sum shape {data.shape} to {shape}")
    axes = list(range(lead))
    for i, s in enumerate(shape):
        d = data.shape[lead + i]
        if s == 1 and d != 1:
            axes.append(lead + i)
        elif s != d:
            raise ValueError(f"sum_to: cannot sum shape {data.shape} to {shape}")
    out = make(data.sum(axis=tuple(axes)).reshape(shape))
    record(out, "SumToBackward0", _sum_to_backward, (input,), (), False, data.shape)
    return out


def _sum_to_backward(ctx, grad):
    return (expand(grad, ctx.attrs),)


def expand(input, *sizes):
    """Broadcast ``input`` to a larger shape without copying.

    Args:
        sizes: the new shape; -1 keeps an existing size, new dims go in front.

    Example:
        >>> autograd.tensor([[1.], [2.]]).expand(2, 3).shape
        (2, 3)
    """
    sizes = _ints("expand", _shape_arg(sizes), "size")
    data = input._data
    lead = len(sizes) - data.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({data.ndim})"
        )
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({s}) isn't allowed in a "
                    f"leading, non-existing dimension {i}"
                )
        else:
            have = data.shape[i - lead]
            if s == -1:
                s = have
            elif have != s and (have != 1 or s < 0):
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({s}) must match the existing "
                    f"size ({have}) at non-singleton dimension {i}.  Target sizes: "
                    f"{format_shape(sizes)}.  Tensor sizes: {format_shape(data.shape)}"
                )
        target.append(s)
    out = make(np.broadcast_to(data, tuple(target)))
    record(out, "ExpandBackward0", _expand_backward, (input,), ())
    return out


def _expand_backward(ctx, grad):
    # the engine sums a gradient back to its input's shape
    return (grad,)


def expand_as(input, other):
    """``input.expand(other.shape)``."""
    return expand(input, _tensor_arg("expand_as", other, "other")._data.shape)


# ======================================================================
# reshape / view / flatten
# ======================================================================

def _infer_shape(name, shape, numel):
    """``shape`` with its -1 (if any) filled in so that it holds ``numel``
    elements; PyTorch's errors otherwise."""
    shape = _ints(name, shape, "shape")
    infer = -1
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer >= 0:
                raise RuntimeError(f"{name}: only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(
                f"{name}: invalid shape dimension {s} at index {i} of shape "
                f"{format_shape(shape)}"
            )
        else:
            known *= s
    if infer >= 0:
        if known == 0 or numel % known != 0:
            raise RuntimeError(
                f"{name}: shape '{format_shape(shape)}' is invalid for input of size {numel}"
            )
        shape = shape[:infer] + (numel // known,) + shape[infer + 1:]
    elif known != numel:
        raise RuntimeError(
            f"{name}: shape '{format_shape(shape)}' is invalid for input of size {numel}"
        )
    return shape


def reshape(input, *shape):
    """Return the same values in a new shape: a view when the strides allow
    one, else a copy.

    Args:
        shape: the new shape; one entry may be -1 (inferred).

    Example:
        >>> autograd.arange(6.).reshape(2, -1).shape
        (2, 3)
    """
    data = input._data
    shape = _infer_shape("reshape", _shape_arg(shape), data.size)
    try:
        values = np.reshape(data, shape, copy=False)
    except ValueError:
        # No view exists: copy first, as PyTorch does (CloneBackward0 then
        # UnsafeViewBackward0).
        copied = clone(input)
        out = make(copied._data.reshape(shape))
        record(out, "UnsafeViewBackward0", _reshape_backward, (copied,), (), False, data.shape)
        return out
    out = make(values)
    record(out, "ViewBackward0", _reshape_backward, (input,), (), False, data.shape)
    return out


def view(input, *shape):
    """Like ``reshape`` but never copies: fails when the strides forbid a view.

    Example:
        >>> autograd.zeros(2, 3).view(-1).shape
        (6,)
    """
    data = input._data
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list)) \
            and not hasattr(shape[0], "__index__"):
        raise TypeError(
            f"view(): argument 'size' must be tuple of ints, not {type(shape[0]).__name__} "
            "(viewing as another dtype is not supported)"
        )
    shape = _infer_shape("view", _shape_arg(shape), data.size)
    try:
        values = np.reshape(data, shape, copy=False)
    except ValueError:
        raise RuntimeError(
            f"view: view size is not compatible with input tensor's size and stride (at least "
            f"one dimension spans across two contiguous subspaces). Use .reshape(...) instead. "
            f"(shape {format_shape(data.shape)}, strides "
            f"{format_shape([s // data.itemsize for s in data.strides])}, requested "
            f"{format_shape(shape)})"
        ) from None
    out = make(values)
    record(out, "ViewBackward0", _reshape_backward, (input,), (), False, data.shape)
    return out


def _reshape_backward(ctx, grad):
    return (reshape(grad, ctx.attrs),)


def view_as(input, other):
    """``input.view(other.shape)``."""
    return view(input, _tensor_arg("view_as", other, "other")._data.shape)


def reshape_as(input, other):
    """``input.reshape(other.shape)``."""
    return reshape(input, _tensor_arg("reshape_as", other, "other")._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim`` to ``end_dim`` (inclusive) into one.

    Example:
        >>> autograd.zeros(2, 3, 4).flatten(1).shape
        (2, 12)
    """
    data = input._data
    if data.ndim == 0:
        _wrap_dim("flatten", start_dim, 0)
        _wrap_dim("flatten", end_dim, 0)
        return reshape(input, (1,))
    start = _wrap_dim("flatten", start_dim, data.ndim)
    end = _wrap_dim("flatten", end_dim, data.ndim)
    if start > end:
        raise RuntimeError(
            f"flatten() has invalid args: start_dim cannot come after end_dim "
            f"(start_dim={start_dim}, end_dim={end_dim}, shape {format_shape(data.shape)})"
        )
    if start == end:
        return input
    shape = data.shape
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


# ======================================================================
# Dimension permutations
# ======================================================================

def transpose(input, dim0, dim1):
    """Swap two dimensions (a view).

    Example:
        >>> autograd.zeros(2, 3, 4).transpose(0, -1).shape
        (4, 3, 2)
    """
    ndim = input._data.ndim
    d0 = _wrap_dim("transpose", dim0, ndim)
    d1 = _wrap_dim("transpose", dim1, ndim)
    # the array method: np.swapaxes is a Python wrapper around it, a few us a call
    values = input._data if ndim == 0 else input._data.swapaxes(d0, d1)
    out = make(values)
    record(out, "TransposeBackward0", _transpose_backward, (input,), (), False, (d0, d1))
    return out


def _transpose_backward(ctx, grad):
    d0, d1 = ctx.attrs
    return (transpose(grad, d0, d1),)


def t(input):
    """Transpose a matrix; 0-D and 1-D tensors come back as they are.

    Example:
        >>> autograd.zeros(2, 3).t().shape
        (3, 2)
    """
    data = input._data
    if data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {data.ndim}D "
            f"(shape {format_shape(data.shape)})"
        )
    out = make(data.T)
    record(out, "TBackward0", _t_backward, (input,), ())
    return out


def _t_backward(ctx, grad):
    return (t(grad),)


def permute(input, *dims):
    """Reorder the dimensions: ``dims[i]`` is the input dim placed at ``i``.

    Example:
        >>> autograd.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
    """
    dims = _ints("permute", _shape_arg(dims), "dims")
    data = input._data
    if len(dims) != data.ndim:
        raise RuntimeError(
            f"permute(): number of dimensions in the tensor input does not match the length "
            f"of the desired ordering of dimensions i.e. input.dim() = {data.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    order = []
    for d in dims:
        d = _wrap_dim("permute", d, data.ndim)
        if d in order:
            raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(dims)})")
        order.append(d)
    order = tuple(order)
    out = make(data.transpose(order))
    record(out, "PermuteBackward0", _permute_backward, (input,), (), False, order)
    return out


def _permute_backward(ctx, grad):
    order = ctx.attrs
    inverse = [0] * len(order)
    for i, d in enumerate(order):
        inverse[d] = i
    return (permute(grad, tuple(inverse)),)


def _reverse_dims(input):
    """``input.T``: all dimensions reversed."""
    return permute(input, tuple(range(input._data.ndim - 1, -1, -1)))


def _matrix_transpose(input):
    """``input.mT``: the last two dimensions swapped."""
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(
            f"tensor.mT is only supported on matrices or batches of matrices. Got {ndim}-D tensor."
        )
    return transpose(input, ndim - 2, ndim - 1)


# ======================================================================
# squeeze / unsqueeze
# ======================================================================

def squeeze(input, dim=None):
    """Remove dimensions of size 1 (all of them, or those among ``dim``).

    Args:
        dim: None, an int or a tuple of ints; listed dims whose size is not
            1 are kept.

    Example:
        >>> autograd.zeros(2, 1, 3, 1).squeeze(1).shape
        (2, 3, 1)
    """
    data = input._data
    shape = data.shape
    if dim is None:
        name = "SqueezeBackward0"
        keep = [s for s in shape if s != 1]
    else:
        if isinstance(dim, (tuple, list)):
            name = "SqueezeBackward2"
            dims = _wrap_dims("squeeze", dim, data.ndim)
        else:
            name = "SqueezeBackward1"
            dims = [_wrap_dim("squeeze", dim, data.ndim)]
        keep = [s for i, s in enumerate(shape) if not (s == 1 and i in dims)]
    out = make(data.reshape(tuple(keep)))
    record(out, name, _reshape_backward, (input,), (), False, shape)
    return out


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim`` (in ``[-ndim-1, ndim]``).

    Example:
        >>> autograd.zeros(2, 3).unsqueeze(-1).shape
        (2, 3, 1)
    """
    data = input._data
    d = _wrap_dim("unsqueeze", dim, data.ndim + 1)
    out = make(np.expand_dims(data, d))
    record(out, "UnsqueezeBackward0", _unsqueeze_backward, (input,), (), False, d)
    return out


def _unsqueeze_backward(ctx, grad):
    return (squeeze(grad, ctx.attrs),)


# ======================================================================
# clone / contiguous
# ======================================================================

def clone(input, memory_format=None):
    """A copy of ``input`` (C-contiguous) that stays in the graph.

    Example:
        >>> a = autograd.ones(2, requires_grad=True)
        >>> a.clone().grad_fn.name()
        'CloneBackward0'
    """
    out = make(np.array(_tensor_arg("clone", input)._data, order="C", copy=True))
    record(out, "CloneBackward0", _clone_backward, (input,), ())
    return out


def _clone_backward(ctx, grad):
    return (grad,)


def contiguous(input, memory_format=None):
    """``input`` itself when its values are C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def is_contiguous(input, memory_format=None):
    """Whether the values are laid out C-contiguously."""
    return bool(input._data.flags.c_contiguous)


# ======================================================================
# Indexing
# ======================================================================
# ``x[key]`` is one op: the key is checked and normalised once (ellipsis
# kept, masks turned into integer arrays, ints and arrays bounds-checked),
# applied with numpy in at most two steps, and the gradient is scattered back into zeros of the
# input's shape by ``_index_scatter``, an op whose own backward is indexing
# again.  The node is named after the op PyTorch would apply last: any
# advanced index makes it IndexBackward0, else the last int, slice or None.

_INDEX_TYPES_MESSAGE = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
    "valid indices (got {})"
)

# The scatter's node name for each indexing node name.
_SCATTER_NAMES = {
    "SelectBackward0": "SelectBackwardBackward0",
    "SliceBackward0": "SliceBackwardBackward0",
    "UnsqueezeBackward0": "SqueezeBackward1",
    "AliasBackward0": "AliasBackward0",
    "IndexBackward0": "IndexPutBackward0",
}


def _index_array(arr, what):
    """One index given as an array: its role (int, mask, bool or array) and value."""
    kind = arr.dtype.kind
    if kind == "b":
        if arr.ndim == 0:
            return "bool", np.bool_(arr)
        return "mask", arr
    if kind in "iu":
        if arr.ndim == 0:
            return "int", int(arr)
        return "array", arr.astype(np.intp, copy=False)
    if what == "tensor":
        raise IndexError(
            f"tensors used as indices must be long, int, byte or bool tensors (got {arr.dtype})"
        )
    raise IndexError(f"arrays used as indices must be of integer or boolean type (got {arr.dtype})")


def _classify_index(k):
    """(role, value) of one element of an indexing key."""
    if k is None:
        return "none", None
    if k is Ellipsis:
        return "ellipsis", Ellipsis
    if isinstance(k, slice):
        return "slice", k
    if isinstance(k, (bool, np.bool_)):
        return "bool", np.bool_(k)
    if isinstance(k, int):
        return "int", k
    if isinstance(k, TensorBase):
        data = (cython.cast(TensorBase, k))._data
        if data.dtype == np.uint8:
            # PyTorch reads byte tensors as (legacy) masks
            data = data.astype(np.bool_)
        return _index_array(data, "tensor")
    if isinstance(k, np.ndarray):
        return _index_array(k, "array")
    if isinstance(k, (list, tuple)):
        # A list is one integer (or boolean) array index, as in numpy.
        try:
            arr = np.asarray(k)
        except ValueError:
            raise IndexError(f"index lists must be rectangular (got {k!r})") from None
        if arr.size == 0:
            arr = arr.astype(np.intp)
        if arr.dtype.kind not in "biu":
            raise IndexError(_INDEX_TYPES_MESSAGE.format(f"a list of {arr.dtype}"))
        return _index_array(arr, "array")
    if isinstance(k, (float, complex, str, bytes)) or not hasattr(k, "__index__"):
        raise IndexError(_INDEX_TYPES_MESSAGE.format(type(k).__name__))
    return "int", operator.index(k)


def _slice_arg(v):
    if v is None:
        return None
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(
            f"slice indices must be integers or None or have an __index__ method "
            f"(got {type(v).__name__})"
        ) from None


def _normalize_key(shape, key):
    """Check ``key`` against ``shape``; return (basic key, advanced key, node name).

    PyTorch applies ints as ``select`` before any advanced index (numpy
    instead lets an int join the advanced indices, which moves dims when a
    slice separates them), so a key holding both is split in two: the basic
    part (ints, slices, None) then the advanced part on its result.  Either
    part may be None.
    """
    if type(key) is not tuple:
        key = (key,)
    ndim = len(shape)
    items = []
    consumed = 0
    ellipses = 0
    for k in key:
        role, value = _classify_index(k)
        if role == "int" or role == "slice" or role == "array":
            consumed += 1
        elif role == "mask":
            consumed += value.ndim
        elif role == "ellipsis":
            ellipses += 1
            if ellipses > 1:
                raise IndexError("an index can only have a single ellipsis ('...')")
        items.append((role, value))
    if consumed > ndim:
        raise IndexError(
            f"too many indices for tensor of dimension {ndim} (got {consumed} for shape "
            f"{format_shape(shape)})"
        )
    full = []     # the whole key, as numpy reads it
    basic = []    # ints, slices and None; a full slice for each advanced dim
    adv = []      # advanced indices; a full slice for each dim basic keeps
    name = "AliasBackward0"
    advanced = False
    has_int = False
    everything = slice(None)
    d = 0     # the input dim the next element indexes
    od = 0    # the dim PyTorch's step-by-step indexing would report
    for role, value in items:
        if role == "int":
            size = shape[d]
            if value < -size or value >= size:
                raise IndexError(
                    f"index {value} is out of bounds for dimension {od} with size {size}"
                )
            full.append(value)
            basic.append(value)
            has_int = True
            name = "SelectBackward0"
            d += 1
        elif role == "slice":
            step = _slice_arg(value.step)
            if step is not None and step <= 0:
                if step == 0:
                    raise ValueError("slice step cannot be zero")
                raise ValueError("step must be greater than zero")
            sl = slice(_slice_arg(value.start), _slice_arg(value.stop), step)
            full.append(sl)
            basic.append(sl)
            adv.append(everything)
            name = "SliceBackward0"
            d += 1
            od += 1
        elif role == "none":
            full.append(None)
            basic.append(None)
            adv.append(everything)
            name = "UnsqueezeBackward0"
            od += 1
        elif role == "ellipsis":
            full.append(Ellipsis)
            basic.append(Ellipsis)
            adv.append(Ellipsis)
            d += ndim - consumed
            od += ndim - consumed
        elif role == "bool":
            full.append(value)
            adv.append(value)
            advanced = True
            od += 1
        elif role == "mask":
            m = value.ndim
            part = shape[d:d + m]
            if value.shape != part:
                j = 0
                while value.shape[j] == part[j]:
                    j += 1
                raise IndexError(
                    f"The shape of the mask {format_shape(value.shape)} at index {j} does "
                    f"not match the shape of the indexed tensor {format_shape(shape)} at "
                    f"index {d + j}"
                )
            positions = value.nonzero()
            full.extend(positions)
            basic.extend([everything] * m)
            adv.extend(positions)
            advanced = True
            d += m
            od += m
        else:
            size = shape[d]
            if value.size:
                hi = int(value.max())
                lo = int(value.min())
                bad = hi if hi >= size else (lo if lo < -size else None)
                if bad is not None:
                    raise IndexError(
                        f"index {bad} is out of bounds for dimension {d} with size {size}"
                    )
            full.append(value)
            basic.append(everything)
            adv.append(value)
            advanced = True
            d += 1
            od += 1
    if not advanced:
        return tuple(full), None, name
    if has_int:
        return tuple(basic), tuple(adv), "IndexBackward0"
    return None, tuple(full), "IndexBackward0"


def _index_apply(input, basic, adv, name):
    """``input[basic][adv]`` for normalised keys (either may be None),
    recorded as one node named ``name``."""
    data = input._data
    values = data if basic is None else data[basic]
    if adv is not None:
        try:
            values = values[adv]
        except IndexError:
            shapes = ", ".join([format_shape(np.shape(k)) for k in adv
                                if isinstance(k, np.ndarray)])
            raise IndexError(
                f"shape mismatch: indexing tensors could not be broadcast together with "
                f"shapes {shapes}"
            ) from None
    out = make(values)
    record(out, name, _index_backward, (input,), (), False, (data.shape, basic, adv, name))
    return out


def _index_backward(ctx, grad):
    shape, basic, adv, name = ctx.attrs
    return (_index_scatter(grad, shape, basic, adv, name),)


def _index_scatter(grad, shape, basic, adv, name):
    """Zeros of ``shape`` with ``grad`` added at the indexed places: the
    adjoint of indexing (repeated integer indices accumulate)."""
    g = grad._data
    values = np.zeros(shape, dtype=g.dtype)
    if adv is None:
        values[basic] = g
    else:
        # basic indexing gives a view, so adding into it fills ``values``
        np.add.at(values if basic is None else values[basic], adv, g)
    out = make(values)
    record(out, _SCATTER_NAMES[name], _index_scatter_backward, (grad,), (), False,
           (basic, adv, name))
    return out


def _index_scatter_backward(ctx, grad):
    basic, adv, name = ctx.attrs
    return (_index_apply(grad, basic, adv, name),)


def getitem(input, key):
    """``input[key]`` with numpy's (and PyTorch's) indexing rules.

    Basic indices (ints, slices with positive steps, None, ``...``) give
    views; integer arrays (lists, numpy arrays, integer tensors) and boolean
    masks give copies.  A list is one array index, as in numpy.

    Example:
        >>> x = autograd.arange(12.).reshape(3, 4)
        >>> x[1:, [0, 0, 3]].tolist()
        [[4.0, 4.0, 7.0], [8.0, 8.0, 11.0]]
    """
    basic, adv, name = _normalize_key(input._data.shape, key)
    return _index_apply(input, basic, adv, name)


def select(input, dim, index):
    """The slice at ``index`` along ``dim`` (that dim removed), a view.

    Example:
        >>> autograd.zeros(2, 3).select(1, -1).shape
        (2,)
    """
    data = input._data
    if data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim("select", dim, data.ndim)
    index = _int_arg("select", index, "index")
    size = data.shape[d]
    if index < -size or index >= size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"{format_shape(data.shape)} at dimension {d}"
        )
    key = (slice(None),) * d + (index,)
    return _index_apply(input, key, None, "SelectBackward0")


def narrow(input, dim, start, length):
    """Elements ``start`` to ``start + length`` along ``dim``, a view.

    Example:
        >>> autograd.arange(5.).narrow(0, 1, 3).tolist()
        [1.0, 2.0, 3.0]
    """
    data = input._data
    if data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim("narrow", dim, data.ndim)
    start = _int_arg("narrow", start, "start")
    length = _int_arg("narrow", length, "length")
    size = data.shape[d]
    if start < -size or start > size:
        raise IndexError(
            f"narrow(): start out of range (expected to be in range of [{-size}, {size}], "
            f"but got {start})"
        )
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(
            f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size})."
        )
    key = (slice(None),) * d + (slice(start, start + length),)
    return _index_apply(input, key, None, "SliceBackward0")


def _iter(input):
    """Iterate over the first dimension; each item stays in the graph."""
    data = input._data
    if data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return _rows(input, data.shape[0])


def _rows(input, n):
    for i in range(n):
        yield _index_apply(input, (i,), None, "SelectBackward0")


# ======================================================================
# Joining: cat / stack
# ======================================================================

def _kind_rank(dtype):
    k = dtype.kind
    if k == "b":
        return 0
    if k == "i" or k == "u":
        return 1
    if k == "f":
        return 2
    return 3


def _join_dtype(arrays):
    """PyTorch's result dtype for joined tensors: the highest kind (bool <
    int < float < complex) wins whatever the widths; within it, numpy's
    promotion."""
    top = max([_kind_rank(a.dtype) for a in arrays])
    dtype = None
    for a in arrays:
        if _kind_rank(a.dtype) == top:
            dtype = a.dtype if dtype is None else np.promote_types(dtype, a.dtype)
    return dtype


def _tensor_list(name, tensors):
    if isinstance(tensors, TensorBase) or not isinstance(tensors, (tuple, list)):
        raise TypeError(
            f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}"
        )
    tensors = tuple(tensors)
    for i, x in enumerate(tensors):
        if not isinstance(x, TensorBase):
            raise TypeError(
                f"{name}(): expected Tensor as element {i} in argument 0, but got "
                f"{type(x).__name__}"
            )
    return tensors


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim``.

    All sizes but ``dim`` must match; dtypes promote as in PyTorch.  As in
    PyTorch, 1-D empty tensors (shape ``(0,)``) are skipped whatever the
    others' shapes.

    Example:
        >>> autograd.cat([autograd.zeros(2, 3), autograd.ones(2, 1)], dim=1).shape
        (2, 4)
    """
    tensors = _tensor_list("cat", tensors)
    if len(tensors) == 0:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    arrays = [(cython.cast(TensorBase, x))._data for x in tensors]
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise RuntimeError(
                f"cat(): zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    dtype = _join_dtype(arrays)
    kept = [i for i, a in enumerate(arrays) if a.shape != (0,)]
    if not kept:
        kept = [0]
    ref = arrays[kept[0]]
    d = _wrap_dim("cat", dim, ref.ndim)
    for i in kept:
        a = arrays[i]
        if a.ndim != ref.ndim:
            raise RuntimeError(
                f"cat(): Tensors must have same number of dimensions: got {ref.ndim} and "
                f"{a.ndim} (shapes {format_shape(ref.shape)} and {format_shape(a.shape)})"
            )
        for j in range(ref.ndim):
            if j != d and a.shape[j] != ref.shape[j]:
                raise RuntimeError(
                    f"cat(): Sizes of tensors must match except in dimension {d}. Expected "
                    f"size {ref.shape[j]} but got size {a.shape[j]} for tensor number {i} in "
                    f"the list. Shapes: tensor {kept[0]} is {format_shape(ref.shape)}, "
                    f"tensor {i} is {format_shape(a.shape)}."
                )
    values = np.concatenate([arrays[i] for i in kept], axis=d, dtype=dtype)
    out = make(values)
    # per input: (offset, size) along d, or None for a skipped (0,) tensor
    kept = set(kept)
    spans = []
    offset = 0
    for i, a in enumerate(arrays):
        if i in kept:
            spans.append((offset, a.shape[d]))
            offset += a.shape[d]
        else:
            spans.append(None)
    record(out, "CatBackward0", _cat_backward, tensors, (), False, (d, tuple(spans)))
    return out


def _cat_backward(ctx, grad):
    d, spans = ctx.attrs
    needs = ctx.needs_input_grad
    grads = []
    for i, span in enumerate(spans):
        if not needs[i]:
            grads.append(None)
        elif span is None:
            grads.append(reshape(narrow(grad, d, 0, 0), (0,)))
        else:
            grads.append(narrow(grad, d, span[0], span[1]))
    return tuple(grads)


def stack(tensors, dim=0):
    """Join equally shaped tensors along a new dimension ``dim``.

    Example:
        >>> autograd.stack([autograd.zeros(2, 3), autograd.ones(2, 3)], dim=1).shape
        (2, 2, 3)
    """
    tensors = _tensor_list("stack", tensors)
    if len(tensors) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    arrays = [(cython.cast(TensorBase, x))._data for x in tensors]
    ref = arrays[0]
    d = _wrap_dim("stack", dim, ref.ndim + 1)
    for i, a in enumerate(arrays):
        if a.shape != ref.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got "
                f"{format_shape(ref.shape)} at entry 0 and {format_shape(a.shape)} at entry {i}"
            )
    values = np.stack(arrays, axis=d, dtype=_join_dtype(arrays))
    out = make(values)
    record(out, "StackBackward0", _stack_backward, tensors, (), False, d)
    return out


def _stack_backward(ctx, grad):
    d = ctx.attrs
    needs = ctx.needs_input_grad
    return tuple([select(grad, d, i) if needs[i] else None for i in range(len(needs))])


register_ops(sum_to=sum_to)

__all__ = [
    "reshape", "view", "expand", "flatten", "transpose", "swapaxes", "swapdims", "t",
    "permute", "squeeze", "unsqueeze", "clone", "select", "narrow", "cat", "concatenate",
    "concat", "stack",
]
swapaxes = transpose
swapdims = transpose
concatenate = cat
concat = cat

# Tensor methods (and operators) that are these functions, by method name.
TENSOR_METHODS = {
    "reshape": reshape,
    "view": view,
    "expand": expand,
    "expand_as": expand_as,
    "view_as": view_as,
    "reshape_as": reshape_as,
    "flatten": flatten,
    "transpose": transpose,
    "swapaxes": transpose,
    "swapdims": transpose,
    "t": t,
    "T": property(_reverse_dims),
    "mT": property(_matrix_transpose),
    "permute": permute,
    "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "clone": clone,
    "contiguous": contiguous,
    "is_contiguous": is_contiguous,
    "select": select,
    "narrow": narrow,
    "__getitem__": getitem,
    "__iter__": _iter,
}
