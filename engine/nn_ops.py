"""Neural-network ops: linear, batch_norm, dropout's masked scale and the
losses (mse_loss, nll_loss, cross_entropy), with PyTorch's semantics.

Each op's forward is followed by its backward formula (see shape_ops.py for
the formula conventions).  linear, batch_norm, mse_loss and nll_loss are one
fused node each; cross_entropy is log_softmax followed by nll_loss, as in
PyTorch (its node is ``NllLossBackward0``).

batch_norm's formula has two forms.  A plain backward (grad mode off while
formulas run) takes the fused path: a few passes over the buffers, with C
loops for contiguous float32/float64 data in the compiled engine and numpy
otherwise.  Under ``create_graph=True`` the same derivative is written in
engine ops instead, so that it can be differentiated again.

Nothing here is exported at the top level (``__all__`` is empty): PyTorch's
``torch.batch_norm`` and ``torch.dropout`` have other signatures than the
``torch.nn.functional`` ones, so these functions are reached through
``autograd.nn.functional``.  Python's sequence indexing is kept to
non-negative indices: the compiled build turns off wraparound.
"""
import warnings

import cython
import numpy as np
from cython.parallel import prange

from engine.grad_mode import is_grad_enabled
from engine.linalg_ops import matmul, mm
from engine.pointwise_ops import add, add_in_place, mul, neg, pow, sub, where
from engine.pointwise_ops import get_num_threads
from engine.reduce_ops import log_softmax
from engine.reduce_ops import mean as _mean
from engine.reduce_ops import sum as _sum
from engine.shape_ops import reshape, transpose

if cython.compiled:
    cnp.import_array()
else:
    from engine.graph import record
    from engine.linalg_ops import matrix_product
    from engine.pointwise_ops import _fast_kind
    from engine.reduce_ops import _column_sums, _pairwise_sum
    from engine.tensor import TensorBase, format_shape, make

_INT64 = np.dtype(np.int64)
_UINT8 = np.dtype(np.uint8)
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)

# PyTorch's names for dtypes, used in its error messages.
_TORCH_DTYPE_NAMES = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
}
# ... and the C++ spellings some of them use.
_C_DTYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                  "int64": "long int", "int32": "int"}

_REDUCTIONS = ("none", "mean", "sum")


# ======================================================================
# Argument handling
# ======================================================================

def _torch_dtype_name(dtype):
    return _TORCH_DTYPE_NAMES.get(dtype.name, dtype.name)


def _data(name, x, arg):
    """The array behind a tensor argument (a TypeError for anything else)."""
    if not isinstance(x, TensorBase):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    return (cython.cast(TensorBase, x))._data


def _optional_data(name, x, arg):
    if x is None:
        return None
    return _data(name, x, arg)


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _product(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _requires_grad(x) -> cython.bint:
    if x is None:
        return False
    t: TensorBase = x
    return t._requires_grad or t._grad_fn is not None


# ======================================================================
# linear
# ======================================================================

def linear(input, weight, bias=None):
    """``input @ weight.T + bias``, one fused node.

    Args:
        input: a ``(*, in_features)`` tensor.
        weight: an ``(out_features, in_features)`` tensor of the same dtype.
        bias: an optional ``(out_features,)`` tensor (anything broadcasting
            to the output works).

    The node is PyTorch's name for the 2-D case, ``AddmmBackward0`` (or
    ``MmBackward0`` without bias), for every input rank: where PyTorch
    reshapes around the product (ViewBackward0 / UnsafeViewBackward0 for
    1-D and N-D inputs) this library keeps one node.  A 1-D weight is
    computed as ``matmul(input, weight) + bias`` (several nodes).

    Example:
        >>> x = autograd.ones(2, 3)
        >>> linear(x, autograd.ones(4, 3), autograd.zeros(4)).shape
        (2, 4)
    """
    x = _data("linear", input, "input")
    w = _data("linear", weight, "weight")
    b = _optional_data("linear", bias, "bias")
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {x.ndim}D and "
            f"{w.ndim}D"
        )
    if w.ndim == 1:
        out = matmul(input, weight)
        return out if bias is None else add(out, bias)
    if w.ndim != 2:
        raise RuntimeError(
            f"linear(): weight must be 1-D or 2-D, but got a tensor of shape {format_shape(w.shape)}"
        )
    n_in = x.shape[x.ndim - 1]
    lead = x.shape[:x.ndim - 1]
    rows = _product(lead)
    if w.shape[1] != n_in:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{n_in} and "
            f"{w.shape[1]}x{w.shape[0]})"
        )
    if x.dtype != w.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_C_DTYPE_NAMES.get(x.dtype.name, x.dtype.name)} != "
            f"{_C_DTYPE_NAMES.get(w.dtype.name, w.dtype.name)}"
        )
    n_out = w.shape[0]
    x2 = x if x.ndim == 2 else x.reshape(rows, n_in)
    values = matrix_product(x2, w.T)
    out_shape = lead + (n_out,)
    if x.ndim != 2:
        values = values.reshape(out_shape)
    bias_vector = False
    if b is not None:
        if b.dtype != x.dtype:
            raise RuntimeError(
                f"self and mat2 must have the same dtype, but got {_torch_dtype_name(b.dtype)} "
                f"and {_torch_dtype_name(w.dtype)}"
            )
        bias_vector = b.shape == (n_out,)
        try:
            if bias_vector or np.broadcast_shapes(b.shape, out_shape) == out_shape:
                add_in_place(values, b)
            else:
                raise ValueError
        except ValueError:
            raise RuntimeError(
                f"linear(): bias of shape {format_shape(b.shape)} does not broadcast to the "
                f"output shape {format_shape(out_shape)} (expected a bias of shape "
                f"[{n_out}])"
            ) from None
    out = make(values)
    if b is None:
        record(out, "MmBackward0", _linear_backward, (input, weight), (input, weight), False,
               (rows, n_in, False))
    else:
        record(out, "AddmmBackward0", _linear_backward, (input, weight, bias), (input, weight),
               False, (rows, n_in, bias_vector))
    return out


def _linear_backward(ctx, grad):
    # d input = grad @ W, d W = grad^T @ input, d bias = grad summed over rows.
    x, w = ctx.saved
    rows, n_in, bias_vector = ctx.attrs
    needs = ctx.needs_input_grad
    if not is_grad_enabled():
        return _linear_backward_arrays(x, w, grad, rows, n_in, bias_vector, needs)
    xd = (cython.cast(TensorBase, x))._data
    g = grad
    gd = (cython.cast(TensorBase, grad))._data
    if gd.ndim != 2:
        g = reshape(grad, (rows, gd.shape[gd.ndim - 1]))
    ga = gw = gb = None
    if needs[0]:
        ga = mm(g, w)
        if xd.ndim != 2:
            ga = reshape(ga, xd.shape)
    if needs[1]:
        x2 = x if xd.ndim == 2 else reshape(x, (rows, n_in))
        gw = mm(transpose(g, 0, 1), x2)
    if len(needs) == 2:
        return (ga, gw)
    if needs[2]:
        # a bias of another shape is summed back to it by the engine
        gb = _sum(g, 0) if bias_vector else grad
    return (ga, gw, gb)


@cython.cfunc
def _linear_backward_arrays(x, w, grad, rows, n_in, bias_vector, needs):
    # No graph to build (create_graph=False): the same products and sum, with
    # the same bits, made on the arrays.  The ops above would check and
    # dispatch three or four times per layer, about a third of a small
    # layer's backward.
    xd = (cython.cast(TensorBase, x))._data
    gd = (cython.cast(TensorBase, grad))._data
    g = gd if gd.ndim == 2 else gd.reshape(rows, gd.shape[gd.ndim - 1])
    ga = gw = gb = None
    if needs[0]:
        a = matrix_product(g, (cython.cast(TensorBase, w))._data)
        ga = make(a if xd.ndim == 2 else a.reshape(xd.shape))
    if needs[1]:
        gw = make(matrix_product(g.T, xd if xd.ndim == 2 else xd.reshape(rows, n_in)))
    if len(needs) == 2:
        return (ga, gw)
    if needs[2]:
        if bias_vector:
            sums = _column_sums(g)
            gb = make(sums if sums is not None else np.add.reduce(g, axis=0))
        else:
            gb = grad
    return (ga, gw, gb)


# ======================================================================
# batch_norm
# ======================================================================

# C kernels over a contiguous (N, C, K) buffer, used by the compiled engine
# for float32 and float64 (the numpy forms beside them are the fallback).
# Per-channel sums accumulate in double.  Each kernel splits its work into
# channels (the sums) or (image, channel) planes (the elementwise passes);
# one thread does each part start to end, so the results are the same
# whatever the thread count.

# elements from which the kernels use the user's thread count
_BN_PARALLEL_MIN = 262144


@cython.cfunc
def _bn_threads(a) -> cython.int:
    return get_num_threads() if a.size >= _BN_PARALLEL_MIN else 1


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _channel_sum(x: cython.pointer(cython.floating), n: cython.Py_ssize_t,
                 k: cython.Py_ssize_t, stride: cython.Py_ssize_t,
                 squares: cython.bint, m: cython.double) -> cython.double:
    # sum of x, or of (x - m)^2, over one channel: n runs of k elements,
    # stride apart.  Four partial sums break the add-latency
    # chain (about 3x faster).
    i: cython.Py_ssize_t
    l: cython.Py_ssize_t
    p: cython.pointer(cython.floating)
    s0: cython.double = 0.0
    s1: cython.double = 0.0
    s2: cython.double = 0.0
    s3: cython.double = 0.0
    d0: cython.double
    d1: cython.double
    d2: cython.double
    d3: cython.double
    for i in range(n):
        p = x + i * stride
        l = 0
        if squares:
            while l + 4 <= k:
                d0 = p[l] - m
                d1 = p[l + 1] - m
                d2 = p[l + 2] - m
                d3 = p[l + 3] - m
                s0 += d0 * d0
                s1 += d1 * d1
                s2 += d2 * d2
                s3 += d3 * d3
                l += 4
            while l < k:
                d0 = p[l] - m
                s0 += d0 * d0
                l += 1
        else:
            while l + 4 <= k:
                s0 += p[l]
                s1 += p[l + 1]
                s2 += p[l + 2]
                s3 += p[l + 3]
                l += 4
            while l < k:
                s0 += p[l]
                l += 1
    return s0 + s1 + s2 + s3


@cython.cfunc
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _c_channel_stats(x: cython.floating[:, :, ::1], mean: cython.double[::1],
                     var: cython.double[::1], threads: cython.int) -> cython.void:
    # x must hold at least one element per channel
    n: cython.Py_ssize_t = x.shape[0]
    c: cython.Py_ssize_t = x.shape[1]
    k: cython.Py_ssize_t = x.shape[2]
    j: cython.Py_ssize_t
    m: cython.double
    count: cython.double = n * k
    base: cython.pointer(cython.floating) = cython.address(x[0, 0, 0])
    with cython.nogil:
        for j in prange(c, schedule="static", num_threads=threads):
            m = _channel_sum(base + j * k, n, k, c * k, False, 0.0) / count
            mean[j] = m
            var[j] = _channel_sum(base + j * k, n, k, c * k, True, m) / count


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _grad_sums_channel(g: cython.pointer(cython.floating), x: cython.pointer(cython.floating),
                       n: cython.Py_ssize_t, k: cython.Py_ssize_t, stride: cython.Py_ssize_t,
                       m: cython.double, sums: cython.pointer(cython.double)) -> cython.void:
    # sums[0] = sum g;  sums[1] = sum g * (x - m), two partial sums each
    i: cython.Py_ssize_t
    l: cython.Py_ssize_t
    gp: cython.pointer(cython.floating)
    xp: cython.pointer(cython.floating)
    s0: cython.double = 0.0
    s1: cython.double = 0.0
    t0: cython.double = 0.0
    t1: cython.double = 0.0
    for i in range(n):
        gp = g + i * stride
        xp = x + i * stride
        l = 0
        while l + 2 <= k:
            s0 += gp[l]
            s1 += gp[l + 1]
            t0 += gp[l] * (xp[l] - m)
            t1 += gp[l + 1] * (xp[l + 1] - m)
            l += 2
        while l < k:
            s0 += gp[l]
            t0 += gp[l] * (xp[l] - m)
            l += 1
    sums[0] = s0 + s1
    sums[1] = t0 + t1


@cython.cfunc
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _c_grad_sums(g: cython.floating[:, :, ::1], x: cython.floating[:, :, ::1],
                 mean: cython.double[::1], sums: cython.double[:, ::1],
                 threads: cython.int) -> cython.void:
    # sums[c] = (sum g, sum g * (x - mean[c])); x must not be empty
    n: cython.Py_ssize_t = x.shape[0]
    c: cython.Py_ssize_t = x.shape[1]
    k: cython.Py_ssize_t = x.shape[2]
    j: cython.Py_ssize_t
    gb: cython.pointer(cython.floating) = cython.address(g[0, 0, 0])
    xb: cython.pointer(cython.floating) = cython.address(x[0, 0, 0])
    with cython.nogil:
        for j in prange(c, schedule="static", num_threads=threads):
            _grad_sums_channel(gb + j * k, xb + j * k, n, k, c * k, mean[j],
                               cython.address(sums[j, 0]))


@cython.cfunc
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _c_affine(x: cython.floating[:, :, ::1], scale: cython.double[::1],
              shift: cython.double[::1], out: cython.floating[:, :, ::1],
              threads: cython.int) -> cython.void:
    # out = x * scale[c] + shift[c], a channel's planes per step (walking
    # (image, channel) planes instead costs a division per plane, which is
    # most of the time when the planes are small)
    n: cython.Py_ssize_t = x.shape[0]
    c: cython.Py_ssize_t = x.shape[1]
    k: cython.Py_ssize_t = x.shape[2]
    i: cython.Py_ssize_t
    j: cython.Py_ssize_t
    l: cython.Py_ssize_t
    a: cython.double
    b: cython.double
    xp: cython.pointer(cython.floating)
    op: cython.pointer(cython.floating)
    xb: cython.pointer(cython.floating) = cython.address(x[0, 0, 0])
    ob: cython.pointer(cython.floating) = cython.address(out[0, 0, 0])
    with cython.nogil:
        for j in prange(c, schedule="static", num_threads=threads):
            a = scale[j]
            b = shift[j]
            for i in range(n):
                xp = xb + (i * c + j) * k
                op = ob + (i * c + j) * k
                for l in range(k):
                    op[l] = xp[l] * a + b


@cython.cfunc
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _c_grad_input(g: cython.floating[:, :, ::1], x: cython.floating[:, :, ::1],
                  mean: cython.double[::1], k1: cython.double[::1], k2: cython.double[::1],
                  k3: cython.double[::1], out: cython.floating[:, :, ::1],
                  threads: cython.int) -> cython.void:
    # out = g * k1[c] + (x - mean[c]) * k2[c] + k3[c], a channel's planes
    # per step, as in _c_affine
    n: cython.Py_ssize_t = x.shape[0]
    c: cython.Py_ssize_t = x.shape[1]
    k: cython.Py_ssize_t = x.shape[2]
    i: cython.Py_ssize_t
    j: cython.Py_ssize_t
    l: cython.Py_ssize_t
    a: cython.double
    b: cython.double
    d: cython.double
    m: cython.double
    gp: cython.pointer(cython.floating)
    xp: cython.pointer(cython.floating)
    op: cython.pointer(cython.floating)
    gb: cython.pointer(cython.floating) = cython.address(g[0, 0, 0])
    xb: cython.pointer(cython.floating) = cython.address(x[0, 0, 0])
    ob: cython.pointer(cython.floating) = cython.address(out[0, 0, 0])
    with cython.nogil:
        for j in prange(c, schedule="static", num_threads=threads):
            a = k1[j]
            b = k2[j]
            d = k3[j]
            m = mean[j]
            for i in range(n):
                gp = gb + (i * c + j) * k
                xp = xb + (i * c + j) * k
                op = ob + (i * c + j) * k
                for l in range(k):
                    op[l] = gp[l] * a + (xp[l] - m) * b + d


@cython.cfunc
def _f64(a) -> cython.double[::1]:
    # a per-channel float64 vector as the kernels' typed view
    v: cython.double[::1] = np.ascontiguousarray(a, dtype=np.float64)
    return v


def _use_c(*arrays):
    """Can the C kernels take these (N, C, K) buffers?  (Not empty ones:
    the kernels start from the first element's address.)"""
    if not cython.compiled:
        return False
    dtype = arrays[0].dtype
    if dtype != _FLOAT32 and dtype != _FLOAT64:
        return False
    for a in arrays:
        if a.dtype != dtype or not a.flags.c_contiguous or a.size == 0:
            return False
    return True


def _channel_stats(x3):
    """Per-channel mean and biased variance of an (N, C, K) array (float64)."""
    c = x3.shape[1]
    if _use_c(x3):
        mean = np.empty(c, dtype=np.float64)
        var = np.empty(c, dtype=np.float64)
        if x3.dtype == _FLOAT32:
            xf: cython.float[:, :, ::1] = x3
            _c_channel_stats(xf, _f64(mean), _f64(var), _bn_threads(x3))
        else:
            xd: cython.double[:, :, ::1] = x3
            _c_channel_stats(xd, _f64(mean), _f64(var), _bn_threads(x3))
        return mean, var
    count = x3.shape[0] * x3.shape[2]
    mean = x3.sum(axis=2, dtype=np.float64).sum(axis=0) / count
    centred = x3 - mean.astype(x3.dtype)[:, None]
    var = np.einsum("nck,nck->c", centred, centred, dtype=np.float64) / count
    return mean, var


def _affine(x3, scale, shift):
    """``x3 * scale[c] + shift[c]`` in ``x3``'s dtype (scale, shift float64)."""
    if _use_c(x3):
        out = np.empty(x3.shape, dtype=x3.dtype)
        if x3.dtype == _FLOAT32:
            xf: cython.float[:, :, ::1] = x3
            of: cython.float[:, :, ::1] = out
            _c_affine(xf, _f64(scale), _f64(shift), of, _bn_threads(x3))
        else:
            xd: cython.double[:, :, ::1] = x3
            od: cython.double[:, :, ::1] = out
            _c_affine(xd, _f64(scale), _f64(shift), od, _bn_threads(x3))
        return out
    dtype = x3.dtype
    out = np.multiply(x3, scale.astype(dtype)[:, None])
    out += shift.astype(dtype)[:, None]
    return out


def _grad_sums(g3, x3, mean):
    """Per channel: sum of g and sum of g * (x - mean), both float64."""
    if _use_c(g3, x3):
        c = x3.shape[1]
        sums = np.empty((c, 2), dtype=np.float64)
        sv: cython.double[:, ::1] = sums
        if x3.dtype == _FLOAT32:
            gf: cython.float[:, :, ::1] = g3
            xf: cython.float[:, :, ::1] = x3
            _c_grad_sums(gf, xf, _f64(mean), sv, _bn_threads(x3))
        else:
            gd: cython.double[:, :, ::1] = g3
            xd: cython.double[:, :, ::1] = x3
            _c_grad_sums(gd, xd, _f64(mean), sv, _bn_threads(x3))
        return sums[:, 0].copy(), sums[:, 1].copy()
    sum_g = g3.sum(axis=2, dtype=np.float64).sum(axis=0)
    centred = x3 - mean.astype(x3.dtype)[:, None]
    sum_gxc = np.einsum("nck,nck->c", g3, centred, dtype=np.float64)
    return sum_g, sum_gxc


def _grad_input(g3, x3, mean, k1, k2, k3):
    """``g * k1[c] + (x - mean[c]) * k2[c] + k3[c]`` in ``g3``'s dtype."""
    if _use_c(g3, x3):
        out = np.empty(g3.shape, dtype=g3.dtype)
        if x3.dtype == _FLOAT32:
            gf: cython.float[:, :, ::1] = g3
            xf: cython.float[:, :, ::1] = x3
            of: cython.float[:, :, ::1] = out
            _c_grad_input(gf, xf, _f64(mean), _f64(k1), _f64(k2), _f64(k3), of,
                          _bn_threads(x3))
        else:
            gd: cython.double[:, :, ::1] = g3
            xd: cython.double[:, :, ::1] = x3
            od: cython.double[:, :, ::1] = out
            _c_grad_input(gd, xd, _f64(mean), _f64(k1), _f64(k2), _f64(k3), od,
                          _bn_threads(x3))
        return out
    dtype = g3.dtype
    centred = x3 - mean.astype(x3.dtype)[:, None]
    centred *= k2.astype(dtype)[:, None]
    centred += k3.astype(dtype)[:, None]
    out = np.multiply(g3, k1.astype(dtype)[:, None])
    out += centred
    return out


def _as_nck(a, n, c, k):
    """A view (or contiguous copy) of ``a`` as (N, C, K)."""
    return np.ascontiguousarray(a).reshape(n, c, k)


def _channel_vector(name, what, x, c):
    if x is not None and x.size != c:
        raise RuntimeError(f"{what} should contain {c} elements not {x.size}")
    return None if x is None else x.reshape(c).astype(np.float64)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalise each channel (dim 1) of an (N, C, *) input, one fused node
    (``NativeBatchNormBackward0``).

    Args:
        input: an (N, C), (N, C, L), (N, C, H, W), ... float tensor.
        running_mean, running_var: (C,) tensors or None.  In training they
            are updated in place (when given): ``(1 - momentum) * old +
            momentum * batch`` with the unbiased batch variance.  In
            evaluation they are the statistics used, and required.
        weight, bias: optional (C,) affine parameters.
        training: normalise with the batch's mean and biased variance.
        momentum: the running statistics' update factor.
        eps: added to the variance before the square root.

    Example:
        >>> x = autograd.tensor([[1., 2.], [3., 6.]])
        >>> batch_norm(x, None, None, training=True)
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]])
    """
    x = _data("batch_norm", input, "input")
    rm = _optional_data("batch_norm", running_mean, "running_mean")
    rv = _optional_data("batch_norm", running_var, "running_var")
    w = _optional_data("batch_norm", weight, "weight")
    b = _optional_data("batch_norm", bias, "bias")
    if x.ndim < 2:
        raise ValueError(
            f"batch_norm: expected a 2D or higher input (N, C, *), got {x.ndim}D input of "
            f"shape {format_shape(x.shape)}"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"batch_norm: expected a floating point input, but got {_torch_dtype_name(x.dtype)}"
        )
    n = x.shape[0]
    c = x.shape[1]
    k = _product(x.shape[2:])
    count = n * k
    if training and count == 1:
        raise ValueError(
            "Expected more than 1 value per channel when training, got input size "
            f"{format_shape(x.shape)}"
        )
    if not training:
        if rm is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        if rv is None:
            raise RuntimeError("running_var must be defined in evaluation mode")
    w64 = _channel_vector("batch_norm", "weight", w, c)
    b64 = _channel_vector("batch_norm", "bias", b, c)
    rm64 = _channel_vector("batch_norm", "running_mean", rm, c)
    rv64 = _channel_vector("batch_norm", "running_var", rv, c)
    x3 = _as_nck(x, n, c, k)
    if training:
        if count > 0:
            mean, var = _channel_stats(x3)
        else:
            mean = np.full(c, np.nan)
            var = np.full(c, np.nan)
    else:
        mean = rm64
        var = rv64
    invstd = 1.0 / np.sqrt(var + eps)
    scale = invstd if w64 is None else invstd * w64
    shift = -mean * scale
    if b64 is not None:
        shift += b64
    out = make(_affine(x3, scale, shift).reshape(x.shape))
    if training and count > 0:
        # The statistics update in place, as PyTorch's do (an empty batch
        # leaves them alone).
        if rm is not None:
            rm *= 1.0 - momentum
            rm += (momentum * mean).astype(rm.dtype)
            (cython.cast(TensorBase, running_mean))._version += 1
        if rv is not None:
            rv *= 1.0 - momentum
            rv += (momentum * var * (count / (count - 1.0))).astype(rv.dtype)
            (cython.cast(TensorBase, running_var))._version += 1
    record(out, "NativeBatchNormBackward0", _batch_norm_backward, (input, weight, bias),
           (input, weight, mean, invstd), False, (bool(training), eps))
    return out


def _batch_norm_backward(ctx, grad):
    # With xhat = (x - mean) * invstd and g' = grad * weight:
    #   training: d x = invstd * (g' - mean(g') - xhat * mean(g' * xhat))
    #   evaluation: d x = invstd * g'
    #   d weight = sum(grad * xhat), d bias = sum(grad)  (over all but dim 1)
    x, weight, mean, invstd = ctx.saved
    training, eps = ctx.attrs
    needs = ctx.needs_input_grad
    if is_grad_enabled():
        return _batch_norm_backward_graph(x, weight, grad, mean, invstd, training, eps, needs)
    xd = (cython.cast(TensorBase, x))._data
    n = xd.shape[0]
    c = xd.shape[1]
    k = _product(xd.shape[2:])
    count = n * k
    g3 = _as_nck((cython.cast(TensorBase, grad))._data, n, c, k)
    x3 = _as_nck(xd, n, c, k)
    if not (needs[1] or (training and needs[0])):
        sum_g = g3.sum(axis=2, dtype=np.float64).sum(axis=0) if needs[2] else None
        sum_gxc = None
    else:
        sum_g, sum_gxc = _grad_sums(g3, x3, mean)
    gx = gw = gb = None
    if needs[0]:
        k1 = invstd
        if weight is not None:
            k1 = invstd * (cython.cast(TensorBase, weight))._data.reshape(c).astype(np.float64)
        if training and count > 0:
            k2 = -k1 * invstd * invstd * sum_gxc / count
            k3 = -k1 * sum_g / count
        else:
            k2 = np.zeros(c)
            k3 = k2
        if training:
            values = _grad_input(g3, x3, mean, k1, k2, k3)
        else:
            values = np.multiply(g3, k1.astype(g3.dtype)[:, None])
        gx = make(values.reshape(xd.shape))
    if needs[1]:
        gw = make(sum_gxc * invstd)
    if needs[2]:
        gb = make(sum_g)
    return (gx, gw, gb)


def _batch_norm_backward_graph(x, weight, grad, mean, invstd, training, eps, needs):
    """The same derivative in engine ops, for create_graph=True."""
    xd = (cython.cast(TensorBase, x))._data
    ndim = xd.ndim
    c = xd.shape[1]
    axes = (0,) + tuple(range(2, ndim))
    kept = (1, c) + (1,) * (ndim - 2)
    if training:
        centred = sub(x, _mean(x, axes, True))
        inv = pow(add(_mean(mul(centred, centred), axes, True), eps), -0.5)
    else:
        centred = sub(x, make(mean.astype(xd.dtype).reshape(kept)))
        inv = make(invstd.astype(xd.dtype).reshape(kept))
    xhat = mul(centred, inv)
    gx = gw = gb = None
    if needs[0]:
        gscaled = grad if weight is None else mul(grad, reshape(weight, kept))
        if training:
            inner = sub(gscaled, _mean(gscaled, axes, True))
            inner = sub(inner, mul(xhat, _mean(mul(gscaled, xhat), axes, True)))
            gx = mul(inner, inv)
        else:
            gx = mul(gscaled, inv)
    if needs[1]:
        gw = _sum(mul(grad, xhat), axes)
    if needs[2]:
        gb = _sum(grad, axes)
    return (gx, gw, gb)


# ======================================================================
# dropout's masked scale
# ======================================================================

def masked_scale(input, mask, scale):
    """``input * mask * scale``: dropout with the mask already drawn.

    Args:
        input: a float tensor.
        mask: a bool array or tensor of ``input``'s shape (True keeps).
        scale: the factor for the kept elements (``1 / (1 - p)``).

    The node is ``MulBackward0``, PyTorch's node for dropout on the CPU;
    its gradient is ``grad * mask * scale``.

    Example:
        >>> masked_scale(autograd.tensor([1., 2.]), np.array([True, False]), 2.0)
        tensor([2., 0.])
    """
    x = _data("dropout", input, "input")
    m = (cython.cast(TensorBase, mask))._data if isinstance(mask, TensorBase) else np.asarray(mask)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"dropout: expected a floating point input, but got {_torch_dtype_name(x.dtype)}"
        )
    if m.shape != x.shape:
        raise RuntimeError(
            f"dropout: mask of shape {format_shape(m.shape)} does not match the input's shape "
            f"{format_shape(x.shape)}"
        )
    multiplier = np.multiply(m, scale, dtype=x.dtype)
    out = make(np.multiply(x, multiplier))
    record(out, "MulBackward0", _masked_scale_backward, (input,), (make(multiplier),))
    return out


def _masked_scale_backward(ctx, grad):
    (multiplier,) = ctx.saved
    return (mul(grad, multiplier),)


# ======================================================================
# mse_loss
# ======================================================================

def _reduce(values, reduction):
    if reduction == "none":
        return values
    if reduction == "sum":
        return np.asarray(values.sum(), dtype=values.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the mean of nothing is nan, as in PyTorch
        return np.asarray(values.sum() / values.size if values.size else np.nan,
                          dtype=values.dtype)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error ``(input - target) ** 2``, reduced; one node.

    A target of another shape broadcasts, with PyTorch's warning.  Both
    ``input`` and ``target`` get gradients.

    Args:
        reduction: "mean" (default), "sum" or "none".

    Example:
        >>> mse_loss(autograd.tensor([1., 2.]), autograd.tensor([1., 4.]))
        tensor(2.)
    """
    x = _data("mse_loss", input, "input")
    y = _data("mse_loss", target, "target")
    _check_reduction(reduction)
    if x.shape != y.shape:
        warnings.warn(
            f"Using a target size ({format_shape(y.shape)}) that is different to the input "
            f"size ({format_shape(x.shape)}). This will likely lead to incorrect results due "
            "to broadcasting. Please ensure they have the same size.",
            UserWarning, stacklevel=3,
        )
        try:
            shape = np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise RuntimeError(
                f"mse_loss: the size of input {format_shape(x.shape)} and target "
                f"{format_shape(y.shape)} do not broadcast"
            ) from None
    else:
        shape = x.shape
    diff = np.asarray(np.subtract(x, y))
    if diff.ndim:
        np.multiply(diff, diff, out=diff)
    else:
        diff = np.asarray(diff * diff)
    out = make(_reduce(diff, reduction))
    record(out, "MseLossBackward0", _mse_loss_backward, (input, target), (input, target),
           False, (reduction, _product(shape)))
    return out


def _mse_loss_backward(ctx, grad):
    # d input = 2 (input - target) * grad (/ n for the mean); d target = -that
    x, y = ctx.saved
    reduction, n = ctx.attrs
    needs = ctx.needs_input_grad
    if reduction == "mean":
        factor = mul(grad, 2.0 / n if n else 0.0)
    else:
        factor = mul(grad, 2.0)
    g = mul(sub(x, y), factor)
    return (g if needs[0] else None, neg(g) if needs[1] else None)


# ======================================================================
# nll_loss
# ======================================================================

def _class_targets(name, x, t, weight, ignore_index):
    """Validate class-index targets for an (N, C, *) or (C,) input.

    Returns the input as (N, C, *), the targets as (N, *) int64 with the
    ignored ones set to 0, and each target's weight (0 where ignored).
    """
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if t.dtype != _INT64 and t.dtype != _UINT8:
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_torch_dtype_name(t.dtype)}"
        )
    if x.ndim == 1:
        if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != 1):
            raise ValueError(
                "For 1D input, 1D target must have size 1, but got target size: "
                f"{t.size if t.ndim == 1 else format_shape(t.shape)}"
            )
        xb = x.reshape(1, x.shape[0])
        tb = t.reshape(1)
    else:
        if x.ndim == 2 and t.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if t.ndim == 0 or x.shape[0] != t.shape[0]:
            raise ValueError(
                f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                f"({t.shape[0] if t.ndim else 0})."
            )
        if x.shape[2:] != t.shape[1:]:
            raise RuntimeError(
                f"size mismatch (got input: {format_shape(x.shape)} , target: "
                f"{format_shape(t.shape)}"
            )
        xb = x
        tb = t
    c = xb.shape[1]
    if tb.dtype != _INT64:
        tb = tb.astype(_INT64)
    valid = tb != ignore_index
    bad = np.logical_and(valid, np.logical_or(tb < 0, tb >= c))
    if bad.any():
        raise IndexError(f"Target {int(tb[bad][0])} is out of bounds.")
    safe = np.where(valid, tb, 0)
    if weight is None:
        wt = valid.astype(x.dtype)
    else:
        if weight.ndim != 1 or weight.shape[0] != c:
            raise RuntimeError(
                f"weight tensor should be defined either for all {c} classes or no classes but "
                f"got weight tensor of shape: {format_shape(weight.shape)}"
            )
        wt = np.where(valid, weight.astype(x.dtype)[safe] if c else 0, 0).astype(x.dtype)
    return xb, safe, wt


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log likelihood of class-index targets: ``-input[n, target[n]]``,
    weighted and reduced; one node (``NllLossBackward0``, or
    ``NllLoss2DBackward0`` for inputs with spatial dims, as PyTorch names them).

    Args:
        input: log-probabilities, (N, C), (N, C, d1, ...) or unbatched (C,).
        target: int64 (or uint8) class indices, (N,), (N, d1, ...) or ().
        weight: optional (C,) class weights (not differentiable).
        ignore_index: targets equal to it contribute nothing.
        reduction: "mean" (divides by the summed weights of the counted
            targets), "sum" or "none".

    Example:
        >>> nll_loss(autograd.tensor([[-1., -2.]]), autograd.tensor([1]))
        tensor(2.)
    """
    x = _data("nll_loss", input, "input")
    t = _data("nll_loss", target, "target")
    wd = _optional_data("nll_loss", weight, "weight")
    _check_reduction(reduction)
    if wd is not None and is_grad_enabled() and _requires_grad(weight):
        raise RuntimeError(
            "The function 'nll_loss_forward' is not differentiable with respect to argument "
            "'weight'. This input cannot have requires_grad True."
        )
    fast = None
    if wd is None and reduction != "none":
        fast = _nll_loss_rows(x, t, ignore_index, reduction == "mean")
    if fast is not None:
        values, index, wt, denom = fast
        out = make(values)
        record(out, "NllLossBackward0", _nll_loss_backward, (input,), (index, wt), False,
               (x.shape, x.shape, reduction, denom))
        return out
    xb, safe, wt = _class_targets("nll_loss", x, t, wd, ignore_index)
    index = np.expand_dims(safe, 1)
    if xb.shape[1] == 0:
        picked = np.zeros(safe.shape, dtype=x.dtype)
    else:
        # an ignored target picks nothing (index 0 is a stand-in), so that
        # a nan or inf there does not reach the loss, as in PyTorch; a class
        # weighted 0 still picks its value (0 * nan is nan there too)
        picked = np.take_along_axis(xb, index, axis=1).reshape(safe.shape)
        ignored = t.reshape(safe.shape) == ignore_index
        picked = np.where(ignored, 0, picked).astype(x.dtype, copy=False)
    losses = np.negative(np.multiply(picked, wt))
    if reduction == "none":
        values = losses.reshape(t.shape) if x.ndim == 1 else losses
        denom = 1.0
    else:
        total = losses.sum()
        denom = 1.0
        if reduction == "mean":
            denom = wt.sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                total = total / denom
        values = np.asarray(total, dtype=x.dtype)
    out = make(values)
    record(out, "NllLossBackward0" if x.ndim <= 2 else "NllLoss2DBackward0", _nll_loss_backward,
           (input,), (index, wt), False, (x.shape, xb.shape, reduction, denom))
    return out


@cython.cfunc
def _nll_loss_rows(x, t, ignore_index, mean: cython.bint):
    """nll_loss, unweighted and reduced, of a C-contiguous float (N, C) input
    and int64 (N,) targets by one C loop: (the loss, index, wt, denom) as the
    numpy path computes them, to the bit, or None for other inputs.

    The numpy path takes a dozen numpy calls; after a network's forward has
    filled the caches with its weights they cost 150 us for 128 rows."""
    if not cython.compiled or _fast_kind(x) == 0 or x.ndim != 2 or x.shape[1] == 0:
        return None
    if not cnp.PyArray_CheckExact(t):
        return None
    ta: cnp.ndarray = cython.cast(cnp.ndarray, t)
    if (cnp.PyArray_TYPE(ta) != cnp.NPY_INT64 or cnp.PyArray_NDIM(ta) != 1
            or not cnp.PyArray_IS_C_CONTIGUOUS(ta) or not cnp.PyArray_ISNOTSWAPPED(ta)
            or ta.shape[0] != x.shape[0]):
        return None
    if not -(1 << 63) <= ignore_index < (1 << 63):
        return None
    a: cnp.ndarray = cython.cast(cnp.ndarray, x)
    n: cython.Py_ssize_t = a.shape[0]
    c: cython.Py_ssize_t = a.shape[1]
    kind: cython.int = cnp.PyArray_TYPE(a)
    safe: cnp.ndarray = cnp.PyArray_EMPTY(1, cnp.PyArray_DIMS(ta), cnp.NPY_INT64, 0)
    wt: cnp.ndarray = cnp.PyArray_EMPTY(1, cnp.PyArray_DIMS(ta), kind, 0)
    losses: cnp.ndarray = cnp.PyArray_EMPTY(1, cnp.PyArray_DIMS(ta), kind, 0)
    values: cnp.ndarray = cnp.PyArray_EMPTY(0, cython.NULL, kind, 0)
    ignore: cython.longlong = ignore_index
    bad: cython.Py_ssize_t
    zero_f: cython.float = 0
    total_f: cython.float
    denom_f: cython.float
    total_d: cython.double
    denom_d: cython.double
    targets: cython.pointer(cython.longlong) = cython.cast(cython.pointer(cython.longlong),
                                                          cnp.PyArray_DATA(ta))
    indices: cython.pointer(cython.longlong) = cython.cast(cython.pointer(cython.longlong),
                                                          cnp.PyArray_DATA(safe))
    if kind == cnp.NPY_FLOAT32:
        bad = _pick_targets(cython.cast(cython.p_float, cnp.PyArray_DATA(a)), targets, n, c,
                            ignore, indices, cython.cast(cython.p_float, cnp.PyArray_DATA(wt)),
                            cython.cast(cython.p_float, cnp.PyArray_DATA(losses)))
        if bad >= 0:
            raise IndexError(f"Target {targets[bad]} is out of bounds.")
        # numpy's order and dtype: the pairwise sums onto 0, then the quotient
        total_f = zero_f + _pairwise_sum(cython.cast(cython.p_float, cnp.PyArray_DATA(losses)), n)
        denom_f = zero_f + _pairwise_sum(cython.cast(cython.p_float, cnp.PyArray_DATA(wt)), n)
        if mean:
            total_f = total_f / denom_f
        cython.cast(cython.p_float, cnp.PyArray_DATA(values))[0] = total_f
        denom = denom_f if mean else 1.0
    else:
        bad = _pick_targets(cython.cast(cython.p_double, cnp.PyArray_DATA(a)), targets, n, c,
                            ignore, indices, cython.cast(cython.p_double, cnp.PyArray_DATA(wt)),
                            cython.cast(cython.p_double, cnp.PyArray_DATA(losses)))
        if bad >= 0:
            raise IndexError(f"Target {targets[bad]} is out of bounds.")
        total_d = 0.0 + _pairwise_sum(cython.cast(cython.p_double, cnp.PyArray_DATA(losses)), n)
        denom_d = 0.0 + _pairwise_sum(cython.cast(cython.p_double, cnp.PyArray_DATA(wt)), n)
        if mean:
            total_d = total_d / denom_d
        cython.cast(cython.p_double, cnp.PyArray_DATA(values))[0] = total_d
        denom = denom_d if mean else 1.0
    return values, safe.reshape(n, 1), wt, denom


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _pick_targets(x: cython.pointer(cython.floating), targets: cython.pointer(cython.longlong),
                  n: cython.Py_ssize_t, c: cython.Py_ssize_t, ignore_index: cython.longlong,
                  safe: cython.pointer(cython.longlong), wt: cython.pointer(cython.floating),
                  losses: cython.pointer(cython.floating)) -> cython.Py_ssize_t:
    # each row's index, weight and -(x[i, target] * weight) as the numpy path
    # has them (an ignored target: index 0, weight 0, loss -(0 * 0)); the
    # first out-of-range target's row, or -1
    i: cython.Py_ssize_t
    k: cython.longlong
    one: cython.floating = 1
    zero: cython.floating = 0
    for i in range(n):
        k = targets[i]
        if k == ignore_index:
            safe[i] = 0
            wt[i] = zero
            losses[i] = -(zero * zero)
        elif k < 0 or k >= c:
            return i
        else:
            safe[i] = k
            wt[i] = one
            losses[i] = -(x[i * c + k] * one)
    return -1


def _nll_loss_backward(ctx, grad):
    # d input = -weight[target] / denom at each target's position, 0 elsewhere,
    # times grad: a constant times grad, so it differentiates again.
    index, wt = ctx.saved
    shape, batched_shape, reduction, denom = ctx.attrs
    gd = (cython.cast(TensorBase, grad))._data
    coef = np.zeros(batched_shape, dtype=gd.dtype)
    if coef.size:
        with np.errstate(invalid="ignore", divide="ignore"):
            # all targets ignored: the mean is nan but its gradient is 0
            values = -wt / denom if denom != 0 else np.zeros_like(wt)
        np.put_along_axis(coef, index, np.expand_dims(values.astype(gd.dtype), 1), axis=1)
    if reduction == "none":
        grad = reshape(grad, index.shape)
    g = mul(make(coef), grad)
    if len(shape) == 1:
        g = reshape(g, shape)
    return (g,)


# ======================================================================
# cross_entropy
# ======================================================================

def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between the logits ``input`` and ``target``: class
    indices (int64, like nll_loss's) or class probabilities (a float tensor
    of ``input``'s shape), computed through ``log_softmax`` so that large
    logits cannot overflow.

    Args:
        input: logits, (N, C), (N, C, d1, ...) or unbatched (C,).
        target: class indices or probabilities (probabilities get gradients).
        weight: optional (C,) class weights.
        ignore_index: for class indices, targets to skip.
        reduction: "mean", "sum" or "none".  With probabilities the mean
            divides by the number of samples (N * d1 * ...).
        label_smoothing: mix the target with the uniform distribution.

    Example:
        >>> cross_entropy(autograd.tensor([[0., 0.]]), autograd.tensor([1]))
        tensor(0.6931)
    """
    x = _data("cross_entropy", input, "input")
    t = _data("cross_entropy", target, "target")
    wd = _optional_data("cross_entropy", weight, "weight")
    _check_reduction(reduction)
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}"
        )
    class_dim = 0 if x.ndim == 1 else 1
    c = x.shape[class_dim]
    weight_shape = tuple([c if i == class_dim else 1 for i in range(x.ndim)])
    if wd is not None and (wd.ndim != 1 or wd.shape[0] != c):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but "
            f"got weight tensor of shape: {format_shape(wd.shape)}"
        )
    if x.shape == t.shape:
        # class probabilities
        if t.dtype.kind != "f":
            raise RuntimeError(
                "Expected floating point type for target with class probabilities, got "
                f"{_torch_dtype_name(t.dtype)}"
            )
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 0:
            target = add(mul(target, 1.0 - label_smoothing), label_smoothing / c)
        terms = mul(log_softmax(input, class_dim), target)
        if weight is not None:
            terms = mul(terms, reshape(weight, weight_shape))
        if reduction == "none":
            return neg(_sum(terms, class_dim))
        total = neg(_sum(terms))
        if reduction == "sum":
            return total
        samples = x.size // c if c else 0
        if samples == 0:
            return mul(total, float("nan"))
        return mul(total, 1.0 / samples)
    logp = log_softmax(input, class_dim)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return nll
    # Smoothing adds label_smoothing / C times the loss against the uniform
    # distribution, normalised like the nll term.
    ignored = t == ignore_index
    terms = logp if weight is None else mul(logp, reshape(weight, weight_shape))
    smooth = where(make(ignored), 0.0, neg(_sum(terms, class_dim)))
    if reduction == "none":
        extra = smooth
    else:
        extra = _sum(smooth)
        if reduction == "mean":
            kept = np.logical_not(ignored)
            if wd is None:
                denom = float(kept.sum())
            else:
                denom = float(wd.astype(np.float64)[t[kept].astype(_INT64)].sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                extra = mul(extra, 1.0 / denom if denom != 0 else float("nan"))
    return add(mul(nll, 1.0 - label_smoothing), mul(extra, label_smoothing / c))


__all__ = []
TENSOR_METHODS = {}
